"""Which assumptions move the forecast: power-scaling, one-at-a-time (tornado) and Sobol.

Three views, all computed from one fit without refitting (PSIS reweighting; refits only
where k̂ > 0.7 and a budget allows):

* :func:`power_scaling` — the power-scaling sensitivity diagnostic (Kallioinen et al.
  2024, via :func:`arviz.psens`): how much each posterior quantity moves when one prior
  group is made slightly stronger or weaker (``p(θ)^α``, α = 1 ± 0.01), and the same for
  the likelihood. A quantity sensitive to both its prior and the likelihood signals
  prior–data conflict; sensitive to the prior only, a weak likelihood.
* :func:`outcome_sensitivity` — each :class:`Assumption` (a prior's location or scale, a
  scenario probability, a war-state persistence) moved across a stated range, one at a
  time; :meth:`OutcomeSensitivity.tornado` ranks them for one headline probability.
* :func:`sobol_indices` — first-order and total Sobol indices (SALib, Saltelli/Jansen
  estimators) of the headline probabilities over the assumptions varied jointly, every
  evaluation a reweighting (so thousands take seconds); evaluations with k̂ > 0.7 are
  counted and reported.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr
from pymc_extras.prior import Prior

from hedgecast.dims import SAMPLE_DIMS
from hedgecast.plots.stress import plot_power_scaling, plot_sobol, plot_tornado  # re-exported: sens.plot_* as before
from hedgecast.priors.lenses import FIT_GROUPS, Lens, parameter_groups
from hedgecast.stress.reweight import K_THRESHOLD, Evaluation, RefitPool, Reweighter, psis, weighted_mean_se

__all__ = [
    "EFFECT_GROUPS",
    "Assumption",
    "OutcomeSensitivity",
    "PowerScaling",
    "SobolResult",
    "default_assumptions",
    "group_log_prior",
    "outcome_sensitivity",
    "plot_power_scaling",
    "plot_sobol",
    "plot_tornado",
    "power_scaling",
    "prior_variables",
    "sobol_indices",
]

EFFECT_GROUPS = ("beta", "leverage_shift", "cushion", "war_effect", "crisis_effect", "hazard_intercept", "hazard_friction", "hazard_ties")
"""Prior groups whose location and scale are stress-tested by default: the effects the papers argue about."""
SENSITIVITY_THRESHOLD = 0.05
"""Power-scaling sensitivity above which a prior (or the likelihood) counts as influential (Kallioinen et al.)."""
LOCATION = {
    "Normal": "mu",
    "StudentT": "mu",
    "Laplace": "mu",
    "Logistic": "mu",
    "Gumbel": "mu",
    "TruncatedNormal": "mu",
    "SkewNormal": "mu",
    "Cauchy": "alpha",
    "LogNormal": "mu",
    "Lognormal": "mu",
}
SCALE = {
    "Normal": "sigma",
    "StudentT": "sigma",
    "Laplace": "b",
    "Logistic": "s",
    "Gumbel": "beta",
    "TruncatedNormal": "sigma",
    "SkewNormal": "sigma",
    "Cauchy": "beta",
    "LogNormal": "sigma",
    "Lognormal": "sigma",
    "HalfNormal": "sigma",
    "HalfCauchy": "beta",
    "HalfStudentT": "sigma",
}
TORNADO_SCALE = (2 / 3, 3 / 2)
"""Tornado range of a scale assumption: the prior sd times 2/3 … 3/2 (wider ranges push k̂ past 0.7 for priors the data barely update)."""
PLAUSIBLE_LOCATION_SD = 3.0
PLAUSIBLE_SCALE = (0.25, 4.0)
PLAUSIBLE_PROBABILITY = (0.01, 0.99)
Progress = Callable[[str, float, float], None]


def _noop(desc: str, done: float, total: float) -> None:
    return None


# ------------------------------------------------------------------------------------
# assumptions
# ------------------------------------------------------------------------------------
def _prior_sd(prior: Prior) -> float:
    """Return the prior's standard deviation (its scale where the sd is infinite or undefined)."""
    p, d = prior.parameters, prior.distribution
    if d in ("Normal", "TruncatedNormal", "SkewNormal", "LogNormal", "Lognormal"):
        return float(p["sigma"]) if "sigma" in p else 1 / math.sqrt(float(p["tau"]))
    if d == "StudentT":
        s = float(p.get("sigma", 1.0))
        nu = float(p["nu"])
        return s * math.sqrt(nu / (nu - 2)) if nu > 2 else s
    if d == "Laplace":
        return float(p["b"]) * math.sqrt(2)
    if d == "Logistic":
        return float(p.get("s", 1.0)) * math.pi / math.sqrt(3)
    if d == "Gumbel":
        return float(p["beta"]) * math.pi / math.sqrt(6)
    if d == "Cauchy":
        return float(p["beta"])
    raise ValueError(f"no location assumption for a {d} prior")


@dataclass(frozen=True)
class Assumption:
    """One knob of one prior that a stress test moves.

    ``knob`` is ``location`` (the prior's mean; the value is the new location),
    ``scale`` (the value multiplies the prior's scale), ``mean`` (the mean of a Beta prior
    on a scenario probability, concentration kept) or ``persistence`` (the expected
    probability that a war state persists a year, in its Dirichlet transition row,
    concentration kept and the other states scaled in proportion).

    ``tornado`` is the one-at-a-time and Sobol range, ``plausible`` the wider range a
    "what would you have to believe" search may go to; ``unit`` turns a shift into
    prior standard deviations (for ``scale``, shifts are in doublings: log2 of the factor).
    """

    prior: str
    knob: str
    base: float
    unit: float
    tornado: tuple[float, float]
    plausible: tuple[float, float]
    index: int = -1  # persistence: the state's own position in its transition row

    @property
    def name(self) -> str:
        return f"{self.prior} ({self.knob})"

    @property
    def is_forecast_only(self) -> bool:
        return self.knob in ("mean", "persistence")

    def coordinate(self, value: float) -> float:
        """Where ``value`` lies on the scale the knob is searched and sampled on (log2 for scale)."""
        return math.log2(value) if self.knob == "scale" else float(value)

    def value(self, coordinate: float) -> float:
        return 2.0**coordinate if self.knob == "scale" else float(coordinate)

    def shift(self, value: float) -> float:
        """Signed size of the move from the base: prior sds (location, mean, persistence) or doublings (scale)."""
        if self.knob == "scale":
            return math.log2(value)
        return (value - self.base) / self.unit

    def shift_text(self, value: float) -> str:
        if self.knob == "scale":
            return f"prior sd × {value:.2f}"
        return f"{self.shift(value):+.2f} prior sd"

    def apply(self, prior: Prior, value: float) -> Prior:
        """``prior`` with this knob set to ``value`` (other parameters kept)."""
        p = dict(prior.parameters)
        d = prior.distribution
        if self.knob == "location":
            p[LOCATION[d]] = float(value)
        elif self.knob == "scale":
            if d in SCALE and SCALE[d] in p:
                p[SCALE[d]] = float(p[SCALE[d]]) * float(value)
            elif "tau" in p:
                p["tau"] = float(p["tau"]) / float(value) ** 2
            elif "lam" in p:
                p["lam"] = float(p["lam"]) / float(value) ** 2
            else:
                raise ValueError(f"no scale parameter in {d}({p})")
        elif self.knob == "mean":
            a, b = _beta_params(prior)
            kappa = a + b
            p = {"alpha": float(value) * kappa, "beta": (1 - float(value)) * kappa}
        elif self.knob == "persistence":
            a = np.asarray(p["a"], dtype=float)
            j = self.index
            m = a[j] / a.sum()
            new = a * (1 - float(value)) / (1 - m)
            new[j] = float(value) * a.sum()
            p = {"a": new.tolist()}
        else:  # pragma: no cover - validated at construction
            raise ValueError(self.knob)
        return Prior(d, **p)

    def describe(self, value: float) -> str:
        if self.knob == "scale":
            return f"scale × {value:.3g}"
        return f"{self.knob} {self.base:.3g} → {value:.3g} ({self.shift(value):+.2f} prior sd)"


def _beta_params(prior: Prior) -> tuple[float, float]:
    p = prior.parameters
    if "alpha" in p and "beta" in p:
        return float(p["alpha"]), float(p["beta"])
    mu = float(p["mu"])
    kappa = float(p["nu"]) if "nu" in p else mu * (1 - mu) / float(p["sigma"]) ** 2 - 1
    return mu * kappa, (1 - mu) * kappa


def _clip(x: float, lo: float, hi: float) -> float:
    return min(max(x, lo), hi)


def default_assumptions(
    lens: Lens, groups: Sequence[str] = EFFECT_GROUPS, *, scale: bool = True, forecast: bool = True
) -> list[Assumption]:
    """List the assumptions a stress test moves.

    They are the location (and scale) of every effect prior, the mean of every
    scenario-probability prior and the persistence of every war state.

    Ranges: location ± 1 prior sd (tornado) and ± 3 sd (plausible); scale × 2/3 … 3/2
    (tornado) and × 1/4 … 4 (plausible); probabilities ± 1 prior sd (tornado) and
    0.01 … 0.99 (plausible).
    """
    out: list[Assumption] = []
    for name, lp in lens.priors.items():
        group = name.split(".")[0]
        prior = lp.prior
        if group in groups and group in FIT_GROUPS:
            if prior.distribution in LOCATION:
                mu, sd = float(prior.parameters[LOCATION[prior.distribution]]), _prior_sd(prior)
                out.append(
                    Assumption(
                        name, "location", mu, sd, (mu - sd, mu + sd), (mu - PLAUSIBLE_LOCATION_SD * sd, mu + PLAUSIBLE_LOCATION_SD * sd)
                    )
                )
            if scale and prior.distribution in SCALE:
                out.append(Assumption(name, "scale", 1.0, 1.0, TORNADO_SCALE, PLAUSIBLE_SCALE))
        elif forecast and group == "scenario_probability" and prior.distribution == "Beta":
            a, b = _beta_params(prior)
            m, sd = a / (a + b), math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
            out.append(Assumption(name, "mean", m, sd, (_clip(m - sd, 0.02, 0.98), _clip(m + sd, 0.02, 0.98)), PLAUSIBLE_PROBABILITY))
        elif forecast and group == "war_transition":
            state = name.split(".", 1)[1]
            future = lens.spec.future_war_states
            if state not in future:
                continue
            a = np.asarray(prior.parameters["a"], dtype=float)
            j = future.index(state)
            m = a[j] / a.sum()
            sd = math.sqrt(m * (1 - m) / (a.sum() + 1))
            out.append(
                Assumption(name, "persistence", m, sd, (_clip(m - sd, 0.02, 0.98), _clip(m + sd, 0.02, 0.98)), PLAUSIBLE_PROBABILITY, j)
            )
    return out


def changes_for(lens: Lens, settings: Mapping[Assumption, float]) -> dict[str, Prior]:
    """Return the priors that result from setting each assumption to its value (knobs of one prior combine)."""
    out: dict[str, Prior] = {}
    for a, v in settings.items():
        out[a.prior] = a.apply(out.get(a.prior, lens.priors[a.prior].prior), v)
    return out


def evaluate(
    rw: Reweighter, settings: Mapping[Assumption, float], *, forecast_priors: str = "rerun", scenarios: Sequence[str] | None = None
) -> Evaluation:
    """Headline probabilities with the assumptions set to the given values (reweighting / re-run)."""
    return rw.evaluate(changes_for(rw.lens, settings), forecast_priors=forecast_priors, scenarios=scenarios)


# ------------------------------------------------------------------------------------
# one at a time: outcome sensitivity and the tornado
# ------------------------------------------------------------------------------------
@dataclass
class OutcomeSensitivity:
    """Headline probabilities with each assumption moved across its tornado range, one at a time."""

    points: pd.DataFrame  # one row per assumption × value × scenario × metric
    base: pd.DataFrame  # scenario × metric: base probability and MC SE
    assumptions: list[Assumption]
    refits: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def tornado(self, scenario: str, metric: str) -> pd.DataFrame:
        """One row per assumption: the probability at both ends, whether each end is reliable, the swing.

        An end whose reweighting had k̂ > 0.7 and was not refitted is not reported (NaN);
        ``swing`` is then the range spanned by what is known (base and reliable ends),
        and ``complete`` is False.
        """
        base = float(self.base.query("scenario == @scenario and metric == @metric")["probability"].iloc[0])
        rows = []
        pts = self.points.query("scenario == @scenario and metric == @metric and position in ['low', 'high']")
        for a in self.assumptions:
            sub = pts[pts["assumption"] == a.name]
            row = {"assumption": a.name, "prior": a.prior, "knob": a.knob, "base": base}
            known = [base]
            for end in ("low", "high"):
                r = sub[sub["position"] == end]
                if r.empty:
                    continue
                r = r.iloc[0]
                p = r["probability"] if r["reliable"] else np.nan
                row.update(
                    {
                        f"{end}_value": r["value"],
                        f"{end}_shift": r["shift"],
                        f"p_{end}": p,
                        f"k_{end}": r["pareto_k"],
                        f"method_{end}": r["method"],
                        f"reliable_{end}": bool(r["reliable"]),
                        f"mcse_{end}": r["mcse"],
                    }
                )
                if r["reliable"]:
                    known.append(p)
            row["swing"] = max(known) - min(known)
            row["complete"] = bool(row.get("reliable_low", False) and row.get("reliable_high", False))
            rows.append(row)
        return pd.DataFrame(rows).sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)

    def top(self, scenario: str, metric: str, k: int = 3) -> list[str]:
        return list(self.tornado(scenario, metric)["assumption"].head(k))

    def to_dict(self) -> dict:
        return {
            "points": _records(self.points),
            "base": _records(self.base),
            "refits": self.refits,
            "seconds": self.seconds,
        }


def _records(df: pd.DataFrame) -> list[dict]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append(
            {
                k: (None if isinstance(v, float) and not np.isfinite(v) else (v.item() if isinstance(v, np.generic) else v))
                for k, v in rec.items()
            }
        )
    return out


def _positions(a: Assumption, n_points: int) -> list[tuple[str, float]]:
    lo, hi = (a.coordinate(v) for v in a.tornado)
    base = a.coordinate(a.base)
    out = [("low", a.value(lo)), ("high", a.value(hi))]
    for i in range(1, (n_points - 3) // 2 + 1):
        f = i / ((n_points - 3) // 2 + 1)
        out.append((f"low_{i}", a.value(base + f * (lo - base))))
        out.append((f"high_{i}", a.value(base + f * (hi - base))))
    return out


def outcome_sensitivity(
    rw: Reweighter,
    assumptions: Sequence[Assumption],
    *,
    metrics: Sequence[str],
    n_points: int = 3,
    refits: RefitPool | None = None,
    progress: Progress = _noop,
) -> OutcomeSensitivity:
    """Move each assumption across its tornado range (``n_points`` values incl. the base).

    Every value is a reweighting (forecast-only priors: of the forecast's own draws of
    them, scenario by scenario), re-run exactly for forecast-only priors when k̂ > 0.7. Ends
    whose k̂ exceeds 0.7 are refitted while ``refits`` has budget, the most promising
    first (the largest unreliable move of the first metric in the first scenario); the
    rest are kept but marked unreliable, and never reported as numbers.
    """
    t0 = time.perf_counter()
    base = rw.base()
    scen = rw.scenarios
    base_rows = [{"scenario": s, "metric": m, "probability": base.value(m, s), "mcse": base.se(m, s)} for s in scen for m in metrics]
    rows: list[dict] = []
    evals: list[tuple[Assumption, str, float, Evaluation]] = []
    total = len(assumptions)
    for i, a in enumerate(assumptions):
        progress(f"Outcome sensitivity: {a.name}", i, total)
        for pos, v in _positions(a, n_points):
            ev = evaluate(rw, {a: v}, forecast_priors="reweight")
            if a.is_forecast_only and not ev.reliable:
                ev = evaluate(rw, {a: v}, forecast_priors="rerun")  # exact, and cheap enough for a few points
            evals.append((a, pos, v, ev))
    progress("Outcome sensitivity: refitting unreliable ends", total, total)
    if refits is not None and refits.left > 0:
        m0, s0 = metrics[0], scen[0]
        bad = [(i, e) for i, e in enumerate(evals) if not e[3].reliable and e[1] in ("low", "high")]
        bad.sort(key=lambda ie: -abs(ie[1][3].value(m0, s0) - base.value(m0, s0)))
        for i, (a, pos, v, _ev) in bad:
            new = refits.evaluate(changes_for(rw.lens, {a: v}), why=f"tornado: {a.name} at the {pos} end (k̂ > {K_THRESHOLD})")
            if new is None:
                break
            evals[i] = (a, pos, v, new)
    for a, pos, v, ev in evals:
        for s in scen:
            for m in metrics:
                rows.append(
                    {
                        "assumption": a.name,
                        "prior": a.prior,
                        "knob": a.knob,
                        "position": pos,
                        "value": v,
                        "shift": a.shift(v),
                        "scenario": s,
                        "metric": m,
                        "probability": ev.value(m, s),
                        "mcse": ev.se(m, s),
                        "pareto_k": ev.pareto_k,
                        "ess": ev.ess,
                        "method": ev.method,
                        "reliable": ev.reliable,
                    }
                )
    return OutcomeSensitivity(
        pd.DataFrame(rows), pd.DataFrame(base_rows), list(assumptions), list(refits.records) if refits else [], time.perf_counter() - t0
    )




# ------------------------------------------------------------------------------------
# Sobol indices over the assumptions jointly
# ------------------------------------------------------------------------------------
@dataclass
class SobolResult:
    """First-order (S1) and total (ST) Sobol indices of the headline probabilities."""

    indices: pd.DataFrame  # scenario, metric, assumption, S1, S1_conf, ST, ST_conf, variance
    assumptions: list[str]
    n_base: int
    n_evaluations: int
    n_unreliable: int
    max_pareto_k: float
    seconds: float

    @property
    def share_unreliable(self) -> float:
        return self.n_unreliable / self.n_evaluations if self.n_evaluations else 0.0

    def table(self, scenario: str, metric: str) -> pd.DataFrame:
        return self.indices.query("scenario == @scenario and metric == @metric").sort_values("ST", ascending=False).reset_index(drop=True)

    def to_dict(self) -> dict:
        return {
            "assumptions": self.assumptions,
            "n_base": self.n_base,
            "n_evaluations": self.n_evaluations,
            "n_unreliable": self.n_unreliable,
            "share_unreliable": self.share_unreliable,
            "max_pareto_k": self.max_pareto_k,
            "seconds": self.seconds,
            "indices": _records(self.indices),
        }


def sobol_indices(
    rw: Reweighter,
    assumptions: Sequence[Assumption],
    *,
    metrics: Sequence[str],
    n: int = 256,
    seed: int = 2026,
    progress: Progress = _noop,
) -> SobolResult:
    """Sobol indices over ``assumptions`` varied jointly and uniformly over their tornado ranges.

    ``n`` base samples (a power of two) give ``n (D + 2)`` evaluations (Saltelli scheme,
    no second-order terms); each is a reweighting (forecast-only priors too, per
    scenario), so thousands take seconds. Evaluations with k̂ > 0.7 are used but counted:
    :attr:`SobolResult.share_unreliable` says how far to trust the indices.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    t0 = time.perf_counter()
    names = [a.name for a in assumptions]
    bounds = [[a.coordinate(a.tornado[0]), a.coordinate(a.tornado[1])] for a in assumptions]
    problem = {"num_vars": len(assumptions), "names": names, "bounds": bounds}
    X = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    Q, S = len(metrics), len(rw.scenarios)
    qi = [rw.quantities.index(m) for m in metrics]
    Y = np.empty((len(X), Q, S))
    ks = np.empty(len(X))
    step = max(1, len(X) // 50)
    for i, x in enumerate(X):
        if i % step == 0:
            progress("Sobol indices", i, len(X))
        Y[i], ks[i] = rw.values(changes_for(rw.lens, {a: a.value(c) for a, c in zip(assumptions, x, strict=True)}), qi)
    progress("Sobol indices", len(X), len(X))
    rows = []
    for qj, m in enumerate(metrics):
        for sj, s in enumerate(rw.scenarios):
            y = Y[:, qj, sj]
            var = float(np.var(y))
            if not np.isfinite(var) or var < 1e-14:
                res = {k: np.zeros(len(names)) for k in ("S1", "S1_conf", "ST", "ST_conf")}
            else:
                with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    res = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=200, seed=seed)
            for j, a in enumerate(names):
                rows.append(
                    {
                        "scenario": s,
                        "metric": m,
                        "assumption": a,
                        "S1": float(res["S1"][j]),
                        "S1_conf": float(res["S1_conf"][j]),
                        "ST": float(res["ST"][j]),
                        "ST_conf": float(res["ST_conf"][j]),
                        "variance": var,
                    }
                )
    finite = ks[np.isfinite(ks)]
    return SobolResult(
        pd.DataFrame(rows),
        names,
        n,
        len(X),
        int(np.sum(ks > K_THRESHOLD)),
        float(finite.max()) if finite.size else float("nan"),
        time.perf_counter() - t0,
    )




# ------------------------------------------------------------------------------------
# power-scaling sensitivity
# ------------------------------------------------------------------------------------
def _element_names(lens: Lens, groups: Sequence[str]) -> list[str]:
    return [n for n in lens.priors if n.split(".")[0] in groups]


def prior_variables(log_prior: xr.Dataset, group: str) -> list[str]:
    """The model variables that hold prior group ``group``: ``group`` itself, or one per family
    (``group_Normal``, ``group_StudentT`` …) when a lens mixes families within the group.
    """
    return [str(v) for v in log_prior.data_vars if v == group or (str(v).startswith(group + "_") and str(v)[len(group) + 1 :][:1].isupper())]


def group_log_prior(idata: az.InferenceData, groups: Sequence[str]) -> xr.Dataset:
    """Log prior density per draw of each prior group, summed over its elements.

    Read from the fit's ``log_prior`` group, which the PyMC model computed itself.
    """
    lp = idata.log_prior
    out = {}
    for g in groups:
        names = prior_variables(lp, g)
        if names:
            out[g] = sum(lp[v].sum([d for d in lp[v].dims if d not in SAMPLE_DIMS]) for v in names)
    return xr.Dataset(out)


@dataclass
class PowerScaling:
    """Power-scaling sensitivity of the posterior to each prior group and to the likelihood."""

    table: pd.DataFrame  # per posterior quantity: prior (all), likelihood, diagnosis, dominant prior group and its sensitivity
    matrix: pd.DataFrame  # prior group (rows) × posterior group (columns): largest sensitivity over the column group's elements
    headline: pd.DataFrame  # prior group × scenario × metric: dP / dlog2(alpha), with k̂ of the scaling weights
    delta: float

    @property
    def conflicts(self) -> pd.DataFrame:
        return self.table[self.table["diagnosis"] == "prior-data conflict"]

    def to_dict(self) -> dict:
        return {
            "delta": self.delta,
            "table": _records(self.table),
            "matrix": {str(k): {str(c): _f(v) for c, v in row.items()} for k, row in self.matrix.iterrows()},
            "headline": _records(self.headline),
        }


def _f(v) -> float | None:
    return None if v is None or not np.isfinite(v) else float(v)


def _flatten_sens(ds: xr.Dataset, lens: Lens) -> dict[str, float]:
    groups = parameter_groups(lens.spec)
    out: dict[str, float] = {}
    for var, da in ds.data_vars.items():
        dims, elems = groups.get(str(var), ((), [()]))
        if not da.dims:
            out[str(var)] = float(da)
            continue
        for c in elems:
            out[".".join((str(var), *c))] = float(da.sel(dict(zip(dims, c, strict=True))))
    return out


def _psens(idata: az.InferenceData, component: str, var_names: list[str], component_var_names=None, delta: float = 0.01) -> xr.Dataset:
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        out = az.psens(idata, component=component, component_var_names=component_var_names, var_names=var_names, delta=delta)
    if isinstance(out, xr.DataArray):  # one variable comes back as a DataArray
        out = out.to_dataset(name=var_names[0])
    return out


def power_scaling(
    fit,
    rw: Reweighter | None = None,
    *,
    groups: Sequence[str] = FIT_GROUPS,
    metrics: Sequence[str] = (),
    delta: float = 0.01,
    progress: Progress = _noop,
) -> PowerScaling:
    """Power-scaling sensitivity (Kallioinen et al. 2024) of every fitted parameter.

    For each prior group (and for all priors together, and the likelihood) the component
    is raised to α = 1/(1+δ) and 1+δ by importance weighting and the cumulative
    Jensen–Shannon distance of every parameter's posterior is differentiated in log2 α
    (:func:`arviz.psens`). ``diagnosis`` follows the paper: sensitive (≥ 0.05) to both
    prior and likelihood is a prior–data conflict; to the prior only, a strong prior /
    weak likelihood. With ``rw`` and ``metrics``, also how fast each headline probability
    moves when one prior group is power-scaled (dP / dlog2 α).
    """
    lens = fit.lens
    idata = fit.idata
    if "log_prior" not in idata.groups() or "log_likelihood" not in idata.groups():
        raise ValueError("power-scaling needs the fit's log_prior and log_likelihood groups (every fit since 0.2 has them)")
    post = idata.posterior
    groups = [g for g in groups if prior_variables(idata.log_prior, g)]
    var_names = [g for g in groups if g in post]
    components = {g: prior_variables(idata.log_prior, g) for g in groups}
    lp = group_log_prior(idata, groups)
    # the lens's priors only: the latent path's per-year shocks are the state process, not a prior
    lens_priors = [v for g in groups for v in components[g]]
    steps = len(groups) + 2
    progress("Power-scaling: all priors", 0, steps)
    prior_all = _flatten_sens(_psens(idata, "prior", var_names, lens_priors, delta), lens)
    progress("Power-scaling: likelihood", 1, steps)
    lik = _flatten_sens(_psens(idata, "likelihood", var_names, None, delta), lens)
    per_group: dict[str, dict[str, float]] = {}
    head_rows = []
    for i, g in enumerate(groups):
        progress(f"Power-scaling: prior {g}", 2 + i, steps)
        per_group[g] = _flatten_sens(_psens(idata, "prior", var_names, components[g], delta), lens)
        if rw is not None and metrics:
            lpg = lp[g].transpose("chain", "draw").values.ravel()
            lo, hi = psis((1 / (1 + delta) - 1) * lpg), psis(delta * lpg)
            for s in rw.scenarios:
                j = rw.scenarios.index(s)
                for m in metrics:
                    q = rw.indicators[rw.quantities.index(m), j]
                    p_lo, _ = weighted_mean_se(q, lo.weights)
                    p_hi, _ = weighted_mean_se(q, hi.weights)
                    head_rows.append(
                        {
                            "prior_group": g,
                            "scenario": s,
                            "metric": m,
                            "dP_dlog2alpha": float(p_hi - p_lo) / (2 * math.log2(1 + delta)),
                            "pareto_k": max(_nz(lo.pareto_k), _nz(hi.pareto_k)),
                        }
                    )
    rows = []
    for q in prior_all:
        dom = max(per_group, key=lambda g: per_group[g].get(q, -np.inf))
        ps, ls = prior_all[q], lik[q]
        if ps >= SENSITIVITY_THRESHOLD and ls >= SENSITIVITY_THRESHOLD:
            diag = "prior-data conflict"
        elif ps >= SENSITIVITY_THRESHOLD:
            diag = "strong prior / weak likelihood"
        else:
            diag = ""
        rows.append(
            {
                "parameter": q,
                "group": q.split(".")[0],
                "prior": ps,
                "likelihood": ls,
                "diagnosis": diag,
                "dominant_prior": dom,
                "dominant_sensitivity": per_group[dom].get(q, np.nan),
            }
        )
    table = pd.DataFrame(rows)
    matrix = pd.DataFrame(
        {col: {g: max(v for k, v in per_group[g].items() if k.split(".")[0] == col) for g in groups} for col in var_names}
    ).reindex(groups)
    progress("Power-scaling", steps, steps)
    return PowerScaling(table, matrix, pd.DataFrame(head_rows), delta)


def _nz(k: float) -> float:
    return -np.inf if not np.isfinite(k) else k




def with_tornado(a: Assumption, lo: float, hi: float) -> Assumption:
    """Copy ``a`` with another tornado range."""
    return replace(a, tornado=(lo, hi))
