"""The logarithmic pool of lenses' priors: ``p(θ) ∝ Π_l p_l(θ)^{a_l}``, and its forecast.

For the common families the pool has a closed form (Normal and LogNormal: precision-weighted;
Gamma, Beta, Dirichlet: weighted shape parameters; …) and becomes a lens; in general its log
density ``Σ_l a_l log p_l(θ)`` is reached by reweighting whichever available posterior covers
it best. The pooled lens is then forecast like any other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pymc_extras.prior import Prior

from hedgecast.errors import SpecError
from hedgecast.priors import families
from hedgecast.priors.groups import FIT_GROUPS
from hedgecast.priors.lenses import Lens
from hedgecast.stress.changes import is_forecast_prior
from hedgecast.stress.pooling import LensForecast, coverage_key, fitted_changes, forecast_priors_equal, forecasts, normalise_weights
from hedgecast.stress.psis import K_THRESHOLD, Weights, psis
from hedgecast.stress.refits import RefitPool
from hedgecast.stress.reweight import Reweighter

__all__ = ["log_pool", "log_pool_lens", "log_pool_prior"]


def log_pool_prior(priors: Sequence[Prior], a: np.ndarray) -> Prior | None:
    """Closed-form logarithmic pool of same-family priors (weights sum to 1), or None."""
    fams = {p.distribution for p in priors}
    if len(fams) != 1:
        return None
    fam = fams.pop()
    first = priors[0].parameters
    if fam in ("Normal", "LogNormal", "Lognormal") and all(set(p.parameters) <= {"mu", "sigma", "tau"} for p in priors):
        mus = np.array([float(p.parameters.get("mu", 0.0)) for p in priors])
        prec = np.array([families.scale_of(p.parameters) ** -2 for p in priors])
        tau = float(np.sum(a * prec))
        mu = float(np.sum(a * prec * mus) / tau)
        return Prior(fam, mu=mu, tau=tau) if "tau" in first else Prior(fam, mu=mu, sigma=1 / math.sqrt(tau))
    if fam == "HalfNormal" and all(set(p.parameters) == {"sigma"} for p in priors):
        prec = np.array([float(p.parameters["sigma"]) ** -2 for p in priors])
        return Prior(fam, sigma=1 / math.sqrt(float(np.sum(a * prec))))
    if fam == "Gamma":
        ab = np.array([families.gamma_ab(p.parameters) for p in priors])
        alpha, beta = float(np.sum(a * (ab[:, 0] - 1)) + 1), float(np.sum(a * ab[:, 1]))
        if "alpha" in first:
            return Prior(fam, alpha=alpha, beta=beta)
        mean, sd = families.gamma_mean_sd(alpha, beta)
        return Prior(fam, mu=mean, sigma=sd)
    if fam == "Beta":
        ab = np.array([families.beta_ab(p.parameters) for p in priors])
        alpha, beta = float(np.sum(a * (ab[:, 0] - 1)) + 1), float(np.sum(a * (ab[:, 1] - 1)) + 1)
        if "alpha" in first:
            return Prior(fam, alpha=alpha, beta=beta)
        mean, sd = families.beta_mean_sd(alpha, beta)
        return Prior(fam, mu=mean, nu=alpha + beta) if "nu" in first else Prior(fam, mu=mean, sigma=sd)
    if fam == "InverseGamma" and all(set(p.parameters) == {"alpha", "beta"} for p in priors):
        ab = np.array([(float(p.parameters["alpha"]), float(p.parameters["beta"])) for p in priors])
        return Prior(fam, alpha=float(np.sum(a * (ab[:, 0] + 1)) - 1), beta=float(np.sum(a * ab[:, 1])))
    if fam == "Exponential" and all(set(p.parameters) == {"lam"} for p in priors):
        return Prior(fam, lam=float(np.sum(a * np.array([float(p.parameters["lam"]) for p in priors]))))
    if fam == "Dirichlet":
        arr = np.array([np.asarray(p.parameters["a"], dtype=float) for p in priors])
        return Prior(fam, a=(np.sum(a[:, None] * (arr - 1), axis=0) + 1).tolist())
    if all(p == priors[0] for p in priors):
        return priors[0]
    return None


def log_pool_lens(lenses: Sequence[Lens], weights: Sequence[float] | None = None, name: str = "log_pool") -> tuple[Lens, list[str]]:
    """Pool ``lenses``' priors logarithmically into a lens, where closed forms exist.

    Returns the lens and the fitted priors that had no closed form (they keep the first
    lens's prior in the returned lens; :func:`log_pool` reaches their exact weighted
    log density by reweighting). Forecast-only priors must have a closed form.
    """
    a = normalise_weights(weights, len(lenses))
    out = lenses[0].derive(
        name, summary="Logarithmic pool of " + ", ".join(f"{lens.name} ({w:.2f})" for lens, w in zip(lenses, a, strict=True))
    )
    open_ = []
    for k in lenses[0].priors:
        pooled = log_pool_prior([lens.priors[k].prior for lens in lenses], a)
        if pooled is None:
            if is_forecast_prior(k):
                raise SpecError(
                    f"{k}: no closed-form logarithmic pool for these priors "
                    f"({', '.join(sorted({lens.priors[k].prior.distribution for lens in lenses}))}); use the same family in every lens"
                )
            open_.append(k)
            continue
        if pooled != out.priors[k].prior:
            out = out.with_prior(k, pooled, reason="logarithmic pool of " + ", ".join(lens.name for lens in lenses))
    return out, open_


def _log_target(rw: Reweighter, lenses: Sequence[Lens], a: np.ndarray, names: Sequence[str]) -> np.ndarray:
    total = np.zeros(rw.n)
    for k in names:
        x = rw.draws(k)
        total += sum(w * families.logpdf(lens.priors[k].prior, x) for w, lens in zip(a, lenses, strict=True))
    return total


def log_pool(
    proposals: Sequence[Reweighter],
    lenses: Sequence[Lens],
    weights: Sequence[float] | None = None,
    *,
    refits: RefitPool | None = None,
    replicate: bool = True,
    name: str = "log pool",
) -> LensForecast:
    """Forecast under the logarithmic pool of ``lenses``' priors.

    The pooled prior's log density (closed form where it exists, the weighted sum of the
    lenses' log densities otherwise) is reached by reweighting each available posterior
    (``proposals``: the base fit and any refits) and keeping the one with the lowest k̂;
    if none is reliable, the closed-form pooled lens is refitted (if ``refits`` allows).
    """
    a = normalise_weights(weights, len(lenses))
    pooled, open_ = log_pool_lens(lenses, a)
    fitted = [k for k in pooled.priors if k.split(".")[0] in FIT_GROUPS]
    best: tuple[Weights, Reweighter] | None = None
    proposals = [p for i, p in enumerate(proposals) if i == 0 or p.fit.diagnostics.passed or not proposals[0].fit.diagnostics.passed]
    for rw in proposals:
        target = _log_target(rw, lenses, a, open_) + sum(
            (families.logpdf(pooled.priors[k].prior, rw.draws(k)) for k in fitted if k not in open_), np.zeros(rw.n)
        )
        current = sum((rw.base_logp(k) for k in fitted), np.zeros(rw.n))
        w = psis(target - current)
        if best is None or coverage_key(w) < coverage_key(best[0]):
            best = (w, rw)
    assert best is not None
    w, rw = best
    seed = rw.seed
    if w.pareto_k > K_THRESHOLD:
        if open_:
            reason = f"priors without a closed-form pool ({', '.join(open_)}) cannot be refitted"
            return LensForecast.unreliable(name, pooled, w, reason, rw)
        new = refits.refit(fitted_changes(proposals[0].lens, pooled), why="logarithmic pool") if refits is not None else None
        if new is None:
            return LensForecast.unreliable(name, pooled, w, "no refit budget: not shown", rw)
        reuse = new.forecast if forecast_priors_equal(pooled, new.lens) else None
        fc, rep = forecasts(new.fit, pooled, list(rw.scenarios), seed, replicate, reuse=reuse)
        return LensForecast(
            name,
            pooled,
            new.fit,
            fc,
            None,
            "refit",
            w.pareto_k,
            w.ess,
            f"k̂ = {w.pareto_k:.2f} > {K_THRESHOLD}: the pooled lens was refitted warm",
            rw.year,
            list(rw.scenarios),
            rep,
        )
    fc, rep = forecasts(rw.fit, pooled, list(rw.scenarios), seed, replicate)
    src = "the base fit" if rw is proposals[0] else f"the refit made for {', '.join(sorted(fitted_changes(proposals[0].lens, rw.lens)))}"
    return LensForecast(
        name,
        pooled,
        rw.fit,
        fc,
        None if w.uniform else w.weights,
        "reweight",
        w.pareto_k,
        w.ess,
        f"reweighted {src}: k̂ = {w.pareto_k:.2f}, ESS {w.ess:.0f}",
        rw.year,
        list(rw.scenarios),
        rep,
    )
