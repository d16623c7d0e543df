"""Simulation-based calibration (SBC) of the fitted model.

For each simulation ``i``: draw every parameter from the lens's prior, simulate the
history the model would then have produced (crisis years first, then the latent
path given those crises, then the indicators on exactly the observed cells), refit
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

The refit swaps the simulated ``obs_value`` and ``crisis_years`` into the compiled
nutpie model with ``with_data`` (no recompile). That this really changes the
likelihood is checked on every worker, once, against PyMC's own log density
(:func:`check_data_swap`), before any simulation is fitted.

    >>> result = run_sbc(workbench, SBCSettings(sims=100), client)   # doctest: +SKIP
    >>> result.worst()                                                # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import json
import logging
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from hedgecast.inputs.spec import ModelSpec
from hedgecast.model.equations import ModelInputs, build_model
from hedgecast.priors.lenses import FIT_GROUPS, Lens
from hedgecast.validate.parallel import map_tasks, task_seed

SECTION_TITLE = "Simulation-based calibration"
NULL_SIMULATIONS = 4000  # draws of the ECDF statistic under exact uniformity (for p-values and bands)
BAND_PROB = 0.95


# ------------------------------------------------------------------------------------
# settings and results
# ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SBCSettings:
    """How many simulations, and how each refit samples.

    ``thin_to`` is ``L``, the number of posterior draws each rank is computed from
    (evenly spaced over all chains' draws, which also thins autocorrelation); ranks
    run over ``0..L``. With ``L = 99`` there are 100 possible ranks, so 10 bins hold
    10 rank values each.
    """

    sims: int = 100
    draws: int = 250
    tune: int = 500
    chains: int = 4
    seed: int = 2026
    target_accept: float = 0.95
    sampler: str = "nutpie"  # or "mock": prior draws dressed as a posterior (ranks exactly uniform; for tests)
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
            SBCSettings(**data["settings"]),
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
    from hedgecast.files import write_atomic

    return write_atomic(Path(path), json.dumps(result.to_dict(), indent=1, default=_json_default))


def load_sbc(path: str | Path) -> SBCResult:
    """Read a result written by :func:`save_sbc`."""
    return SBCResult.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"cannot serialize {type(o).__name__}")


# ------------------------------------------------------------------------------------
# rank statistics and uniformity tests (pure numpy/scipy; tested on synthetic ranks)
# ------------------------------------------------------------------------------------
def thin_indices(n_total: int, n_keep: int) -> np.ndarray:
    """``n_keep`` evenly spaced indices into ``n_total`` draws (all of them if fewer)."""
    if n_keep >= n_total:
        return np.arange(n_total)
    return np.round(np.linspace(0, n_total - 1, n_keep)).astype(int)


def rank_statistic(truth: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Rank of each true value among the draws: ``#(draw < truth)``, in ``0..len(draws)``.

    ``truth`` is ``(P,)``, ``draws`` is ``(L, P)``. A draw equal to the truth (which has
    probability zero for continuous parameters) does not count as less.
    """
    truth = np.asarray(truth, dtype=float)
    draws = np.asarray(draws, dtype=float)
    return (draws < truth[None, :]).sum(axis=0).astype(int)


def rank_histogram(ranks: np.ndarray, ranks_max: int, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Count ``ranks`` (``(N,)`` or ``(N, P)``) in ``bins`` bins over ``0..L``; also return expected counts.

    Bin ``b`` holds rank values ``r`` with ``floor(r * bins / (L + 1)) == b``; when
    ``bins`` does not divide ``L + 1`` the bins hold unequal numbers of values and the
    expected counts say so.
    """
    ranks = np.asarray(ranks)
    values = np.arange(ranks_max + 1)
    which = (values * bins) // (ranks_max + 1)
    width = np.bincount(which, minlength=bins)
    b = (ranks * bins) // (ranks_max + 1)
    if ranks.ndim == 1:
        counts = np.bincount(b, minlength=bins)
    else:
        counts = np.stack([np.bincount(b[:, j], minlength=bins) for j in range(ranks.shape[1])], axis=1)
    expected = ranks.shape[0] * width / (ranks_max + 1)
    return counts, expected


def default_bins(n_sims: int, ranks_max: int) -> int:
    """Bins for the histogram/chi-square: about 5+ expected per bin, at most 20, dividing ``L+1`` if possible."""
    target = int(np.clip(n_sims // 5, 2, 20))
    divisors = [b for b in range(2, 21) if (ranks_max + 1) % b == 0 and b <= target]
    return max(divisors) if divisors else target


def chi2_uniformity(ranks: np.ndarray, ranks_max: int, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Chi-square statistic and p-value of the rank histogram, per column of ``ranks``."""
    counts, expected = rank_histogram(ranks, ranks_max, bins)
    if counts.ndim == 1:
        counts = counts[:, None]
    stat = (((counts - expected[:, None]) ** 2) / expected[:, None]).sum(axis=0)
    return stat, stats.chi2.sf(stat, bins - 1)


def _ecdf_counts(ranks: np.ndarray, ranks_max: int) -> np.ndarray:
    """``#(rank < j)`` for ``j = 1..L``, per column: ``(L, P)``."""
    ranks = np.asarray(ranks)
    if ranks.ndim == 1:
        ranks = ranks[:, None]
    hist = np.stack([np.bincount(ranks[:, j], minlength=ranks_max + 1) for j in range(ranks.shape[1])], axis=1)
    return np.cumsum(hist, axis=0)[:-1]


def ecdf_gamma(ranks: np.ndarray, ranks_max: int) -> np.ndarray:
    """Compute the ECDF-test statistic per column: the smallest two-sided pointwise Binomial tail probability.

    At ``z_j = j / (L + 1)``, under uniformity ``#(rank < j) ~ Binomial(N, z_j)``.
    Small ``gamma`` = the ECDF strays far from the diagonal somewhere.
    """
    counts = _ecdf_counts(ranks, ranks_max)
    n = np.asarray(ranks).shape[0]
    z = (np.arange(1, ranks_max + 1) / (ranks_max + 1))[:, None]
    lower = stats.binom.cdf(counts, n, z)
    upper = stats.binom.sf(counts - 1, n, z)
    return np.minimum(1.0, 2.0 * np.minimum(lower, upper)).min(axis=0)


def ecdf_null(n_sims: int, ranks_max: int, n_null: int = NULL_SIMULATIONS, seed: int = 0) -> np.ndarray:
    """``gamma`` under exact uniformity, ``n_null`` times (deterministic for a seed)."""
    rng = np.random.default_rng([seed, n_sims, ranks_max, 5])
    out = np.empty(n_null)
    chunk = 500
    for start in range(0, n_null, chunk):
        m = min(chunk, n_null - start)
        fake = rng.integers(0, ranks_max + 1, size=(n_sims, m))
        out[start : start + m] = ecdf_gamma(fake, ranks_max)
    return out


def ecdf_pvalue(gamma: np.ndarray, null: np.ndarray) -> np.ndarray:
    """P(gamma under uniformity <= observed gamma), with the +1 Monte Carlo correction."""
    gamma = np.atleast_1d(gamma)
    return (1 + (null[None, :] <= gamma[:, None] + 1e-15).sum(axis=1)) / (len(null) + 1)


def ecdf_band(n_sims: int, ranks_max: int, null: np.ndarray, prob: float = BAND_PROB) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simultaneous ``prob`` band for the ECDF minus the uniform CDF: ``(z, lower, upper)``."""
    crit = float(np.quantile(null, 1 - prob))
    z = np.arange(1, ranks_max + 1) / (ranks_max + 1)
    lo = stats.binom.ppf(crit / 2, n_sims, z) / n_sims - z
    hi = stats.binom.ppf(1 - crit / 2, n_sims, z) / n_sims - z
    return z, lo, hi


def uniformity_table(ranks: np.ndarray, parameters: list[str], ranks_max: int, *, bins: int | None = None, seed: int = 0) -> pd.DataFrame:
    """Per parameter: ECDF ``gamma`` and its p-value, chi-square and its p-value."""
    n = ranks.shape[0]
    bins = bins or default_bins(n, ranks_max)
    gamma = ecdf_gamma(ranks, ranks_max)
    null = ecdf_null(n, ranks_max, seed=seed)
    chi, chi_p = chi2_uniformity(ranks, ranks_max, bins)
    table = pd.DataFrame(
        {
            "ecdf_gamma": gamma,
            "ecdf_p": ecdf_pvalue(gamma, null),
            "chi2": chi,
            "chi2_p": chi_p,
            "bins": bins,
            "mean_rank": ranks.mean(axis=0) / ranks_max,
        },
        index=pd.Index(parameters, name="parameter"),
    )
    return table


# ------------------------------------------------------------------------------------
# simulating a history and refitting it (runs on dask workers)
# ------------------------------------------------------------------------------------
_GENERATORS: dict[str, Any] = {}
_SWAP_CHECKED: set[str] = set()


def _key(spec: ModelSpec, lens: Lens, inputs: ModelInputs) -> str:
    from hedgecast.model.fit import _inputs_key

    return f"{spec.sha256}|{spec.path}|{lens.fingerprint()}|{_inputs_key(inputs)}"


def generator_model(spec: ModelSpec, lens: Lens, inputs: ModelInputs):
    """Return a private copy of the PyMC model for forward simulation (its data is changed freely).

    One per thread, so thread-based workers never share a model whose data they change.
    """
    key = f"{_key(spec, lens, inputs)}|{threading.get_ident()}"
    if key not in _GENERATORS:
        _GENERATORS[key] = build_model(spec, lens, inputs)
    return _GENERATORS[key]


def parameter_groups_in(model) -> list[str]:
    """List the parameter groups SBC ranks (every prior group the model has), in lens order."""
    return [g for g in FIT_GROUPS if g in model.named_vars]


def parameter_labels(model) -> list[str]:
    """One dotted label per scalar parameter (``beta.economic.energy_leverage``), flattening in C order."""
    labels = []
    for g in parameter_groups_in(model):
        dims = model.named_vars_to_dims.get(g) or ()
        if not dims:
            labels.append(g)
            continue
        grids = [[str(c) for c in model.coords[d]] for d in dims]
        for combo in np.ndindex(*[len(x) for x in grids]):
            labels.append(".".join([g, *(grids[k][i] for k, i in enumerate(combo))]))
    return labels


def simulate_history(model, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Draw parameters from the prior and the history they imply.

    Returns ``(truth, obs_value, crisis)``: the true value of every parameter group
    (and of the latent ``path``, under that key), the simulated indicators on the model's observed cells, and simulated crisis
    years. The crises are drawn first and then fed to the latent path (a crisis hits
    the channels in its year), exactly as the fitted model's joint density has it.
    ``model``'s ``crisis_years`` data is left at the simulated value.
    """
    import pymc as pm

    groups = parameter_groups_in(model)
    rng = np.random.default_rng([seed, 1])
    with model, warnings.catch_warnings(), _quiet_pymc():
        warnings.simplefilter("ignore")
        first = pm.sample_prior_predictive(draws=1, var_names=[*groups, "crisis"], random_seed=rng, compile_kwargs={"mode": "FAST_COMPILE"})
        crisis = np.asarray(first.prior_predictive["crisis"].values[0, 0], dtype=int)
        pm.set_data({"crisis_years": crisis})
        # constant_data = the data as now set: without it PyMC treats every pm.Data (the
        # hyper_* priors too) as changed and would redraw the parameters instead of using the truth
        trace = az.InferenceData(posterior=first.prior[groups], constant_data=_data_snapshot(model))
        second = pm.sample_posterior_predictive(
            trace, var_names=["path", "y"], random_seed=rng, progressbar=False, compile_kwargs={"mode": "FAST_COMPILE"}
        )
    truth = {g: np.asarray(first.prior[g].values[0, 0], dtype=float) for g in groups}
    truth["path"] = np.asarray(second.posterior_predictive["path"].values[0, 0], dtype=float)
    y = np.asarray(second.posterior_predictive["y"].values[0, 0], dtype=float)
    return truth, y, crisis


def _data_snapshot(model) -> xr.Dataset:
    """Every ``pm.Data`` of ``model`` at its current value (generic dim names: only values are compared)."""
    out = {}
    for var in model.data_vars:
        value = np.asarray(var.get_value())
        out[var.name] = ([f"{var.name}_dim_{k}" for k in range(value.ndim)], value)
    return xr.Dataset(out)


@contextlib.contextmanager
def _quiet_pymc():
    """Silence PyMC's per-call 'Sampling: [...]' log lines (hundreds of them in an SBC run)."""
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _mock_draws(model, groups: list[str], n: int, seed: int) -> dict[str, np.ndarray]:
    """Prior draws dressed as posterior draws: independent of the data, so ranks are exactly uniform."""
    import pymc as pm

    with model, warnings.catch_warnings(), _quiet_pymc():
        warnings.simplefilter("ignore")
        prior = pm.sample_prior_predictive(
            draws=n, var_names=groups, random_seed=np.random.default_rng([seed, 2]), compile_kwargs={"mode": "FAST_COMPILE"}
        )
    return {g: prior.prior[g].values.reshape(n, -1) for g in groups}


def _nutpie_logp(compiled, x: np.ndarray) -> float:
    x = np.ascontiguousarray(x, dtype=float)
    grad = np.zeros_like(x)
    out = np.zeros(())
    ptr = ctypes.POINTER(ctypes.c_double)
    code = compiled.compiled_logp_func.ctypes(
        x.size, x.ctypes.data_as(ptr), grad.ctypes.data_as(ptr), out.ctypes.data_as(ptr), compiled.user_data.ctypes.data
    )
    return float(out) if code == 0 else float("nan")


def check_data_swap(compiled, model, obs_value: np.ndarray, crisis: np.ndarray) -> dict:
    """Check that swapping observed data into the compiled nutpie model really changes its likelihood.

    ``compiled.with_data(obs_value=…, crisis_years=…)`` must give the log density PyMC
    gives with the same data set in ``model`` (and a different one than the original data).

    Raises ``RuntimeError`` if nutpie ignores the swapped data (e.g. if the observed
    data were frozen into the compiled graph) or disagrees with PyMC.
    """
    import pymc as pm

    point = model.initial_point()
    x = np.concatenate([np.asarray(point[v.name], dtype=float).ravel() for v in model.value_vars])
    old = {"obs_value": model["obs_value"].get_value().copy(), "crisis_years": model["crisis_years"].get_value().copy()}
    swapped = compiled.with_data(obs_value=obs_value, crisis_years=crisis)
    with warnings.catch_warnings():
        # PyTensor's C VM checks a reference count after building a function; in a dask
        # worker, its other threads make that self-check fire spuriously
        warnings.filterwarnings("ignore", message="Detected reference count inconsistency", category=UserWarning)
        try:
            with model:
                pm.set_data({"obs_value": obs_value, "crisis_years": crisis})
            want = float(model.compile_logp()(point))
        finally:
            with model:
                pm.set_data(old)
        before = float(model.compile_logp()(point))
    got = _nutpie_logp(swapped, x)
    ok = np.isfinite(got) and abs(got - want) <= 1e-6 * max(1.0, abs(want)) and abs(want - before) > 1e-9
    out = {"pymc_logp": want, "nutpie_logp": got, "pymc_logp_original_data": before, "ok": bool(ok)}
    if not ok:
        raise RuntimeError(f"swapping observed data into the compiled nutpie model does not change its likelihood as PyMC's: {out}")
    return out


def _fit_draws(
    spec, lens, inputs, settings: SBCSettings, y: np.ndarray, crisis: np.ndarray, seed: int, model
) -> tuple[dict[str, np.ndarray], dict]:
    """Refit the simulated data; returns ``{group: (samples, k)}`` and sampler diagnostics."""
    groups = parameter_groups_in(model)
    if settings.sampler == "mock":
        return _mock_draws(model, groups, settings.draws * settings.chains, seed), {
            "divergences": 0,
            "max_rhat": float("nan"),
            "min_ess_bulk": float("nan"),
        }
    import arviz as az
    import nutpie

    from hedgecast.model.fit import compiled_model

    cm = compiled_model(spec, lens, inputs)
    compiled = cm.nutpie_model(lens)
    key = _key(spec, lens, inputs)
    if key not in _SWAP_CHECKED:
        check_data_swap(compiled, model, y, crisis)
        _SWAP_CHECKED.add(key)
    swapped = compiled.with_data(obs_value=y, crisis_years=crisis)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = nutpie.sample(
            swapped,
            draws=settings.draws,
            tune=settings.tune,
            chains=settings.chains,
            cores=1,  # one thread per dask worker: workers, not chains, are the parallel unit
            seed=seed,
            target_accept=settings.target_accept,
            progress_bar=False,
            store_unconstrained=False,
            store_gradient=False,
        )
        post = idata.posterior[groups]
        rhat = az.rhat(post)
        ess = az.ess(post, method="bulk")
    n = settings.draws * settings.chains
    draws = {g: post[g].values.reshape(n, -1) for g in groups}
    diag = {
        "divergences": int(idata.sample_stats["diverging"].sum()),
        "max_rhat": float(max(np.nanmax(np.asarray(v.values, dtype=float)) for v in rhat.data_vars.values())),
        "min_ess_bulk": float(min(np.nanmin(np.asarray(v.values, dtype=float)) for v in ess.data_vars.values())),
    }
    return draws, diag


def sbc_simulation(spec: ModelSpec, lens: Lens, inputs: ModelInputs, settings: SBCSettings, index: int) -> dict:
    """One SBC simulation (a dask task): simulate, refit, rank. Deterministic in ``(settings.seed, index)``."""
    t0 = time.perf_counter()
    seed = task_seed(settings.seed, index)
    model = generator_model(spec, lens, inputs)
    truth, y, crisis = simulate_history(model, seed)
    draws, diag = _fit_draws(spec, lens, inputs, settings, y, crisis, seed, model)
    groups = parameter_groups_in(model)
    true_flat = np.concatenate([np.ravel(truth[g]) for g in groups])
    draws_flat = np.concatenate([draws[g] for g in groups], axis=1)
    keep = thin_indices(draws_flat.shape[0], settings.ranks_max)
    ranks = rank_statistic(true_flat, draws_flat[keep])
    return {
        "index": index,
        "seed": seed,
        "ranks": ranks.tolist(),
        "n_crises": int(crisis.sum()),
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
    workers = len(client.scheduler_info().get("workers", {})) if hasattr(client, "scheduler_info") else 0
    return SBCResult(
        settings,
        lens.name,
        labels,
        ranks,
        fits,
        seconds=time.perf_counter() - t0,
        workers=workers,
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
    counts = _ecdf_counts(result.ranks, result.ranks_max) / result.n_sims
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
    "SBCResult",
    "SBCSettings",
    "chi2_uniformity",
    "ecdf_gamma",
    "ecdf_pvalue",
    "load_sbc",
    "rank_histogram",
    "rank_statistic",
    "run_sbc",
    "save_sbc",
    "sbc_simulation",
    "uniformity_table",
]
