"""Base rates from the project's own record, and the plain flags beside each headline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hedgecast.config import Paths
from hedgecast.forecasting.base_rates import (
    BARELY_MOVED_ODDS,
    Rate,
    class_base_rates,
    flag_sentences,
    odds_ratio,
    reference_rates,
)
from hedgecast.inputs.curated import load_incidents


def _table(rows):
    return pd.DataFrame(rows, columns=["year", "inclusion", "escalated"])


def test_reference_rates_count_nested_inclusion_and_escalations():
    frame = _table([(1995, "strict", False), (2000, "main", False), (2000, "loose", False), (2015, "strict", True), (2015, "main", False), (2026, "main", True)])
    main = reference_rates(frame, 1992, 2025, "main")
    assert (main["rupture_years"].events, main["rupture_years"].trials) == (1, 34)  # 2026 is after the record
    assert (main["incident_years"].events, main["escalated_share"].events, main["escalated_share"].trials) == (3, 1, 4)
    loose = reference_rates(frame, 1992, 2025, "loose")
    assert loose["escalated_share"].trials == 5
    strict = reference_rates(frame, 1992, 2025, "strict")
    assert (strict["escalated_share"].events, strict["escalated_share"].trials) == (1, 2)


def test_reference_rates_reject_unknown_inclusion():
    with pytest.raises(ValueError, match="unknown inclusion rule 'tight'"):
        reference_rates(_table([]), 1992, 2025, "tight")


def test_jeffreys_interval_and_within_years():
    r = Rate("r", "r", 1, 34, "year", "1992–2025")
    lo, hi = r.interval
    assert lo == pytest.approx(stats.beta.ppf(0.05, 1.5, 33.5))
    assert hi == pytest.approx(stats.beta.ppf(0.95, 1.5, 33.5))
    assert lo < r.estimate < hi
    p, plo, phi = r.within(5)
    assert p == pytest.approx(1 - (1 - 1 / 34) ** 5)
    assert plo < p < phi
    assert Rate("z", "z", 0, 10, "year", "x").interval[0] == 0.0
    with pytest.raises(ValueError, match="per incident"):
        Rate("s", "s", 1, 14, "incident", "x").within(5)


def test_reference_rates_on_the_curated_incidents():
    rates = reference_rates(load_incidents(Paths.discover()), 1992, 2025, "main")
    # the record: one escalated incident (the 2015 Su-24 shoot-down) in 34 years
    assert rates["rupture_years"].events == 1
    assert rates["rupture_years"].trials == 34
    assert rates["escalated_share"].events == 1
    assert "1 in 34 years (1992–2025)" in rates["rupture_years"].describe()


def test_class_base_rates_leave_undetermined_years_out():
    realised = pd.Series(["a", "b", "undetermined", "a"], index=[2000, 2001, 2002, 2003])
    rates = class_base_rates(realised, ["a", "b", "c"])
    assert (rates["a"].events, rates["a"].trials, rates["c"].events) == (2, 3, 0)


def test_flags():
    assert odds_ratio(0.2, 0.2) == pytest.approx(1.0)
    barely = flag_sentences("P(x)", posterior=0.21, prior=0.2, base=0.2)
    assert len(barely) == 1 and "barely moved" in barely[0]
    moved = flag_sentences("P(x)", posterior=0.05, prior=0.2, base=0.04)
    assert moved == []
    high = flag_sentences("P(x)", posterior=0.30, prior=0.10, base=0.10, carriers={"beta": "±8 points"})
    assert len(high) == 1 and "3.0 times the base rate" in high[0] and "beta (±8 points)" in high[0]
    edge = 0.2 * BARELY_MOVED_ODDS / (1 - 0.2 + 0.2 * BARELY_MOVED_ODDS)  # odds exactly × 1.25
    assert odds_ratio(0.2, edge) == pytest.approx(BARELY_MOVED_ODDS)
    assert np.isfinite(odds_ratio(0.0, 1.0))
