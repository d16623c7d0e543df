"""Why the number moved: each headline probability's change from fit A to fit B, split among its causes.

The causes are the players of :mod:`hedgecast.stress.change_players` (prior edits, data,
scenario definition, code). For every coalition ``S`` of them, ``v(S)`` is the headline
probability with the changes in ``S`` made and the others not; exact Shapley values
(:mod:`hedgecast.stress.shapley`) split ``v(all) − v(none)`` additively among the players.

How a coalition is evaluated, from the fewest new computations:

* **prior edits** reweight a posterior with PSIS (:mod:`hedgecast.stress.psis`, the weights of
  :class:`~hedgecast.stress.reweight.Reweighter`) while k̂ ≤ 0.7; beyond, the lens is refitted
  with the same sampler settings and seed (the refit of :func:`hedgecast.stress.refits`'s kind);
  forecast-only priors (war transitions, scenario probabilities) re-run the forecast;
* **data** change the model's dimensions, so coalitions with the data start from fit B's
  posterior (B's data), with B's edits that are not in the coalition reweighted back (or
  refitted), and coalitions without it from fit A's;
* **the scenario definition** (the spec's scenarios and class rules) re-runs the forecast;
* **code** cannot be re-run as it was: its effect is the forecast of A's posterior by today's
  code minus A's saved forecast, taken to add to the others (it is reported, not hidden).

Every forecast uses one seed (run A's), so every coalition shares the forecast's random
numbers draw for draw: differences between coalitions are not Monte Carlo noise. Each
contribution is a fixed linear combination of coalition values, and its Monte Carlo error is
that of the combination over draws paired by index (the delta method for self-normalised
weights; autocorrelation ignored). The table sums to the total change exactly: what the
players do not explain — run B's own draws against their reconstruction — is a row of its own,
with its error, and a change between runs that differ only in sampler settings is all that row.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from hedgecast.forecasting.forecast import forecast as run_forecast
from hedgecast.model.fit import diagnose, sample_posterior
from hedgecast.stress.attribution_result import Attribution
from hedgecast.stress.change_players import Player, changes_between, lens_for, players_of
from hedgecast.stress.changes import is_forecast_prior
from hedgecast.stress.draws import headline_draws
from hedgecast.stress.progress import Progress, no_progress
from hedgecast.stress.psis import K_THRESHOLD
from hedgecast.stress.reweight import Reweighter
from hedgecast.stress.shapley import coalitions, shapley_matrix

if TYPE_CHECKING:  # pragma: no cover
    from hedgecast.forecasting.forecast import Forecast

__all__ = ["REFERENCE_SCENARIO", "Attribution", "Draws", "combination", "explain_change", "headline_values"]

REFERENCE_SCENARIO = "status_quo"
"""The scenario explained by default (the forecast of record), when both specs have it."""


@dataclass
class Draws:
    """Per-draw headline indicators ``(quantity, scenario, draw)`` with the (normalised) weight of each draw."""

    values: np.ndarray
    weights: np.ndarray
    method: str = "forecast"
    pareto_k: float = float("nan")

    @classmethod
    def of(cls, values: np.ndarray, method: str = "forecast") -> Draws:
        n = values.shape[-1]
        return cls(values, np.full(n, 1.0 / n), method)

    @property
    def mean(self) -> np.ndarray:
        return self.values @ self.weights


def combination(terms: Sequence[tuple[float, Draws]]) -> tuple[np.ndarray, np.ndarray]:
    """``Σ c · mean`` over ``terms`` and its Monte Carlo standard error.

    Terms with the same number of draws are paired draw for draw (common random numbers): the
    error is that of ``Σ_j (Σ c w_j (f_j − mean))``; groups of other sizes add as independent.
    """
    mean = sum(c * d.mean for c, d in terms)
    by_n: dict[int, list[tuple[float, Draws]]] = {}
    for c, d in terms:
        if c != 0:
            by_n.setdefault(d.weights.size, []).append((c, d))
    var = np.zeros_like(np.asarray(mean, dtype=float))
    for group in by_n.values():
        influence = sum(c * d.weights * (d.values - d.mean[..., None]) for c, d in group)
        var = var + np.sum(influence**2, axis=-1)
    return np.asarray(mean, dtype=float), np.sqrt(var)


def headline_values(fc: Forecast, years: Sequence[int], scenarios: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Return the headline quantities in ``years`` (the rupture event first, then each class) and their per-draw values ``(Q, S, n)``."""
    names, parts = [], []
    for y in years:
        da = headline_draws(fc, y, list(scenarios))
        order = [len(da["quantity"]) - 1, *range(len(da["quantity"]) - 1)]  # the rupture event first
        names += [str(da["quantity"].values[i]) for i in order]
        parts.append(da.values[order])
    return names, np.concatenate(parts, axis=0)


class _Coalitions:
    """Evaluates coalitions of changes, with caches of bases, refits and forecasts."""

    def __init__(self, fit_a: Any, fit_b: Any, players: list[Player], scenarios, years, seed: int, progress: Progress, k_threshold: float):
        self.a, self.b, self.players = fit_a, fit_b, players
        self.scenarios, self.years, self.seed = list(scenarios), list(years), seed
        self.progress, self.k_threshold = progress, k_threshold
        self.settings = fit_a.settings
        self.cost = {"reweightings": 0, "refits": 0, "refit_s": 0.0, "forecasts": 0, "forecast_s": 0.0}
        self._fc: dict = {}
        self._refits: dict = {}
        self._rw: dict = {}
        self._base_b: Any | None = None
        self._specs: dict = {}
        self.quantities: list[str] = []

    @staticmethod
    def n_draws(fit: Any) -> int:
        return fit.idata.posterior.sizes["chain"] * fit.idata.posterior.sizes["draw"]

    def refit(self, lens, base: Any, why: str) -> Any:
        key = (id(base), tuple(sorted((n, repr(lp.prior)) for n, lp in lens.priors.items() if not is_forecast_prior(n))))
        if key not in self._refits:
            self.progress(f"refitting ({why})", self.cost["refits"], self.cost["refits"] + 1)
            t0 = time.perf_counter()
            idata = sample_posterior(base.spec, lens, base.inputs, self.settings)
            diag = diagnose(idata, idata.attrs["free_rvs"])
            self.cost["refit_s"] += time.perf_counter() - t0
            self.cost["refits"] += 1
            self._refits[key] = dataclasses.replace(
                base,
                lens=lens,
                idata=idata,
                diagnostics=diag,
                settings=self.settings,
                reused_from=None,
                reweighting=None,
                notes=[],
                _forecasts={},
            )
        return self._refits[key]

    def base(self, data: bool) -> Any:
        """Fit A's posterior, or (with the data) fit B's — refitted with A's sampler settings if its draw count differs."""
        if not data:
            return self.a
        if self._base_b is None:
            same = self.n_draws(self.b) == self.n_draws(self.a)
            self._base_b = self.b if same else self.refit(self.b.lens, self.b, "B's data with A's draw count")
        return self._base_b

    def spec_for(self, base: Any, scenarios_from_b: bool):
        """``base``'s spec with the scenarios and class rules of run B's spec (or A's); one object per choice."""
        key = (id(base), scenarios_from_b)
        if key not in self._specs:
            src = self.b.spec if scenarios_from_b else self.a.spec
            same = base.spec.scenarios == src.scenarios and base.spec.trajectories == src.trajectories
            self._specs[key] = base.spec if same else dataclasses.replace(base.spec, scenarios=src.scenarios, trajectories=src.trajectories)
        return self._specs[key]

    def forecast(self, post: Any, lens, spec) -> np.ndarray:
        """Per-draw headline indicators of ``post`` forecast with ``lens``'s forecast-only priors under ``spec`` (cached)."""
        key = (id(post), id(spec), tuple(sorted((n, repr(lp.prior)) for n, lp in lens.priors.items() if is_forecast_prior(n))))
        if key not in self._fc:
            t0 = time.perf_counter()
            fc_lens = lens if lens.spec is spec else dataclasses.replace(lens, spec=spec)
            fc = run_forecast(post.idata, spec, fc_lens, post.inputs, self.scenarios, self.seed)
            self.quantities, self._fc[key] = headline_values(fc, self.years, self.scenarios)
            self.cost["forecast_s"] += time.perf_counter() - t0
            self.cost["forecasts"] += 1
            if lens is post.lens and spec is post.spec and id(post) not in self._rw:
                self._rw[id(post)] = Reweighter(post, fc, year=self.years[0], scenarios=self.scenarios)
        return self._fc[key]

    def reweighter(self, base: Any) -> Reweighter:
        """PSIS weights of ``base``'s draws for edited priors (a Reweighter on the forecast of ``base`` as it is)."""
        if id(base) not in self._rw:
            fc = run_forecast(base.idata, base.spec, base.lens, base.inputs, self.scenarios, self.seed)
            self.cost["forecasts"] += 1
            self._rw[id(base)] = Reweighter(base, fc, year=self.years[0], scenarios=self.scenarios)
        return self._rw[id(base)]

    def evaluate(self, members: frozenset[int]) -> Draws:
        ps = [self.players[i] for i in members]
        data = any(p.kind == "data" for p in ps)
        scen_b = any(p.kind == "scenarios" for p in ps)
        edits = [n for p in ps if p.kind == "prior" for n in p.priors]
        base = self.base(data)
        lens = lens_for(self.a.lens, self.b.lens, edits, from_b=data)
        spec = self.spec_for(base, scen_b)
        fitted = {
            n: lp.prior
            for n, lp in lens.priors.items()
            if not is_forecast_prior(n) and n in base.lens.priors and lp.prior != base.lens.priors[n].prior
        }
        post, method, k = base, ("B's posterior" if data else "A's posterior"), float("nan")
        n = self.n_draws(base)
        weights = np.full(n, 1.0 / n)
        if fitted:
            w = self.reweighter(base).weights(fitted)
            self.cost["reweightings"] += 1
            k = float(w.pareto_k)
            if k <= self.k_threshold:
                weights, method = w.weights, f"PSIS reweighting of {method} (k̂ = {k:.2f})"
            else:
                post = self.refit(lens, base, f"k̂ = {k:.2f} > {self.k_threshold}")
                method = f"refit (k̂ = {k:.2f} > {self.k_threshold})"
        values = self.forecast(post, lens, spec)
        return Draws(values, weights, method, k)


def explain_change(
    fit_a: Any,
    fit_b: Any,
    *,
    scenarios: Sequence[str] | None = None,
    years: Sequence[int] | None = None,
    saved_a: Forecast | None = None,
    saved_b: Forecast | None = None,
    code: str = "",
    labels: tuple[str, str] | None = None,
    progress: Progress = no_progress,
    k_threshold: float = K_THRESHOLD,
) -> Attribution:
    """Attribute the change of each headline probability from ``fit_a`` to ``fit_b`` to its causes (Shapley values).

    Parameters
    ----------
    fit_a, fit_b : hedgecast.workbench.Fit
        The two fits (e.g. two saved runs, :meth:`Workbench.load_fit`).
    scenarios : list of str, optional
        Scenarios to explain (default: the status quo, the forecast of record, if both specs
        have it, else their first common scenario).
    years : list of int, optional
        Headline years (default: the spec's ``headline_years`` both fits share).
    saved_a, saved_b : Forecast, optional
        The forecasts the two runs saved (default: each fit's forecast with its own seed).
    code : str
        How the code differs between the runs ("" if it does not): makes code a player.
    labels : (str, str), optional
        How to name the runs (default the lens names).
    progress : callable
        ``progress(description, done, total)``, called per coalition and per refit.
    k_threshold : float
        Reweight while Pareto k̂ is at most this; refit beyond.

    Returns
    -------
    Attribution
        Per scenario and quantity: each cause's contribution and Monte Carlo error, the
        remainder no cause explains, the cost (reweightings, refits, seconds).

    """
    t0 = time.perf_counter()
    spec_a, spec_b = fit_a.spec, fit_b.spec
    common = [s for s in spec_a.scenarios if s in spec_b.scenarios]
    if scenarios is None:
        scenarios = [REFERENCE_SCENARIO] if REFERENCE_SCENARIO in common else common[:1]
    missing = [s for s in scenarios if s not in common]
    if missing or not scenarios:
        raise ValueError(f"scenarios {missing or '(none)'} are not in both runs' specs; both have: {', '.join(common)}")
    shared = [y for y in (spec_a.headline_years or (spec_a.headline_year,)) if y in (spec_b.headline_years or (spec_b.headline_year,))]
    years = list(years) if years is not None else shared
    if not years:
        raise ValueError("the two runs' specs share no headline year: pass years=[...]")
    saved_a = saved_a if saved_a is not None else fit_a.forecast(list(scenarios))
    saved_b = saved_b if saved_b is not None else fit_b.forecast(list(scenarios))
    seed = int(saved_a.data.attrs.get("seed", fit_a.settings.seed))
    changes = changes_between(fit_a, fit_b, code=code)
    everyone = players_of(changes)
    players = [p for p in everyone if p.kind != "code"]
    work = _Coalitions(fit_a, fit_b, players, scenarios, years, seed, progress, k_threshold)
    subsets = coalitions(len(players))
    evals = []
    for j, members in enumerate(subsets):
        progress(f"coalition {j + 1} of {len(subsets)}", j, len(subsets))
        evals.append(work.evaluate(members))
    progress("coalitions done", len(subsets), len(subsets))
    names, a_vals = headline_values(saved_a, years, scenarios)
    start, end = Draws.of(a_vals, "run A as saved"), Draws.of(headline_values(saved_b, years, scenarios)[1], "run B as saved")
    m = shapley_matrix(len(players))
    contrib, contrib_se = [], []
    for i in range(len(players)):
        mean, se = combination([(c, e) for c, e in zip(m[i], evals, strict=True)])
        contrib.append(mean)
        contrib_se.append(se)
    explained = [(1.0, evals[-1]), (-1.0, evals[0])]
    notes = list(changes.notes)
    drift = float(np.max(np.abs(evals[0].mean - start.mean)))
    if not changes.code and drift > 1e-9:
        notes.append(
            f"today's forecast of run A's own draws differs from its saved forecast by up to {100 * drift:.1f} points "
            "(the code or the data on disk changed since): that part is in the remainder"
        )
    if changes.code:
        players = [*players, next(p for p in everyone if p.kind == "code")]
        mean, se = combination([(1.0, evals[0]), (-1.0, start)])  # today's code on A's draws minus A as saved
        contrib.append(mean)
        contrib_se.append(se)
        explained = [(1.0, evals[-1]), (-1.0, start)]
        notes.append(
            "code: the forecast of run A's posterior by today's code minus run A's saved forecast, "
            "taken to add to the other causes (old code cannot be re-run)"
        )
    _, total_se = combination([(1.0, end), (-1.0, start)])
    residual, residual_se = combination([(1.0, end), (-1.0, start)] + [(-c, e) for c, e in explained])
    if changes.unattributable:
        notes.append("not causes (their effect is Monte Carlo noise): " + "; ".join(changes.unattributable))
    if not players:
        notes.append("the runs differ in nothing a cause can be assigned to: the whole change is Monte Carlo noise")
    shape = (0, len(names), len(scenarios))
    cost = {**work.cost, "total_s": time.perf_counter() - t0, "coalitions": len(subsets)}
    label_a, label_b = labels or (fit_a.lens.name, fit_b.lens.name)
    return Attribution(
        label_a,
        label_b,
        players,
        names,
        list(scenarios),
        start.mean,
        end.mean,
        total_se,
        np.array(contrib) if contrib else np.zeros(shape),
        np.array(contrib_se) if contrib_se else np.zeros(shape),
        residual,
        residual_se,
        coalitions=[
            {
                "members": [players[i].label for i in sorted(s)],
                "method": e.method,
                "pareto_k": None if np.isnan(e.pareto_k) else e.pareto_k,
                "value": {f"{names[0]}, {sc}": float(e.mean[0, j]) for j, sc in enumerate(scenarios)},
            }
            for s, e in zip(subsets, evals, strict=True)
        ],
        cost=cost,
        changes=changes,
        notes=notes,
    )
