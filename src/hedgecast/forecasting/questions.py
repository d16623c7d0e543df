"""Resolvable questions evaluated on the simulated paths: probabilities with Monte Carlo errors.

A question (:class:`~hedgecast.inputs.questions_file.Question`, from ``models/questions.toml``)
maps onto one simulated observable per path and year; :func:`judge` decides it on every path
at once — the same function decides it on windows of the historical record for the base rate
(:mod:`hedgecast.forecasting.question_base_rates`), so a question has one definition.

* **Observables.** ``indicator_value`` in the indicator's own units (rounded as the question
  says), ``crisis`` for rupture events, and ``incidents`` for serious incidents — a per
  path-year count the incidents model adds to the forecast. When the forecast has no
  ``incidents`` variable an incident question is not forecast: its probability is NaN and its
  note says why (:data:`NO_INCIDENTS`).
* **Probability and its Monte Carlo error.** P = share of paths on which the question resolves
  YES. Its standard error is sqrt(P(1 − P)/ESS) where ESS is the effective sample size of the
  YES indicator over the posterior's chains and draws (``arviz.ess``, method ``mean``: each
  draw carries one simulated path, so neighbouring draws of a chain are correlated through the
  parameters), capped at the number of paths ``n`` so that the error is never below the
  independent-draws one; with fewer than 2 chains or 4 draws, or when ArviZ returns no finite
  ESS, ``n`` is used. ``se_basis`` says which (``"ess"`` or ``"n"``).
* **The forecast of record** is the baseline lens under the status quo scenario
  (:data:`RECORD_LENS`, :data:`RECORD_SCENARIO`); every other lens and scenario is shown beside it.
"""

from __future__ import annotations

import datetime as dt
import io
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from hedgecast.files import dumps, json_safe, write_atomic
from hedgecast.inputs.questions_file import Question, QuestionSet

__all__ = [
    "EXPORT_FIELDS",
    "NO_INCIDENTS",
    "RECORD_LENS",
    "RECORD_SCENARIO",
    "Estimate",
    "estimate",
    "export_csv",
    "export_json",
    "incident_rule",
    "judge",
    "outcomes",
    "path_values",
    "probabilities",
    "question_table",
]

RECORD_LENS = "baseline"
RECORD_SCENARIO = "status_quo"
NO_INCIDENTS = "not forecast: this forecast has no 'incidents' variable (it comes with the incidents model)"
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_ROUND = {"none": lambda x: x, "round": lambda x: np.floor(np.asarray(x) + 0.5), "floor": np.floor, "ceil": np.ceil}

EXPORT_FIELDS = (
    "id", "title", "resolution", "fine_print", "resolution_source", "open_date", "close_date",
    "probability", "mc_se", "se_basis", "ess", "n_paths", "scenario", "lens", "run_id", "issued_at",
    "of_record", "mapping", "base_rate", "base_rate_low", "base_rate_high", "base_rate_method", "note",
)  # fmt: skip
"""Columns of the CSV export and keys of each JSON record, in this order."""


def rounded(values: np.ndarray, rounding: str) -> np.ndarray:
    """Values rounded as a question says (``round`` = halves up, ``floor``, ``ceil``, ``none``)."""
    return _ROUND[rounding](np.asarray(values, dtype=float))


def judge(values: np.ndarray, question: Question) -> np.ndarray:
    """YES (True) or NO for each row of ``values`` (last axis: the question's window years, in order).

    ``values`` are raw (unrounded); NaN compares as False. The one definition of a question's
    rule, used on simulated paths and on windows of the record.
    """
    v = rounded(values, question.rounding)
    if v.shape[-1] != len(question.window):
        raise ValueError(f"{question.id}: expected {len(question.window)} years on the last axis, got {v.shape[-1]}")
    cmp = _COMPARE[question.comparison]
    with np.errstate(invalid="ignore"):
        if question.aggregate == "sum":
            return cmp(v.sum(axis=-1), question.threshold)
        hit = cmp(v, question.threshold)
    if question.aggregate in ("value", "any"):
        return hit.any(axis=-1)
    if question.aggregate == "all":
        return hit.all(axis=-1)
    return hit.sum(axis=-1) >= question.at_least  # count


def path_values(question: Question, data: xr.Dataset) -> xr.DataArray | None:
    """The observable on every path in the question's window: dims ``(chain, draw, scenario, year)``.

    None for an incident question when ``data`` has no ``incidents`` variable. Window years the
    history already covers (``question.observed``, new data) take the record's value on every path.
    """
    known = dict(question.observed)
    years = [y for y in question.window if y not in known]
    if question.kind == "indicator":
        da = data["indicator_value"].sel(indicator=question.observable)
    elif question.observable == "rupture":
        da = data["crisis"]
    elif "incidents" in data:
        da = data["incidents"]
    else:
        return None
    missing = [y for y in years if y not in da["year"].values]
    if missing:
        raise ValueError(f"{question.id}: the forecast has no years {missing} (it covers {int(da.year[0])}–{int(da.year[-1])})")
    out = da.sel(year=years).transpose("chain", "draw", "scenario", "year").astype(float)
    if known:
        fixed = xr.DataArray(
            np.broadcast_to(np.array(list(known.values()), dtype=float), (*out.shape[:-1], len(known))),
            dims=out.dims,
            coords={**{k: out[k] for k in ("chain", "draw", "scenario")}, "year": list(known)},
        )
        out = xr.concat([fixed, out], dim="year").sortby("year")
    return out


def outcomes(question: Question, data: xr.Dataset) -> xr.DataArray | None:
    """YES (True) on each path: dims ``(chain, draw, scenario)``; None when the observable is not forecast."""
    values = path_values(question, data)
    if values is None:
        return None
    return xr.DataArray(
        judge(values.values, question), dims=("chain", "draw", "scenario"), coords={k: values[k] for k in ("chain", "draw", "scenario")}
    )


def incident_rule(forecast) -> str | None:
    """The inclusion rule of the forecast's ``incidents`` (its ``inclusion`` attribute, else the spec's crisis model), if known."""
    if "incidents" not in forecast.data:
        return None
    rule = forecast.data["incidents"].attrs.get("inclusion") or getattr(getattr(forecast.spec, "crisis_model", None), "inclusion", None)
    return str(rule) if rule else None


@dataclass(frozen=True)
class Estimate:
    """A probability from paths, with its Monte Carlo standard error and what the error rests on."""

    probability: float
    se: float
    n: int
    ess: float
    basis: str  # "ess": the effective sample size over chains and draws; "n": the number of paths


def estimate(hit: np.ndarray) -> Estimate:
    """P(YES) from a ``(chain, draw)`` array of YES/NO, with sqrt(p(1 − p)/ESS) (see the module docstring)."""
    hit = np.asarray(hit, dtype=float)
    n = int(hit.size)
    if n == 0:
        return Estimate(float("nan"), float("nan"), 0, 0.0, "n")
    p = float(hit.mean())
    ess, basis = float(n), "n"
    if hit.ndim == 2 and hit.shape[0] >= 2 and hit.shape[1] >= 4 and 0.0 < p < 1.0:
        found = float(az.ess(hit, method="mean"))
        if np.isfinite(found) and found > 0:
            ess, basis = min(found, float(n)), "ess"
    return Estimate(p, float(np.sqrt(p * (1.0 - p) / ess)), n, ess, basis)


def probabilities(qset: QuestionSet | Iterable[Question], forecast, scenarios: list[str] | None = None) -> pd.DataFrame:
    """One row per (question, scenario): ``id, scenario, probability, mc_se, se_basis, ess, n_paths, note``."""
    questions = qset.questions if isinstance(qset, QuestionSet) else tuple(qset)
    names = list(scenarios) if scenarios is not None else list(forecast.scenarios)
    rows = []
    simulated_rule = incident_rule(forecast)
    for q in questions:
        hit = outcomes(q, forecast.data)
        for s in names:
            if hit is None:
                e, note = Estimate(float("nan"), float("nan"), 0, 0.0, "n"), NO_INCIDENTS
            else:
                e, note = estimate(hit.sel(scenario=s).values), ""
                if q.observable == "incident" and simulated_rule and simulated_rule != q.inclusion:
                    note = f"the forecast counts incidents under the {simulated_rule} rule, the question under the {q.inclusion} rule"
            rows.append(
                {
                    "id": q.id,
                    "scenario": s,
                    "probability": e.probability,
                    "mc_se": e.se,
                    "se_basis": e.basis,
                    "ess": e.ess,
                    "n_paths": e.n,
                    "note": note,
                }
            )
    return pd.DataFrame(rows, columns=["id", "scenario", "probability", "mc_se", "se_basis", "ess", "n_paths", "note"])


def question_table(
    qset: QuestionSet,
    forecasts: Mapping[str, tuple[object, str]],
    *,
    scenarios: list[str] | None = None,
    base: Mapping[str, object] | None = None,
    units: Mapping[str, str] | None = None,
    issued_at: str | None = None,
) -> pd.DataFrame:
    """Every question × lens × scenario with the fields a forecasting platform needs (:data:`EXPORT_FIELDS`).

    Parameters
    ----------
    qset
        The questions.
    forecasts
        Lens name → ``(Forecast, run id)``.
    scenarios
        Scenarios shown (default every scenario of each forecast).
    base
        Question id → :class:`~hedgecast.forecasting.question_base_rates.BaseRate`.
    units
        Indicator → units, for the mapping's words.
    issued_at
        ISO time stamp (default: now, UTC, to the second).

    """
    issued = issued_at or dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    by_id = {q.id: q for q in qset.questions}
    units = units or {}
    rows = []
    for lens, (fc, run_id) in forecasts.items():
        probs = probabilities(qset, fc, scenarios)
        for r in probs.itertuples(index=False):
            q, b = by_id[r.id], (base or {}).get(r.id)
            rows.append({
                "id": q.id, "title": q.title, "resolution": q.resolution, "fine_print": q.fine_print,
                "resolution_source": q.resolution_source, "open_date": q.open_date.isoformat(), "close_date": q.close_date.isoformat(),
                "probability": r.probability, "mc_se": r.mc_se, "se_basis": r.se_basis, "ess": r.ess, "n_paths": r.n_paths,
                "scenario": r.scenario, "lens": lens, "run_id": run_id, "issued_at": issued,
                "of_record": lens == RECORD_LENS and r.scenario == RECORD_SCENARIO,
                "mapping": q.rule_text(units.get(q.observable, "")),
                "base_rate": getattr(b, "probability", float("nan")), "base_rate_low": getattr(b, "low", float("nan")),
                "base_rate_high": getattr(b, "high", float("nan")), "base_rate_method": getattr(b, "method", ""),
                "note": r.note,
            })  # fmt: skip
    return pd.DataFrame(rows, columns=list(EXPORT_FIELDS))


def export_csv(table: pd.DataFrame, path) -> None:
    """Write the question table as CSV (columns :data:`EXPORT_FIELDS`), atomically."""
    buf = io.StringIO()
    table.loc[:, list(EXPORT_FIELDS)].to_csv(buf, index=False, lineterminator="\n")
    write_atomic(path, buf.getvalue())


def export_json(table: pd.DataFrame, path, *, meta: Mapping[str, object] | None = None) -> None:
    """Write ``{"meta": …, "forecast_of_record": {...}, "questions": [records]}`` as JSON (NaN as null), atomically."""
    records = [json_safe(row) for row in table.loc[:, list(EXPORT_FIELDS)].to_dict(orient="records")]
    doc = {
        "meta": json_safe(dict(meta or {})),
        "forecast_of_record": {"lens": RECORD_LENS, "scenario": RECORD_SCENARIO},
        "questions": records,
    }
    write_atomic(path, dumps(doc, allow_nan=False) + "\n")
