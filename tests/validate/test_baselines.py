"""The backtests' baselines: persistence and climatology."""

import numpy as np
import pandas as pd
import pytest

from hedgecast.validate.baselines import climatology_ensemble, crisis_climatology, crisis_persistence, persistence_ensemble
from hedgecast.validate.scoring import crps_ensemble, crps_normal


def test_persistence_carries_the_last_value_with_random_walk_spread():
    train = pd.Series([0.0, 1.0, 0.0, np.nan, 2.0], index=[2000, 2001, 2002, 2003, 2004])
    # annual steps: +1, -1, and +2 over two years = 2/√2 per year -> RMS sqrt((1 + 1 + 2) / 3)
    sd = np.sqrt(4 / 3)
    ens = persistence_ensemble(train, [2005, 2008], 4000)
    assert ens.shape == (2, 4000)
    np.testing.assert_allclose(ens.mean(axis=1), 2.0, atol=1e-12)
    np.testing.assert_allclose(ens.std(axis=1), [sd, sd * 2], rtol=2e-3)
    # against the closed form: persistence is Normal(last, sd √h)
    assert crps_ensemble(ens[1], 0.5) == pytest.approx(float(crps_normal(2.0, 2 * sd, 0.5)), abs=1e-3)


def test_climatology_is_the_observed_distribution_up_to_the_cutoff():
    train = pd.Series([1.0, np.nan, 3.0, 2.0], index=[2000, 2001, 2002, 2003])
    ens = climatology_ensemble(train, [2004, 2005])
    np.testing.assert_array_equal(ens, [[1.0, 3.0, 2.0]] * 2)
    crisis = pd.Series([0, 1, 0, 0, 0, 1, 0])
    assert crisis_climatology(crisis) == pytest.approx(2.5 / 8)
    # the cut-off year had no crisis; after no-crisis years: 2000→01 yes, 02→03 no, 03→04 no, 04→05 yes -> 2 of 4... plus 06? last is 06
    assert crisis_persistence(crisis) == pytest.approx((2 + 0.5) / (4 + 1))
