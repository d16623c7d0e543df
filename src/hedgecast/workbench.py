"""The notebook API: load the spec and data once, then fit lenses, forecast scenarios, compare.

>>> wb = Workbench.load()                       # doctest: +SKIP
>>> fit = wb.fit("baseline")                    # doctest: +SKIP
>>> fc = fit.forecast()                         # doctest: +SKIP
>>> fc.class_probabilities().sel(year=2030)     # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from hedgecast import timing
from hedgecast.config import Paths
from hedgecast.dims import SAMPLE_DIMS
from hedgecast.forecasting.forecast import Forecast, forecast
from hedgecast.inputs.history import History
from hedgecast.inputs.spec import ModelSpec, load_spec
from hedgecast.inputs.updates import load_record
from hedgecast.model.equations import ModelInputs, model_inputs
from hedgecast.model.fit import Diagnostics, SamplerSettings, diagnose, sample_posterior, show_progress
from hedgecast.priors.groups import EFFECT_GROUPS
from hedgecast.priors.lenses import Lens, list_lenses
from hedgecast.runs import complete_saved_run, package_versions

if TYPE_CHECKING:  # pragma: no cover
    from hedgecast.stress.psis import Reweighting


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
    reused_from: str | None = None  # the saved run this fit was loaded from instead of refitting
    reweighting: Reweighting | None = None  # set when the draws are another fit's, reweighted for this lens (a prior edit)
    posterior_sha256: str | None = None  # digest of the draws as the saved run recorded it (fit_key.posterior_digest)
    _forecasts: dict = field(default_factory=dict)

    @property
    def spec(self) -> ModelSpec:
        return self.lens.spec

    def forecast(self, scenarios: list[str] | None = None, seed: int | None = None) -> Forecast:
        """Simulate the forecast years for ``scenarios`` (all by default) from this posterior. Cached."""
        seed = self.settings.seed if seed is None else seed
        key = (tuple(scenarios) if scenarios else None, seed, self.lens.fingerprint())
        if key not in self._forecasts:
            self._forecasts[key] = forecast(self.idata, self.spec, self.lens, self.inputs, scenarios, seed)
        return self._forecasts[key]

    def forecast_key_of(self, forecast: Forecast) -> str | None:
        """The key of ``forecast`` (:func:`hedgecast.model.fit_key.forecast_key`) if :meth:`forecast` made it; else None."""
        from hedgecast.model.fit_key import forecast_key

        fingerprint = self.lens.fingerprint()
        for (scenarios, seed, lens_print), made in self._forecasts.items():
            if made is forecast and lens_print == fingerprint:
                return forecast_key(self, seed, list(scenarios) if scenarios else list(self.spec.scenarios))
        return None

    def reuse_saved_forecast(self, saved_key: str | None) -> bool:
        """Take the forecast of every scenario from ``idata.predictions`` if it is the one
        :meth:`forecast` would compute now (same fit, lens, seed, scenarios and code)."""
        from hedgecast.model.fit_key import forecast_key

        if "predictions" not in self.idata.groups() or saved_key is None:
            return False
        scenarios = list(self.spec.scenarios)
        if list(self.idata.predictions["scenario"].values) != scenarios or saved_key != forecast_key(self, self.settings.seed, scenarios):
            return False
        data = self.idata.predictions.copy()
        for name, da in data.data_vars.items():
            if da.dtype == np.float32:  # stored in single precision
                data[name] = da.astype(np.float64)
        self.keep_forecast(Forecast(data, self.spec), self.settings.seed)
        return True

    def keep_forecast(self, fc: Forecast, seed: int) -> None:
        """Make ``fc`` what :meth:`forecast` returns for its scenarios and ``seed`` (and for all, if it has every scenario)."""
        fingerprint = self.lens.fingerprint()
        self._forecasts[(tuple(fc.scenarios), seed, fingerprint)] = fc
        if fc.scenarios == list(self.spec.scenarios):
            self._forecasts[(None, seed, fingerprint)] = fc

    def report(
        self, path: str | Path | None = None, *, forecast: Forecast | None = None, compare=(), inclusion_fits=(), include_saved: bool = True
    ) -> Path:
        """Write the scenario report of this fit (default ``reports/turkiye-russia.html``); return its path.

        The same sections as ``hedgecast report``: ``compare`` (other lenses' fits) adds the
        Lenses section, ``inclusion_fits`` (this lens under other incident inclusion rules,
        :meth:`Workbench.fit_other_rules`) the headline under each to the crisis model section,
        and saved stress / SBC / backtest results under ``reports/`` are included when
        ``include_saved``. ``forecast`` defaults to ``self.forecast()``.
        """
        from hedgecast.report.api import write_report

        return write_report(
            self,
            path,
            forecast=forecast,
            compare=compare,
            inclusion_fits=inclusion_fits,
            include_saved=include_saved,
            run_info={"versions": package_versions()},
        )

    def explain_change(self, other: Fit, **options):
        """Why the headline probabilities moved from this fit to ``other``: each cause's additive share.

        Exact Shapley values over the prior edits, the data and the scenario definition (each
        prior edit its own player while there are at most four changes), from PSIS reweighting
        (k̂ ≤ 0.7), refits and re-run forecasts with common random numbers; every contribution
        has a Monte Carlo error and the table sums to the total change. ``options`` go to
        :func:`hedgecast.stress.attribution.explain_change` (``scenarios``, ``years``, ``progress``, …).

        >>> res = fit.explain_change(other)          # doctest: +SKIP
        >>> res.summary(), res.table(), res.waterfall()   # doctest: +SKIP
        """
        from hedgecast.stress.attribution import explain_change

        return explain_change(self, other, **options)

    def posterior_predictive(self) -> xr.DataArray:
        """Replicated indicators (standardized) for every year, observed or not: dims ``(chain, draw, indicator, year)``.

        Drawn by the PyMC model (``y_all`` in ``idata.posterior_predictive``), so unobserved
        cells are imputed from the same measurement equation that scores the observed ones.
        """
        return self.idata.posterior_predictive["y_all"].transpose("chain", "draw", "indicator", "year").rename("y_rep")

    def prior_vs_posterior(self) -> pd.DataFrame:
        """For each effect: prior and posterior mean/sd and how much the history narrowed it."""
        rows = []
        for group in EFFECT_GROUPS:
            if group not in self.idata.posterior:
                continue
            post = self.idata.posterior[group]
            prior = self.idata.prior[group]
            other = [d for d in post.dims if d not in SAMPLE_DIMS]
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
        spec, history = load_record(load_spec(spec_path or paths.spec), paths)  # to the last year the data cover
        return cls(spec, history, paths, model_inputs(spec, history))

    def lens(self, name_or_path: str | Path = "baseline") -> Lens:
        """Load a lens by name or path."""
        return Lens.load(name_or_path, self.spec, self.paths)

    def lenses(self) -> list[str]:
        """Names of every lens under ``models/lenses/``, baseline first."""
        return [p.stem for p in list_lenses(self.paths)]

    def fit_or_reuse(
        self,
        lens: Lens | str = "baseline",
        settings: SamplerSettings | None = None,
        *,
        refit: bool = False,
        progress: bool | None = None,
        inclusion: str | None = None,
    ) -> Fit:
        """Fit ``lens``, or reuse a saved passing run with the same fit key (see :mod:`hedgecast.model.fit_key`).

        The key covers the model code, the data, the lens's fitted priors and the sampler
        settings, so a reused fit is the fit this call would make. ``refit=True`` always fits.
        ``fit.reused_from`` names the run reused (None when fitted). ``inclusion`` fits the
        crisis model to the incidents of another inclusion rule (strict, main, loose; default
        the spec's): the same compiled model with other incident counts, and another key.
        """
        from hedgecast.model.fit_key import fit_key
        from hedgecast.runs import find_reusable

        lens = self.lens(lens) if isinstance(lens, (str, Path)) else lens
        settings = settings or SamplerSettings()
        run = None if refit else find_reusable(self.paths, fit_key(self.spec, lens, self.inputs_for(lens, inclusion=inclusion), settings))
        if run is None:
            return self.fit(lens, settings, progress=progress, inclusion=inclusion)
        with timing.stage("reuse"):
            fit = self.load_fit(run.id, lens=lens)
            fit.reused_from = run.id
            fit.reuse_saved_forecast(run.manifest.get("forecast_key"))
        return fit

    def fit_other_rules(self, lens: Lens | str = "baseline", settings: SamplerSettings | None = None, *, refit: bool = False) -> list[Fit]:
        """``lens`` fitted (or reused, see :meth:`fit_or_reuse`) to the incidents of every inclusion rule but the spec's.

        Strictest first; each fit is the same compiled model with that rule's incident counts.
        """
        from hedgecast.inputs.schemas import INCLUSION_LEVELS

        others = [level for level in INCLUSION_LEVELS if level != self.spec.crisis_inclusion]
        return [self.fit_or_reuse(lens, settings, refit=refit, inclusion=level) for level in others]

    def load_fit(self, run_id: str, *, lens: Lens | None = None) -> Fit:
        """A saved run as a :class:`Fit`, without refitting (spec version must match).

        ``lens`` replaces the run's own copy of its lens — for a reused fit, whose key
        guarantees the fitted priors are the same, so the current provenance is shown.
        """
        from hedgecast.runs import check_run_model, load_run

        run = load_run(run_id, self.paths, spec=self.spec)
        check_run_model(run)
        lens = lens or Lens.load(run.lens_path, self.spec, self.paths)
        manifest = run.manifest
        settings = SamplerSettings.from_record(manifest["settings"])
        d = manifest["diagnostics"]
        diag = Diagnostics(d["max_rhat"], d["min_ess_bulk"], d["min_ess_tail"], d["divergences"], d["n_samples"], d.get("worst", {}))
        first, last = manifest["history_years"]
        same = (first, last) == (self.inputs.years[0], self.inputs.years[-1])
        inclusion = manifest.get("inclusion", self.spec.crisis_inclusion)
        inputs = self.inputs_for(lens, None if same else self.history.truncate(last), inclusion=inclusion)
        idata = run.idata()
        idata.attrs["free_rvs"] = list(idata.attrs.get("free_rvs", [])) or [v for v in idata.posterior.data_vars if v != "state"]
        notes = complete_saved_run(run, self.spec, lens, inputs, idata, settings.seed)
        return Fit(lens, idata, diag, inputs, settings, self, notes=notes, posterior_sha256=manifest.get("posterior_sha256"))

    def inputs_for(self, lens: Lens, history: History | None = None, *, inclusion: str | None = None) -> ModelInputs:
        """The model inputs a fit of ``lens`` uses: the history (or ``history``) with the lens's reading of the present.

        A lens without a ``[present]`` table keeps the shared codings of ``drivers.csv``.
        ``inclusion`` counts the incidents of another inclusion rule (default the spec's).
        """
        codings = lens.present_codings()
        inclusion = self.spec.crisis_inclusion if inclusion is None else inclusion
        if history is None and not codings and inclusion == self.inputs.inclusion:
            return self.inputs
        return model_inputs(self.spec, (self.history if history is None else history).with_present(codings), inclusion)

    def prior_predictive(self, lens: Lens | str = "baseline", draws: int = 500, seed: int = 2026) -> Fit:
        """What a lens implies before seeing data: prior draws in place of the posterior.

        ``.forecast()`` on the result gives class probabilities and fan charts under the
        prior alone — a quick way to catch an absurd prior before fitting.
        """
        return self.fit(lens, sampler="mock", draws=max(1, draws // 2), chains=2, tune=0, seed=seed)

    def fit_lenses(self, lenses: list[str] | None = None, settings: SamplerSettings | None = None, **overrides) -> list[Fit]:
        """Fit several lenses (all of them by default) with the same settings and seed."""
        return [self.fit(name, settings, **overrides) for name in (lenses or self.lenses())]

    def fit(
        self,
        lens: Lens | str = "baseline",
        settings: SamplerSettings | None = None,
        *,
        history: History | None = None,
        progress: bool | None = None,
        inclusion: str | None = None,
        **overrides,
    ) -> Fit:
        """Fit ``lens`` to the history (or to ``history``, e.g. truncated for a backtest).

        The lens's reading of the present (its ``[present]`` codings) replaces the shared
        codings of those years, for the fit and for the forecast, which starts from them.
        ``progress``: show the sampler's progress bar; by default yes in a Jupyter notebook
        (see :func:`hedgecast.model.fit.show_progress`), no elsewhere. ``inclusion``: the incident
        inclusion rule the crisis model counts (strict, main, loose; default the spec's).
        """
        lens = self.lens(lens) if isinstance(lens, (str, Path)) else lens
        settings = settings or SamplerSettings()
        if overrides:
            settings = SamplerSettings(**{**settings.__dict__, **overrides})
        inputs = self.inputs_for(lens, history, inclusion=inclusion)
        with timing.stage("fit"):
            idata = sample_posterior(self.spec, lens, inputs, settings, progress=show_progress() if progress is None else progress)
            diag = diagnose(idata, idata.attrs["free_rvs"])
        return Fit(lens, idata, diag, inputs, settings, self)
