"""The notebook API: load the spec and data once, then fit lenses, forecast scenarios, compare.

>>> wb = Workbench.load()                       # doctest: +SKIP
>>> fit = wb.fit("baseline")                    # doctest: +SKIP
>>> fc = fit.forecast()                         # doctest: +SKIP
>>> fc.class_probabilities().sel(year=2030)     # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import arviz as az
import pandas as pd
import xarray as xr

from hedgecast import timing
from hedgecast.config import Paths
from hedgecast.forecasting.forecast import Forecast, forecast
from hedgecast.inputs.history import History, load_history
from hedgecast.inputs.spec import ModelSpec, load_spec
from hedgecast.model.equations import ModelInputs, model_inputs
from hedgecast.model.fit import Diagnostics, SamplerSettings, diagnose, sample_posterior, show_progress
from hedgecast.runs import complete_saved_run
from hedgecast.priors.lenses import Lens, list_lenses


@dataclass
class Fit:
    """One lens fitted to the history: the posterior, its diagnostics, and how to forecast from it."""

    lens: Lens
    idata: az.InferenceData
    diagnostics: Diagnostics
    inputs: ModelInputs
    settings: SamplerSettings
    workbench: Workbench
    notes: list[str] = field(default_factory=list)  # e.g. what a run saved by an older version lacked
    _forecasts: dict = field(default_factory=dict)

    @property
    def spec(self) -> ModelSpec:
        return self.lens.spec

    def forecast(self, scenarios: list[str] | None = None, seed: int | None = None) -> Forecast:
        """Simulate 2026–2035 for ``scenarios`` (all by default) from this posterior. Cached."""
        seed = self.settings.seed if seed is None else seed
        key = (tuple(scenarios) if scenarios else None, seed, self.lens.fingerprint())
        if key not in self._forecasts:
            self._forecasts[key] = forecast(self.idata, self.spec, self.lens, self.inputs, scenarios, seed)
        return self._forecasts[key]

    def posterior_predictive(self) -> xr.DataArray:
        """Replicated indicators (standardized) for every year, observed or not: dims ``(chain, draw, indicator, year)``.

        Drawn by the PyMC model (``y_all`` in ``idata.posterior_predictive``), so unobserved
        cells are imputed from the same measurement equation that scores the observed ones.
        """
        return self.idata.posterior_predictive["y_all"].transpose("chain", "draw", "indicator", "year").rename("y_rep")

    def prior_vs_posterior(self) -> pd.DataFrame:
        """For each effect: prior and posterior mean/sd and how much the history narrowed it."""
        rows = []
        for group in ("beta", "leverage_shift", "war_effect", "crisis_effect", "cushion", "rho", "hazard_friction", "hazard_ties"):
            if group not in self.idata.posterior:
                continue
            post = self.idata.posterior[group]
            prior = self.idata.prior[group]
            other = [d for d in post.dims if d not in ("chain", "draw")]
            stacked_post = post.stack(_k=other) if other else post.expand_dims(_k=[0])
            stacked_prior = prior.stack(_k=other) if other else prior.expand_dims(_k=[0])
            for k in range(stacked_post.sizes["_k"]):
                p, q = stacked_post.isel(_k=k), stacked_prior.isel(_k=k)
                key = stacked_post["_k"].values[k]
                parts = key if isinstance(key, tuple) else (key,)
                label = group if not other else ".".join([group, *(str(v) for v in parts)])
                prior_sd, post_sd = float(q.std()), float(p.std())
                rows.append({
                    "parameter": label,
                    "prior_mean": float(q.mean()),
                    "prior_sd": prior_sd,
                    "posterior_mean": float(p.mean()),
                    "posterior_sd": post_sd,
                    "shrinkage": 1 - (post_sd / prior_sd) ** 2 if prior_sd > 0 else float("nan"),
                })
        return pd.DataFrame(rows)


@dataclass
class Workbench:
    """The spec, the data and the lenses of one project, loaded and validated once."""

    spec: ModelSpec
    history: History
    paths: Paths
    inputs: ModelInputs

    @classmethod
    def load(cls, root: str | Path | None = None, spec_path: str | Path | None = None) -> Workbench:
        """Read and validate the model spec and the data (raises a clear error on bad input)."""
        paths = Paths.discover(root)
        spec = load_spec(spec_path or paths.spec)
        history = load_history(spec, paths)
        return cls(spec, history, paths, model_inputs(spec, history))

    def lens(self, name_or_path: str | Path = "baseline") -> Lens:
        """Load a lens by name or path."""
        return Lens.load(name_or_path, self.spec, self.paths)

    def lenses(self) -> list[str]:
        """Names of every lens under ``models/lenses/``, baseline first."""
        return [p.stem for p in list_lenses(self.paths)]

    def load_fit(self, run_id: str) -> Fit:
        """A saved run as a :class:`Fit`, without refitting (spec version must match)."""
        from hedgecast.runs import load_run

        run = load_run(run_id, self.paths, spec=self.spec)
        lens = Lens.load(run.lens_path, self.spec, self.paths)
        manifest = run.manifest
        settings = SamplerSettings(**manifest["settings"])
        d = manifest["diagnostics"]
        diag = Diagnostics(d["max_rhat"], d["min_ess_bulk"], d["min_ess_tail"], d["divergences"], d["n_samples"], d.get("worst", {}))
        first, last = manifest["history_years"]
        inputs = self.inputs if (first, last) == (self.inputs.years[0], self.inputs.years[-1]) else model_inputs(self.spec, self.history.truncate(last))
        idata = run.idata()
        idata.attrs["free_rvs"] = list(idata.attrs.get("free_rvs", [])) or [v for v in idata.posterior.data_vars if v != "state"]
        notes = complete_saved_run(run, self.spec, lens, inputs, idata, settings.seed)
        return Fit(lens, idata, diag, inputs, settings, self, notes=notes)

    def prior_predictive(self, lens: Lens | str = "baseline", draws: int = 500, seed: int = 2026) -> Fit:
        """What a lens implies before seeing data: prior draws in place of the posterior.

        ``.forecast()`` on the result gives class probabilities and fan charts under the
        prior alone — a quick way to catch an absurd prior before fitting.
        """
        return self.fit(lens, sampler="mock", draws=max(1, draws // 2), chains=2, tune=0, seed=seed)

    def fit_lenses(self, lenses: list[str] | None = None, settings: SamplerSettings | None = None, **overrides) -> list[Fit]:
        """Fit several lenses (all of them by default) with the same settings and seed."""
        return [self.fit(name, settings, **overrides) for name in (lenses or self.lenses())]

    def fit(self, lens: Lens | str = "baseline", settings: SamplerSettings | None = None, *, history: History | None = None, progress: bool | None = None, **overrides) -> Fit:
        """Fit ``lens`` to the history (or to ``history``, e.g. truncated for a backtest).

        ``progress``: show the sampler's progress bar; by default yes in a Jupyter notebook
        (see :func:`hedgecast.model.fit.show_progress`), no elsewhere.
        """
        lens = self.lens(lens) if isinstance(lens, (str, Path)) else lens
        settings = settings or SamplerSettings()
        if overrides:
            settings = SamplerSettings(**{**settings.__dict__, **overrides})
        inputs = self.inputs if history is None else model_inputs(self.spec, history)
        with timing.stage("fit"):
            idata = sample_posterior(self.spec, lens, inputs, settings, progress=show_progress() if progress is None else progress)
            diag = diagnose(idata, idata.attrs["free_rvs"])
        return Fit(lens, idata, diag, inputs, settings, self)
