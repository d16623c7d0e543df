"""Power-scaling sensitivity (Kallioinen et al. 2024): which priors, and the likelihood, shape the posterior.

Each prior group (and all priors together, and the likelihood) is raised to α = 1 ± δ by
importance weighting of the fit's own ``log_prior`` / ``log_likelihood`` (:func:`arviz.psens`).
Sensitive to both prior and likelihood signals prior–data conflict; to the prior only, a
weak likelihood.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from hedgecast.dims import SAMPLE_DIMS
from hedgecast.files import records
from hedgecast.priors.groups import FIT_GROUPS, parameter_groups
from hedgecast.priors.lenses import Lens
from hedgecast.stress.progress import Progress, no_progress
from hedgecast.stress.psis import psis, weighted_mean_se
from hedgecast.stress.reweight import Reweighter

__all__ = ["SENSITIVITY_THRESHOLD", "PowerScaling", "group_log_prior", "power_scaling", "prior_variables", "psens"]

SENSITIVITY_THRESHOLD = 0.05
"""Power-scaling sensitivity above which a prior (or the likelihood) counts as influential (Kallioinen et al.)."""


def prior_variables(log_prior: xr.Dataset, group: str) -> list[str]:
    """The model variables that hold prior group ``group``: ``group`` itself, or one per family
    (``group_Normal``, ``group_StudentT`` …) when a lens mixes families within the group.
    """
    return [
        str(v) for v in log_prior.data_vars if v == group or (str(v).startswith(group + "_") and str(v)[len(group) + 1 :][:1].isupper())
    ]


def group_log_prior(idata: az.InferenceData, groups: Sequence[str]) -> xr.Dataset:
    """Log prior density per draw of each prior group, summed over its elements.

    Read from the fit's ``log_prior`` group, which the PyMC model computed itself.
    """
    lp = idata.log_prior
    out = {}
    for g in groups:
        names = prior_variables(lp, g)
        if names:
            out[g] = sum(lp[v].sum([d for d in lp[v].dims if d not in SAMPLE_DIMS]) for v in names)
    return xr.Dataset(out)


@dataclass
class PowerScaling:
    """Power-scaling sensitivity of the posterior to each prior group and to the likelihood."""

    table: pd.DataFrame  # per posterior quantity: prior (all), likelihood, diagnosis, dominant prior group and its sensitivity
    matrix: pd.DataFrame  # prior group (rows) × posterior group (columns): largest sensitivity over the column group's elements
    headline: pd.DataFrame  # prior group × scenario × metric: dP / dlog2(alpha), with k̂ of the scaling weights
    delta: float

    @property
    def conflicts(self) -> pd.DataFrame:
        return self.table[self.table["diagnosis"] == "prior-data conflict"]

    def to_dict(self) -> dict:
        return {
            "delta": self.delta,
            "table": records(self.table),
            "matrix": {str(k): {str(c): _f(v) for c, v in row.items()} for k, row in self.matrix.iterrows()},
            "headline": records(self.headline),
        }


def _f(v) -> float | None:
    return None if v is None or not np.isfinite(v) else float(v)


def _flatten_sens(ds: xr.Dataset, lens: Lens) -> dict[str, float]:
    groups = parameter_groups(lens.spec)
    out: dict[str, float] = {}
    for var, da in ds.data_vars.items():
        dims, elems = groups.get(str(var), ((), [()]))
        if not da.dims:
            out[str(var)] = float(da)
            continue
        for c in elems:
            out[".".join((str(var), *c))] = float(da.sel(dict(zip(dims, c, strict=True))))
    return out


def psens(idata: az.InferenceData, component: str, var_names: list[str], component_var_names=None, delta: float = 0.01) -> xr.Dataset:
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        # ArviZ's psens takes logs and ratios of importance weights that underflow to 0 for
        # draws far in a tail; the RuntimeWarnings it raises there carry no information
        warnings.simplefilter("ignore", RuntimeWarning)
        out = az.psens(idata, component=component, component_var_names=component_var_names, var_names=var_names, delta=delta)
    if isinstance(out, xr.DataArray):  # one variable comes back as a DataArray
        out = out.to_dataset(name=var_names[0])
    return out


def power_scaling(
    fit,
    rw: Reweighter | None = None,
    *,
    groups: Sequence[str] = FIT_GROUPS,
    metrics: Sequence[str] = (),
    delta: float = 0.01,
    progress: Progress = no_progress,
) -> PowerScaling:
    """Power-scaling sensitivity (Kallioinen et al. 2024) of every fitted parameter.

    For each prior group (and for all priors together, and the likelihood) the component
    is raised to α = 1/(1+δ) and 1+δ by importance weighting and the cumulative
    Jensen–Shannon distance of every parameter's posterior is differentiated in log2 α
    (:func:`arviz.psens`). ``diagnosis`` follows the paper: sensitive (≥ 0.05) to both
    prior and likelihood is a prior–data conflict; to the prior only, a strong prior /
    weak likelihood. With ``rw`` and ``metrics``, also how fast each headline probability
    moves when one prior group is power-scaled (dP / dlog2 α).
    """
    lens = fit.lens
    idata = fit.idata
    if "log_prior" not in idata.groups() or "log_likelihood" not in idata.groups():
        raise ValueError("power-scaling needs the fit's log_prior and log_likelihood groups (every fit since 0.2 has them)")
    post = idata.posterior
    groups = [g for g in groups if prior_variables(idata.log_prior, g)]
    var_names = [g for g in groups if g in post]
    components = {g: prior_variables(idata.log_prior, g) for g in groups}
    lp = group_log_prior(idata, groups)
    # the lens's priors only: the latent path's per-year shocks are the state process, not a prior
    lens_priors = [v for g in groups for v in components[g]]
    steps = len(groups) + 2
    progress("Power-scaling: all priors", 0, steps)
    prior_all = _flatten_sens(psens(idata, "prior", var_names, lens_priors, delta), lens)
    progress("Power-scaling: likelihood", 1, steps)
    lik = _flatten_sens(psens(idata, "likelihood", var_names, None, delta), lens)
    per_group: dict[str, dict[str, float]] = {}
    head_rows = []
    for i, g in enumerate(groups):
        progress(f"Power-scaling: prior {g}", 2 + i, steps)
        per_group[g] = _flatten_sens(psens(idata, "prior", var_names, components[g], delta), lens)
        if rw is not None and metrics:
            lpg = lp[g].transpose("chain", "draw").values.ravel()
            lo, hi = psis((1 / (1 + delta) - 1) * lpg), psis(delta * lpg)
            for s in rw.scenarios:
                j = rw.scenarios.index(s)
                for m in metrics:
                    q = rw.indicators[rw.quantities.index(m), j]
                    p_lo, _ = weighted_mean_se(q, lo.weights)
                    p_hi, _ = weighted_mean_se(q, hi.weights)
                    head_rows.append(
                        {
                            "prior_group": g,
                            "scenario": s,
                            "metric": m,
                            "dP_dlog2alpha": float(p_hi - p_lo) / (2 * math.log2(1 + delta)),
                            "pareto_k": max(_nz(lo.pareto_k), _nz(hi.pareto_k)),
                        }
                    )
    rows = []
    for q in prior_all:
        dom = max(per_group, key=lambda g: per_group[g].get(q, -np.inf))
        ps, ls = prior_all[q], lik[q]
        if ps >= SENSITIVITY_THRESHOLD and ls >= SENSITIVITY_THRESHOLD:
            diag = "prior-data conflict"
        elif ps >= SENSITIVITY_THRESHOLD:
            diag = "strong prior / weak likelihood"
        else:
            diag = ""
        rows.append(
            {
                "parameter": q,
                "group": q.split(".")[0],
                "prior": ps,
                "likelihood": ls,
                "diagnosis": diag,
                "dominant_prior": dom,
                "dominant_sensitivity": per_group[dom].get(q, np.nan),
            }
        )
    table = pd.DataFrame(rows)
    matrix = pd.DataFrame(
        {col: {g: max(v for k, v in per_group[g].items() if k.split(".")[0] == col) for g in groups} for col in var_names}
    ).reindex(groups)
    progress("Power-scaling", steps, steps)
    return PowerScaling(table, matrix, pd.DataFrame(head_rows), delta)


def _nz(k: float) -> float:
    return -np.inf if not np.isfinite(k) else k
