"""Lenses: named, complete sets of priors, each with its provenance.

A lens file (``models/lenses/<name>.toml``, see :mod:`hedgecast.priors.lens_file`)
holds one ``pymc_extras.prior.Prior`` per model parameter, each citing a seed paper
with a verbatim quote or stating a reason, and may hold its own reading of the present
(the last history years' driver codings, :mod:`hedgecast.priors.lens_present`), which
its fit and forecast use in place of the shared codings. Lenses can extend other lenses, be edited
in a notebook, saved (exact round-trip), and diffed.

A :class:`Lens` is immutable: :meth:`Lens.with_prior` and :meth:`Lens.derive` return
new lenses, so a fit (and its forecast and report) keeps the lens it was fitted with::

    >>> mine = baseline.derive("mine")                                  # doctest: +SKIP
    >>> mine = mine.with_prior("cushion", Prior("Normal", mu=1, sigma=0.2), reason="…")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

import pandas as pd
from pymc_extras.prior import Prior

from hedgecast.config import Paths
from hedgecast.errors import Problem, SpecError, suggest
from hedgecast.files import write_atomic
from hedgecast.inputs.provenance import Provenance
from hedgecast.inputs.spec import ModelSpec
from hedgecast.priors.groups import FIT_GROUPS, FORECAST_GROUPS, REPLACED_GROUPS, parameter_groups
from hedgecast.priors.lens_file import (
    LENS_NAME,
    NAME_RULE,
    find_lens,
    lens_toml,
    lens_toml_dict,
    list_lenses,
    parse_priors,
    read_lens,
    replaced_groups_message,
)
from hedgecast.priors.lens_present import PresentReading, present_fingerprint
from hedgecast.priors.lens_prior import (
    LensPrior,
    describe_prior,
    edited_prior,
    element_name,
    format_value,
    known_by_limit,
)

__all__ = [
    "FIT_GROUPS",
    "FORECAST_GROUPS",
    "LENS_NAME",
    "Lens",
    "LensPrior",
    "PresentReading",
    "diff_lenses",
    "element_name",
    "list_lenses",
    "parameter_groups",
    "parse_priors",
]


@dataclasses.dataclass(frozen=True)
class Lens:
    """A complete, named set of priors for one model spec; immutable.

    Use :meth:`load` to read one, :meth:`prior` to read a prior, :meth:`with_prior` for
    a copy with one prior changed, :meth:`derive` to start a new lens from this one,
    :meth:`save` and :func:`diff_lenses`. ``priors`` is a read-only mapping.
    """

    name: str
    spec: ModelSpec
    priors: Mapping[str, LensPrior]
    summary: str = ""
    author: str = ""
    extends: str = ""
    path: str = ""
    changes: tuple[str, ...] = ()
    """Priors changed with :meth:`with_prior` since the lens was loaded or derived, in order."""
    present: Mapping[tuple[str, int], PresentReading] = dataclasses.field(default_factory=dict)
    """The lens's own codings of recent driver years, ``(driver, year) -> PresentReading`` (read-only)."""
    year: int | None = None
    """When the lens's content was written (``[lens] year``, e.g. its paper's year); None: the last history year."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "priors", MappingProxyType(dict(self.priors)))
        object.__setattr__(self, "changes", tuple(self.changes))
        object.__setattr__(self, "present", MappingProxyType(dict(self.present)))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # a mappingproxy cannot be pickled or deep-copied: rebuild from a plain dict
        fields = (
            self.name,
            self.spec,
            dict(self.priors),
            self.summary,
            self.author,
            self.extends,
            self.path,
            self.changes,
            dict(self.present),
            self.year,
        )
        return (type(self), fields)

    # ---- reading ----------------------------------------------------------------
    @classmethod
    def load(cls, name_or_path: str | Path, spec: ModelSpec, paths: Paths | None = None) -> Lens:
        """Load a lens by name (``models/lenses/<name>.toml``) or path, validating every prior.

        Raises
        ------
        SpecError
            Listing every problem in the file (and in the lenses it extends), each
            with its field and, where it can be found, its line.

        """
        paths = paths or Paths.discover()
        read = read_lens(find_lens(name_or_path, paths), spec, paths)
        return cls(read.name, spec, read.priors, read.summary, read.author, read.extends, read.path, present=read.present, year=read.year)

    @property
    def names(self) -> list[str]:
        """Every prior's dotted name, in model order."""
        return list(self.priors)

    def _check_name(self, name: str) -> None:
        if name in REPLACED_GROUPS:
            raise SpecError([Problem(self.path or f"lens {self.name}", name, replaced_groups_message([name]))])
        if name not in self.priors:
            raise SpecError([Problem(self.path or f"lens {self.name}", name, f"unknown prior: {suggest(name, self.names)}")])

    def prior(self, name: str) -> Prior:
        """Return the prior called ``name`` (e.g. ``"beta.political.leader_ties"``)."""
        self._check_name(name)
        return self.priors[name].prior

    def provenance(self, name: str) -> Provenance:
        """Where the prior called ``name`` came from."""
        self._check_name(name)
        return self.priors[name].provenance

    def known_by(self, name: str) -> int:
        """Return the first year the content of the prior ``name`` could have been known.

        Its stated ``known_by``; if it states none, the year of the lens file that gave it
        (``[lens] year``), else this lens's year, else the last history year.
        """
        self._check_name(name)
        lp = self.priors[name]
        if lp.known_by is not None:
            return lp.known_by
        if lp.assumed_known_by is not None:
            return lp.assumed_known_by
        return known_by_limit(self.spec, self.year)[0]

    # ---- editing: every edit returns a new lens ---------------------------------
    def with_prior(
        self,
        name: str,
        prior: Prior | dict,
        *,
        source: str | None = None,
        quote: str | None = None,
        reason: str | None = None,
        known_by: int | None = None,
        known_by_reason: str | None = None,
    ) -> Lens:
        """Return a copy of this lens with the prior ``name`` replaced; this lens is unchanged.

        A reason (or a source and a verbatim quote) is required. ``known_by`` (with
        ``known_by_reason``) says from which year the new prior's content could be known;
        without it, the prior is taken as known from this lens's year (or the last history
        year). Raises :class:`SpecError` if the prior, its provenance or its year is invalid.
        """
        self._check_name(name)
        provenance = {"source": source or "", "quote": quote or "", "reason": reason or ""}
        when = {"known_by": known_by, "known_by_reason": known_by_reason}
        new = edited_prior(self.priors, self.spec, name, prior, provenance, self.path or f"lens {self.name}", when, self.year)
        return dataclasses.replace(self, priors={**self.priors, name: new}, changes=(*self.changes, name))

    def set_prior(self, name: str, prior: Prior | dict, **provenance: Any) -> NoReturn:
        """Not available: lenses are immutable; use ``lens = lens.with_prior(...)``."""
        raise TypeError(
            f"Lens '{self.name}' is immutable (a fit keeps the lens it was fitted with): "
            f"use lens = lens.with_prior({name!r}, prior, reason=...) instead of set_prior"
        )

    def derive(self, name: str, *, summary: str = "", author: str = "") -> Lens:
        """Return a copy of this lens under a new name, extending it; edit it with :meth:`with_prior`."""
        if not isinstance(name, str) or not LENS_NAME.match(name):
            raise SpecError(Problem(f"lens {self.name}", "name", f"lens name {name!r} {NAME_RULE}"))
        return Lens(name, self.spec, self.priors, summary or f"Derived from {self.name}", author, self.name, "", present=self.present)

    # ---- writing ----------------------------------------------------------------
    def to_toml_dict(self) -> dict:
        """Return the lens as a TOML-ready dict: every prior written explicitly."""
        return lens_toml_dict(self.name, self.summary, self.author, self.priors, self.present, self.year)

    def save(self, path: str | Path | None = None, paths: Paths | None = None) -> Path:
        """Write the lens atomically (temp file, then rename) and return the path.

        Every prior is written explicitly, so loading the file gives back this lens.
        The default path is ``models/lenses/<name>.toml``. An interrupted save leaves
        the previous file intact. The lens itself is unchanged (its :attr:`path` stays
        the file it was loaded from); ``Lens.load(path, spec)`` reads the saved copy.
        """
        paths = paths or Paths.discover()
        target = Path(path) if path else paths.lenses / f"{self.name}.toml"
        return write_atomic(target, lens_toml(self.to_toml_dict(), self.extends))

    # ---- describing ---------------------------------------------------------------
    def table(self) -> pd.DataFrame:
        """Every prior with its parameters, provenance and the year it could first be known, one row each."""
        rows = []
        for name, lp in self.priors.items():
            params = ", ".join(f"{k}={format_value(v)}" for k, v in lp.prior.parameters.items())
            rows.append(
                {
                    "prior": name,
                    "distribution": f"{lp.prior.distribution}({params})",
                    "source": lp.provenance.source,
                    "quote": lp.provenance.quote,
                    "reason": lp.provenance.reason,
                    "known_by": self.known_by(name),
                    "known_by_reason": lp.known_by_reason or "not stated: taken as known from the year of its lens",
                }
            )
        return pd.DataFrame(rows)

    def fingerprint(self) -> str:
        """SHA-256 of the resolved priors (provenance included) and of the reading of the present, if any."""
        blob = json.dumps({**{k: v.to_toml() for k, v in self.priors.items()}, **present_fingerprint(self.present)}, sort_keys=True, default=float)
        return hashlib.sha256(blob.encode()).hexdigest()

    def present_codings(self) -> dict[tuple[str, int], float]:
        """The lens's reading of the present: ``(driver, year) -> value`` (empty: the shared codings)."""
        return {key: reading.value for key, reading in self.present.items()}

    def hyperparameters(self, group: str) -> list[tuple[str, Prior]]:
        """Return the priors of one group, in coordinate order."""
        return [(n, lp.prior) for n, lp in self.priors.items() if n.split(".")[0] == group]


def diff_lenses(a: Lens, b: Lens) -> pd.DataFrame:
    """Tabulate what changed from lens ``a`` to lens ``b``: one row per differing prior, then per differing reading of the present."""
    rows = []
    for name in dict.fromkeys([*a.names, *b.names]):
        pa, pb = a.priors.get(name), b.priors.get(name)
        if pa is not None and pb is not None and pa.prior == pb.prior:
            continue
        rows.append(
            {
                "prior": name,
                a.name if a.name != b.name else "a": None if pa is None else describe_prior(pa.prior),
                b.name if a.name != b.name else "b": None if pb is None else describe_prior(pb.prior),
                "why": "" if pb is None else str(pb.provenance),
            }
        )
    for key in sorted(set(a.present) | set(b.present)):
        ra, rb = a.present.get(key), b.present.get(key)
        if ra is not None and rb is not None and ra.value == rb.value:
            continue
        rows.append(
            {
                "prior": f"present.{key[0]}.{key[1]}",
                a.name if a.name != b.name else "a": "shared coding" if ra is None else f"{ra.value:g}",
                b.name if a.name != b.name else "b": "shared coding" if rb is None else f"{rb.value:g}",
                "why": "" if rb is None else str(rb.provenance),
            }
        )
    return pd.DataFrame(rows, columns=["prior", a.name if a.name != b.name else "a", b.name if a.name != b.name else "b", "why"])
