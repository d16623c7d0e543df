"""Warm refits: when reweighting is unreliable (k̂ > 0.7), fit the edited lens with the compiled model.

A lens with the same prior families reuses the compiled model (prior hyperparameters are
model data), so a refit costs sampling only. :class:`RefitPool` spends a budget of refits
across the stress-test steps and caches them by the changes made.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from pymc_extras.prior import Prior

from hedgecast.model.equations import prior_structure
from hedgecast.priors.lenses import Lens
from hedgecast.stress.changes import as_prior, edited_lens, prior_record
from hedgecast.stress.reweight import Evaluation, Reweighter

if TYPE_CHECKING:  # pragma: no cover
    from hedgecast.forecasting.forecast import Forecast
    from hedgecast.workbench import Fit

__all__ = ["RefitPool", "refit_lens"]


def refit_lens(fit: Fit, lens: Lens, scenarios: Sequence[str], seed: int) -> tuple[Fit, Forecast, dict[str, float], bool]:
    """Fit ``lens`` with ``fit``'s sampler settings (warm if its prior structure is unchanged)."""
    warm = prior_structure(lens) == prior_structure(fit.lens)
    t0 = time.perf_counter()
    new_fit = fit.workbench.fit(lens, fit.settings)
    t1 = time.perf_counter()
    new_fc = new_fit.forecast(list(scenarios), seed=seed)
    t2 = time.perf_counter()
    return new_fit, new_fc, {"refit_s": t1 - t0, "forecast_s": t2 - t1}, warm


class RefitPool:
    """Warm refits under a budget, shared by the stress-test steps, cached by the changes made.

    Each refit gives a new posterior (and forecast, same seed and scenarios), wrapped in a
    :class:`Reweighter`, so nearby what-ifs can be reweighted from it instead of the base.
    """

    def __init__(self, rw: Reweighter, budget: int = 0):
        self.base, self.budget = rw, int(budget)
        self.used = 0
        self.cache: dict[str, Reweighter] = {}
        self.records: list[dict] = []
        self.by_key: dict[str, dict] = {}

    @staticmethod
    def key(changes: Mapping[str, Prior]) -> str:
        return repr(sorted((k, as_prior(v).distribution, sorted(as_prior(v).parameters.items())) for k, v in changes.items()))

    @property
    def left(self) -> int:
        return self.budget - self.used

    def get(self, changes: Mapping[str, Prior]) -> Reweighter | None:
        return self.cache.get(self.key(changes))

    def refit(self, changes: Mapping[str, Prior], why: str = "") -> Reweighter | None:
        """Return the refitted posterior under ``changes`` (cached, or a new warm refit; None if over budget)."""
        key = self.key(changes)
        if key in self.cache:
            return self.cache[key]
        if self.used >= self.budget:
            return None
        self.used += 1
        base = self.base
        lens = edited_lens(base.lens, changes)
        new_fit, new_fc, t, warm = refit_lens(base.fit, lens, base.scenarios, base.seed)
        rw = Reweighter(new_fit, new_fc, year=base.year, scenarios=base.scenarios)
        self.cache[key] = rw
        self.by_key[key] = rec = {
            "changes": {k: prior_record(v) for k, v in changes.items()},
            "why": why,
            "warm": warm,
            "refit_s": t["refit_s"],
            "forecast_s": t["forecast_s"],
            "diagnostics_passed": bool(new_fit.diagnostics.passed),
            "problems": list(new_fit.diagnostics.problems),
        }
        self.records.append(rec)
        return rw

    def evaluate(self, changes: Mapping[str, Prior], why: str = "") -> Evaluation | None:
        rw = self.refit(changes, why=why)
        if rw is None:
            return None
        ev = rw.base()
        ev.method = "refit"
        return ev
