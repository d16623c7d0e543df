"""Forecasting: simulate the spec's forecast years for every scenario from the same posterior draws.

Vectorized over draws × scenarios; the only loop is over the ten forecast years (the
state recursion). Scenarios never trigger a refit, and every scenario sees the same
shocks, incidents' and escalations' random numbers and driver noise (common random numbers),
so the difference between two scenarios is the scenarios' difference, not Monte Carlo noise.
Each path-year holds its serious ``incidents`` and whether one escalated to a rupture
(``crisis``, 0/1), which hits the channels that year.
"""

from __future__ import annotations

from dataclasses import dataclass

import arviz as az
import numpy as np
import xarray as xr

from hedgecast import timing
from hedgecast.dims import SAMPLE_DIMS
from hedgecast.errors import SpecError
from hedgecast.forecasting.observed import count_flags, record_from_inputs, reference_problems
from hedgecast.forecasting.path_control import PathBefore, path_control
from hedgecast.forecasting.rule_variables import label_environment, path_events, path_values, rule_environment, rule_indicators
from hedgecast.forecasting.scenarios import activations, branch_key, common_noise, driver_paths, resolve, war_paths
from hedgecast.forecasting.simulate import draw_parameters, indicator_draws, simulate_states
from hedgecast.forecasting.trajectories import class_probabilities
from hedgecast.inputs.history import to_raw_units
from hedgecast.inputs.spec import ModelSpec
from hedgecast.model.equations import ModelInputs
from hedgecast.priors.lenses import Lens


def forecast_priors(lens: Lens, n: int, seed: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Draw the forecast-only priors: war transitions ``(n, from, to)``, scenario probabilities, and mixtures' branch probabilities."""
    spec = lens.spec
    rng = np.random.default_rng([seed, 1])
    rows = []
    for state in spec.future_war_states:
        a = np.asarray(lens.prior(f"war_transition.{state}").parameters["a"], dtype=float)
        rows.append(rng.dirichlet(a, size=n))
    transitions = np.stack(rows, axis=1)
    probs = {}
    for name in spec.uncertain_scenarios():
        prior = lens.prior(f"scenario_probability.{name}")
        probs[name] = _sample_unit(prior, rng, n)
    for name in spec.lens_mixtures():  # each draw's branch probabilities of a mixture: (n, branch)
        a = np.asarray(lens.prior(f"branch_probability.{name}").parameters["a"], dtype=float)
        probs[branch_key(name)] = rng.dirichlet(a, size=n)
    return transitions, probs


def _sample_unit(prior, rng: np.random.Generator, n: int) -> np.ndarray:
    p = prior.parameters
    if prior.distribution == "Beta":
        return rng.beta(p["alpha"], p["beta"], size=n)
    if prior.distribution == "Uniform":
        return rng.uniform(p.get("lower", 0.0), p.get("upper", 1.0), size=n)
    import pymc as pm

    return np.asarray(pm.draw(prior.pymc_distribution.dist(**p), draws=n, random_seed=rng))


def rupture_event_key(year: int) -> str:
    """The headline name of P(at least one rupture event by ``year``)."""
    return f"P(rupture event by {year})"


@dataclass
class Forecast:
    """Simulated futures with named dims, and the questions analysts ask of them."""

    data: xr.Dataset
    spec: ModelSpec

    @property
    def scenarios(self) -> list[str]:
        return list(self.data.scenario.values)

    def class_probabilities(self, years=None) -> xr.DataArray:
        """P(trajectory class), dims ``(trajectory, scenario, year)``; sums to 1 over ``trajectory``.

        ``years`` default to the spec's headline years.
        """
        labels = self.data["trajectory"].sel(year=list(self.spec.headline_years if years is None else years))
        labels.attrs["classes"] = self.spec.class_names
        return class_probabilities(labels)

    def p_rupture_event_by(self, year: int) -> xr.DataArray:
        """P(at least one rupture event — an escalated incident — from the first forecast year to ``year``), per scenario.

        A rupture event is the simulation's per-path-year ``crisis`` flag. This is a question
        of its own, apart from the classes: a path with a rupture event in 2026 that has
        recovered by 2030 counts here, while its 2030 class says where it is then.
        """
        hit = self.data["crisis"].sel(year=slice(None, year)).max("year")
        return hit.mean(SAMPLE_DIMS).rename("p_rupture_event")

    def p_crisis_by(self, year: int) -> xr.DataArray:
        """The same as :meth:`p_rupture_event_by` (its name before the classes were redefined)."""
        return self.p_rupture_event_by(year)

    def p_class_by_draw(self, name: str, year: int) -> xr.DataArray:
        """Indicator of class ``name`` at ``year`` per draw (for differences and reweighting)."""
        idx = self.spec.class_names.index(name)
        return (self.data["trajectory"].sel(year=year) == idx).astype(float)

    def headline(self, year: int | None = None) -> dict:
        """The numbers a report leads with, per scenario (at ``year``, default the spec's first headline year).

        ``P(<class>, <year>)`` for every class (where the relationship is in ``year``) and
        ``P(rupture event by <year>)`` (:meth:`p_rupture_event_by`).
        """
        year = self.spec.headline_year if year is None else year
        probs = self.class_probabilities((year,)).sel(year=year)
        events = self.p_rupture_event_by(year)
        out = {}
        for s in self.scenarios:
            out[s] = {f"P({c}, {year})": float(probs.sel(scenario=s, trajectory=c)) for c in self.spec.class_names}
            out[s][rupture_event_key(year)] = float(events.sel(scenario=s))
        return out

    def fan(self, var: str = "state", quantiles=(0.05, 0.25, 0.5, 0.75, 0.95)) -> xr.DataArray:
        """Quantiles over draws of ``state`` / ``indicator_value`` / ``driver_value``."""
        return self.data[var].quantile(list(quantiles), dim=list(SAMPLE_DIMS))

    def difference(self, a: str, b: str, year: int | None = None, trajectory: str = "rupture") -> dict:
        """P(class) under ``a`` minus under ``b`` at ``year`` (default the spec's first headline year), with a Monte Carlo SE.

        Both scenarios share every random number, so the paired difference is used.
        """
        year = self.spec.headline_year if year is None else year
        pa = self.p_class_by_draw(trajectory, year).sel(scenario=a).values.ravel()
        pb = self.p_class_by_draw(trajectory, year).sel(scenario=b).values.ravel()
        diff = pa - pb
        return {"difference": float(diff.mean()), "se": float(diff.std(ddof=1) / np.sqrt(len(diff)))}

    def rupture_event_difference(self, a: str, b: str, year: int | None = None) -> dict:
        """P(rupture event by ``year``) under ``a`` minus under ``b``, with its paired Monte Carlo SE."""
        year = self.spec.headline_year if year is None else year
        hit = self.data["crisis"].sel(year=slice(None, year)).max("year").astype(float)
        diff = (hit.sel(scenario=a) - hit.sel(scenario=b)).values.ravel()
        return {"difference": float(diff.mean()), "se": float(diff.std(ddof=1) / np.sqrt(len(diff)))}


@timing.timed("forecast")
def forecast(idata: az.InferenceData, spec: ModelSpec, lens: Lens, inputs: ModelInputs, scenarios: list[str] | None = None, seed: int = 2026) -> Forecast:
    """Simulate every scenario forward from the posterior draws in ``idata``.

    Parameters
    ----------
    idata : InferenceData
        A fit (its ``posterior`` group is read, never modified).
    scenarios : list of str, optional
        Scenario names; all of the spec's by default.
    seed : int
        Same posterior + same seed ⇒ identical forecasts, whatever scenarios are chosen.

    """
    names = list(scenarios) if scenarios is not None else list(spec.scenarios)
    resolved = [resolve(spec, s) for s in names]
    post = idata.posterior
    n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
    n = n_chain * n_draw
    years = [y for y in spec.forecast_years if y > inputs.years[-1]]
    if not years or years[0] != inputs.years[-1] + 1:
        years = list(range(inputs.years[-1] + 1, spec.forecast[1] + 1))
    F, C = len(years), len(spec.channel_names)
    K = len(spec.continuous_drivers)

    p = draw_parameters(post, spec)
    noise = common_noise(spec, p.nu, seed, F)
    transitions, scen_probs = forecast_priors(lens, n, seed)
    last_drivers = inputs.drivers[:, -1]
    start_state = spec.war_states[int(inputs.war_index[-1])]
    last_year = PathBefore(
        inputs.years[-1],
        np.broadcast_to(last_drivers, (n, K)),
        np.full(n, int(inputs.war_index[-1])),
        np.full(n, int(inputs.incidents[-1])),
        np.full(n, int(inputs.escalations[-1])),
    )

    record = record_from_inputs(spec, inputs)
    references = record.references()
    lacking = reference_problems(spec, record)
    if lacking:
        raise SpecError(lacking)
    rule_names_ = rule_indicators(spec.indicators)
    rule_cols = [spec.indicator_names.index(i) for i in rule_names_]
    rule_counts = count_flags(spec)
    indicator_scale = [(inputs.scaling.loc[name], spec.indicators[name].transform == "log1p") for name in spec.indicator_names]
    # one scenario at a time: the working set stays the size of one scenario, so time and
    # memory grow linearly with draws × scenarios
    S = len(resolved)
    states = np.empty((S, n, F, C))
    raw_ind = np.empty((S, n, F, len(spec.indicator_names)))
    drivers = np.empty((S, n, K, F))
    wars = np.empty((S, n, F), dtype=np.int16)
    crises = np.empty((S, n, F), dtype=np.int8)
    incidents = np.empty((S, n, F), dtype=np.int16)
    actives = np.empty((S, n), dtype=bool)
    labels = np.empty((S, n, F), dtype=np.int16)
    for si, sc in enumerate(resolved):
        parts = activations(spec, sc, scen_probs, seed, n)  # the scenario and each uncertain part, drawn per path
        active = parts[sc.name]
        x = driver_paths(spec, sc, last_drivers, noise, active, years, parts)
        w = war_paths(spec, sc, start_state, transitions, noise, active, years, parts)
        control = path_control(spec, sc, active, parts, noise, years, last_year)  # triggers and crisis interventions
        sim = simulate_states(p, spec, x, w, noise, inputs.driver_means, years, control)
        states[si], crises[si], incidents[si] = sim.states, sim.crises, sim.incidents
        drivers[si], wars[si], actives[si] = x, w, active
        z_ind = indicator_draws(p, spec, states[si], noise)
        for i, (scaling, counts) in enumerate(indicator_scale):
            raw_ind[si, ..., i] = to_raw_units(z_ind[..., i], scaling)
            if counts:  # counts: expm1 can dip below 0
                np.maximum(raw_ind[si, ..., i], 0.0, out=raw_ind[si, ..., i])
        joined, lead = path_values(raw_ind[si][..., rule_cols], record, rule_names_, rule_counts)
        env = rule_environment(joined, rule_names_, path_events(crises[si], record, lead), lead + np.arange(F), references)
        labels[si] = label_environment(spec.trajectories, env)

    def arr(a: np.ndarray, *dims: str) -> np.ndarray:
        # (scenario, n, ...) -> (chain, draw, scenario, ...)
        a = np.moveaxis(a, 0, 1)
        return a.reshape(n_chain, n_draw, *a.shape[1:])

    coords = {
        "chain": post.chain.values,
        "draw": post.draw.values,
        "scenario": names,
        "year": years,
        "channel": spec.channel_names,
        "indicator": spec.indicator_names,
        "driver": spec.continuous_drivers,
    }
    ds = xr.Dataset(
        {
            "state": (("chain", "draw", "scenario", "year", "channel"), arr(states)),
            "indicator_value": (("chain", "draw", "scenario", "year", "indicator"), arr(raw_ind)),
            "driver_value": (("chain", "draw", "scenario", "driver", "year"), arr(drivers)),
            "war": (("chain", "draw", "scenario", "year"), arr(wars)),
            "crisis": (("chain", "draw", "scenario", "year"), arr(crises)),
            "incidents": (("chain", "draw", "scenario", "year"), arr(incidents)),
            "active": (("chain", "draw", "scenario"), arr(actives)),
        },
        coords=coords,
        attrs={"seed": seed, "war_states": list(spec.war_states), "classes": spec.class_names},
    )
    ds["trajectory"] = (("chain", "draw", "scenario", "year"), arr(labels))
    ds["trajectory"].attrs["classes"] = spec.class_names
    return Forecast(ds, spec)
