"""One backtest window: its years, its fit on the record up to the cut-off, its simulated test years.

Windows are explicit (never "now"): :data:`WINDOWS` fits on 2000–2014 and forecasts
2015–2019, on 2000–2019 → 2020–2024, on 2000–2021 → 2022–2025. A window knows only what was
known at its cut-off: it is fitted on the record up to the cut-off with the lens as known
then (:func:`hedgecast.priors.known_by.known_at`: priors known later fall back to vague
ones), and its test years are simulated by the same NumPy fast path as the product's
forecast (:mod:`hedgecast.forecasting.simulate`): the drivers drift from their cut-off
codings and the war follows the lens's chain from its cut-off state, exactly as the forecast
does. Only the opt-in oracle (:attr:`BacktestSettings.oracle`) plugs in the realised drivers
and war states of the test years.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
import xarray as xr

from hedgecast.forecasting.forecast import forecast_priors
from hedgecast.forecasting.scenarios import ResolvedScenario, common_noise, driver_paths, war_paths
from hedgecast.forecasting.simulate import draw_parameters, indicator_draws, simulate_states
from hedgecast.inputs.history import TRANSFORMS, History
from hedgecast.inputs.spec import ModelSpec
from hedgecast.inputs.spec_parts import Scenario
from hedgecast.model.equations import ModelInputs, model_inputs
from hedgecast.model.fit import SamplerSettings, diagnose, quiet_sampling_log, sample_posterior
from hedgecast.priors.lenses import Lens
from hedgecast.validate.parallel import task_seed


@dataclass(frozen=True)
class Window:
    """Fit on the record up to ``cutoff``; forecast and score ``first..last`` (``first = cutoff + 1``)."""

    cutoff: int
    first: int
    last: int

    def __post_init__(self) -> None:
        if self.first != self.cutoff + 1 or self.last < self.first:
            raise ValueError(
                f"a window forecasts the years right after its cut-off: got cutoff {self.cutoff}, years {self.first}–{self.last}"
            )

    @property
    def years(self) -> list[int]:
        return list(range(self.first, self.last + 1))

    @property
    def name(self) -> str:
        return f"≤{self.cutoff} → {self.first}–{self.last}"


WINDOWS = (Window(2014, 2015, 2019), Window(2019, 2020, 2024), Window(2021, 2022, 2025))


@dataclass(frozen=True)
class BacktestSettings(SamplerSettings):
    """How each backtest fit samples (:class:`SamplerSettings`, with lighter defaults), and which windows.

    ``oracle``: also score the model with the realised driver codings and war states of the
    test years plugged in (a diagnostic of the dynamics given the drivers, not a forecast:
    those codings were not known at the cut-off). Off by default; never counted in wins and losses.
    """

    draws: int = 500
    tune: int = 1000
    # target_accept: the product's (SamplerSettings), so a backtest scores the inference the report uses
    windows: tuple[Window, ...] = WINDOWS
    oracle: bool = False

    def sampler_settings(self, index: int) -> SamplerSettings:
        """Return the settings of the ``index``-th fit: these, with a seed of its own."""
        own = {f.name: getattr(self, f.name) for f in fields(SamplerSettings)}  # not the windows, not the oracle
        return SamplerSettings(**{**own, "seed": task_seed(self.seed, index)})


def backtest_fit(spec: ModelSpec, lens: Lens, history: History, cutoff: int, sampler_settings: SamplerSettings) -> dict:
    """Fit ``lens`` on the record up to ``cutoff`` (a dask task). Returns the posterior and diagnostics.

    ``lens`` should be the lens as known at ``cutoff`` (:func:`hedgecast.priors.known_by.known_at`);
    the record after ``cutoff`` is dropped here.
    """
    t0 = time.perf_counter()
    inputs = model_inputs(spec, history.truncate(cutoff))
    with quiet_sampling_log():
        idata = sample_posterior(spec, lens, inputs, sampler_settings)
    diag = diagnose(idata, idata.attrs["free_rvs"])
    return {
        "cutoff": cutoff,
        "posterior": idata.posterior.load(),
        "diagnostics": diag.to_dict(),
        "seed": sampler_settings.seed,
        "seconds": time.perf_counter() - t0,
    }


def simulate(
    posterior: xr.Dataset,
    spec: ModelSpec,
    lens: Lens,
    inputs: ModelInputs,
    years: list[int],
    *,
    drivers: np.ndarray | None = None,
    war: np.ndarray | None = None,
    seed: int = 2026,
) -> xr.Dataset:
    """Simulate ``years`` (right after ``inputs``' last year) from every posterior draw.

    With ``drivers`` (``(driver, year)``) and ``war`` (``(year,)`` indices into
    ``spec.war_states``) the realised exogenous inputs are used (conditional); without,
    they are simulated as in the status-quo forecast (unconditional: the same random
    numbers and formulas as :func:`hedgecast.forecasting.forecast.forecast`, which a test checks
    number for number, so the two cannot drift apart unnoticed).
    Returns standardized indicators ``z``, latent ``state``, serious ``incidents``, ``crisis``
    (0/1: an escalated incident) and ``p_rupture``, the probability of a rupture year given the
    draw's parameters and the year's drivers and war state (1 − exp(−rate · p), see
    :class:`hedgecast.forecasting.simulate.SimulatedYears`), with dims ``(chain, draw, year, …)``.
    """
    post = posterior
    n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
    n = n_chain * n_draw
    if years[0] != inputs.years[-1] + 1:
        raise ValueError(f"simulation must start the year after the history ({inputs.years[-1] + 1}), not {years[0]}")
    F, K = len(years), len(spec.continuous_drivers)
    p = draw_parameters(post, spec)
    noise = common_noise(spec, p.nu, seed, F)
    transitions, _ = forecast_priors(lens, n, seed)
    unconditional = ResolvedScenario(Scenario("unconditional"))
    active = np.ones(n, dtype=bool)
    if drivers is None:
        x = driver_paths(spec, unconditional, inputs.drivers[:, -1], noise, active, years)
    else:
        x = np.broadcast_to(np.asarray(drivers, dtype=float)[None], (n, K, F)).copy()
    if war is None:
        w = war_paths(spec, unconditional, spec.war_states[int(inputs.war_index[-1])], transitions, noise, active, years)
    else:
        w = np.broadcast_to(np.asarray(war, dtype=np.int16)[None], (n, F)).copy()
    centre = np.asarray(getattr(inputs, "driver_means", np.zeros(K)), dtype=float)
    sim = simulate_states(p, spec, x, w, noise, centre, years)
    z = indicator_draws(p, spec, sim.states, noise)

    def shaped(a: np.ndarray) -> np.ndarray:
        return a.reshape(n_chain, n_draw, *a.shape[1:])

    return xr.Dataset(
        {
            "z": (("chain", "draw", "year", "indicator"), shaped(z)),
            "state": (("chain", "draw", "year", "channel"), shaped(sim.states)),
            "incidents": (("chain", "draw", "year"), shaped(sim.incidents)),
            "crisis": (("chain", "draw", "year"), shaped(sim.crises)),
            "p_rupture": (("chain", "draw", "year"), shaped(sim.p_rupture)),
            "war": (("chain", "draw", "year"), shaped(w)),
        },
        coords={
            "chain": post.chain.values,
            "draw": post.draw.values,
            "year": years,
            "channel": spec.channel_names,
            "indicator": spec.indicator_names,
        },
        attrs={"seed": seed, "conditional": drivers is not None},
    )


def standardize(history: History, spec: ModelSpec, scaling: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Transform and z-score the observed indicators in ``years`` with ``scaling`` (a training window's)."""
    out = {}
    for name in spec.indicator_names:
        forward, _ = TRANSFORMS[spec.indicators[name].transform]
        raw = history.indicators[name].reindex(years).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = forward(raw)
        x = x.where(np.isfinite(x))
        out[name] = (x - scaling.loc[name, "mean"]) / scaling.loc[name, "sd"]
    return pd.DataFrame(out, index=years)


__all__ = ["WINDOWS", "BacktestSettings", "Window", "backtest_fit", "simulate", "standardize"]
