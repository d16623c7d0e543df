"""Each headline probability beside its base rate and its prior-only value (one table for report, CLI and notebooks).

For the status-quo scenario and each headline year ``Y``:

* **P(rupture event by Y)** — base rate from the years with an escalated incident since the
  incidents table begins (:func:`hedgecast.forecasting.base_rates.reference_rates`, at the
  spec's inclusion rule), as 1 − (1 − r)^h over the h forecast years up to ``Y``;
* **P(class in Y)** for every trajectory class — base rate = the share of past years whose
  realised class (the same rules applied to the record,
  :func:`hedgecast.forecasting.observed.realised_class`) was that class.

The prior-only column is the same forecast from the fit's prior draws (its ``prior`` group),
so it differs from the posterior only by what the record taught. Flags follow
:func:`hedgecast.forecasting.base_rates.flag_sentences`.
"""

from __future__ import annotations

from typing import Any

import arviz as az
import pandas as pd

from hedgecast.forecasting.base_rates import BARELY_MOVED_ODDS, FAR_ABOVE_BASE, class_base_rates, flag_sentences, odds_ratio, reference_rates
from hedgecast.forecasting.forecast import Forecast, forecast
from hedgecast.forecasting.observed import realised_class
from hedgecast.inputs.curated import load_incidents

__all__ = ["COLUMNS", "INCIDENTS_SINCE", "REFERENCE", "headline_rates", "prior_only_forecast"]

REFERENCE = "status_quo"
"""The scenario the headline's base rates are set against (the forecast of record)."""

INCIDENTS_SINCE = 1992
"""First year the incidents table covers (``data/curated/README.md``: "serious bilateral incidents since 1992",
the Russian Federation's first full year): a year without an incident since then is a trial too."""

COLUMNS = ["headline", "base rate", "base-rate interval", "base-rate source", "prior only", "posterior", "odds ratio", "flags"]


def prior_only_forecast(fit: Any, scenarios: list[str] | None = None, seed: int = 2026) -> Forecast:
    """The forecast from the fit's prior draws (``idata.prior``): what the lens says before the record."""
    prior = az.InferenceData(posterior=fit.idata.prior)
    return forecast(prior, fit.spec, fit.lens, fit.inputs, scenarios=scenarios or [REFERENCE], seed=seed)


def headline_rates(fit: Any, fc: Forecast, years: list[int], prior_fc: Forecast | None = None) -> pd.DataFrame:
    """One row per headline probability: base rate (with its 90% interval), prior only, posterior, flags.

    ``fit`` needs ``spec``, ``idata`` (with a ``prior`` group), ``lens``, ``inputs`` and
    ``workbench`` (``history`` and ``paths``).
    """
    wb = fit.workbench
    spec, history = fit.spec, wb.history
    if REFERENCE not in fc.scenarios:
        raise ValueError(f"the headline's base rates are set against '{REFERENCE}', which this forecast lacks")
    prior_fc = prior_fc or prior_only_forecast(fit)
    incidents = load_incidents(wb.paths)
    last = int(history.years[-1])
    first = INCIDENTS_SINCE
    rupture = reference_rates(incidents, first, last, fit.inputs.inclusion)["rupture_years"]
    realised = pd.Series({y: realised_class(spec, history, int(y)).name for y in history.years})
    classes = class_base_rates(realised, spec.class_names)
    labels = {t.name: (t.label or t.name) for t in spec.trajectories}
    rows = []
    for y in years:
        horizon = y - last
        base, lo, hi = rupture.within(horizon)
        prior = float(prior_fc.p_rupture_event_by(y).sel(scenario=REFERENCE))
        post = float(fc.p_rupture_event_by(y).sel(scenario=REFERENCE))
        what = f"P(rupture event by {y})"
        rows.append(
            [what, base, (lo, hi), f"{rupture.describe()}; over {horizon} years", prior, post, odds_ratio(prior, post), flag_sentences(what, post, prior, base)]
        )
        p_prior = prior_fc.class_probabilities((y,)).sel(year=y, scenario=REFERENCE)
        p_post = fc.class_probabilities((y,)).sel(year=y, scenario=REFERENCE)
        for c in spec.class_names:
            rate = classes[c]
            what = f"P({labels[c]} in {y})"
            prior, post = float(p_prior.sel(trajectory=c)), float(p_post.sel(trajectory=c))
            rows.append(
                [what, rate.estimate, rate.interval, f"realised class of past years: {rate.describe()}", prior, post, odds_ratio(prior, post), flag_sentences(what, post, prior, rate.estimate)]
            )
    frame = pd.DataFrame(rows, columns=COLUMNS).set_index("headline")
    frame.attrs["rules"] = (
        f"'Barely moved': the posterior odds are within × {BARELY_MOVED_ODDS:g} of the prior-only odds. "
        f"'Far above the base rate': more than {FAR_ABOVE_BASE:g} times it. Base-rate intervals are 90% Jeffreys intervals."
    )
    return frame
