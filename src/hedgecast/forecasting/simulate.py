"""The state equation's NumPy fast path: every posterior draw simulated forward at once.

One definition, used by the scenario forecast (:func:`hedgecast.forecasting.forecast.forecast`)
and the backtests (:func:`hedgecast.validate.windows.simulate`); tests/model/test_one_definition.py
checks it number for number against the PyMC model (:mod:`hedgecast.model.equations`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from hedgecast.dims import SAMPLE_DIMS
from hedgecast.forecasting.scenarios import CommonNoise
from hedgecast.inputs.spec import ModelSpec
from hedgecast.model.equations import LEVERAGE_SHIFT_YEAR


def flat_draws(posterior: xr.Dataset, name: str) -> np.ndarray:
    """``posterior[name]`` with chain and draw flattened into one leading axis."""
    da = posterior[name]
    other = [d for d in da.dims if d not in SAMPLE_DIMS]
    return da.transpose(*SAMPLE_DIMS, *other).values.reshape(-1, *[da.sizes[d] for d in other])


@dataclass
class DrawParameters:
    """Every posterior draw's parameters as flat arrays (draw first), ready for simulation."""

    mu: np.ndarray  # (n, channel)
    rho: np.ndarray
    sigma: np.ndarray
    nu: np.ndarray  # (n,)
    cushion: np.ndarray
    beta: np.ndarray  # (n, channel, driver)
    shift: np.ndarray  # (n, channel)
    war_full: np.ndarray  # (n, channel, war state) — 0 for the reference state
    crisis_effect: np.ndarray
    hazard: tuple[np.ndarray, np.ndarray, np.ndarray]  # intercept, friction, ties
    last_state: np.ndarray  # (n, channel): the last fitted year
    loading: np.ndarray  # (n, indicator), 1 for anchors
    intercept: np.ndarray  # (n, indicator), 0 for anchors
    noise_sd: np.ndarray  # (n, indicator)


def draw_parameters(post: xr.Dataset, spec: ModelSpec) -> DrawParameters:
    """Flatten a posterior (or prior) into :class:`DrawParameters`."""
    n = post.sizes["chain"] * post.sizes["draw"]
    C = len(spec.channel_names)
    war_effect = flat_draws(post, "war_effect")
    war_full = np.zeros((n, C, len(spec.war_states)))
    for j, s in enumerate(spec.effect_states):
        war_full[:, :, spec.war_states.index(s)] = war_effect[:, :, j]
    anchors = {c.anchor for c in spec.channels.values()}
    loading = np.ones((n, len(spec.indicator_names)))
    intercept = np.zeros((n, len(spec.indicator_names)))
    for j, name in enumerate(i for i in spec.indicator_names if i not in anchors):
        i = spec.indicator_names.index(name)
        loading[:, i] = flat_draws(post, "loading")[:, j]
        intercept[:, i] = flat_draws(post, "intercept")[:, j]
    return DrawParameters(
        mu=flat_draws(post, "mu"),
        rho=flat_draws(post, "rho"),
        sigma=flat_draws(post, "sigma"),
        nu=flat_draws(post, "nu"),
        cushion=flat_draws(post, "cushion"),
        beta=flat_draws(post, "beta"),
        shift=flat_draws(post, "leverage_shift"),
        war_full=war_full,
        crisis_effect=flat_draws(post, "crisis_effect"),
        hazard=(flat_draws(post, "hazard_intercept"), flat_draws(post, "hazard_friction"), flat_draws(post, "hazard_ties")),
        last_state=post["state"].transpose("chain", "draw", "channel", "year").values.reshape(n, C, -1)[:, :, -1],
        loading=loading,
        intercept=intercept,
        noise_sd=flat_draws(post, "noise"),
    )


def simulate_states(p: DrawParameters, spec: ModelSpec, x: np.ndarray, w: np.ndarray, noise: CommonNoise, driver_means: np.ndarray, years: list[int]):
    """The state equation, year by year, vectorized over draws.

    ``x`` is ``(n, driver, year)``, ``w`` ``(n, year)`` war-state indices. Returns
    ``states (n, year, channel)``, ``crises (n, year)`` and ``hazards (n, year)``.
    """
    n, F, C = x.shape[0], len(years), p.mu.shape[1]
    ek, tk, fk = (spec.continuous_drivers.index(d) for d in ("energy_leverage", "leader_ties", "regional_friction"))
    post2022 = np.array([1.0 if y >= LEVERAGE_SHIFT_YEAR else 0.0 for y in years])
    h0, hf, ht = p.hazard
    states, crises, hazards = np.empty((n, F, C)), np.empty((n, F), dtype=np.int8), np.empty((n, F))
    prev = p.last_state
    for t in range(F):
        xt = x[:, :, t]
        xc = xt - driver_means[None, :]  # effects and hazard act on drivers centred on the fitted years' means
        hazard = 1.0 / (1.0 + np.exp(-(h0 + hf * xc[:, fk] + ht * xc[:, tk])))
        crisis = (noise.crisis_uniform[:, t] < hazard).astype(np.int8)
        equilibrium_shift = (
            np.einsum("nck,nk->nc", p.beta, xc)
            + p.shift * (post2022[t] * xt[:, ek])[:, None]
            + np.take_along_axis(p.war_full, w[:, None, t, None].repeat(C, 1).astype(int), axis=2)[..., 0]
        )
        u = (1.0 - p.rho) * equilibrium_shift + p.crisis_effect * crisis[:, None] + p.sigma * np.exp(-p.cushion * xt[:, tk])[:, None] * noise.shock[:, t, :]
        prev = p.mu + p.rho * (prev - p.mu) + u
        states[:, t], crises[:, t], hazards[:, t] = prev, crisis, hazard
    return states, crises, hazards


def indicator_draws(p: DrawParameters, spec: ModelSpec, states: np.ndarray, noise: CommonNoise) -> np.ndarray:
    """Standardized indicators from states ``(..., n, year, channel)``: ``(..., n, year, indicator)``."""
    sign = np.array([spec.indicators[i].sign for i in spec.indicator_names], dtype=float)
    channel_of = np.array([spec.channel_names.index(spec.indicators[i].channel) for i in spec.indicator_names])
    return p.intercept[:, None, :] + (sign * p.loading)[:, None, :] * states[..., channel_of] + p.noise_sd[:, None, :] * noise.measurement
