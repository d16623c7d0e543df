"""Fitting a lens to the history with NUTS (nutpie), and checking the sampler honestly.

The model is compiled once per prior *structure* (distribution families) and observed data;
a lens with the same structure reuses the compiled model and only swaps its hyperparameter
values and its driver codings (its reading of the present), so neither editing a prior nor a
lens's own codings recompiles.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import warnings
from dataclasses import asdict, dataclass, field

import arviz as az
import numpy as np
import pymc as pm
import xarray as xr
from pymc.backends.arviz import find_constants, find_observations

from hedgecast import timing
from hedgecast.inputs.spec import ModelSpec
from hedgecast.model.derived import DerivedGroups
from hedgecast.model.equations import (
    DRIVER_VALUES,
    ESCALATION_COUNTS,
    HYPERPARAMETERS,
    INCIDENT_COUNTS,
    ModelInputs,
    build_model,
    hyperparameter_vector,
    observation_coords,
    prior_structure,
)
from hedgecast.priors.lenses import Lens

RHAT_MAX = 1.01
ESS_MIN = 400


def ignore_known_warnings() -> None:
    """Inside ``warnings.catch_warnings()``: ignore the third-party notices compiling and sampling are known to raise.

    Only PyTensor's "could not link to a BLAS installation" (pip wheels: slower linear algebra,
    said once per process) is expected; nutpie, PyMC's NUTS and prior sampling raise no other
    warning on this model, and any new one should be seen.
    """
    warnings.filterwarnings("ignore", message=".*could not link to a BLAS installation.*", category=UserWarning)


@dataclass(frozen=True)
class SamplerSettings:
    """How to run NUTS. Defaults are what the report uses."""

    draws: int = 2000
    tune: int = 1000  # with the low-rank mass matrix, 1,000 tuning steps gave the min bulk ESS and R-hat of 1,500 (17 fits, no divergence)
    chains: int = 4
    seed: int = 2026
    # With nutpie's diagonal mass matrix 0.98 left divergences in some lenses (6 in kusa_2022), so it was
    # 0.995: 63 leapfrog steps a draw, 12–17 s a lens. Its low-rank mass matrix, which learns the
    # correlations of the loadings, intercepts and latent path, takes 32 steps a draw at 0.985, 9–11 s a
    # lens with more min bulk ESS (1,465–2,164 against 1,219–1,651), and gave no divergence in 17 fits
    # (every lens at two seeds, every incident rule); at 0.98 one of those 17 fits had one.
    target_accept: float = 0.985
    low_rank: bool = True  # nutpie's low-rank modified mass matrix (nutpie only; PyMC's NUTS has no such option)
    sampler: str = "nutpie"  # "pymc" (PyMC's NUTS, C backend), or "mock" (prior draws; for tests)

    @classmethod
    def from_record(cls, saved: dict) -> SamplerSettings:
        """The settings a saved run records (runs saved before ``low_rank`` existed used the diagonal mass matrix)."""
        return cls(**{"low_rank": False, **saved})


@dataclass
class Diagnostics:
    """R-hat, effective sample sizes and divergences of one fit, and whether they pass."""

    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    divergences: int
    n_samples: int
    worst: dict[str, str] = field(default_factory=dict)

    @property
    def problems(self) -> list[str]:
        out = []
        if not self.max_rhat <= RHAT_MAX:
            out.append(f"R-hat {self.max_rhat:.3f} > {RHAT_MAX} ({self.worst.get('rhat', '')}): chains disagree")
        if not self.min_ess_bulk >= ESS_MIN:
            out.append(f"bulk ESS {self.min_ess_bulk:.0f} < {ESS_MIN} ({self.worst.get('ess_bulk', '')})")
        if not self.min_ess_tail >= ESS_MIN:
            out.append(f"tail ESS {self.min_ess_tail:.0f} < {ESS_MIN} ({self.worst.get('ess_tail', '')})")
        if self.divergences > 0:
            out.append(f"{self.divergences} divergent transitions")
        return out

    @property
    def passed(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed, "problems": self.problems}


def diagnose(idata: az.InferenceData, var_names: list[str]) -> Diagnostics:
    """Compute R-hat (rank-normalized), bulk/tail ESS and divergences over ``var_names``."""
    post = idata.posterior[var_names]
    rhat = az.rhat(post)
    ess_bulk = az.ess(post, method="bulk")
    ess_tail = az.ess(post, method="tail")

    def extreme(ds: xr.Dataset, fn) -> tuple[float, str]:
        best, where = None, ""
        for name, da in ds.data_vars.items():
            vals = np.asarray(da.values, dtype=float).ravel()
            if vals.size == 0 or np.isnan(vals).all():
                continue
            i = int(np.nanargmax(vals) if fn is max else np.nanargmin(vals))
            v = float(vals[i])
            if best is None or (v > best if fn is max else v < best):
                best, where = v, name
        return (best if best is not None else float("nan")), where

    r, r_at = extreme(rhat, max)
    eb, eb_at = extreme(ess_bulk, min)
    et, et_at = extreme(ess_tail, min)
    div = int(idata.sample_stats["diverging"].sum()) if "diverging" in idata.sample_stats else 0
    n = idata.posterior.sizes["chain"] * idata.posterior.sizes["draw"]
    return Diagnostics(r, eb, et, div, n, {"rhat": r_at, "ess_bulk": eb_at, "ess_tail": et_at})


class CompiledModel:
    """A PyMC model compiled for nutpie, reusable across lenses of the same structure."""

    def __init__(self, spec: ModelSpec, lens: Lens, inputs: ModelInputs):
        self.spec, self.inputs = spec, inputs
        self.structure = prior_structure(lens)
        self.model = build_model(spec, lens, inputs)
        self._lens = lens
        self._nutpie = None
        self._predictive = None
        self._derived = None
        self._logp = None

    @property
    def logp_graph(self):
        """The model's joint log density graph (``model.logp()``; built once, then shared by nutpie and the derived groups' key)."""
        if self._logp is None:
            self._logp = self.model.logp()
        return self._logp

    @property
    def predictive_model(self) -> pm.Model:
        """The same model with ``y_all`` (every indicator, every year), for the posterior predictive.

        Its hyperparameters are irrelevant there: the predictive draws condition on the posterior.
        """
        if self._predictive is None:
            self._predictive = build_model(self.spec, self._lens, self.inputs, impute=True)
        return self._predictive

    @property
    def derived_groups(self) -> DerivedGroups:
        """The one compiled function of a fit's log-likelihood, log prior and posterior predictive (built on first use)."""
        if self._derived is None:
            with warnings.catch_warnings():
                ignore_known_warnings()
                self._derived = DerivedGroups(self.model, self.predictive_model, self.logp_graph)
        return self._derived

    def set_drivers(self, drivers: np.ndarray) -> None:
        """Put these driver codings (driver × year) into the model's data: no recompile.

        A lens with its own reading of the present fits the same compiled model with its codings.
        """
        drivers = np.asarray(drivers, dtype=float)
        if np.array_equal(drivers, self.inputs.drivers):
            return
        if drivers.shape != self.inputs.drivers.shape:
            raise ValueError(f"driver codings of shape {drivers.shape}; the model holds {self.inputs.drivers.shape}")
        self.inputs = dataclasses.replace(self.inputs, drivers=drivers, driver_means=drivers[:, : self.inputs.n_centre].mean(axis=1))
        for model in (self.model, self._predictive):
            if model is not None:
                with model:
                    pm.set_data({DRIVER_VALUES: drivers})

    def set_incidents(self, incidents: np.ndarray, escalations: np.ndarray, inclusion: str) -> None:
        """Put these incident and escalation counts (per year) into the model's data: no recompile.

        Another inclusion rule of the same history fits the same compiled model; the crisis years
        of the state equation follow the escalations in the graph.
        """
        incidents, escalations = (np.asarray(a, dtype=np.int64) for a in (incidents, escalations))
        if np.array_equal(incidents, self.inputs.incidents) and np.array_equal(escalations, self.inputs.escalations):
            self.inputs = dataclasses.replace(self.inputs, inclusion=inclusion)
            return
        if incidents.shape != self.inputs.incidents.shape or escalations.shape != self.inputs.escalations.shape:
            raise ValueError(f"incident counts of shape {incidents.shape}; the model holds {self.inputs.incidents.shape}")
        self.inputs = dataclasses.replace(self.inputs, incidents=incidents, escalations=escalations, inclusion=inclusion)
        for model in (self.model, self._predictive):
            if model is not None:
                with model:
                    pm.set_data({INCIDENT_COUNTS: incidents, ESCALATION_COUNTS: escalations})

    def nutpie_model(self, lens: Lens):
        """The nutpie-compiled model with ``lens``'s hyperparameters, the current driver codings and incident counts.

        Compiled on first use, or loaded from the disk cache when this graph was compiled
        before (:mod:`hedgecast.model.nutpie_build`): nutpie's own model, the same draws.
        """
        from hedgecast.model.nutpie_build import compile_nutpie

        if self._nutpie is None:
            with warnings.catch_warnings(), timing.stage("compile"):
                ignore_known_warnings()
                self._nutpie = compile_nutpie(self.model, self.logp_graph)
        return self._nutpie.with_data(
            **{
                HYPERPARAMETERS: hyperparameter_vector(lens),
                DRIVER_VALUES: self.inputs.drivers,
                INCIDENT_COUNTS: self.inputs.incidents,
                ESCALATION_COUNTS: self.inputs.escalations,
            }
        )

    def set_lens(self, lens: Lens) -> None:
        """Put ``lens``'s hyperparameters into the PyMC model's data (for prior sampling)."""
        if prior_structure(lens) != self.structure:
            raise ValueError("lens has a different prior structure; build a new CompiledModel")
        with self.model:
            pm.set_data({HYPERPARAMETERS: hyperparameter_vector(lens)})


_CACHE: dict[str, CompiledModel] = {}


def inputs_key(inputs: ModelInputs) -> str:
    """A digest of all the data a fit depends on (drivers, war, incidents and escalations under
    their inclusion rule, observed cells, years): part of a fit's key."""
    h = hashlib.sha256()
    for arr in (inputs.drivers, inputs.war_index, inputs.incidents, inputs.escalations, inputs.obs_indicator, inputs.obs_year, inputs.obs_value):
        h.update(np.ascontiguousarray(arr).tobytes())
    h.update(repr((inputs.years, inputs.inclusion, inputs.n_centre)).encode())
    return h.hexdigest()


def structure_key(inputs: ModelInputs) -> str:
    """What a compiled model is specific to: everything but the driver codings and the incident
    counts, which it swaps as data."""
    h = hashlib.sha256()
    h.update(repr((inputs.drivers.shape, inputs.incidents.shape, inputs.n_centre)).encode())
    for arr in (inputs.war_index, inputs.obs_indicator, inputs.obs_year, inputs.obs_value):
        h.update(np.ascontiguousarray(arr).tobytes())
    h.update(repr(inputs.years).encode())
    return h.hexdigest()


def compiled_model(spec: ModelSpec, lens: Lens, inputs: ModelInputs) -> CompiledModel:
    """The compiled model for this spec, observed data and prior structure, from the process cache.

    It is returned holding ``lens``'s hyperparameters and ``inputs``' driver codings (a lens's
    reading of the present differs from another's only in those, so they share one model).
    """
    key = hashlib.sha256(repr((spec.sha256, spec.path, prior_structure(lens), structure_key(inputs))).encode()).hexdigest()
    if key not in _CACHE:
        with timing.stage("compile"):
            _CACHE[key] = CompiledModel(spec, lens, inputs)
    cm = _CACHE[key]
    cm.set_drivers(inputs.drivers)
    cm.set_incidents(inputs.incidents, inputs.escalations, inputs.inclusion)
    cm.set_lens(lens)
    return cm


@contextlib.contextmanager
def quiet_sampling_log():
    """Silence PyMC's per-call 'Sampling: [...]' log lines (noise in notebooks; hundreds of them in an SBC run)."""
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def run_nutpie(compiled, settings: SamplerSettings, *, seed: int, cores: int, progress: bool = False) -> az.InferenceData:
    """nutpie's NUTS on a compiled model: ``settings``' draws, tuning, chains and target acceptance.

    Only the draws are stored: no warm-up draws (a sixth of a saved run's size), no unconstrained
    values or gradients.
    """
    import nutpie

    return nutpie.sample(
        compiled,
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        cores=cores,
        seed=seed,
        target_accept=settings.target_accept,
        low_rank_modified_mass_matrix=settings.low_rank,
        save_warmup=False,
        progress_bar=progress,
        progress_template=PROGRESS_TEMPLATE,
        store_unconstrained=False,
        store_gradient=False,
    )


#: set to 0 to hide the sampler's progress bar in Jupyter (the notebook tests do), 1 to show it anywhere
PROGRESS_ENV = "HEDGECAST_PROGRESS"


#: nutpie's progress display, compact: one line and a bar per chain (its own template spends five
#: lines on counts and shows times under a minute as "now")
PROGRESS_TEMPLATE = """
<div class="nutpie">
    <p><strong>Sampling</strong>: {{ total_finished_draws }} of {{ total_draws }} draws (tuning included),
    {{ finished_chains }} of {{ num_chains }} chains finished</p>
    <progress max="{{ total_draws }}" value="{{ total_finished_draws }}"></progress>
    <table>
        <thead><tr><th>Chain</th><th>Draws</th><th>Divergences</th><th>Step size</th><th>Gradients/draw</th></tr></thead>
        <tbody>
            {% for chain in chains %}
            <tr>
                <td class="progress-cell"><progress max="{{ chain.total_draws }}" value="{{ chain.finished_draws }}"></progress></td>
                <td>{{ chain.finished_draws }}</td>
                <td>{{ chain.divergences }}</td>
                <td>{{ chain.step_size }}</td>
                <td>{{ chain.latest_num_steps }}</td>
            </tr>
            {% endfor %}
        </tbody>
    </table>
</div>
"""


def show_progress() -> bool:
    """Whether a fit shows the sampler's progress bar when not told: yes in a Jupyter kernel
    (nutpie draws it there as live HTML), no in scripts and tests; ``HEDGECAST_PROGRESS=0``/``1``
    overrides (headless notebook runs set 0, so executed notebooks carry no progress output)."""
    flag = os.environ.get(PROGRESS_ENV, "").strip().lower()
    if flag in ("0", "false", "no", "off"):
        return False
    if flag in ("1", "true", "yes", "on"):
        return True
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def sample_posterior(spec: ModelSpec, lens: Lens, inputs: ModelInputs, settings: SamplerSettings, progress: bool = False) -> az.InferenceData:
    """Run NUTS for ``lens`` on ``inputs``; returns posterior, sample stats and prior draws."""
    cm = compiled_model(spec, lens, inputs)
    cm.set_lens(lens)
    free = [rv.name for rv in cm.model.free_RVs]
    if settings.sampler == "nutpie":
        compiled = cm.nutpie_model(lens)
        # nothing runs beside nutpie: a Python thread meanwhile (building the derived groups,
        # drawing the prior) slowed its sampling by more than the work it overlapped (12 s → 18.5 s)
        with warnings.catch_warnings(), timing.stage("sampling"):
            ignore_known_warnings()
            idata = run_nutpie(compiled, settings, seed=settings.seed, cores=min(settings.chains, 2), progress=progress)
        data = {v.name for v in cm.model.data_vars}  # nutpie stores the model's data with the draws
        keep = [v for v in idata.posterior.data_vars if v not in data]
        idata.posterior = idata.posterior[keep]
    elif settings.sampler == "pymc":
        with cm.model, warnings.catch_warnings(), timing.stage("sampling"):
            ignore_known_warnings()
            idata = pm.sample(
                draws=settings.draws,
                tune=settings.tune,
                chains=settings.chains,
                cores=min(settings.chains, 2),
                random_seed=settings.seed,
                target_accept=settings.target_accept,
                progressbar=progress,
                compute_convergence_checks=False,
            )
    elif settings.sampler == "mock":
        idata = _mock_posterior(cm.model, free, settings)
    else:
        raise ValueError(f"unknown sampler {settings.sampler!r}: use 'nutpie', 'pymc' or 'mock'")
    idata.add_groups({"prior": prior_draws(cm, settings)})
    idata.attrs["free_rvs"] = free
    idata.attrs["sampler"] = settings.sampler
    return complete_inference_data(cm, idata, settings.seed)


def prior_draws(cm: CompiledModel, settings: SamplerSettings) -> xr.Dataset:
    """Return draws of the prior ``cm`` holds (its last lens's): a fit's ``prior`` group, free variables and latent state."""
    free = [rv.name for rv in cm.model.free_RVs]
    with cm.model, warnings.catch_warnings(), quiet_sampling_log(), timing.stage("prior draws"):
        ignore_known_warnings()
        prior = pm.sample_prior_predictive(draws=min(1000, settings.draws * settings.chains), var_names=[*free, "state"], random_seed=settings.seed)
    return prior.prior


def _mock_posterior(model: pm.Model, free: list[str], settings: SamplerSettings) -> az.InferenceData:
    """Prior draws dressed as a posterior (like ``pymc.testing.mock_sample``): no compile, no NUTS.

    For tests of everything downstream of the sampler; diagnostics on it are meaningless.
    """
    with model, warnings.catch_warnings(), quiet_sampling_log():
        ignore_known_warnings()
        draws = pm.sample_prior_predictive(draws=settings.draws * settings.chains, var_names=[*free, "state"], random_seed=settings.seed + 1)
    post = draws.prior.stack(sample=("chain", "draw")).drop_vars(["chain", "draw", "sample"])
    post = post.assign_coords(sample=np.arange(post.sizes["sample"]))
    post = post.coarsen(sample=settings.draws).construct(sample=("chain", "draw")).assign_coords(chain=np.arange(settings.chains), draw=np.arange(settings.draws))
    post = post.drop_vars("sample", errors="ignore")
    post = post.transpose("chain", "draw", ...)  # each variable keeps its own dim order after the sample dims
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((settings.chains, settings.draws), dtype=bool))}, coords={"chain": post.chain, "draw": post.draw})
    return az.InferenceData(posterior=post, sample_stats=stats)


def _dataset(model: pm.Model, values: dict, coords_extra: dict) -> xr.Dataset:
    """Model data as a Dataset with the model's own dims and coordinates."""
    out = {}
    for name, value in values.items():
        dims = model.named_vars_to_dims.get(name) or tuple(f"{name}_dim_{i}" for i in range(np.ndim(value)))
        out[name] = (dims, np.asarray(value))
    ds = xr.Dataset(out)
    return ds.assign_coords({d: list(model.coords[d]) for d in ds.dims if d in model.coords}).assign_coords(
        {k: v for k, v in coords_extra.items() if v[0] in ds.dims}
    )


#: what :func:`complete_inference_data` adds to a fit's InferenceData
COMPLETE_GROUPS = ("observed_data", "constant_data", "log_likelihood", "log_prior", "posterior_predictive")


def complete_inference_data(cm: CompiledModel, idata: az.InferenceData, seed: int) -> az.InferenceData:
    """Add what ArviZ needs to a fit, all computed by the PyMC model itself (the one definition).

    * ``observed_data`` / ``constant_data`` — the model's observed and constant data, each
      observation labelled ``"<indicator> <year>"`` and, as non-index coordinates, by
      ``obs_indicator`` / ``obs_year`` (as in ``posterior_predictive``);
    * ``log_likelihood`` — pointwise, for ``y`` (one per observed cell), ``incidents`` and
      ``escalations`` (one per year): the numbers of :func:`pymc.compute_log_likelihood` (so
      ``az.loo`` and ``az.psens`` work);
    * ``log_prior`` — every free variable's log density, the numbers of :func:`pymc.compute_log_prior`
      (``path``, the latent state process, is there too; power-scaling leaves it out);
    * ``posterior_predictive`` — replicated ``y``, ``incidents`` and ``escalations``, and ``y_all``: every
      indicator in every year, observed or not (the model's imputation of missing years), each
      draw conditional on that posterior draw.

    The last three come from one function of all draws at once (:class:`hedgecast.model.derived.DerivedGroups`,
    compiled once per compiled model), not PyMC's per-draw loops. Groups already present are
    kept. Each step shows in the stage timings.
    """
    model = cm.model
    extra = observation_coords(cm.spec, cm.inputs)
    groups = {}
    if "observed_data" not in idata.groups():
        groups["observed_data"] = _dataset(model, find_observations(model), extra)
    if "constant_data" not in idata.groups():
        groups["constant_data"] = _dataset(model, find_constants(model), extra)
    derived = ("log_likelihood", "log_prior", "posterior_predictive")
    if any(g not in idata.groups() for g in derived):
        with timing.stage("derived groups"):
            with timing.stage("derived groups compile"):
                fn = cm.derived_groups
            with warnings.catch_warnings():
                ignore_known_warnings()
                out = fn(idata.posterior, [seed, 7])
        # log_likelihood is labelled by the ``obs`` index only: ArviZ's power-scaling cannot stack non-index coordinates
        out["posterior_predictive"] = out["posterior_predictive"].assign_coords({k: v for k, v in extra.items() if v[0] in out["posterior_predictive"].dims})
        groups.update({g: out[g] for g in derived if g not in idata.groups()})
    idata.add_groups(groups)
    return idata
