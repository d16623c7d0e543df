"""What a seminar room is asked and what it answers with, as plain records (no fit needed to read them).

:class:`Assumption` is one lens prior put to the room in plain words; :class:`ParticipantForecast`
the headline questions' probabilities for one participant (or the lens, or the pool). Both round-trip
through JSON (``to_dict`` / ``from_dict``), so a saved seminar (:mod:`hedgecast.seminar.results`) and
the report's seminar section read them without the engine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from hedgecast.seminar.wording import Wording

__all__ = ["Assumption", "ParticipantForecast"]


@dataclass(frozen=True)
class Assumption:
    """One lens prior as it is put to the room (``id`` is the prior's name; only the words are shown)."""

    id: str
    parameter: str  # the lens prior's name (same as id)
    label: str
    question: str
    units: str
    meaning: str
    family: str  # the lens prior's family: what an answer becomes
    baseline: dict  # {"most_likely", "low", "high"}: the lens prior on the room's scale (90% range)
    transform: str = "identity"  # room's scale → prior's scale (hedgecast.seminar.wording)

    @property
    def wording(self) -> Wording:
        """The words and scale of the question (an answer's support narrowed to the family's when asked on the prior's own scale)."""
        bounds = None
        if self.transform == "identity" and self.family in ("Gamma", "LogNormal", "Lognormal"):
            bounds = (0.0, math.inf)
        elif self.transform == "identity" and self.family == "Beta":
            bounds = (0.0, 1.0)
        return Wording(self.label, self.question, self.units, self.meaning, self.transform, bounds)

    def to_dict(self) -> dict:
        return {
            k: getattr(self, k) for k in ("id", "parameter", "label", "question", "units", "meaning", "family", "baseline", "transform")
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> Assumption:
        return cls(
            **{k: d[k] for k in ("id", "parameter", "label", "question", "units", "meaning", "family", "baseline")},
            transform=d.get("transform", "identity"),
        )


@dataclass(frozen=True)
class ParticipantForecast:
    """One participant's (or the baseline's, or the pool's) probabilities of the headline questions."""

    probabilities: dict[str, float]  # question id → P(YES); NaN while a refit is pending
    mcse: dict[str, float]
    khat: float  # Pareto k̂ of the importance weights (NaN: nothing changed)
    method: str  # "reweighted" | "refit"
    pending: bool = False  # a refit is needed and not yet made
    ess: float = float("nan")
    latency_s: float = 0.0

    def to_dict(self) -> dict:
        def num(x):
            return None if x is None or not np.isfinite(x) else float(x)

        return {
            "probabilities": {k: num(v) for k, v in self.probabilities.items()},
            "mcse": {k: num(v) for k, v in self.mcse.items()},
            "khat": num(self.khat),
            "method": self.method,
            "pending": self.pending,
            "ess": num(self.ess),
            "latency_s": float(self.latency_s),
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> ParticipantForecast:
        def num(x):
            return float("nan") if x is None else float(x)

        return cls(
            {k: num(v) for k, v in d["probabilities"].items()},
            {k: num(v) for k, v in d.get("mcse", {}).items()},
            num(d.get("khat")),
            str(d.get("method", "reweighted")),
            bool(d.get("pending", False)),
            num(d.get("ess")),
            float(d.get("latency_s") or 0.0),
        )
