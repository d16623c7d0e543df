"""Report sections that nothing changed since an earlier report: read from disk, not recomputed.

A report rebuilt with nothing changed (every fit and forecast reused from the saved runs)
spent most of its writing time recomputing the same sections and rendering the same figures,
and the Lenses section re-simulated every other lens's forecast. :class:`SectionCache` keeps
each costly section, its figures already rendered to PNG, under ``.cache/report-sections/``,
keyed by everything the section is a function of:

* the section's name, the report configuration, the source of every hedgecast module and the
  versions of the libraries that compute and draw it (matplotlib, NumPy, pandas, …);
* for each fit it reads: its fit key (model code, data, fitted priors, sampler settings and
  seed), a digest of its posterior draws (:func:`hedgecast.model.fit_key.posterior_digest`,
  recorded in a saved run's manifest so a reused fit's draws are not read for it), its lens's fingerprint (priors with their
  provenance, and its reading of the present) and its diagnostics. Not whether it was fitted
  or reused from a saved run (no cached section says so; the header, never cached, does): a
  report after ``--refit`` leaves the sections the next unchanged report reads;
* for each forecast it reads: the forecast key (fit, lens, seed, scenarios, forecasting code);
* the history in raw units (the indicator fans draw it).

A section is only cached for fits made by the workbench and forecasts those fits made
(``Fit.forecast_key_of``); anything else (e.g. a fit whose forecast
was reweighted by a prior edit) is computed as before. A cached section is the section as it
was computed, figures as PNG bytes (``Figure.figure``), so the report is the same.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import pickle
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from hedgecast.files import write_atomic
from hedgecast.report.contracts import Figure, ReportConfig, Section
from hedgecast.report.render import figure_png

#: libraries whose versions can change a section's numbers or its figures' pixels
LIBRARIES = ("matplotlib", "numpy", "pandas", "xarray", "arviz", "scipy", "pillow")
#: sections kept at most (the oldest are removed): a dozen per report, a few reports' worth
KEEP = 120
FORMAT = "hedgecast-section/1"


@cache
def code_digest() -> str:
    """SHA-256 of the source of every hedgecast module and of the libraries' versions."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(FORMAT.encode())
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    for lib in LIBRARIES:
        h.update(f"{lib}={importlib.metadata.version(lib)};".encode())
    return h.hexdigest()


def history_digest(history) -> str:
    """SHA-256 of the raw-unit indicators (values, years and names)."""
    frame = history.indicators
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes() + repr(list(frame.columns)).encode()).hexdigest()


def is_workbench_fit(fit) -> bool:
    """A fit the workbench made (it names its forecasts by key); only those are cached."""
    return callable(getattr(fit, "forecast_key_of", None))


def fit_identity(fit) -> dict | None:
    """What a section can read of ``fit``, as keys; None for anything but a workbench fit."""
    from hedgecast.model.fit_key import fit_key, posterior_digest

    if not is_workbench_fit(fit):
        return None
    # a fit reused from a saved run carries the digest its run recorded (its draws are not read for it);
    # a fit derived from it (a prior edit, reweighted) is no longer "reused" and is digested afresh
    recorded = getattr(fit, "posterior_sha256", None) if getattr(fit, "reused_from", None) else None
    return {
        "fit": fit_key(fit.spec, fit.lens, fit.inputs, fit.settings),
        "posterior": recorded or posterior_digest(fit.idata),
        # the saved forecast of a reused fit is a group too: the forecasts are keyed on their own
        "groups": sorted(g for g in fit.idata.groups() if g != "predictions"),
        "lens": [fit.lens.name, fit.lens.fingerprint(), fit.lens.summary],
        "diagnostics": fit.diagnostics.to_dict(),
    }


def forecast_keys(fit, forecast=None) -> str | None:
    """The key of ``forecast`` if ``fit`` made it, or (``forecast=None``) of the forecast of every
    scenario ``fit.forecast()`` returns; None if not a workbench fit or not its forecast."""
    from hedgecast.model.fit_key import forecast_key

    if not is_workbench_fit(fit):
        return None
    if forecast is None:
        return forecast_key(fit, fit.settings.seed, list(fit.spec.scenarios))
    return fit.forecast_key_of(forecast)


def section_key(
    name: str,
    config: ReportConfig | None,
    fits: Sequence,
    forecasts: Sequence[str | None] = (),
    identities: dict | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str | None:
    """The key of section ``name`` computed from ``fits`` and the forecasts of keys ``forecasts``.

    None when a fit is not a workbench fit or a forecast has no key (:func:`forecast_keys`): not
    cached. ``identities`` memoizes :func:`fit_identity` by fit (within one report); ``extra``: what
    else the section reads (e.g. :func:`project_files_digest`).
    """
    if any(key is None for key in forecasts):
        return None
    identities = {} if identities is None else identities
    parts: dict[str, Any] = {"section": name, "config": repr(config), "code": code_digest(), "fits": [], "forecasts": list(forecasts), "extra": dict(extra or {})}
    for fit in fits:
        if id(fit) not in identities:
            identities[id(fit)] = (fit, fit_identity(fit))  # the fit is kept so its id is not reused
        identity = identities[id(fit)][1]
        if identity is None:
            return None
        parts["fits"].append(identity)
    parts["history"] = history_digest(fits[0].workbench.history) if fits else None
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def project_files_digest(paths) -> str:
    """SHA-256 of every curated and raw data file and of ``models/questions.toml`` (the Questions sections read them)."""
    from hedgecast.runs import data_hashes, file_sha256

    files = data_hashes(paths)
    if paths.questions.is_file():
        files["questions"] = file_sha256(paths.questions)
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def rendered(section: Section) -> Section:
    """``section`` with every matplotlib figure rendered to PNG bytes (and closed)."""
    blocks = tuple(replace(b, figure=figure_png(b.figure)) if isinstance(b, Figure) and not isinstance(b.figure, (bytes, bytearray)) else b for b in section.blocks)
    return replace(section, blocks=blocks)


class SectionCache:
    """Sections on disk by key (pickled, figures as PNG): :meth:`section` returns the cached one or builds it."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.hits = self.misses = 0
        self.identities: dict = {}

    def key(self, name: str, config: ReportConfig | None, fits: Sequence, forecasts: Sequence[str | None] = (), extra: Mapping[str, Any] | None = None) -> str | None:
        """:func:`section_key`, each fit's identity computed once per cache object."""
        return section_key(name, config, fits, forecasts, self.identities, extra)

    def section(self, key: str | None, build: Callable[[], Section]) -> Section:
        """The section of ``key`` from disk, or ``build()`` (rendered, then saved); ``key=None`` just builds."""
        return self.value(key, build, rendered)

    def sections(self, key: str | None, build: Callable[[], list[Section]]) -> list[Section]:
        """Like :meth:`section`, for a list of sections built together."""
        return self.value(key, build, lambda sections: [rendered(s) for s in sections])

    def value(self, key: str | None, build: Callable[[], Any], prepare: Callable[[Any], Any] | None = None) -> Any:
        """The value of ``key`` from disk, or ``build()`` (``prepare``-d, then saved); ``key=None`` just builds.

        For a section's costly part that is not a section (a table several sections share, or one
        whose section also says something that is not in its key, such as which runs were reused).
        """
        if key is None:
            return build()
        path = self.folder / f"{key}.pkl"
        if path.is_file():
            with path.open("rb") as fh:
                value = pickle.load(fh)
            path.touch()
            self.hits += 1
            return value
        value = build()
        value = prepare(value) if prepare is not None else value
        write_atomic(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        self.misses += 1
        self.prune()
        return value

    def prune(self, keep: int = KEEP) -> None:
        """Remove all but the ``keep`` most recently used sections."""
        files = sorted(self.folder.glob("*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
        for path in files[keep:]:
            path.unlink(missing_ok=True)
