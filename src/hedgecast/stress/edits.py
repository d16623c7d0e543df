"""Instant prior edits: reweight the posterior draws, or refit when k̂ says reweighting is unreliable.

:func:`edit_prior` applies changed priors to a fit and its forecast and returns the new
headline probabilities with how they were computed (reweighted in milliseconds while
k̂ ≤ 0.7; a warm refit, or "unreliable", beyond; forecast-only priors re-run the forecast).

    >>> from pymc_extras.prior import Prior                                       # doctest: +SKIP
    >>> res = edit_prior(fit, fc, {"hazard_intercept": Prior("Normal", mu=-3.5, sigma=1)})  # doctest: +SKIP
    >>> res.message, res.table()                                                  # doctest: +SKIP
    >>> res.report()    # the report of the edited lens, through the same pipeline as fit.report()  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr
from pymc_extras.prior import Prior

from hedgecast.forecasting.forecast import forecast as run_forecast
from hedgecast.priors.lenses import Lens
from hedgecast.stress.changes import EDIT_REASON, as_prior, edited_lens, is_forecast_prior, prior_record
from hedgecast.stress.draws import headline_draws
from hedgecast.stress.psis import K_THRESHOLD, Weights, weighted_da_quantiles, weighted_fan
from hedgecast.stress.refits import refit_lens
from hedgecast.stress.reweight import Evaluation, Reweighter, reweighter_for
from hedgecast.stress.reweighted import refuse_unreliable, reweighted_fit

if TYPE_CHECKING:  # pragma: no cover
    from hedgecast.forecasting.forecast import Forecast
    from hedgecast.workbench import Fit

__all__ = ["EditResult", "edit_prior"]


@dataclass
class EditResult:
    """What an edit of priors did to the headline probabilities, and how it was computed."""

    changes: dict[str, Prior]
    lens: Lens
    method: str  # "unchanged" | "reweight" | "forecast" | "reweight+forecast" | "refit" | "unreliable"
    pareto_k: float  # k̂ of the importance weights (nan when no fitted prior changed)
    ess: float
    n_draws: int
    probabilities: xr.DataArray  # (quantity, scenario); NaN when unreliable and not refitted
    mcse: xr.DataArray
    base: xr.DataArray  # before the edit
    message: str
    latency_s: float
    timings: dict[str, float] = field(default_factory=dict)
    fit: Fit | None = None  # the posterior the numbers come from (a new fit after a refit)
    forecast: Forecast | None = None
    weights: np.ndarray | None = None  # over ``fit``'s draws (None: uniform)
    reweighted_pareto_k: float = float("nan")  # k̂ that triggered a refit
    _reportable: tuple[Fit, Forecast] | None = field(default=None, repr=False)

    @property
    def reliable(self) -> bool:
        return self.method != "unreliable"

    @property
    def refitted(self) -> bool:
        return self.method == "refit"

    def table(self, quantities: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per scenario and quantity: before, after, change, Monte Carlo SE."""
        rows = []
        qs = list(quantities) if quantities is not None else [str(q) for q in self.probabilities["quantity"].values]
        for s in self.probabilities["scenario"].values:
            for q in qs:
                before = float(self.base.sel(quantity=q, scenario=s))
                after = float(self.probabilities.sel(quantity=q, scenario=s))
                rows.append(
                    {
                        "scenario": str(s),
                        "quantity": q,
                        "before": before,
                        "after": after,
                        "change": after - before,
                        "mcse": float(self.mcse.sel(quantity=q, scenario=s)),
                    }
                )
        return pd.DataFrame(rows)

    def fan(self, var: str = "state", quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)) -> xr.DataArray:
        """Fan-chart quantiles of ``var`` under the edit (weighted, or from the refit)."""
        if self.forecast is None:
            raise ValueError("no forecast to draw a fan from (the edit was unreliable and not refitted)")
        return weighted_fan(self.forecast, self.weights, var, quantiles)

    def history_fan(self, quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)) -> xr.DataArray:
        if self.fit is None:
            raise ValueError("no fit (the edit was unreliable and not refitted)")
        return weighted_da_quantiles(self.fit.idata.posterior["state"], self.weights, quantiles)

    def as_fit(self) -> tuple[Fit, Forecast]:
        """Return this edit as a fit of the edited lens and its forecast, for the report (cached).

        A refit is that fit; a forecast-only edit, the same draws with the edited lens and the
        re-run forecast; a reweighted edit, the weighted draws resampled
        (:func:`hedgecast.stress.reweighted.reweighted_fit`: the fit's ``reweighting`` says so).

        Raises
        ------
        ReweightingRefused
            If the edit was unreliable (k̂ > 0.7, not refitted): refit it instead.

        """
        if self._reportable is None:
            if self.method == "unreliable":
                refuse_unreliable(self.pareto_k)
            if self.fit is None or self.forecast is None:
                raise ValueError(f"a {self.method!r} edit has no fit to report")
            if self.weights is not None:
                edited = [k for k, v in self.changes.items() if v != self.fit.lens.priors[k].prior]
                fitted = tuple(k for k in edited if not is_forecast_prior(k))
                forecast_only = tuple(k for k in edited if is_forecast_prior(k))
                weights = Weights(self.weights, self.pareto_k, self.ess)
                self._reportable = reweighted_fit(
                    self.fit, self.forecast, self.lens, weights, changes=fitted, forecast_changes=forecast_only
                )
            elif self.method == "forecast":  # the posterior is unchanged; only the forecast is the edited lens's
                fit = dataclasses.replace(self.fit, lens=self.lens, reused_from=None, _forecasts={})
                fit.keep_forecast(self.forecast, int(self.forecast.data.attrs.get("seed", fit.settings.seed)))
                self._reportable = (fit, self.forecast)
            else:  # "unchanged" or "refit": a fit of its own
                self._reportable = (self.fit, self.forecast)
        return self._reportable

    def report(self, path: str | Path | None = None, *, compare=(), include_saved: bool = True) -> Path:
        """Write the scenario report of the edited lens (default ``reports/<lens name>.html``); return its path.

        The report of :meth:`as_fit`, by the same function as ``fit.report()`` (same
        sections, same arguments), from this edit's forecast; a reweighted edit says so in its
        header, headline and diagnostics. An unreliable edit (k̂ > 0.7) raises
        :class:`~hedgecast.errors.ReweightingRefused`: refit it instead.
        """
        fit, fc = self.as_fit()
        target = Path(path) if path is not None else fit.workbench.paths.reports / f"{self.lens.name}.html"
        return fit.report(target, forecast=fc, compare=compare, include_saved=include_saved)

    def to_dict(self) -> dict:
        return {
            "changes": {k: prior_record(v) for k, v in self.changes.items()},
            "method": self.method,
            "pareto_k": _num_or_none(self.pareto_k),
            "reweighted_pareto_k": _num_or_none(self.reweighted_pareto_k),
            "ess": _num_or_none(self.ess),
            "n_draws": self.n_draws,
            "message": self.message,
            "latency_s": self.latency_s,
            "timings": self.timings,
            "table": self.table().to_dict(orient="records"),
        }


def _num_or_none(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def edit_prior(
    fit: Fit,
    forecast: Forecast,
    changes: Mapping[str, Prior],
    *,
    refit: str = "auto",
    scenarios: Sequence[str] | None = None,
    year: int | None = None,
    k_threshold: float = K_THRESHOLD,
    reason: str = EDIT_REASON,
) -> EditResult:
    """Apply ``changes`` (prior name → new Prior) and update the headline probabilities.

    Fitted priors are handled by PSIS reweighting of ``fit``'s draws (milliseconds).
    If k̂ > ``k_threshold`` the reweighted numbers are not used: with ``refit="auto"``
    (or ``"always"``) the edited lens is refitted warm — the compiled model is reused,
    only the prior hyperparameters (model data) change — and the forecast re-run;
    with ``refit="never"`` the result is marked ``unreliable`` and its probabilities are
    NaN. Forecast-only priors re-run the forecast (exact). Every result carries k̂, the
    effective sample size, a plain-language message and the measured latency. Headline
    probabilities are at ``year`` (default: the spec's first headline year).

    Raises
    ------
    SpecError
        If a changed prior is not a valid prior for its parameter (the lens check).

    """
    t0 = time.perf_counter()
    if refit not in ("auto", "always", "never"):
        raise ValueError(f"refit must be 'auto', 'always' or 'never', got {refit!r}")
    changes = {k: as_prior(v) for k, v in changes.items()}
    lens = edited_lens(fit.lens, changes, reason=reason)  # validates every change
    rw = reweighter_for(fit, forecast, scenarios, year)
    year = rw.year
    t_setup = time.perf_counter()
    base = rw.base()
    timings: dict[str, float] = {"setup_s": t_setup - t0}
    finish = functools.partial(_result, changes, lens, base, t0, timings)  # the result of this edit, however it was computed
    fitted = {k: v for k, v in changes.items() if not is_forecast_prior(k) and v != fit.lens.priors[k].prior}
    fchanged = {k: v for k, v in changes.items() if is_forecast_prior(k) and v != fit.lens.priors[k].prior}
    if not fitted and not fchanged:
        return finish(base, "unchanged", "No prior changed: the forecast is the fitted one.", fit=fit, forecast=forecast)

    w = rw.weights(fitted) if fitted else Weights.flat(rw.n)
    timings["reweight_s"] = time.perf_counter() - t_setup
    k = w.pareto_k
    need_refit = refit == "always" or (bool(fitted) and k > k_threshold and refit == "auto")
    if need_refit:
        new_fit, new_fc, t, warm = refit_lens(fit, lens, rw.scenarios, rw.seed)
        timings.update(t)
        new_rw = Reweighter(new_fit, new_fc, year=year, scenarios=rw.scenarios)
        ev = new_rw.base()
        why = f"k̂ = {k:.2f} > {k_threshold}: reweighting is unreliable for this change, so" if k > k_threshold else "As asked,"
        how = (
            "warm: the compiled model was reused, only the prior hyperparameters changed"
            if warm
            else "a prior family changed, so the model was compiled anew"
        )
        message = f"{why} the lens was refitted ({how}) in {timings['refit_s']:.1f} s; forecast re-run in {timings['forecast_s']:.1f} s."
        if not new_fit.diagnostics.passed:
            message += " The refit's sampler diagnostics failed: " + "; ".join(new_fit.diagnostics.problems) + "."
        return finish(ev, "refit", message, fit=new_fit, forecast=new_fc, reweighted_pareto_k=k)
    if bool(fitted) and k > k_threshold:  # refit == "never"
        nan = xr.full_like(base.probabilities, np.nan)
        ev = Evaluation(nan, nan.copy(), k, w.ess, rw.n, "unreliable")
        message = (
            f"k̂ = {k:.2f} > {k_threshold}: the reweighted numbers are unreliable and are not shown; refit the edited lens (refit='auto')."
        )
        return finish(ev, "unreliable", message)
    out_fc = forecast
    if fchanged:
        t1 = time.perf_counter()
        out_fc = run_forecast(fit.idata, fit.spec, lens, fit.inputs, rw.scenarios, rw.seed)
        timings["forecast_s"] = time.perf_counter() - t1
        ind = headline_draws(out_fc, year, rw.scenarios).values
    else:
        ind = rw.indicators
    method = "forecast" if not fitted else ("reweight+forecast" if fchanged else "reweight")
    ev = rw.summarise(ind, w, method)
    parts = []
    if fitted:
        parts.append(
            f"reweighted {rw.n} posterior draws: Pareto k̂ = {k:.2f} (≤ {k_threshold}, reliable), effective sample size {w.ess:.0f}"
        )
    if fchanged:
        parts.append(
            f"forecast-only prior{'s' if len(fchanged) > 1 else ''} changed "
            f"({', '.join(fchanged)}): forecast re-run (exact, no reweighting needed)"
        )
    message = _sentence("; ".join(parts))
    return finish(ev, method, message, fit=fit, forecast=out_fc, weights=None if w.uniform else w.weights)


def _sentence(text: str) -> str:
    return (text[:1].upper() + text[1:] + ".") if text else ""


def _result(changes, lens, base: Evaluation, t0: float, timings: dict, ev: Evaluation, method: str, message: str, **source) -> EditResult:
    """Return the result of an edit: ``ev``'s numbers against ``base``'s; ``source``: the fit, forecast and weights they come from."""
    latency = time.perf_counter() - t0
    return EditResult(
        changes=dict(changes),
        lens=lens,
        method=method,
        pareto_k=ev.pareto_k,
        ess=ev.ess,
        n_draws=ev.n,
        probabilities=ev.probabilities,
        mcse=ev.mcse,
        base=base.probabilities,
        message=message,
        latency_s=latency,
        timings={**timings, "total_s": latency},
        **source,
    )
