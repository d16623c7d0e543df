"""Forecasting: simulate 2026–2035 for every scenario from the same posterior draws.

Vectorized over draws × scenarios; the only loop is over the ten forecast years (the
state recursion). Scenarios never trigger a refit, and every scenario sees the same
shocks, crises' random numbers and driver noise (common random numbers), so the
difference between two scenarios is the scenarios' difference, not Monte Carlo noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import arviz as az
import numpy as np
import xarray as xr

from .history import to_raw_units
from .lenses import Lens
from .model import LEVERAGE_SHIFT_YEAR, ModelInputs
from .scenarios import activation, common_noise, driver_paths, resolve, war_paths
from .spec import ModelSpec
from .trajectories import class_probabilities, classify

SAMPLE_DIMS = ("chain", "draw")


def _flat(posterior: xr.Dataset, name: str) -> np.ndarray:
    da = posterior[name]
    other = [d for d in da.dims if d not in SAMPLE_DIMS]
    return da.transpose(*SAMPLE_DIMS, *other).values.reshape(-1, *[da.sizes[d] for d in other])


def forecast_priors(lens: Lens, n: int, seed: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Draw the forecast-only priors: war transitions ``(n, from, to)`` and scenario probabilities."""
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
    return transitions, probs


def _sample_unit(prior, rng: np.random.Generator, n: int) -> np.ndarray:
    p = prior.parameters
    if prior.distribution == "Beta":
        return rng.beta(p["alpha"], p["beta"], size=n)
    if prior.distribution == "Uniform":
        return rng.uniform(p.get("lower", 0.0), p.get("upper", 1.0), size=n)
    import pymc as pm

    return np.asarray(pm.draw(prior.pymc_distribution.dist(**p), draws=n, random_seed=rng))


@dataclass
class Forecast:
    """Simulated futures with named dims, and the questions analysts ask of them."""

    data: xr.Dataset
    spec: ModelSpec

    @property
    def scenarios(self) -> list[str]:
        return list(self.data.scenario.values)

    def class_probabilities(self, years=(2030, 2035)) -> xr.DataArray:
        """P(trajectory class), dims ``(trajectory, scenario, year)``; sums to 1 over ``trajectory``."""
        labels = self.data["trajectory"].sel(year=list(years))
        labels.attrs["classes"] = self.spec.class_names
        return class_probabilities(labels)

    def p_crisis_by(self, year: int) -> xr.DataArray:
        """P(at least one rupture-scale crisis from the first forecast year to ``year``), per scenario."""
        hit = self.data["crisis"].sel(year=slice(None, year)).max("year")
        return hit.mean(SAMPLE_DIMS).rename("p_crisis")

    def p_class_by_draw(self, name: str, year: int) -> xr.DataArray:
        """Indicator of class ``name`` at ``year`` per draw (for differences and reweighting)."""
        idx = self.spec.class_names.index(name)
        return (self.data["trajectory"].sel(year=year) == idx).astype(float)

    def headline(self, year: int = 2030) -> dict:
        """The numbers a report leads with, per scenario."""
        probs = self.class_probabilities((year,)).sel(year=year)
        crisis = self.p_crisis_by(year)
        out = {}
        for s in self.scenarios:
            out[s] = {f"P({c}, {year})": float(probs.sel(scenario=s, trajectory=c)) for c in self.spec.class_names}
            out[s][f"P(crisis by {year})"] = float(crisis.sel(scenario=s))
        return out

    def fan(self, var: str = "state", quantiles=(0.05, 0.25, 0.5, 0.75, 0.95)) -> xr.DataArray:
        """Quantiles over draws of ``state`` / ``indicator_value`` / ``driver_value``."""
        return self.data[var].quantile(list(quantiles), dim=list(SAMPLE_DIMS))

    def difference(self, a: str, b: str, year: int = 2030, trajectory: str = "rupture") -> dict:
        """P(class) under ``a`` minus under ``b``, with a Monte Carlo standard error.

        Both scenarios share every random number, so the paired difference is used.
        """
        pa = self.p_class_by_draw(trajectory, year).sel(scenario=a).values.ravel()
        pb = self.p_class_by_draw(trajectory, year).sel(scenario=b).values.ravel()
        diff = pa - pb
        return {"difference": float(diff.mean()), "se": float(diff.std(ddof=1) / np.sqrt(len(diff)))}


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

    mu, rho, sigma = _flat(post, "mu"), _flat(post, "rho"), _flat(post, "sigma")
    nu, cushion = _flat(post, "nu"), _flat(post, "cushion")
    beta, shift = _flat(post, "beta"), _flat(post, "leverage_shift")
    war_effect, crisis_effect = _flat(post, "war_effect"), _flat(post, "crisis_effect")
    h0, hf, ht = _flat(post, "hazard_intercept"), _flat(post, "hazard_friction"), _flat(post, "hazard_ties")
    state_hist = post["state"].transpose("chain", "draw", "channel", "year").values.reshape(n, C, -1)
    war_full = np.zeros((n, C, len(spec.war_states)))
    for j, s in enumerate(spec.effect_states):
        war_full[:, :, spec.war_states.index(s)] = war_effect[:, :, j]
    anchors = {c.anchor for c in spec.channels.values()}
    free = [i for i in spec.indicator_names if i not in anchors]
    loading = np.ones((n, len(spec.indicator_names)))
    intercept = np.zeros((n, len(spec.indicator_names)))
    for j, name in enumerate(free):
        i = spec.indicator_names.index(name)
        loading[:, i] = _flat(post, "loading")[:, j]
        intercept[:, i] = _flat(post, "intercept")[:, j]
    noise_sd = _flat(post, "noise")
    sign = np.array([spec.indicators[i].sign for i in spec.indicator_names], dtype=float)
    channel_of = np.array([spec.channel_names.index(spec.indicators[i].channel) for i in spec.indicator_names])

    noise = common_noise(spec, nu, seed, F)
    transitions, scen_probs = forecast_priors(lens, n, seed)
    last_drivers = inputs.drivers[:, -1]
    start_state = spec.war_states[int(inputs.war_index[-1])]
    ek, tk, fk = (spec.continuous_drivers.index(d) for d in ("energy_leverage", "leader_ties", "regional_friction"))
    post2022 = np.array([1.0 if y >= LEVERAGE_SHIFT_YEAR else 0.0 for y in years])

    S = len(resolved)
    states = np.empty((S, n, F, C))
    drivers = np.empty((S, n, K, F))
    wars = np.empty((S, n, F), dtype=np.int16)
    crises = np.empty((S, n, F), dtype=np.int8)
    actives = np.empty((S, n), dtype=bool)
    for si, sc in enumerate(resolved):
        active = activation(spec, sc, scen_probs, seed, n)
        x = driver_paths(spec, sc, last_drivers, noise, active, years)
        w = war_paths(spec, sc, start_state, transitions, noise, active, years)
        prev = state_hist[:, :, -1]
        for t in range(F):
            xt = x[:, :, t]
            xc = xt - inputs.driver_means[None, :]
            hazard = 1.0 / (1.0 + np.exp(-(h0 + hf * xc[:, fk] + ht * xc[:, tk])))
            crisis = (noise.crisis_uniform[:, t] < hazard).astype(np.int8)
            equilibrium_shift = (
                np.einsum("nck,nk->nc", beta, xc)
                + shift * (post2022[t] * xt[:, ek])[:, None]
                + np.take_along_axis(war_full, w[:, None, t, None].repeat(C, 1).astype(int), axis=2)[..., 0]
            )
            u = (
                (1.0 - rho) * equilibrium_shift
                + crisis_effect * crisis[:, None]
                + sigma * np.exp(-cushion * xt[:, tk])[:, None] * noise.shock[:, t, :]
            )
            prev = mu + rho * (prev - mu) + u
            states[si, :, t] = prev
            crises[si, :, t] = crisis
        drivers[si], wars[si], actives[si] = x, w, active

    z_ind = intercept[None, :, None, :] + (sign * loading)[None, :, None, :] * states[:, :, :, channel_of] + noise_sd[None, :, None, :] * noise.measurement[None]
    raw_ind = np.empty_like(z_ind)
    for i, name in enumerate(spec.indicator_names):
        raw_ind[..., i] = to_raw_units(z_ind[..., i], inputs.scaling.loc[name])
        if spec.indicators[name].transform == "log1p":  # counts: expm1 can dip below 0
            raw_ind[..., i] = np.maximum(raw_ind[..., i], 0.0)

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
            "active": (("chain", "draw", "scenario"), arr(actives)),
        },
        coords=coords,
        attrs={"seed": seed, "war_states": list(spec.war_states), "classes": spec.class_names},
    )
    history_states = post["state"].transpose("chain", "draw", "year", "channel")
    labels = classify(spec.trajectories, ds["state"], ds["crisis"], history_states, years)
    ds["trajectory"] = labels.transpose("chain", "draw", "scenario", "year")
    ds["trajectory"].attrs["classes"] = spec.class_names
    return Forecast(ds, spec)
