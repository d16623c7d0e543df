"""Instant prior edits: Pareto-smoothed importance reweighting of the existing posterior draws.

Changing a fitted prior from ``p_old`` to ``p_new`` changes the posterior by the factor
``p_new(θ) / p_old(θ)`` (the likelihood is untouched), so the draws we already have,
weighted by that ratio, are draws from the edited posterior. The weights are smoothed and
checked with PSIS (Vehtari et al. 2024): their Pareto k̂ says whether the old draws cover
the new posterior. While k̂ ≤ 0.7 the reweighted probabilities are trustworthy and take
milliseconds; above 0.7 they are not, and :func:`edit_prior` refits the lens instead —
warm, with the already compiled model (prior hyperparameters are model data) — and says so.

Forecast-only priors (``war_transition.*``, ``scenario_probability.*``) are not in the
fitted model: an edit of those re-runs the forecast (exact, about a second). For bulk
evaluations (Sobol indices) they can also be reweighted: the forecast drew them per draw
from the lens (:func:`hedgecast.forecast.forecast_priors`, reproducible from the seed), so
the same density-ratio argument applies to those draws.

    >>> from pymc_extras.prior import Prior                                       # doctest: +SKIP
    >>> res = edit_prior(fit, fc, {"hazard_intercept": Prior("Normal", mu=-3.5, sigma=1)})  # doctest: +SKIP
    >>> res.message, res.table()                                                  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import math
import time
import warnings
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr
from pymc_extras.prior import Prior
from scipy import special, stats

from hedgecast.forecasting.forecast import forecast as run_forecast
from hedgecast.forecasting.forecast import forecast_priors
from hedgecast.forecasting.scenarios import resolve
from hedgecast.model.equations import prior_structure
from hedgecast.priors.lenses import FIT_GROUPS, FORECAST_GROUPS, Lens, parameter_groups

if TYPE_CHECKING:  # pragma: no cover
    from hedgecast.forecasting.forecast import Forecast
    from hedgecast.workbench import Fit

__all__ = [
    "K_THRESHOLD",
    "EditResult",
    "Evaluation",
    "Reweighter",
    "Weights",
    "edit_prior",
    "headline_draws",
    "prior_logpdf",
    "psis",
    "weighted_quantiles",
]

K_THRESHOLD = 0.7
"""Above this Pareto k̂ the importance-sampling estimate is not trusted (Vehtari et al. 2024)."""
HEADLINE_YEAR = 2030
SAMPLE_DIMS = ("chain", "draw")
EDIT_REASON = "what-if edit (stress test)"


# ------------------------------------------------------------------------------------
# log densities of priors, vectorised
# ------------------------------------------------------------------------------------
def _sigma(p: Mapping[str, float], scale: str = "sigma", precision: str = "tau") -> float:
    if scale in p:
        return float(p[scale])
    if precision in p:
        return 1.0 / math.sqrt(float(p[precision]))
    return 1.0


def _beta_ab(p: Mapping[str, float]) -> tuple[float, float]:
    if "alpha" in p and "beta" in p:
        return float(p["alpha"]), float(p["beta"])
    mu = float(p["mu"])
    if "nu" in p:
        kappa = float(p["nu"])
    else:
        sd = float(p["sigma"])
        kappa = mu * (1 - mu) / sd**2 - 1
    return mu * kappa, (1 - mu) * kappa


def _gamma_ab(p: Mapping[str, float]) -> tuple[float, float]:
    if "alpha" in p and "beta" in p:
        return float(p["alpha"]), float(p["beta"])
    mu, sd = float(p["mu"]), float(p["sigma"])
    return mu**2 / sd**2, mu / sd**2


def _scipy_logpdf(dist: str, p: Mapping[str, float], x: np.ndarray) -> np.ndarray | None:
    """``log p(x)`` with scipy for the common families; None for others (pymc fallback)."""
    if dist == "Normal":  # the common case, without scipy's per-call overhead
        sd = _sigma(p)
        return -0.5 * ((x - float(p.get("mu", 0.0))) / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi)
    if dist == "HalfNormal":
        return stats.halfnorm.logpdf(x, 0.0, _sigma(p))
    if dist == "StudentT":
        return stats.t.logpdf(x, float(p["nu"]), float(p.get("mu", 0.0)), _sigma(p, "sigma", "lam"))
    if dist == "HalfStudentT":
        return np.where(x >= 0, np.log(2.0) + stats.t.logpdf(x, float(p["nu"]), 0.0, _sigma(p, "sigma", "lam")), -np.inf)
    if dist == "Cauchy":
        return stats.cauchy.logpdf(x, float(p["alpha"]), float(p["beta"]))
    if dist == "HalfCauchy":
        return stats.halfcauchy.logpdf(x, 0.0, float(p["beta"]))
    if dist == "Laplace":
        return stats.laplace.logpdf(x, float(p["mu"]), float(p["b"]))
    if dist == "Logistic":
        return stats.logistic.logpdf(x, float(p.get("mu", 0.0)), float(p.get("s", 1.0)))
    if dist == "Gumbel":
        return stats.gumbel_r.logpdf(x, float(p["mu"]), float(p["beta"]))
    if dist in ("LogNormal", "Lognormal"):
        return stats.lognorm.logpdf(x, _sigma(p), 0.0, math.exp(float(p.get("mu", 0.0))))
    if dist == "Gamma":
        a, b = _gamma_ab(p)
        return stats.gamma.logpdf(x, a, 0.0, 1.0 / b)
    if dist == "InverseGamma" and "alpha" in p:
        return stats.invgamma.logpdf(x, float(p["alpha"]), 0.0, float(p.get("beta", 1.0)))
    if dist == "Exponential":
        scale = float(p["scale"]) if "scale" in p else 1.0 / float(p["lam"])
        return stats.expon.logpdf(x, 0.0, scale)
    if dist == "Beta":
        a, b = _beta_ab(p)
        return stats.beta.logpdf(x, a, b)
    if dist == "Uniform":
        lo, hi = float(p.get("lower", 0.0)), float(p.get("upper", 1.0))
        return stats.uniform.logpdf(x, lo, hi - lo)
    if dist == "TruncatedNormal":
        mu, sd = float(p.get("mu", 0.0)), _sigma(p)
        lo, hi = float(p.get("lower", -np.inf)), float(p.get("upper", np.inf))
        return stats.truncnorm.logpdf(x, (lo - mu) / sd, (hi - mu) / sd, mu, sd)
    if dist == "Weibull":
        return stats.weibull_min.logpdf(x, float(p["alpha"]), 0.0, float(p["beta"]))
    return None


@functools.cache
def _pymc_logp_fn(dist: str, names: tuple[str, ...]):
    """Compile ``(params..., x) -> log p(x)`` for any univariate PyMC family (once per family)."""
    import pymc as pm
    import pytensor
    import pytensor.tensor as pt

    args = [pt.dscalar(n) for n in names]
    x = pt.dvector("x")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = pm.logp(getattr(pm, dist).dist(**dict(zip(names, args, strict=True))), x)
        return pytensor.function([*args, x], out)


def prior_logpdf(prior: Prior, x: np.ndarray) -> np.ndarray:
    """Log density of ``prior`` at every value of ``x`` (vectorised; -inf outside the support)."""
    x = np.asarray(x, dtype=float)
    params = {k: float(v) for k, v in prior.parameters.items()}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = _scipy_logpdf(prior.distribution, params, x)
    if out is None:
        names = tuple(sorted(params))
        fn = _pymc_logp_fn(prior.distribution, names)
        out = fn(*[params[n] for n in names], x.ravel()).reshape(x.shape)
    return np.asarray(out, dtype=float)


def dirichlet_logpdf(a: Sequence[float], x: np.ndarray) -> np.ndarray:
    """Log density of Dirichlet(``a``) at rows ``x`` of shape ``(n, K)``."""
    a = np.asarray(a, dtype=float)
    xs = np.clip(np.asarray(x, dtype=float), 1e-300, 1.0)
    return special.gammaln(a.sum()) - special.gammaln(a).sum() + np.log(xs) @ (a - 1.0)


# ------------------------------------------------------------------------------------
# PSIS weights
# ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Weights:
    """Normalised (PSIS-smoothed) importance weights over the draws, with their diagnostics."""

    weights: np.ndarray  # (n,), sums to 1
    pareto_k: float  # nan when nothing was reweighted (uniform weights)
    ess: float  # Kish effective sample size, 1 / sum(w^2)

    @property
    def n(self) -> int:
        return int(self.weights.size)

    @property
    def reliable(self) -> bool:
        return not self.pareto_k > K_THRESHOLD

    @property
    def uniform(self) -> bool:
        return bool(np.isnan(self.pareto_k))

    @classmethod
    def flat(cls, n: int) -> Weights:
        return cls(np.full(n, 1.0 / n), float("nan"), float(n))


def psis(log_ratio: np.ndarray, reff: float = 1.0) -> Weights:
    """Smooth ``log_ratio`` (one value per draw) with PSIS; uniform weights if it is constant."""
    lr = np.asarray(log_ratio, dtype=float).ravel()
    n = lr.size
    finite = np.isfinite(lr)
    if not finite.any():
        return Weights(np.full(n, 1.0 / n), float("inf"), 0.0)
    if np.ptp(lr[finite]) < 1e-12 and finite.all():
        return Weights.flat(n)
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        lw, k = az.psislw(np.where(finite, lr, -np.inf), reff=reff)
    w = np.exp(np.asarray(lw) - np.max(lw))
    w /= w.sum()
    return Weights(w, float(k), float(1.0 / np.sum(w**2)))


def weighted_mean_se(values: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Self-normalised weighted mean over the last axis and its Monte Carlo standard error.

    ``se^2 = sum_i w_i^2 (f_i - mean)^2`` (the delta-method variance of the self-normalised
    estimator; with uniform weights it is ``var / n``). Autocorrelation between MCMC draws
    is ignored: forecast indicators mostly vary through the forecast's own random numbers.
    """
    mean = values @ w
    se = np.sqrt(((values - mean[..., None]) ** 2) @ (w**2))
    return mean, se


def weighted_quantiles(values: np.ndarray, w: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Weighted quantiles over axis 0 of ``values`` (``(n, ...)``); returns ``(len(qs), ...)``."""
    v = np.asarray(values, dtype=float)
    flat = v.reshape(v.shape[0], -1)
    order = np.argsort(flat, axis=0)
    sorted_v = np.take_along_axis(flat, order, axis=0)
    cw = np.cumsum(np.asarray(w)[order], axis=0)
    cw = (cw - 0.5 * np.asarray(w)[order]) / cw[-1]
    out = np.empty((len(qs), flat.shape[1]))
    for j in range(flat.shape[1]):
        out[:, j] = np.interp(qs, cw[:, j], sorted_v[:, j])
    return out.reshape((len(qs), *v.shape[1:]))


# ------------------------------------------------------------------------------------
# per-draw values: parameters, forecast priors, headline indicators
# ------------------------------------------------------------------------------------
def _flat(da: xr.DataArray) -> np.ndarray:
    """Flatten a scalar-per-draw DataArray to ``(n,)``, chains first (the forecast's draw order)."""
    return da.transpose(*SAMPLE_DIMS).values.ravel()


def element_draws(posterior: xr.Dataset, lens: Lens, name: str) -> np.ndarray:
    """Posterior draws ``(n,)`` of the fitted parameter behind the prior called ``name``."""
    group, *coords = name.split(".")
    dims, elements = parameter_groups(lens.spec)[group]
    if group in posterior:
        da = posterior[group]
        if dims:
            da = da.sel(dict(zip(dims, coords, strict=True)))
        return _flat(da)
    # a group mixing families is stored per family (group_<Family>, flat over its members)
    fam = lens.priors[name].prior.distribution
    members = [c for c in elements if lens.priors[".".join((group, *c))].prior.distribution == fam]
    var = f"{group}_{fam}"
    if var not in posterior:
        raise KeyError(f"the posterior has no draws of '{group}' (nor '{var}'): is this a fit of this model?")
    da = posterior[var]
    other = [d for d in da.dims if d not in SAMPLE_DIMS]
    return da.isel({other[0]: members.index(tuple(coords))}).transpose(*SAMPLE_DIMS).values.ravel()


def headline_draws(forecast: Forecast, year: int = HEADLINE_YEAR, scenarios: Sequence[str] | None = None) -> xr.DataArray:
    """Per-draw indicators of the headline events, dims ``(quantity, scenario, sample)``.

    Quantities: ``P(<class>, <year>)`` for every trajectory class (the class at ``year``;
    rupture, the first class, is cumulative: a rupture by ``year``) and
    ``P(crisis by <year>)``, named as in :meth:`Forecast.headline`.
    """
    data = forecast.data if scenarios is None else forecast.data.sel(scenario=list(scenarios))
    labels = data["trajectory"].sel(year=year).transpose(*SAMPLE_DIMS, "scenario").values
    crisis = data["crisis"].sel(year=slice(None, year)).max("year").transpose(*SAMPLE_DIMS, "scenario").values
    n = labels.shape[0] * labels.shape[1]
    labels, crisis = labels.reshape(n, -1).T, crisis.reshape(n, -1).T  # (scenario, sample)
    names = [f"P({c}, {year})" for c in forecast.spec.class_names] + [f"P(crisis by {year})"]
    values = np.stack([(labels == i).astype(float) for i in range(len(forecast.spec.class_names))] + [(crisis > 0).astype(float)])
    return xr.DataArray(
        values, dims=("quantity", "scenario", "sample"), coords={"quantity": names, "scenario": [str(s) for s in data["scenario"].values]}
    )


def metric_name(kind: str, year: int = HEADLINE_YEAR) -> str:
    """``"rupture"`` → ``"P(rupture, 2030)"``; ``"crisis"`` → ``"P(crisis by 2030)"``."""
    return f"P(crisis by {year})" if kind == "crisis" else f"P({kind}, {year})"


def is_forecast_prior(name: str) -> bool:
    return name.split(".")[0] in FORECAST_GROUPS


def affects(spec, prior_name: str, scenario: str) -> bool:
    """Whether the forecast of ``scenario`` depends on the prior called ``prior_name``.

    Fitted priors and war transitions affect every scenario; a scenario probability
    affects only the scenario whose intervention it makes uncertain.
    """
    group = prior_name.split(".")[0]
    if group == "scenario_probability":
        resolved = resolve(spec, scenario)
        return resolved.probability == "lens" and resolved.name == prior_name.split(".", 1)[1]
    return True


def _as_prior(value: Any) -> Prior:
    if isinstance(value, Prior):
        return value
    if isinstance(value, Mapping):
        raw = dict(value)
        dist = raw.pop("dist")
        return Prior(dist, **raw.get("kwargs", raw))
    raise TypeError(f"a changed prior must be a pymc_extras Prior (or a dict with 'dist'), got {value!r}")


def edited_lens(lens: Lens, changes: Mapping[str, Prior], name: str | None = None, reason: str = EDIT_REASON) -> Lens:
    """Copy ``lens`` with ``changes`` applied (each validated as a lens prior)."""
    out = lens.derive(name or f"{lens.name}-edit")
    for prior_name, prior in changes.items():
        out = out.with_prior(prior_name, _as_prior(prior), reason=reason)
    return out


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
    fit, forecast : Fit, Forecast
        The posterior draws and a forecast simulated from them (``fit.forecast(...)``).
    forecast_lens : Lens, optional
        The lens whose forecast-only priors the forecast used (default ``fit.lens``).
    year : int
        The headline year.
    scenarios : list of str, optional
        Scenarios to evaluate (default: all in ``forecast``). Fewer is faster.

    """

    def __init__(
        self,
        fit: Fit,
        forecast: Forecast,
        *,
        forecast_lens: Lens | None = None,
        year: int = HEADLINE_YEAR,
        scenarios: Sequence[str] | None = None,
    ):
        self.fit, self.forecast, self.year = fit, forecast, year
        self.lens = fit.lens
        self.forecast_lens = forecast_lens or fit.lens
        self.scenarios = list(scenarios) if scenarios is not None else list(forecast.scenarios)
        self.seed = int(forecast.data.attrs.get("seed", fit.settings.seed))
        ind = headline_draws(forecast, year, self.scenarios)
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
            return dirichlet_logpdf(prior.parameters["a"], x)
        return prior_logpdf(prior, x)

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
                prior = _as_prior(prior)
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
    def _summarise(self, indicators: np.ndarray, w: Weights, method: str) -> Evaluation:
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
        return self._summarise(self.indicators, Weights.flat(self.n), "base")

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
        changes = {k: _as_prior(v) for k, v in changes.items()}
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
            return self._summarise(self.indicators, w, "reweight")
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
        return self._summarise(full, w, method)

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
        return _weighted_da_quantiles(st, weights, quantiles)


def _weighted_da_quantiles(da: xr.DataArray, weights: np.ndarray | None, quantiles: Sequence[float]) -> xr.DataArray:
    other = [d for d in da.dims if d not in SAMPLE_DIMS]
    vals = da.transpose(*SAMPLE_DIMS, *other).values
    n = vals.shape[0] * vals.shape[1]
    w = np.full(n, 1.0 / n) if weights is None else np.asarray(weights)
    q = weighted_quantiles(vals.reshape(n, *vals.shape[2:]), w, quantiles)
    return xr.DataArray(q, dims=("quantile", *other), coords={"quantile": list(quantiles), **{d: da[d].values for d in other}})


def weighted_fan(
    forecast: Forecast, weights: np.ndarray | None, var: str = "state", quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)
) -> xr.DataArray:
    """Weighted quantiles of ``forecast.data[var]`` over draws, with a ``quantile`` dim."""
    return _weighted_da_quantiles(forecast.data[var], weights, quantiles)


# ------------------------------------------------------------------------------------
# the edit: reweight, or refit when k̂ says so
# ------------------------------------------------------------------------------------
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
        return _weighted_da_quantiles(self.fit.idata.posterior["state"], self.weights, quantiles)

    def to_dict(self) -> dict:
        return {
            "changes": {k: {"dist": v.distribution, **{p: _plain(x) for p, x in v.parameters.items()}} for k, v in self.changes.items()},
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


def _plain(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    return x


def _num_or_none(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


_CACHE: dict[tuple[int, int, tuple], tuple[weakref.ref, weakref.ref, Reweighter]] = {}


def reweighter_for(fit: Fit, forecast: Forecast, scenarios: Sequence[str] | None = None, year: int = HEADLINE_YEAR) -> Reweighter:
    """Return a cached :class:`Reweighter` for this fit and forecast (so repeated edits stay instant)."""
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


def refit_lens(fit: Fit, lens: Lens, scenarios: Sequence[str], seed: int) -> tuple[Fit, Forecast, dict[str, float], bool]:
    """Fit ``lens`` with ``fit``'s sampler settings (warm if its prior structure is unchanged)."""
    warm = prior_structure(lens) == prior_structure(fit.lens)
    t0 = time.perf_counter()
    new_fit = fit.workbench.fit(lens, fit.settings)
    t1 = time.perf_counter()
    new_fc = new_fit.forecast(list(scenarios), seed=seed)
    t2 = time.perf_counter()
    return new_fit, new_fc, {"refit_s": t1 - t0, "forecast_s": t2 - t1}, warm


def edit_prior(
    fit: Fit,
    forecast: Forecast,
    changes: Mapping[str, Prior],
    *,
    refit: str = "auto",
    scenarios: Sequence[str] | None = None,
    year: int = HEADLINE_YEAR,
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
    effective sample size, a plain-language message and the measured latency.

    Raises
    ------
    SpecError
        If a changed prior is not a valid prior for its parameter (the lens check).

    """
    t0 = time.perf_counter()
    if refit not in ("auto", "always", "never"):
        raise ValueError(f"refit must be 'auto', 'always' or 'never', got {refit!r}")
    changes = {k: _as_prior(v) for k, v in changes.items()}
    lens = edited_lens(fit.lens, changes, reason=reason)  # validates every change
    rw = reweighter_for(fit, forecast, scenarios, year)
    t_setup = time.perf_counter()
    base = rw.base()
    fitted = {k: v for k, v in changes.items() if not is_forecast_prior(k) and v != fit.lens.priors[k].prior}
    fchanged = {k: v for k, v in changes.items() if is_forecast_prior(k) and v != fit.lens.priors[k].prior}
    timings: dict[str, float] = {"setup_s": t_setup - t0}
    if not fitted and not fchanged:
        ev = base
        method, message = "unchanged", "No prior changed: the forecast is the fitted one."
        return _result(changes, lens, ev, base, method, message, t0, timings, fit, forecast, None)

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
        res = _result(changes, lens, ev, base, "refit", message, t0, timings, new_fit, new_fc, None)
        res.reweighted_pareto_k = k
        res.pareto_k = float("nan")
        return res
    if bool(fitted) and k > k_threshold:  # refit == "never"
        nan = xr.full_like(base.probabilities, np.nan)
        ev = Evaluation(nan, nan.copy(), k, w.ess, rw.n, "unreliable")
        message = (
            f"k̂ = {k:.2f} > {k_threshold}: the reweighted numbers are unreliable and are not shown; refit the edited lens (refit='auto')."
        )
        return _result(changes, lens, ev, base, "unreliable", message, t0, timings, None, None, None)
    out_fc = forecast
    if fchanged:
        t1 = time.perf_counter()
        out_fc = run_forecast(fit.idata, fit.spec, lens, fit.inputs, rw.scenarios, rw.seed)
        timings["forecast_s"] = time.perf_counter() - t1
        ind = headline_draws(out_fc, year, rw.scenarios).values
    else:
        ind = rw.indicators
    mean, se = weighted_mean_se(ind, w.weights)
    coords = {"quantity": rw.quantities, "scenario": rw.scenarios}
    method = "forecast" if not fitted else ("reweight+forecast" if fchanged else "reweight")
    ev = Evaluation(
        xr.DataArray(mean, dims=("quantity", "scenario"), coords=coords),
        xr.DataArray(se, dims=("quantity", "scenario"), coords=coords),
        k,
        w.ess,
        rw.n,
        method,
    )
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
    return _result(changes, lens, ev, base, method, message, t0, timings, fit, out_fc, None if w.uniform else w.weights)


def _sentence(text: str) -> str:
    return (text[:1].upper() + text[1:] + ".") if text else ""


def _result(changes, lens, ev: Evaluation, base: Evaluation, method, message, t0, timings, fit, forecast, weights) -> EditResult:
    latency = time.perf_counter() - t0
    timings = {**timings, "total_s": latency}
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
        timings=timings,
        fit=fit,
        forecast=forecast,
        weights=weights,
    )


class RefitPool:
    """Warm refits under a budget, shared by the stress-test steps, cached by the changes made.

    Each refit gives a new posterior (and forecast, same seed and scenarios), wrapped in a
    :class:`Reweighter`, so nearby what-ifs can be reweighted from it instead of the base.
    """

    def __init__(self, rw: Reweighter, budget: int = 0):
        self.base, self.budget = rw, int(budget)
        self.used = 0
        self.cache: dict[str, Reweighter] = {}
        self.records: list[dict] = []
        self.by_key: dict[str, dict] = {}

    @staticmethod
    def key(changes: Mapping[str, Prior]) -> str:
        return repr(sorted((k, _as_prior(v).distribution, sorted(_as_prior(v).parameters.items())) for k, v in changes.items()))

    @property
    def left(self) -> int:
        return self.budget - self.used

    def get(self, changes: Mapping[str, Prior]) -> Reweighter | None:
        return self.cache.get(self.key(changes))

    def refit(self, changes: Mapping[str, Prior], why: str = "") -> Reweighter | None:
        """Return the refitted posterior under ``changes`` (cached, or a new warm refit; None if over budget)."""
        key = self.key(changes)
        if key in self.cache:
            return self.cache[key]
        if self.used >= self.budget:
            return None
        self.used += 1
        base = self.base
        lens = edited_lens(base.lens, changes)
        new_fit, new_fc, t, warm = refit_lens(base.fit, lens, base.scenarios, base.seed)
        rw = Reweighter(new_fit, new_fc, year=base.year, scenarios=base.scenarios)
        self.cache[key] = rw
        self.by_key[key] = rec = {
            "changes": {
                k: {"dist": _as_prior(v).distribution, **{p: _plain(x) for p, x in _as_prior(v).parameters.items()}}
                for k, v in changes.items()
            },
            "why": why,
            "warm": warm,
            "refit_s": t["refit_s"],
            "forecast_s": t["forecast_s"],
            "diagnostics_passed": bool(new_fit.diagnostics.passed),
            "problems": list(new_fit.diagnostics.problems),
        }
        self.records.append(rec)
        return rw

    def evaluate(self, changes: Mapping[str, Prior], why: str = "") -> Evaluation | None:
        rw = self.refit(changes, why=why)
        if rw is None:
            return None
        ev = rw.base()
        ev.method = "refit"
        return ev
