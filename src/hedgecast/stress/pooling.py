"""Pooling lenses (or a seminar room's priors) into one forecast, and where the disagreement lies.

* **Linear pool** (a mixture): ``p = Σ_l a_l p_l``. Each lens's forecast comes from its own
  posterior draws — reweighted from one fit when PSIS allows (k̂ ≤ 0.7), refitted warm
  otherwise — and the pooled draws are all lenses' draws with weights ``a_l w_{l,i}``.
* **Logarithmic pool** of the priors: :mod:`hedgecast.stress.log_pool`.
* **Variance decomposition** of a headline probability over lens × posterior draw (law of
  total variance): between-lens ``Σ a_l (p_l − p)^2`` and within-lens ``Σ a_l Var_θ(p_l(θ))``.
  ``Var_θ(p(θ))`` — how much the probability itself varies with the fitted parameters — is
  estimated without bias as the covariance of two independent forecast paths per draw
  (two forecast seeds), so the per-path Bernoulli noise is not mistaken for disagreement.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr
from pymc_extras.prior import Prior

from hedgecast.files import records
from hedgecast.forecasting.forecast import forecast as run_forecast
from hedgecast.priors.groups import FIT_GROUPS
from hedgecast.priors.lenses import Lens
from hedgecast.stress.changes import as_prior, is_forecast_prior
from hedgecast.stress.draws import headline_draws
from hedgecast.stress.psis import K_THRESHOLD, Weights, weighted_mean_se, weighted_quantiles
from hedgecast.stress.refits import RefitPool
from hedgecast.stress.reweight import Reweighter

if TYPE_CHECKING:  # pragma: no cover
    from hedgecast.forecasting.forecast import Forecast
    from hedgecast.workbench import Fit

__all__ = [
    "LensForecast",
    "Pool",
    "lens_forecast",
    "linear_pool",
    "normalise_weights",
    "coverage_key",
    "fitted_changes",
    "forecast_priors_equal",
    "forecasts",
    "participant_lens",
    "pool",
    "variance_decomposition",
]


@dataclass
class LensForecast:
    """One lens's headline forecast, and how it was obtained from the available fits."""

    name: str
    lens: Lens
    fit: Fit | None  # whose posterior draws are used
    forecast: Forecast | None  # from those draws with the lens's forecast-only priors
    weights: np.ndarray | None  # normalised, over ``fit``'s draws (None: uniform)
    method: str  # "fit" | "reweight" | "refit" | "unreliable"
    pareto_k: float
    ess: float
    message: str
    year: int | None = None  # None: the spec's first headline year
    scenarios: list[str] = field(default_factory=list)
    replicate: Forecast | None = None  # as ``forecast`` with another seed (within-lens variance)

    @classmethod
    def unreliable(cls, name: str, lens: Lens, w: Weights, reason: str, rw: Reweighter) -> LensForecast:
        """A lens whose reweighting is unreliable (k̂ above the threshold) and that was not refitted: not shown."""
        message = f"k̂ = {w.pareto_k:.2f} > {K_THRESHOLD} and {reason}"
        return cls(name, lens, None, None, None, "unreliable", w.pareto_k, w.ess, message, rw.year, list(rw.scenarios))

    @property
    def reliable(self) -> bool:
        return self.method != "unreliable"

    def _w(self, n: int) -> np.ndarray:
        return np.full(n, 1.0 / n) if self.weights is None else self.weights

    def indicators(self, replicate: bool = False) -> xr.DataArray:
        fc = self.replicate if replicate else self.forecast
        if fc is None:
            raise ValueError(f"{self.name}: no forecast ({self.message})")
        return headline_draws(fc, self.year, self.scenarios)

    def probabilities(self) -> tuple[xr.DataArray, xr.DataArray]:
        """Headline probabilities and their Monte Carlo SE, dims ``(quantity, scenario)`` (NaN if unreliable)."""
        if not self.reliable:
            raise ValueError(f"{self.name}: {self.message}")
        ind = self.indicators()
        mean, se = weighted_mean_se(ind.values, self._w(ind.sizes["sample"]))
        dims = ("quantity", "scenario")
        coords = {d: ind[d].values for d in dims}
        return xr.DataArray(mean, dims=dims, coords=coords), xr.DataArray(se, dims=dims, coords=coords)

    def summary(self) -> dict:
        return {
            "name": self.name,
            "method": self.method,
            "pareto_k": None if not np.isfinite(self.pareto_k) else float(self.pareto_k),
            "ess": float(self.ess),
            "message": self.message,
        }


def participant_lens(base: Lens, name: str, priors: Mapping[str, Prior], reason: str = "a seminar participant's belief") -> Lens:
    """Build a participant's lens: ``base`` with their priors (each validated like any lens edit)."""
    lens = base.derive(name, summary=f"{name}'s priors (seminar)", author=name)
    for k, v in priors.items():
        lens = lens.with_prior(k, as_prior(v), reason=reason)
    return lens


def fitted_changes(from_lens: Lens, to_lens: Lens) -> dict[str, Prior]:
    """The fitted priors ``to_lens`` has and ``from_lens`` has not."""
    return {k: lp.prior for k, lp in to_lens.priors.items() if k.split(".")[0] in FIT_GROUPS and lp.prior != from_lens.priors[k].prior}


def forecast_priors_equal(a: Lens, b: Lens) -> bool:
    """Whether two lenses share every forecast-only prior."""
    return all(a.priors[k].prior == b.priors[k].prior for k in a.priors if is_forecast_prior(k))


def lens_forecast(
    rw: Reweighter,
    lens: Lens,
    *,
    refits: RefitPool | None = None,
    replicate: bool = True,
    name: str | None = None,
) -> LensForecast:
    """``lens``'s forecast from the fit behind ``rw``: as it is, reweighted, or refitted warm.

    Reweighting is used while k̂ ≤ 0.7 — from the base fit, or from a refit already made
    (for another lens or what-if) whose sampler checks passed, whichever covers the lens
    best; beyond, the lens is refitted if ``refits`` has budget (the compiled model is
    reused), else the result is marked unreliable.
    """
    name = name or lens.name
    seed = rw.seed
    changes = fitted_changes(rw.lens, lens)
    w = rw.weights(changes) if changes else Weights.flat(rw.n)
    src = rw
    if w.pareto_k > K_THRESHOLD and refits is not None:  # a refit of another lens may cover this one
        for other in refits.cache.values():
            if not other.fit.diagnostics.passed and rw.fit.diagnostics.passed:  # a refit that failed its checks does not stand in
                continue
            w2 = other.weights(fitted_changes(other.lens, lens))
            if coverage_key(w2) < coverage_key(w):
                w, src = w2, other
    fit, weights, method = src.fit, (None if w.uniform else w.weights), ("fit" if w.uniform and src is rw else "reweight")
    where = "" if src is rw else f" (from the refit made for {', '.join(sorted(fitted_changes(rw.lens, src.lens))) or src.lens.name})"
    message = "the fitted posterior" if method == "fit" else f"reweighted {rw.n} draws{where}: k̂ = {w.pareto_k:.2f}, ESS {w.ess:.0f}"
    fc = src.forecast
    if w.pareto_k > K_THRESHOLD:
        new = refits.refit(changes, why=f"pooling: lens {name}") if refits is not None else None
        if new is None:
            return LensForecast.unreliable(name, lens, w, "no refit budget: not shown", rw)
        rec = refits.by_key.get(refits.key(changes), {})
        fit, weights, method, fc = new.fit, None, "refit", new.forecast
        message = f"k̂ = {w.pareto_k:.2f} > {K_THRESHOLD}: refitted warm" + (f" in {rec['refit_s']:.1f} s" if rec.get("refit_s") else "")
        if not new.fit.diagnostics.passed:
            message += "; the refit's sampler diagnostics failed (" + "; ".join(new.fit.diagnostics.problems) + ")"
    fc, rep = forecasts(fit, lens, list(rw.scenarios), seed, replicate, reuse=fc if forecast_priors_equal(lens, fit.lens) else None)
    return LensForecast(name, lens, fit, fc, weights, method, w.pareto_k, w.ess, message, rw.year, list(rw.scenarios), rep)


def forecasts(
    fit: Fit, lens: Lens, scenarios: list[str], seed: int, replicate: bool, reuse: Forecast | None = None
) -> tuple[Forecast, Forecast | None]:
    """The lens's forecast from ``fit``'s draws (``reuse`` when given) and, if ``replicate``, its replicate with the next seed."""
    fc = reuse if reuse is not None else run_forecast(fit.idata, fit.spec, lens, fit.inputs, scenarios, seed)
    rep = run_forecast(fit.idata, fit.spec, lens, fit.inputs, scenarios, seed + 1) if replicate else None
    return fc, rep


def normalise_weights(weights: Sequence[float] | None, k: int) -> np.ndarray:
    """Pool weights as a probability vector (``None``: equal weights); raises on negative or all-zero weights."""
    a = np.full(k, 1.0 / k) if weights is None else np.asarray(weights, dtype=float)
    if a.shape != (k,) or not np.all(np.isfinite(a)) or np.any(a < 0) or a.sum() <= 0:
        raise ValueError(f"pool weights must be {k} non-negative numbers, not all zero; got {weights!r}")
    return a / a.sum()


def coverage_key(w: Weights) -> tuple[int, float]:
    """Sort key of importance weights: reliable first, then the lowest k̂."""
    return (int(w.pareto_k > K_THRESHOLD), w.pareto_k if np.isfinite(w.pareto_k) else -np.inf)


# ------------------------------------------------------------------------------------
# the pool
# ------------------------------------------------------------------------------------
@dataclass
class Pool:
    """Several lenses' forecasts, their linear and logarithmic pools, and the decomposition of their spread."""

    members: list[LensForecast]
    weights: np.ndarray
    linear: xr.DataArray  # (quantity, scenario)
    linear_se: xr.DataArray
    log: LensForecast | None
    decomposition: pd.DataFrame
    excluded: list[str] = field(default_factory=list)

    def table(self, metrics: Sequence[str]) -> pd.DataFrame:
        """Per scenario and metric: every lens, the linear pool, the log pool, between/within-lens spread."""
        rows = []
        lp = self.log.probabilities()[0] if self.log is not None and self.log.reliable else None
        for s in self.linear["scenario"].values:
            for m in metrics:
                row = {"scenario": str(s), "metric": m}
                for mem in self.members:
                    row[mem.name] = float(mem.probabilities()[0].sel(quantity=m, scenario=s))
                row["linear pool"] = float(self.linear.sel(quantity=m, scenario=s))
                row["linear pool se"] = float(self.linear_se.sel(quantity=m, scenario=s))
                row["log pool"] = float(lp.sel(quantity=m, scenario=s)) if lp is not None else float("nan")
                d = self.decomposition.query("scenario == @s and metric == @m")
                if not d.empty:
                    row["sd between lenses"] = math.sqrt(max(float(d["between"].iloc[0]), 0.0))
                    row["sd within lenses"] = math.sqrt(max(float(d["within"].iloc[0]), 0.0))
                    row["share between"] = float(d["share_between"].iloc[0])
                rows.append(row)
        return pd.DataFrame(rows)

    def fan(self, var: str = "state", quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)) -> xr.DataArray:
        """Quantiles of the linear pool's mixture of draws (every lens's draws, weighted)."""
        vals, ws = [], []
        ref = None
        for a, m in zip(self.weights, self.members, strict=True):
            da = m.forecast.data[var]
            other = [d for d in da.dims if d not in ("chain", "draw")]
            v = da.transpose("chain", "draw", *other).values
            n = v.shape[0] * v.shape[1]
            vals.append(v.reshape(n, *v.shape[2:]))
            ws.append(a * m._w(n))
            ref = (da, other)
        assert ref is not None
        da, other = ref
        q = weighted_quantiles(np.concatenate(vals), np.concatenate(ws), quantiles)
        return xr.DataArray(q, dims=("quantile", *other), coords={"quantile": list(quantiles), **{d: da[d].values for d in other}})

    def to_dict(self, metrics: Sequence[str]) -> dict:
        return {
            "members": [m.summary() for m in self.members],
            "weights": [float(x) for x in self.weights],
            "excluded": self.excluded,
            "log_pool": self.log.summary() if self.log is not None else None,
            "log_pool_lens": {
                k: {
                    "dist": lp.prior.distribution,
                    **{
                        p: (np.asarray(v).tolist() if isinstance(v, (list, np.ndarray)) else float(v))
                        for p, v in lp.prior.parameters.items()
                    },
                }
                for k, lp in self.log.lens.priors.items()
            }
            if self.log is not None
            else None,
            "table": records(self.table(metrics)),
            "decomposition": records(self.decomposition),
        }


def linear_pool(members: Sequence[LensForecast], weights: Sequence[float] | None = None) -> tuple[xr.DataArray, xr.DataArray]:
    """``Σ a_l p_l`` and its Monte Carlo SE, dims ``(quantity, scenario)``."""
    a = normalise_weights(weights, len(members))
    probs = [m.probabilities() for m in members]
    mean = sum(w * p for w, (p, _) in zip(a, probs, strict=True))
    se = np.sqrt(sum(w**2 * s**2 for w, (_, s) in zip(a, probs, strict=True)))
    return mean, se


def variance_decomposition(members: Sequence[LensForecast], weights: Sequence[float] | None, metrics: Sequence[str]) -> pd.DataFrame:
    """Law of total variance of a headline probability over lens × posterior draw.

    ``between = Σ a_l (p_l − p)^2``; ``within = Σ a_l Var_θ(p_l(θ))``, each estimated as the
    weighted covariance of two forecast paths per draw (independent seeds), which is
    unbiased for the variance of the per-draw probability. ``paths`` is the rest of the
    per-path variance ``p (1 − p)``: the forecast's own randomness, not disagreement.
    """
    a = normalise_weights(weights, len(members))
    rows = []
    first = members[0].indicators()
    for s in first["scenario"].values:
        for m in metrics:
            means, withins = [], []
            for mem in members:
                y1 = mem.indicators().sel(quantity=m, scenario=s).values
                if mem.replicate is None:
                    raise ValueError(f"{mem.name}: no replicate forecast; build it with replicate=True")
                y2 = mem.indicators(replicate=True).sel(quantity=m, scenario=s).values
                w = mem._w(y1.size)
                m1, m2 = float(y1 @ w), float(y2 @ w)
                means.append(m1)
                withins.append(float(((y1 - m1) * (y2 - m2)) @ w))
            means_a, within_a = np.array(means), np.array(withins)
            p = float(a @ means_a)
            between = float(a @ (means_a - p) ** 2)
            within = float(a @ np.clip(within_a, 0.0, None))
            total_paths = float(a @ (means_a * (1 - means_a))) + between
            rows.append(
                {
                    "scenario": str(s),
                    "metric": m,
                    "pooled": p,
                    "between": between,
                    "within": within,
                    "share_between": between / (between + within) if between + within > 0 else float("nan"),
                    "paths": max(total_paths - between - within, 0.0),
                }
            )
    return pd.DataFrame(rows)


def pool(
    members: Sequence[LensForecast], weights: Sequence[float] | None = None, *, log: LensForecast | None = None, metrics: Sequence[str] = ()
) -> Pool:
    """Pool the reliable ``members`` (unreliable ones are excluded and named); ``log`` from :func:`log_pool`."""
    keep = [(m, w) for m, w in zip(members, normalise_weights(weights, len(members)), strict=True) if m.reliable]
    excluded = [m.name for m in members if not m.reliable]
    if not keep:
        raise ValueError("no lens could be forecast reliably: " + "; ".join(f"{m.name}: {m.message}" for m in members))
    mem = [m for m, _ in keep]
    a = normalise_weights([w for _, w in keep], len(keep))
    mean, se = linear_pool(mem, a)
    metrics = list(metrics) or [str(q) for q in mean["quantity"].values]
    dec = variance_decomposition(mem, a, metrics) if all(m.replicate is not None for m in mem) else pd.DataFrame()
    return Pool(mem, a, mean, se, log, dec, excluded)
