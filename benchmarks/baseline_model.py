"""The benchmark's baseline: the same model written the straightforward way a PyMC user would.

Same likelihood (tested against hedgecast's model in ``tests/test_benchmarks.py``), same
priors (as constants), same data — but the latent states are built
with ``pytensor.scan`` from non-centered Student-t innovations, and it is sampled with
PyMC's default NUTS (C backend). hedgecast's own path differs in three ways: a centered
latent path scored in one vectorized expression (no scan), prior hyperparameters held as
model data, and nutpie's sampler.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt

from hedgecast.priors.lenses import FIT_GROUPS, parameter_groups


def _rv(group, dims, coords, lens):
    priors = [lens.priors[".".join((group, *c))].prior for c in coords]
    fam = priors[0].distribution
    assert all(p.distribution == fam for p in priors), "baseline supports one family per group"
    shape = tuple(len(dict.fromkeys(c[d] for c in coords)) for d in range(len(dims)))
    kwargs = {k: np.array([float(p.parameters[k]) for p in priors]).reshape(shape) for k in priors[0].parameters}
    if not dims:
        kwargs = {k: v.reshape(()) for k, v in kwargs.items()}
    return getattr(pm, fam)(group, **kwargs, dims=dims or None)


def build_baseline_model(spec, lens, inputs) -> pm.Model:
    """hedgecast's model, written with scan and non-centered innovations."""
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
    }
    channel_of = np.array([spec.channel_names.index(spec.indicators[i].channel) for i in spec.indicator_names])
    sign = np.array([spec.indicators[i].sign for i in spec.indicator_names], dtype=float)
    is_anchor = np.array([i in anchors for i in spec.indicator_names])
    free_pos = np.cumsum(~is_anchor) - 1
    ek, tk, fk = (spec.continuous_drivers.index(d) for d in ("energy_leverage", "leader_ties", "regional_friction"))
    x = inputs.drivers
    C = len(spec.channel_names)
    ref = spec.war_states.index(spec.war_driver.reference)
    with pm.Model(coords=coords) as model:
        p = {g: _rv(g, *groups[g], lens) for g in FIT_GROUPS if groups[g][1]}
        war_full = pt.concatenate([pt.zeros((C, 1)), p["war_effect"]], axis=1)
        order = [ref] + [i for i in range(len(spec.war_states)) if i != ref]
        war_full = war_full[:, np.argsort(order)]
        eps = pm.StudentT("eps", nu=p["nu"], mu=0, sigma=1, dims=("channel", "shock_year"))
        # long-run effects and the crisis model act on drivers centred on their means (as in hedgecast's model);
        # the leverage term and the shock scale use the uncentred codings
        xc = x - x.mean(axis=1, keepdims=True)
        shift = pt.dot(p["beta"], xc[:, 1:]) + p["leverage_shift"][:, None] * (inputs.post2022 * x[ek])[None, 1:] + war_full[:, inputs.war_index[1:]]
        scale = p["sigma"][:, None] * pt.exp(-p["cushion"] * x[tk][None, 1:])
        crisis = (inputs.escalations > 0).astype(float)  # a rupture year: at least one escalated incident
        impulse = p["crisis_effect"][:, None] * crisis[None, 1:]

        def step(shift_t, scale_t, impulse_t, eps_t, prev, mu, rho):
            return mu + rho * (prev - mu) + (1 - rho) * shift_t + impulse_t + scale_t * eps_t

        path = pytensor.scan(
            step, sequences=[shift.T, scale.T, impulse.T, eps.T], outputs_info=[p["initial"]], non_sequences=[p["mu"], p["rho"]], return_updates=False
        )
        state = pm.Deterministic("state", pt.concatenate([p["initial"][:, None], path.T], axis=1), dims=("channel", "year"))
        loading = pt.set_subtensor(pt.ones(len(sign))[~is_anchor], p["loading"][free_pos[~is_anchor]])
        intercept = pt.set_subtensor(pt.zeros(len(sign))[~is_anchor], p["intercept"][free_pos[~is_anchor]])
        mean = intercept[:, None] + (sign * loading)[:, None] * state[channel_of, :]
        pm.Normal("y", mu=mean[inputs.obs_indicator, inputs.obs_year], sigma=p["noise"][inputs.obs_indicator], observed=inputs.obs_value)
        # the crisis model: incidents per year and their escalation, on the centred drivers
        incident_war = pt.concatenate([pt.zeros(1), p["incident_war"]])[np.argsort(order)]
        log_rate = p["incident_intercept"] + p["incident_friction"] * xc[fk] + incident_war[inputs.war_index]
        incidents = pm.Poisson("incidents", mu=pt.exp(log_rate), observed=inputs.incidents)
        logit = p["escalation_intercept"] + p["escalation_ties"] * xc[tk] + p["escalation_energy"] * xc[ek]
        pm.Binomial("escalations", n=incidents, logit_p=logit, observed=inputs.escalations)
    return model
