"""What a what-if changes: priors of a lens, and which parts of the forecast they touch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from pymc_extras.prior import Prior

from hedgecast.forecasting.scenarios import resolve
from hedgecast.priors.groups import FORECAST_GROUPS
from hedgecast.priors.lenses import Lens

__all__ = ["EDIT_REASON", "affects", "as_prior", "edited_lens", "is_forecast_prior", "prior_record"]

EDIT_REASON = "what-if edit (stress test)"


def is_forecast_prior(name: str) -> bool:
    """Whether the prior called ``name`` is forecast-only (not in the fitted model)."""
    return name.split(".")[0] in FORECAST_GROUPS


def affects(spec, prior_name: str, scenario: str) -> bool:
    """Whether the forecast of ``scenario`` depends on the prior called ``prior_name``.

    Fitted priors and war transitions affect every scenario; a scenario probability
    affects only the scenarios whose intervention (or included part) it makes uncertain.
    """
    group = prior_name.split(".")[0]
    if group == "scenario_probability":
        target = prior_name.split(".", 1)[1]  # the scenario itself or any part it includes
        return any(n.name == target and n.probability == "lens" for n in resolve(spec, scenario).nodes())
    if group == "branch_probability":  # only the mixture (or a scenario that includes it)
        target = prior_name.split(".", 1)[1]
        return any(n.name == target and n.own.branch_probabilities == "lens" for n in resolve(spec, scenario).nodes())
    return True


def as_prior(value: Any) -> Prior:
    """``value`` as a Prior (a Prior, or a dict with ``dist`` and its parameters)."""
    if isinstance(value, Prior):
        return value
    if isinstance(value, Mapping):
        raw = dict(value)
        dist = raw.pop("dist")
        return Prior(dist, **raw.get("kwargs", raw))
    raise TypeError(f"a changed prior must be a pymc_extras Prior (or a dict with 'dist'), got {value!r}")


def edited_lens(lens: Lens, changes: Mapping[str, Prior], name: str | None = None, reason: str = EDIT_REASON) -> Lens:
    """Copy ``lens`` with ``changes`` applied (each validated as a lens prior)."""
    out = lens.derive(name or f"{lens.name}-edit")
    for prior_name, prior in changes.items():
        out = out.with_prior(prior_name, as_prior(prior), reason=reason)
    return out


def prior_record(prior: Any) -> dict:
    """A changed prior as plain JSON data: ``{"dist": ..., <parameter>: <value>, ...}``."""
    prior = as_prior(prior)
    return {"dist": prior.distribution, **{p: _plain(x) for p, x in prior.parameters.items()}}


def _plain(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    return x
