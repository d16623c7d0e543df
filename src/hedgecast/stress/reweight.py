"""Reweighting what-ifs: headline probabilities under changed priors from the existing posterior draws.

Changing a fitted prior from ``p_old`` to ``p_new`` changes the posterior by the factor
``p_new(θ) / p_old(θ)`` (the likelihood is untouched), so the draws we already have,
weighted by that ratio, are draws from the edited posterior (PSIS-smoothed,
:mod:`hedgecast.stress.psis`). A :class:`Reweighter` caches, for one fit and its forecast,
every per-draw value this needs, so one what-if takes milliseconds.

Forecast-only priors (``war_transition.*``, ``scenario_probability.*``) are not in the
fitted model: an edit of those re-runs the forecast (exact, about a second). For bulk
evaluations (Sobol indices) they can also be reweighted: the forecast drew them per draw
from the lens (:func:`hedgecast.forecasting.forecast.forecast_priors`, reproducible from the
seed), so the same density-ratio argument applies to those draws.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr
from pymc_extras.prior import Prior

from hedgecast.forecasting.forecast import forecast as run_forecast
from hedgecast.forecasting.forecast import forecast_priors
from hedgecast.forecasting.scenarios import branch_key
from hedgecast.priors import families
from hedgecast.priors.groups import FIT_GROUPS
from hedgecast.priors.lenses import Lens
from hedgecast.stress.changes import EDIT_REASON, affects, as_prior, is_forecast_prior
from hedgecast.stress.draws import element_draws, headline_draws
from hedgecast.stress.psis import K_THRESHOLD, Weights, psis, weighted_da_quantiles, weighted_fan, weighted_mean_se

if TYPE_CHECKING:  # pragma: no cover
    from hedgecast.forecasting.forecast import Forecast

__all__ = ["Evaluation", "Reweighter", "reweighter_for"]


@dataclass
class Evaluation:
    """Headline probabilities under a set of changed priors, with their reliability."""

    probabilities: xr.DataArray  # (quantity, scenario)
    mcse: xr.DataArray  # (quantity, scenario)
    pareto_k: float  # of the weights over the fitted draws (nan: nothing fitted changed)
    ess: float
    n: int
    method: str  # "base" | "reweight" | "forecast" | "reweight+forecast" | "refit" | …
    weights: np.ndarray | None = None

    @property
    def reliable(self) -> bool:
        return not self.pareto_k > K_THRESHOLD

    def value(self, metric: str, scenario: str) -> float:
        return float(self.probabilities.sel(quantity=metric, scenario=scenario))

    def se(self, metric: str, scenario: str) -> float:
        return float(self.mcse.sel(quantity=metric, scenario=scenario))


class Reweighter:
    """Fast what-if evaluation on one fit and its forecast (per-draw values cached).

    Parameters
    ----------
    fit, forecast : hedgecast.workbench.Fit, Forecast
        The posterior draws and a forecast simulated from them (``fit.forecast(...)``).
    forecast_lens : Lens, optional
        The lens whose forecast-only priors the forecast used (default ``fit.lens``).
    year : int, optional
        The headline year (default: the spec's first headline year).
    scenarios : list of str, optional
        Scenarios to evaluate (default: all in ``forecast``). Fewer is faster.

    """

    def __init__(
        self,
        fit: Any,
        forecast: Forecast,
        *,
        forecast_lens: Lens | None = None,
        year: int | None = None,
        scenarios: Sequence[str] | None = None,
    ):
        self.fit, self.forecast = fit, forecast
        self.year = forecast.spec.headline_year if year is None else year
        self.lens = fit.lens
        self.forecast_lens = forecast_lens or fit.lens
        self.scenarios = list(scenarios) if scenarios is not None else list(forecast.scenarios)
        self.seed = int(forecast.data.attrs.get("seed", fit.settings.seed))
        ind = headline_draws(forecast, self.year, self.scenarios)
        self.quantities = [str(q) for q in ind["quantity"].values]
        self.indicators = np.ascontiguousarray(ind.values)  # (Q, S, n)
        self.n = self.indicators.shape[-1]
        self._draws: dict[str, np.ndarray] = {}
        self._forecast_draws: tuple[np.ndarray, dict[str, np.ndarray]] | None = None
        self._base_logp: dict[str, np.ndarray] = {}

    # ---- per-draw values ----
    def draws(self, name: str) -> np.ndarray:
        """Posterior draws of a fitted parameter, or the forecast's draws of a forecast-only prior."""
        if name not in self._draws:
            group = name.split(".")[0]
            if group in FIT_GROUPS:
                self._draws[name] = element_draws(self.fit.idata.posterior, self.lens, name)
            elif group == "scenario_probability":
                self._draws[name] = self._fdraws()[1][name.split(".", 1)[1]]
            elif group == "branch_probability":
                self._draws[name] = self._fdraws()[1][branch_key(name.split(".", 1)[1])]
            elif group == "war_transition":
                state = name.split(".", 1)[1]
                self._draws[name] = self._fdraws()[0][:, self.lens.spec.future_war_states.index(state), :]
            else:
                raise KeyError(f"unknown prior '{name}'")
        return self._draws[name]

    def _fdraws(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        if self._forecast_draws is None:
            self._forecast_draws = forecast_priors(self.forecast_lens, self.n, self.seed)
        return self._forecast_draws

    def _logp(self, name: str, prior: Prior) -> np.ndarray:
        x = self.draws(name)
        if prior.distribution == "Dirichlet":
            return families.dirichlet_logpdf(prior.parameters["a"], x)
        return families.logpdf(prior, x)

    def base_logp(self, name: str) -> np.ndarray:
        """Log density of the fit's own prior at the draws (cached)."""
        if name not in self._base_logp:
            lens = self.forecast_lens if is_forecast_prior(name) else self.lens
            self._base_logp[name] = self._logp(name, lens.priors[name].prior)
        return self._base_logp[name]

    def log_ratio(self, changes: Mapping[str, Prior], *, forecast: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """``(fitted, forecast-only)`` log density ratios new/old per draw."""
        fitted = np.zeros(self.n)
        fprior = np.zeros(self.n)
        with np.errstate(invalid="ignore"):
            for name, prior in changes.items():
                prior = as_prior(prior)
                if is_forecast_prior(name):
                    if forecast:
                        fprior += self._logp(name, prior) - self.base_logp(name)
                else:
                    fitted += self._logp(name, prior) - self.base_logp(name)
        return fitted, fprior

    def weights(self, changes: Mapping[str, Prior], *, include_forecast_priors: bool = False) -> Weights:
        """PSIS weights for ``changes`` (forecast-only priors included only if asked)."""
        fitted, fprior = self.log_ratio(changes, forecast=include_forecast_priors)
        return psis(fitted + fprior)

    # ---- evaluation ----
    def summarise(self, indicators: np.ndarray, w: Weights, method: str) -> Evaluation:
        """Weighted means of per-draw ``indicators`` ``(quantity, scenario, draw)`` and their Monte Carlo SE, as an Evaluation."""
        mean, se = weighted_mean_se(indicators, w.weights)
        coords = {"quantity": self.quantities, "scenario": self.scenarios}
        return Evaluation(
            xr.DataArray(mean, dims=("quantity", "scenario"), coords=coords, name="probability"),
            xr.DataArray(se, dims=("quantity", "scenario"), coords=coords, name="mcse"),
            w.pareto_k,
            w.ess,
            w.n,
            method,
            None if w.uniform else w.weights,
        )

    def base(self) -> Evaluation:
        return self.summarise(self.indicators, Weights.flat(self.n), "base")

    def evaluate(
        self, changes: Mapping[str, Prior], *, forecast_priors: str = "rerun", scenarios: Sequence[str] | None = None
    ) -> Evaluation:
        """Headline probabilities with ``changes`` applied, without refitting.

        Parameters
        ----------
        changes : mapping of prior name to Prior
            Absolute new priors (not shifts).
        forecast_priors : {"rerun", "reweight"}
            How changed forecast-only priors are handled: re-run the forecast (exact), or
            reweight the forecast's own draws of them (fast; their k̂ joins the fitted one).
        scenarios : list of str, optional
            With ``"rerun"``, re-simulate only these scenarios; others that the changed
            forecast-only priors affect come back as NaN (unaffected ones stay exact).

        """
        changes = {k: as_prior(v) for k, v in changes.items()}
        fchanges = {k: v for k, v in changes.items() if is_forecast_prior(k)}
        if not changes:
            return self.base()
        if forecast_priors not in ("rerun", "reweight"):
            raise ValueError(f"forecast_priors must be 'rerun' or 'reweight', got {forecast_priors!r}")
        fitted = {k: v for k, v in changes.items() if k not in fchanges}
        if forecast_priors == "reweight" and fchanges:
            return self._reweight_forecast_priors(fitted, fchanges)
        w = self.weights(fitted) if fitted else Weights.flat(self.n)
        if not fchanges:
            return self.summarise(self.indicators, w, "reweight")
        lens = self.forecast_lens.derive(f"{self.forecast_lens.name}-what-if")
        for k, v in fchanges.items():
            lens = lens.with_prior(k, v, reason=EDIT_REASON)
        wanted = list(scenarios) if scenarios is not None else self.scenarios
        run = [s for s in wanted if any(affects(self.lens.spec, k, s) for k in fchanges)]
        full = self.indicators.copy()  # scenarios the changed priors do not touch stay exact
        for s in self.scenarios:
            if s not in wanted and any(affects(self.lens.spec, k, s) for k in fchanges):
                full[:, self.scenarios.index(s)] = np.nan
        if run:
            fc = run_forecast(self.fit.idata, self.fit.spec, lens, self.fit.inputs, run, self.seed)
            ind = headline_draws(fc, self.year, run).values
            for j, s in enumerate(run):
                full[:, self.scenarios.index(s)] = ind[:, j]
        method = "forecast" if w.uniform else "reweight+forecast"
        return self.summarise(full, w, method)

    def scenario_weights(self, changes: Mapping[str, Prior]) -> list[tuple[list[int], Weights]]:
        """PSIS weights per group of scenarios, reweighting forecast-only priors too.

        A forecast-only prior weighs only the scenarios it affects (a scenario probability
        only its own scenario), so unaffected scenarios keep the fitted-prior weights.
        """
        fitted = {k: v for k, v in changes.items() if not is_forecast_prior(k)}
        fchanges = {k: v for k, v in changes.items() if is_forecast_prior(k)}
        base_lr, _ = self.log_ratio(fitted)
        f_lr = {k: self.log_ratio({k: v})[1] for k, v in fchanges.items()}
        spec = self.lens.spec
        groups: dict[tuple[str, ...], list[int]] = {}
        for j, s in enumerate(self.scenarios):
            groups.setdefault(tuple(k for k in fchanges if affects(spec, k, s)), []).append(j)
        out = []
        for key, idx in groups.items():
            lr = base_lr + sum((f_lr[k] for k in key), np.zeros(self.n))
            out.append((idx, psis(lr)))
        return out

    def values(self, changes: Mapping[str, Prior], quantities: Sequence[int]) -> tuple[np.ndarray, float]:
        """Fast path for bulk evaluation: ``(len(quantities), scenario)`` probabilities and the largest k̂."""
        out = np.empty((len(quantities), len(self.scenarios)))
        k = -np.inf
        for idx, w in self.scenario_weights(changes):
            out[:, idx] = np.einsum("qsn,n->qs", self.indicators[np.ix_(list(quantities), idx)], w.weights)
            if not w.uniform:
                k = max(k, w.pareto_k)
        return out, (k if np.isfinite(k) or k == np.inf else float("nan"))

    def _reweight_forecast_priors(self, fitted: Mapping[str, Prior], fchanges: Mapping[str, Prior]) -> Evaluation:
        mean = np.empty(self.indicators.shape[:2])
        se = np.empty_like(mean)
        ks, esss = [], []
        for idx, w in self.scenario_weights({**fitted, **fchanges}):
            mean[:, idx], se[:, idx] = weighted_mean_se(self.indicators[:, idx], w.weights)
            if not w.uniform:
                ks.append(w.pareto_k)
                esss.append(w.ess)
        coords = {"quantity": self.quantities, "scenario": self.scenarios}
        return Evaluation(
            xr.DataArray(mean, dims=("quantity", "scenario"), coords=coords, name="probability"),
            xr.DataArray(se, dims=("quantity", "scenario"), coords=coords, name="mcse"),
            max(ks) if ks else float("nan"),
            min(esss) if esss else float(self.n),
            self.n,
            "reweight",
            None,
        )

    def fan(
        self,
        weights: np.ndarray | None = None,
        var: str = "state",
        quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95),
        forecast: Forecast | None = None,
    ) -> xr.DataArray:
        """Weighted quantiles over draws of a forecast variable (a ``quantile`` dim, for ``plots.fan_chart``)."""
        return weighted_fan(forecast or self.forecast, weights, var, quantiles)

    def history_fan(self, weights: np.ndarray | None = None, quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)) -> xr.DataArray:
        """Weighted quantiles of the fitted latent states (the history part of a fan chart)."""
        st = self.fit.idata.posterior["state"]
        return weighted_da_quantiles(st, weights, quantiles)


_CACHE: dict[tuple[int, int, tuple], tuple[weakref.ref, weakref.ref, Reweighter]] = {}


def reweighter_for(fit: Any, forecast: Forecast, scenarios: Sequence[str] | None = None, year: int | None = None) -> Reweighter:
    """Return a cached :class:`Reweighter` for this fit and forecast (so repeated edits stay instant)."""
    year = forecast.spec.headline_year if year is None else year
    key = (id(fit), id(forecast), (tuple(scenarios) if scenarios else None, year))
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is fit and hit[1]() is forecast:
        return hit[2]
    rw = Reweighter(fit, forecast, scenarios=scenarios, year=year)
    for k in [k for k, v in _CACHE.items() if v[0]() is None or v[1]() is None]:
        del _CACHE[k]
    if len(_CACHE) >= 8:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = (weakref.ref(fit), weakref.ref(forecast), rw)
    return rw
