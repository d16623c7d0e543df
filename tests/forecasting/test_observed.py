"""The class rules applied to the observed record (the realised class) and the references read from it."""

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hedgecast.errors import SpecError
from hedgecast.forecasting.forecast import forecast
from hedgecast.forecasting.observed import UNDETERMINED, realised_class, record_from_history, record_from_inputs, reference_problems
from hedgecast.forecasting.trajectories import TrajectoryClass


def test_the_2015_16_rupture_is_realised_as_rupture(workbench):
    spec, history = workbench.spec, workbench.history
    assert history.incidents.loc[2015, "escalated"] >= 1  # the Su-24 shoot-down escalated (data/curated/incidents.csv)
    for year in (2015, 2016):
        assert realised_class(spec, history, year).name == "rupture"


def test_a_normal_year_is_not_rupture(workbench):
    got = realised_class(workbench.spec, workbench.history, 2024)
    assert got.determined and got.name == "transactional_equilibrium"
    # as a forecast made at the end of 2019 would have read it: against the 2015–2019 references
    assert realised_class(workbench.spec, workbench.history, 2024, as_of=2019).name == "transactional_equilibrium"


def test_a_year_the_record_cannot_classify_says_which_inputs_are_missing(workbench):
    got = realised_class(workbench.spec, workbench.history, 2025)  # no visitor figure for 2025
    assert got.name == UNDETERMINED and not got.determined
    assert any("russian_tourists_k: not observed in 2025" in m for m in got.missing), got.missing
    early = realised_class(workbench.spec, workbench.history, 2019, as_of=2014)  # before 2015–16: no low to compare with
    assert early.name == UNDETERMINED and any("russian_tourists_k_low_2015_16" in m for m in early.missing)
    with pytest.raises(ValueError, match="not a year of the record"):
        realised_class(workbench.spec, workbench.history, 2030)


def test_references_are_read_from_the_curated_record(workbench):
    record = record_from_history(workbench.spec, workbench.history)
    refs = record.references()
    raw = workbench.history.indicators
    assert refs["russian_tourists_k_low_2015_16"] == raw.loc[[2015, 2016], "russian_tourists_k"].min() == raw.loc[2016, "russian_tourists_k"]
    assert refs["unga_agreement_low_2015_16"] == raw.loc[[2015, 2016], "unga_agreement"].min()
    assert refs["trade_usd_bn_recent"] == pytest.approx(raw.loc[2021:2025, "trade_usd_bn"].mean())
    # trade's 2016 total is UNSOURCED, so missing: its "low" is 2015's alone, and the sources say so
    assert np.isnan(raw.loc[2016, "trade_usd_bn"]) and refs["trade_usd_bn_low_2015_16"] == raw.loc[2015, "trade_usd_bn"]
    assert record.reference_sources()["trade_usd_bn_low_2015_16"].startswith("lowest of 2015: ")
    assert "gdelt_tone" not in record.values.columns
    # the figures the spec's class descriptions and comments quote are the record's
    text = Path(workbench.spec.path).read_text(encoding="utf-8")
    assert "866 thousand in 2016" in text and f"{refs['russian_tourists_k_low_2015_16']:.0f}" == "866"
    recent = f"trade {refs['trade_usd_bn_recent']:.1f} (2021–2024), visitors {refs['russian_tourists_k_recent']:,.0f} (2021–2024)"
    assert recent in text
    assert f"meetings {refs['leader_meetings_recent']:.1f} (2021–2025), UNGA {refs['unga_agreement_recent']:.3f} (2021, 2022)" in text
    # the forecast reads the same record back from its model inputs
    again = record_from_inputs(workbench.spec, workbench.inputs).references()
    for name, value in refs.items():
        np.testing.assert_allclose(again[name], value, rtol=1e-9)


def test_a_rule_on_a_reference_the_record_lacks_is_rejected(workbench, mock_fit, baseline):
    spec = workbench.spec
    bad = [TrajectoryClass("rupture", "trade_usd_bn <= trade_usd_bn_low_2015_16"), *spec.trajectories[1:]]
    spec_bad = dataclasses.replace(spec, trajectories=bad)
    assert reference_problems(spec_bad, record_from_history(spec_bad, workbench.history)) == []  # 2015 is observed
    problems = reference_problems(spec_bad, record_from_history(spec_bad, workbench.history.truncate(2014)))  # before 2015–16
    assert len(problems) == 1 and problems[0].field == "trajectories[0].rule" and "trade_usd_bn_low_2015_16" in problems[0].message
    # a forecast from a record without a 2015–16 trade value (synthetic: 2015 blanked) refuses to run
    z = mock_fit.inputs.standardized.copy()
    z.loc[[2015, 2016], "trade_usd_bn"] = np.nan
    inputs = dataclasses.replace(mock_fit.inputs, standardized=z)
    with pytest.raises(SpecError, match=r"turkiye_russia\.toml \[trajectories\[0\]\.rule\].*does not determine"):
        forecast(mock_fit.idata, spec_bad, baseline, inputs, ["status_quo"])


def test_a_recent_reference_outlives_its_source(workbench):
    """A record extended past a series' last observation (synthetic years: UNGA data end in 2022) keeps its reference."""
    from hedgecast.forecasting.rule_variables import RuleRecord

    record = record_from_history(workbench.spec, workbench.history)
    later = [2026, 2027, 2028, 2029, 2030]  # synthetic: five more years in which no series is observed
    extended = RuleRecord(pd.concat([record.values, pd.DataFrame(index=later, columns=record.values.columns, dtype=float)]), record.events)
    refs, sources = extended.references(), extended.reference_sources()
    unga = record.values["unga_agreement"]
    end = int(unga.last_valid_index())
    assert refs["unga_agreement_recent"] == pytest.approx(unga.loc[end - 4 : end].dropna().mean())
    assert "the last years observed (none in 2026–2030)" in sources["unga_agreement_recent"]
    # within the record nothing changes: the last five years are used whenever they hold a value
    assert record.references()["unga_agreement_recent"] == pytest.approx(unga.loc[2021:2025].dropna().mean())
