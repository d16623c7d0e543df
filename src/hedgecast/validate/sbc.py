"""Simulation-based calibration (SBC) of the fitted model.

For each simulation ``i``: draw every parameter from the lens's prior, simulate the
history the model would then have produced (incidents and their escalations first, which
set the crisis years, then the latent path given those crises, then the indicators on
exactly the observed cells), refit
the model to that simulated history, and record the rank of the true value among
``L`` thinned posterior draws, for every scalar parameter. If the sampler and the
model are right, each parameter's ranks are uniform on ``0..L`` (Talts et al. 2018).

Uniformity is tested two ways per parameter:

* the **ECDF test** (Säilynoja, Bürkner & Vehtari 2022): at every rank value the ECDF
  count is Binomial under uniformity; the statistic ``gamma`` is the smallest
  two-sided pointwise tail probability, and its p-value comes from simulating
  ``gamma`` under exact uniformity (so it accounts for testing at all ``L`` points).
  The same simulation gives the simultaneous 95% band drawn on the ECDF-difference plots;
* a **chi-square** test on the rank histogram (``bins`` equal-width bins), for reference.

With ~50 parameters, the smallest of 50 p-values is small even for a perfect model;
the verdict uses the Bonferroni-adjusted smallest p-value (``min(1, P · p_min)``).

The refit swaps the simulated ``obs_value``, ``incident_counts`` and ``escalation_counts``
into the compiled nutpie model with ``with_data`` (no recompile). That this really changes the
likelihood is checked on every worker, once, against PyMC's own log density
(:func:`hedgecast.validate.refit.check_data_swap`), before any simulation is fitted.

The pieces: :mod:`~hedgecast.validate.simulate_history` (a history from the prior),
:mod:`~hedgecast.validate.refit` (its refit), :mod:`~hedgecast.validate.ranks` (rank
statistics and uniformity tests); this module runs them and holds the result.

    >>> result = run_sbc(wb.spec, lens, wb.inputs, SBCSettings(sims=100), client)   # doctest: +SKIP
    >>> result.worst()                                                # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hedgecast.files import write_json
from hedgecast.inputs.history import rupture_indicator
from hedgecast.inputs.spec import ModelSpec
from hedgecast.model.equations import ESCALATION_COUNTS, INCIDENT_COUNTS, ModelInputs, build_model
from hedgecast.model.fit import SamplerSettings
from hedgecast.priors.lenses import Lens
from hedgecast.validate.parallel import map_tasks, task_seed, worker_count
from hedgecast.validate.ranks import (
    BAND_PROB,
    default_bins,
    ecdf_band,
    ecdf_counts,
    ecdf_null,
    rank_histogram,
    rank_statistic,
    thin_indices,
    uniformity_table,
)
from hedgecast.validate.refit import refit_draws
from hedgecast.validate.simulate_history import generator_model, parameter_groups_in, parameter_labels, simulate_history

SECTION_TITLE = "Simulation-based calibration"


# ------------------------------------------------------------------------------------
# settings and results
# ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SBCSettings(SamplerSettings):
    """How many simulations, and how each refit samples (:class:`SamplerSettings`, lighter).

    ``thin_to`` is ``L``, the number of posterior draws each rank is computed from
    (evenly spaced over all chains' draws, which also thins autocorrelation); ranks
    run over ``0..L``. With ``L = 99`` there are 100 possible ranks, so 10 bins hold
    10 rank values each.
    """

    draws: int = 250
    tune: int = 500
    # target_accept: the product's (SamplerSettings), so SBC calibrates the inference the report uses
    sampler: str = "nutpie"  # or "mock": prior draws dressed as a posterior (ranks exactly uniform; for tests)
    sims: int = 100
    thin_to: int = 99

    def __post_init__(self) -> None:
        if self.sims < 1 or self.draws < 1 or self.chains < 1 or self.tune < 0:
            raise ValueError("sims, draws and chains must be at least 1, tune at least 0")
        if self.sampler not in ("nutpie", "mock"):
            raise ValueError(f"unknown sampler {self.sampler!r} for SBC: use 'nutpie' or 'mock'")

    @property
    def ranks_max(self) -> int:
        """``L``: ranks run over ``0..L``."""
        return min(self.thin_to, self.draws * self.chains)


@dataclass
class SBCResult:
    """Ranks of every scalar parameter in every simulation, and the uniformity tests."""

    settings: SBCSettings
    lens: str
    parameters: list[str]
    ranks: np.ndarray  # (sim, parameter), ints in 0..L
    fits: list[dict]  # per simulation: seed, divergences, max R-hat, min bulk ESS
    seconds: float = float("nan")
    workers: int = 0
    created: str = ""
    statistics: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __post_init__(self) -> None:
        self.ranks = np.asarray(self.ranks, dtype=int)
        if self.statistics.empty and self.ranks.size:
            self.statistics = uniformity_table(self.ranks, self.parameters, self.settings.ranks_max, seed=self.settings.seed)

    @property
    def n_sims(self) -> int:
        return int(self.ranks.shape[0])

    @property
    def ranks_max(self) -> int:
        return self.settings.ranks_max

    def worst(self) -> dict:
        """Return the parameter with the smallest ECDF-test p-value, with its statistics."""
        row = self.statistics.sort_values(["ecdf_p", "chi2_p"]).iloc[0]
        return {"parameter": str(row.name), **{k: float(v) for k, v in row.items()}}

    def summary(self) -> dict:
        """N, L, the worst parameter, and the multiplicity-adjusted verdict."""
        worst = self.worst()
        n_par = len(self.parameters)
        adjusted = min(1.0, worst["ecdf_p"] * n_par)
        divergent = sum(1 for f in self.fits if f.get("divergences", 0) > 0)
        return {
            "n_sims": self.n_sims,
            "ranks_max": self.ranks_max,
            "n_parameters": n_par,
            "worst_parameter": worst["parameter"],
            "worst_ecdf_gamma": worst["ecdf_gamma"],
            "worst_ecdf_p": worst["ecdf_p"],
            "worst_ecdf_p_bonferroni": adjusted,
            "worst_chi2": worst["chi2"],
            "worst_chi2_p": worst["chi2_p"],
            "share_ecdf_p_below_0.05": float((self.statistics["ecdf_p"] < 0.05).mean()),
            "fits_with_divergences": divergent,
            "max_rhat": float(max((f.get("max_rhat", float("nan")) for f in self.fits), default=float("nan"))),
            "calibrated": bool(adjusted >= 0.05),
        }

    def to_dict(self) -> dict:
        return {
            "kind": "hedgecast.sbc",
            "version": 1,
            "created": self.created,
            "lens": self.lens,
            "settings": asdict(self.settings),
            "summary": self.summary(),
            "seconds": self.seconds,
            "workers": self.workers,
            "parameters": list(self.parameters),
            "ranks": self.ranks.tolist(),
            "fits": self.fits,
            "statistics": self.statistics.reset_index().to_dict("records"),
        }

    @classmethod
    def from_dict(cls, data: dict) -> SBCResult:
        if data.get("kind") != "hedgecast.sbc":
            raise ValueError("not an SBC result (expected kind 'hedgecast.sbc')")
        stats_table = pd.DataFrame(data["statistics"]).set_index("parameter") if data.get("statistics") else pd.DataFrame()
        return cls(
            SBCSettings.from_record(data["settings"]),
            data["lens"],
            list(data["parameters"]),
            np.asarray(data["ranks"], dtype=int),
            list(data["fits"]),
            float(data.get("seconds", float("nan"))),
            int(data.get("workers", 0)),
            data.get("created", ""),
            stats_table,
        )


def save_sbc(result: SBCResult, path: str | Path) -> Path:
    """Write ``result`` as JSON, atomically (a failure leaves an older file intact)."""
    return write_json(path, result.to_dict())


def load_sbc(path: str | Path) -> SBCResult:
    """Read a result written by :func:`save_sbc`."""
    return SBCResult.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def sbc_simulation(spec: ModelSpec, lens: Lens, inputs: ModelInputs, settings: SBCSettings, index: int) -> dict:
    """One SBC simulation (a dask task): simulate, refit, rank. Deterministic in ``(settings.seed, index)``."""
    t0 = time.perf_counter()
    seed = task_seed(settings.seed, index)
    model = generator_model(spec, lens, inputs)
    truth, y, counts = simulate_history(model, seed)
    draws, diag = refit_draws(spec, lens, inputs, settings, y, counts, seed, model)
    groups = parameter_groups_in(model)
    true_flat = np.concatenate([np.ravel(truth[g]) for g in groups])
    draws_flat = np.concatenate([draws[g] for g in groups], axis=1)
    keep = thin_indices(draws_flat.shape[0], settings.ranks_max)
    ranks = rank_statistic(true_flat, draws_flat[keep])
    return {
        "index": index,
        "seed": seed,
        "ranks": ranks.tolist(),
        "n_incidents": int(counts[INCIDENT_COUNTS].sum()),
        "n_crises": int(rupture_indicator(counts[ESCALATION_COUNTS]).sum()),
        **diag,
        "seconds": time.perf_counter() - t0,
    }


def run_sbc(
    spec: ModelSpec,
    lens: Lens,
    inputs: ModelInputs,
    settings: SBCSettings,
    client: Any,
    *,
    on_done: Callable[[int, dict], None] | None = None,
) -> SBCResult:
    """Run ``settings.sims`` simulations on the dask ``client`` and test rank uniformity."""
    t0 = time.perf_counter()
    labels = parameter_labels(build_model(spec, lens, inputs))
    args = [(spec, lens, inputs, settings, i) for i in range(settings.sims)]
    outs = map_tasks(client, sbc_simulation, args, on_done=on_done, key_prefix="sbc")
    ranks = np.array([o["ranks"] for o in outs], dtype=int)
    fits = [{k: v for k, v in o.items() if k != "ranks"} for o in outs]
    return SBCResult(
        settings,
        lens.name,
        labels,
        ranks,
        fits,
        seconds=time.perf_counter() - t0,
        workers=worker_count(client),
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )


# ------------------------------------------------------------------------------------
# plots (take a result, return a figure); the report section is hedgecast.report.sections.validation
# ------------------------------------------------------------------------------------
def _grid(n: int, ncols: int = 8, size: float = 1.9):
    from matplotlib.figure import Figure

    nrows = int(np.ceil(n / ncols))
    height = nrows * size * 0.8 + 0.6
    fig = Figure(figsize=(ncols * size, height))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    # fixed margins: a constrained layout over ~50 axes takes seconds to solve
    fig.subplots_adjust(left=0.03, right=0.99, bottom=0.02, top=1 - 0.7 / height, hspace=0.45, wspace=0.3)
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def plot_rank_histograms(result: SBCResult, *, ncols: int = 8):
    """One small rank histogram per parameter, with the 99% range of each bin under uniformity."""
    n_par = len(result.parameters)
    bins = int(result.statistics["bins"].iloc[0]) if "bins" in result.statistics else default_bins(result.n_sims, result.ranks_max)
    counts, expected = rank_histogram(result.ranks, result.ranks_max, bins)
    p_bin = expected / result.n_sims
    lo, hi = stats.binom.ppf(0.005, result.n_sims, p_bin), stats.binom.ppf(0.995, result.n_sims, p_bin)
    fig, axes = _grid(n_par, ncols)
    x = np.arange(bins)
    for j, ax in enumerate(axes):
        ax.fill_between(np.r_[x - 0.5, x[-1] + 0.5], np.r_[lo, lo[-1]], np.r_[hi, hi[-1]], step="post", color="0.85", lw=0)
        ax.bar(x, counts[:, j], width=0.9, color="#4c72b0")
        ax.axhline(expected.mean(), color="0.3", lw=0.6)
        p = float(result.statistics["ecdf_p"].iloc[j])
        ax.set_title(result.parameters[j], fontsize=6.5, color="#b22222" if p < 0.01 else "black")
        ax.set_xticks([])
        ax.tick_params(labelsize=5, length=2)
    fig.suptitle(
        f"Rank histograms ({result.n_sims} simulations, ranks 0–{result.ranks_max} in {bins} bins; "
        "grey: 99% range per bin under uniformity)",
        fontsize=9,
        y=1 - 0.2 / fig.get_figheight(),
    )
    return fig


def plot_ecdf_differences(result: SBCResult, *, ncols: int = 8, prob: float = BAND_PROB):
    """ECDF of the fractional ranks minus the uniform CDF, with a simultaneous ``prob`` band."""
    null = ecdf_null(result.n_sims, result.ranks_max, seed=result.settings.seed)
    z, lo, hi = ecdf_band(result.n_sims, result.ranks_max, null, prob)
    counts = ecdf_counts(result.ranks, result.ranks_max) / result.n_sims
    fig, axes = _grid(len(result.parameters), ncols)
    for j, ax in enumerate(axes):
        ax.fill_between(z, lo, hi, step="mid", color="0.85", lw=0)
        outside = (counts[:, j] - z < lo - 1e-12) | (counts[:, j] - z > hi + 1e-12)
        ax.plot(z, counts[:, j] - z, color="#b22222" if outside.any() else "#4c72b0", lw=0.9)
        ax.axhline(0, color="0.3", lw=0.5)
        ax.set_title(result.parameters[j], fontsize=6.5, color="#b22222" if outside.any() else "black")
        ax.set_xticks([])
        ax.tick_params(labelsize=5, length=2)
    fig.suptitle(
        f"ECDF − uniform CDF of the ranks; grey: simultaneous {prob:.0%} band (red: leaves the band)",
        fontsize=9,
        y=1 - 0.2 / fig.get_figheight(),
    )
    return fig


__all__ = [
    "SECTION_TITLE",
    "SBCResult",
    "SBCSettings",
    "load_sbc",
    "plot_ecdf_differences",
    "plot_rank_histograms",
    "run_sbc",
    "save_sbc",
    "sbc_simulation",
]
