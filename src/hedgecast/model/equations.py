"""The PyMC model: the one definition of hedgecast's equations.

For channel ``c`` and fitted year ``t`` (the first fitted year is the initial state):

    s[c,0] ~ initial[c]
    s[c,t] = mu[c] + rho[c] (s[c,t-1] - mu[c])
             + (1 - rho[c]) (sum_k beta[c,k] xc[k,t] + leverage_shift[c] post2022[t] x[energy,t]
                             + war_effect[c, w_t])
             + crisis_effect[c] crisis[t] + sigma[c] exp(-cushion * x[ties,t]) e[c,t],
    e[c,t] ~ StudentT(nu),

    incidents[t] ~ Poisson(rate[t]),
        log rate[t] = incident_intercept + incident_friction xc[friction,t] + incident_war[w_t],
    escalations[t] ~ Binomial(incidents[t], p[t]),
        logit p[t] = escalation_intercept + escalation_ties xc[ties,t] + escalation_energy xc[energy,t],
    crisis[t] = 1 if escalations[t] > 0 else 0   (a rupture year: at least one escalated incident),
    y[i,t] ~ Normal(intercept[i] + sign[i] loading[i] s[c(i),t], noise[i])   (observed cells only),

where ``x`` are the driver codings and ``xc = x - mean(x over the fitted years)`` the centred
ones (the mean is taken in the graph, from the ``driver_values`` data). Centred drivers enter the
long-run effects (``beta``) and the crisis model, so ``mu`` is the equilibrium, and
``incident_intercept`` and ``escalation_intercept`` are the log incident rate and the log-odds
that an incident escalates under average conditions with no war (and the intercepts do not trade
off against the slopes). The leverage term (energy leverage after 2022) and the shock scale
(``exp(-cushion * ties)``) use the *uncentred* codings. ``war_effect`` and ``incident_war`` (the
war's Black Sea spillover on incidents) hold one effect per war state except the reference state
(``none``), which is fixed at 0. The incidents and escalations observed are the counts of
``incidents.csv`` under the spec's inclusion rule (``[crisis_model] inclusion``), held as
``pm.Data`` (``incident_counts``, ``escalation_counts``): another rule, or SBC's simulated counts,
swap in without recompiling, and the crisis years of the state equation follow the escalation
counts in the graph (:func:`hedgecast.inputs.history.rupture_indicator` is the same rule in NumPy). Anchor
indicators (log trade for ``economic``, UNGA agreement for ``political``) have loading 1 and
intercept 0, fixing each channel's scale. ``beta``, ``leverage_shift`` and ``war_effect`` are
long-run effects (how far the channel's equilibrium moves, in sd of its anchor); ``crisis_effect``
is the immediate hit in a crisis year, which then decays with ``rho``.

The latent path is centered (the path itself is the sampled variable; its Student-t innovations
are scored in one vectorized expression, no ``scan``): the trade anchor pins the economic channel
tightly, where a non-centered path gives NUTS a funnel. Prior hyperparameters enter as one
``pm.Data`` vector (``hyperparameters``, labelled ``<prior>:<parameter>``), so a changed prior
never recompiles the model; the driver codings are ``pm.Data`` too (``driver_values``), so a
lens with its own reading of the present swaps them in without recompiling. Any fast NumPy path (the forecast simulation, the prior densities of
reweighting) is tested against this model (``tests/model/test_one_definition.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from hedgecast.inputs.history import History, rupture_indicator
from hedgecast.priors.groups import FIT_GROUPS, parameter_groups
from hedgecast.priors.lenses import Lens

LEVERAGE_SHIFT_YEAR = 2022


@dataclass
class ModelInputs:
    """Arrays the model is built from (kept so forecasts and checks can reuse them)."""

    years: list[int]
    drivers: np.ndarray  # (driver, year)
    driver_means: np.ndarray  # (driver,) over the centring years: effects act on centred drivers
    war_index: np.ndarray  # (year,) index into spec.war_states
    incidents: np.ndarray  # (year,) serious incidents under the inclusion rule
    escalations: np.ndarray  # (year,) of which escalated to a rupture
    post2022: np.ndarray  # (year,)
    obs_indicator: np.ndarray  # (obs,) index into spec.indicator_names
    obs_year: np.ndarray  # (obs,) index into years
    obs_value: np.ndarray  # (obs,) standardized value
    scaling: pd.DataFrame
    standardized: pd.DataFrame
    inclusion: str = "main"  # the incident inclusion rule counted
    centre_years: int = 0  # drivers are centred on their mean over the first this-many years (0 = all)

    @property
    def n_centre(self) -> int:
        """How many of the first years the drivers are centred over (the spec's centring period)."""
        return self.centre_years or len(self.years)

    @property
    def crisis(self) -> np.ndarray:
        """(year,) 1 in a rupture year (at least one escalated incident), else 0."""
        return rupture_indicator(self.escalations)


def model_inputs(spec, history: History, inclusion: str | None = None) -> ModelInputs:
    """Align the history with the spec: arrays in the model's coordinate order.

    ``inclusion`` chooses the incidents counted (default: the history's, i.e. the spec's rule).
    """
    z, scaling = history.standardized(spec)
    years = list(history.years)
    values = z[spec.indicator_names].to_numpy()
    ii, tt = np.nonzero(np.isfinite(values.T))
    inclusion = history.inclusion if inclusion is None else inclusion
    incidents, escalations = history.incident_data(inclusion)
    return ModelInputs(
        years=years,
        drivers=history.drivers[spec.continuous_drivers].to_numpy(dtype=float).T,
        driver_means=history.drivers[spec.continuous_drivers].to_numpy(dtype=float)[: len(history.centre_years)].mean(axis=0),
        war_index=np.array([spec.war_states.index(s) for s in history.war], dtype=int),
        incidents=incidents.to_numpy(dtype=np.int64),
        escalations=escalations.to_numpy(dtype=np.int64),
        post2022=np.array([1.0 if y >= LEVERAGE_SHIFT_YEAR else 0.0 for y in years]),
        obs_indicator=ii.astype(int),
        obs_year=tt.astype(int),
        obs_value=values.T[ii, tt].astype(float),
        scaling=scaling,
        standardized=z,
        inclusion=inclusion,
        centre_years=len(history.centre_years),
    )


def hyper_name(group: str, dist: str, param: str) -> str:
    """Name of the ``pm.Data`` holding one hyperparameter of a prior group."""
    return f"hyper_{group}_{dist}_{param}"


def prior_structure(lens: Lens) -> tuple:
    """What the compiled model depends on: the distribution family of every prior.

    Two lenses with the same structure share one compiled model; only their
    hyperparameter values (model data) differ.
    """
    return tuple((n, lp.prior.distribution) for n, lp in lens.priors.items() if n.split(".")[0] in FIT_GROUPS)


HYPERPARAMETERS = "hyperparameters"
DRIVER_VALUES = "driver_values"
"""Name of the ``pm.Data`` holding the driver codings (driver × year)."""
INCIDENT_COUNTS = "incident_counts"
ESCALATION_COUNTS = "escalation_counts"
"""Names of the ``pm.Data`` holding the observed incidents and escalations per year."""


def hyperparameter_values(lens: Lens) -> dict[str, np.ndarray]:
    """Every prior hyperparameter array of ``lens``, by name (``hyper_<group>_<dist>_<param>``)."""
    return {name: values for name, values, _ in _hyperparameter_arrays(lens)}


def hyperparameter_vector(lens: Lens) -> np.ndarray:
    """All of ``lens``'s prior hyperparameters as the one flat vector the model holds as data.

    One data variable, not one per array: nutpie compiles an accessor for every shared
    variable of the model, and with one per array that was most of its compile time.
    """
    return np.concatenate([values.ravel() for _, values, _ in _hyperparameter_arrays(lens)])


def hyperparameter_labels(lens: Lens) -> list[str]:
    """One label per entry of :func:`hyperparameter_vector`: ``<prior name>:<parameter>``."""
    return [label for _, _, labels in _hyperparameter_arrays(lens) for label in labels]


def _hyperparameter_arrays(lens: Lens) -> list[tuple[str, np.ndarray, list[str]]]:
    groups = parameter_groups(lens.spec)
    out: list[tuple[str, np.ndarray, list[str]]] = []
    for group in FIT_GROUPS:
        dims, coords = groups[group]
        if not coords:
            continue
        shape = tuple(len(dict.fromkeys(c[d] for c in coords)) for d in range(len(dims)))
        priors = [lens.priors[".".join((group, *c))].prior for c in coords]
        families = list(dict.fromkeys(p.distribution for p in priors))
        names = [".".join((group, *c)) for c in coords]
        for fam in families:
            members = [(n, p) for n, p in zip(names, priors, strict=True) if p.distribution == fam]
            for param in members[0][1].parameters:
                vals = np.array([float(p.parameters[param]) for _, p in members])
                labels = [f"{n}:{param}" for n, _ in members]
                out.append((hyper_name(group, fam, param), vals.reshape(shape) if len(families) == 1 else vals, labels))
    return out


def _hyperparameter_tensors(lens: Lens) -> dict:
    """The model's one hyperparameter data vector, sliced back into named arrays."""
    arrays = _hyperparameter_arrays(lens)
    data = pm.Data(HYPERPARAMETERS, hyperparameter_vector(lens), dims="hyperparameter")
    out, offset = {}, 0
    for name, values, _ in arrays:
        out[name] = data[offset : offset + values.size].reshape(values.shape)
        offset += values.size
    return out


def _group_variable(group: str, dims: tuple[str, ...], coords: list[tuple[str, ...]], lens: Lens, hyper: dict):
    priors = [lens.priors[".".join((group, *c))].prior for c in coords]
    families = list(dict.fromkeys(p.distribution for p in priors))
    shape = tuple(len(dict.fromkeys(c[d] for c in coords)) for d in range(len(dims)))
    if len(families) == 1:
        fam = families[0]
        kwargs = {param: hyper[hyper_name(group, fam, param)] for param in priors[0].parameters}
        if not dims:
            kwargs = {k: v.reshape(()) for k, v in kwargs.items()}
        return getattr(pm, fam)(group, **kwargs, dims=dims or None)
    flat = pt.zeros(int(np.prod(shape)))
    for fam in families:
        idx = np.array([i for i, p in enumerate(priors) if p.distribution == fam])
        kwargs = {param: hyper[hyper_name(group, fam, param)] for param in priors[idx[0]].parameters}
        rv = getattr(pm, fam)(f"{group}_{fam}", **kwargs, shape=len(idx))
        flat = pt.set_subtensor(flat[idx], rv)
    return pm.Deterministic(group, flat.reshape(shape), dims=dims or None)


def _path_logp(value, initial, mu, rho, drift, scale, nu):
    """Student-t AR(1) innovations of the latent path (centered: the path is the variable)."""
    prev = pt.concatenate([initial[:, None], value[:, :-1]], axis=1)
    mean = mu[:, None] + rho[:, None] * (prev - mu[:, None]) + drift
    return pm.logp(pm.StudentT.dist(nu=nu, mu=0.0, sigma=1.0), (value - mean) / scale) - pt.log(scale)


def _path_random(initial, mu, rho, drift, scale, nu, rng=None, size=None):
    """Forward-simulate the latent path (for prior and SBC draws)."""
    initial, mu, rho, drift, scale = (np.asarray(a, dtype=float) for a in (initial, mu, rho, drift, scale))
    shape = tuple(size) if size else drift.shape
    out = np.empty(shape)
    prev = np.broadcast_to(initial, shape[:-1]).copy()
    for t in range(shape[-1]):
        shock = rng.standard_t(nu, size=shape[:-1])
        prev = mu + rho * (prev - mu) + drift[..., t] + scale[..., t] * shock
        out[..., t] = prev
    return out


def observation_labels(spec, inputs: ModelInputs) -> list[str]:
    """One label per observed cell, ``"<indicator> <year>"`` (the ``obs`` coordinate)."""
    return [f"{spec.indicator_names[i]} {inputs.years[t]}" for i, t in zip(inputs.obs_indicator, inputs.obs_year, strict=True)]


def observation_coords(spec, inputs: ModelInputs) -> dict[str, tuple[str, list]]:
    """Non-index coordinates of the ``obs`` dim: the indicator and the year of each observed cell.

    Kept as plain coordinates rather than a MultiIndex, which does not survive NetCDF.
    """
    return {
        "obs_indicator": ("obs", [spec.indicator_names[i] for i in inputs.obs_indicator]),
        "obs_year": ("obs", [int(inputs.years[t]) for t in inputs.obs_year]),
    }


def build_model(spec, lens: Lens, inputs: ModelInputs, *, impute: bool = False) -> pm.Model:
    """Build the PyMC model for ``spec`` with the priors of ``lens``, fitted to ``inputs``.

    With ``impute=True`` the model also holds ``y_all``, every indicator in every year
    (observed or not) drawn from the same measurement equation as ``y``: the posterior
    predictive that fills the unobserved years. It is never sampled by NUTS (it would be
    a free variable); :func:`hedgecast.model.fit.complete_inference_data` draws it forward.
    """
    groups = parameter_groups(spec)
    anchors = {c.anchor for c in spec.channels.values()}
    free_ind = [i for i in spec.indicator_names if i not in anchors]
    coords = {
        "channel": spec.channel_names,
        "driver": spec.continuous_drivers,
        "war_state": spec.effect_states,
        "year": inputs.years,
        "shock_year": inputs.years[1:],
        "indicator": spec.indicator_names,
        "free_indicator": free_ind,
        "obs": observation_labels(spec, inputs),
        "hyperparameter": hyperparameter_labels(lens),
    }
    channel_of = np.array([spec.channel_names.index(spec.indicators[i].channel) for i in spec.indicator_names])
    sign = np.array([spec.indicators[i].sign for i in spec.indicator_names], dtype=float)
    is_anchor = np.array([i in anchors for i in spec.indicator_names])
    free_pos = np.cumsum(~is_anchor) - 1
    energy_k = spec.continuous_drivers.index("energy_leverage")
    ties_k = spec.continuous_drivers.index("leader_ties")
    friction_k = spec.continuous_drivers.index("regional_friction")

    with pm.Model(coords=coords) as model:
        hyper = _hyperparameter_tensors(lens)
        p = {}
        for group in FIT_GROUPS:
            dims, elems = groups[group]
            if elems:
                p[group] = _group_variable(group, dims, elems, lens, hyper)
        # data a run swaps without recompiling: the priors, the driver codings (a lens's reading
        # of the present), and the outcomes SBC simulates
        x = pm.Data(DRIVER_VALUES, inputs.drivers, dims=("driver", "year"))
        war_idx = pm.Data("war_index", inputs.war_index, dims="year")
        incident_obs = pm.Data(INCIDENT_COUNTS, inputs.incidents, dims="year")
        escalation_obs = pm.Data(ESCALATION_COUNTS, inputs.escalations, dims="year")
        crisis = pt.gt(escalation_obs, 0).astype("float64")  # rupture years: rupture_indicator, in the graph
        post = pm.Data("post2022", inputs.post2022, dims="year")
        ties = x[ties_k]
        centred = x - x[:, : inputs.n_centre].mean(axis=1)[:, None]  # = inputs.driver_means, but follows swapped codings

        war_full = _with_reference(spec, p["war_effect"])

        # the crisis model: serious incidents per year, and the chance each escalates to a rupture
        incident_war = _with_reference(spec, p["incident_war"])
        log_rate = p["incident_intercept"] + p["incident_friction"] * centred[friction_k] + incident_war[war_idx]
        incidents = pm.Poisson("incidents", mu=pt.exp(log_rate), observed=incident_obs, dims="year")
        logit_escalation = p["escalation_intercept"] + p["escalation_ties"] * centred[ties_k] + p["escalation_energy"] * centred[energy_k]
        pm.Binomial("escalations", n=incidents, logit_p=logit_escalation, observed=escalation_obs, dims="year")

        scale = p["sigma"][:, None] * pt.exp(-p["cushion"] * ties[None, 1:])
        # drivers and war states move the channel's equilibrium (long-run effects, scaled by
        # 1 - rho per year); a crisis is an impulse in its year that then decays with rho
        equilibrium_shift = (
            pt.dot(p["beta"], centred[:, 1:])
            + p["leverage_shift"][:, None] * (post * x[energy_k])[None, 1:]
            + war_full[:, war_idx[1:]]
        )
        drift = (1.0 - p["rho"])[:, None] * equilibrium_shift + p["crisis_effect"][:, None] * crisis[None, 1:]
        path = pm.CustomDist(
            "path",
            p["initial"],
            p["mu"],
            p["rho"],
            drift,
            scale,
            p["nu"],
            logp=_path_logp,
            random=_path_random,
            signature="(c),(c),(c),(c,t),(c,t),()->(c,t)",
            dims=("channel", "shock_year"),
        )
        state = pm.Deterministic("state", pt.concatenate([p["initial"][:, None], path], axis=1), dims=("channel", "year"))

        loading_all = pt.ones(len(spec.indicator_names))
        intercept_all = pt.zeros(len(spec.indicator_names))
        if len(free_ind):
            loading_all = pt.set_subtensor(loading_all[~is_anchor], p["loading"][free_pos[~is_anchor]])
            intercept_all = pt.set_subtensor(intercept_all[~is_anchor], p["intercept"][free_pos[~is_anchor]])
        mean = intercept_all[:, None] + (sign * loading_all)[:, None] * state[channel_of, :]
        obs_i, obs_t = inputs.obs_indicator, inputs.obs_year
        obs_v = pm.Data("obs_value", inputs.obs_value, dims="obs")
        pm.Normal("y", mu=mean[obs_i, obs_t], sigma=p["noise"][obs_i], observed=obs_v, dims="obs")
        if impute:
            pm.Normal("y_all", mu=mean, sigma=p["noise"][:, None], dims=("indicator", "year"))
    return model


def _with_reference(spec, effects):
    """War-state effects (last axis over ``spec.effect_states``) over ``spec.war_states``, the reference state's 0 in its place."""
    full = pt.concatenate([pt.zeros_like(effects[..., :1]), effects], axis=-1)  # reference state first
    ref = spec.war_states.index(spec.war_driver.reference)
    order = [ref] + [i for i in range(len(spec.war_states)) if i != ref]
    return full[..., np.argsort(order)]
