"""Where a prior, scenario or data value came from, and checking that it says so truthfully."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SEED_FILE = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")


@dataclass(frozen=True)
class Provenance:
    """A seed paper and a verbatim quote from it, or a stated reason (or both).

    Parameters
    ----------
    source : str
        A seed file name (``001_19e99d834b398c11.txt``) or a named public source.
    quote : str
        A verbatim passage of ``source`` when it is a seed file.
    reason : str
        The analyst's reasoning, when no paper is quoted.
    """

    source: str = ""
    quote: str = ""
    reason: str = ""

    @property
    def cites_seed(self) -> bool:
        """True when the source is one of the seed papers."""
        return bool(SEED_FILE.match(self.source))

    def problems(self) -> list[tuple[str, str]]:
        """Return ``(field, message)`` pairs for anything missing or inconsistent."""
        out = []
        if not (self.source or self.reason):
            out.append(("source", "missing provenance: give source + quote, or a reason"))
        if self.cites_seed and not self.quote:
            out.append(("quote", f"cites {self.source} but gives no verbatim quote"))
        if self.quote and not self.source:
            out.append(("source", "has a quote but no source file"))
        return out

    def to_dict(self) -> dict[str, str]:
        """Return the non-empty fields, in file order."""
        return {k: v for k, v in (("source", self.source), ("quote", self.quote), ("reason", self.reason)) if v}

    @classmethod
    def from_dict(cls, data: dict) -> Provenance:
        """Build from the ``source``/``quote``/``reason`` keys of ``data`` (others ignored)."""
        return cls(
            source=str(data.get("source", "")),
            quote=str(data.get("quote", "")),
            reason=str(data.get("reason", "")),
        )

    def __str__(self) -> str:
        if self.cites_seed:
            return f"{self.source}: “{self.quote}”"
        return self.reason or self.source


def normalise_whitespace(text: str) -> str:
    """Collapse runs of whitespace to one space (line breaks in the papers are layout)."""
    return re.sub(r"\s+", " ", text).strip()


@cache
def _seed_text(path: Path) -> str:
    return normalise_whitespace(path.read_text(encoding="utf-8"))


def quote_found(provenance: Provenance, seeds_dir: Path) -> bool | None:
    """Whether the quote is verbatim in its seed file; None when it cannot be checked.

    Only whitespace is normalised, nothing else (quotes, dashes and case must match).
    """
    if not provenance.cites_seed:
        return None
    path = seeds_dir / provenance.source
    if not path.exists():
        return None
    return normalise_whitespace(provenance.quote) in _seed_text(path)
