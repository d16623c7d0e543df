"""A saved InferenceData opened group by group: the same data as ``az.from_netcdf``, nothing opened before it is used."""

from __future__ import annotations

import copy

import arviz as az
import pytest

from hedgecast.idata_file import LazyInferenceData, open_idata, variable_names


@pytest.fixture
def saved(mock_fit, tmp_path):
    groups = {g: mock_fit.idata[g] for g in mock_fit.idata.groups()}
    groups["predictions"] = mock_fit.forecast(scenarios=["status_quo"]).data
    idata = az.InferenceData(**groups)
    idata.attrs.update({"free_rvs": ["mu", "rho"], "note": "synthetic: prior draws of the mock sampler"})
    path = tmp_path / "idata.nc"
    idata.to_netcdf(str(path), engine="h5netcdf")
    return path


def test_every_group_is_what_arviz_reads_and_only_used_groups_are_opened(saved):
    lazy, eager = open_idata(saved), az.from_netcdf(saved)
    assert isinstance(lazy, az.InferenceData) and isinstance(lazy, LazyInferenceData)
    assert lazy.groups() == eager.groups() and "predictions" in lazy and len(lazy) == len(eager)
    assert lazy.opened() == []
    assert dict(lazy.attrs) == dict(eager.attrs) and list(lazy.attrs["free_rvs"]) == ["mu", "rho"]
    assert lazy.posterior.identical(eager.posterior)
    assert lazy.opened() == ["posterior"]
    assert lazy["prior"].identical(eager["prior"]) and lazy.opened() == ["posterior", "prior"]
    for group in eager.groups():
        assert lazy[group].identical(eager[group]), group


def test_copies_open_their_groups_from_the_same_file(saved):
    lazy = open_idata(saved)
    for other in (lazy.copy(), copy.deepcopy(lazy), copy.copy(lazy)):
        assert other.opened() == [] and other.groups() == lazy.groups()
        assert other.posterior.identical(az.from_netcdf(saved).posterior)


def test_variable_names_are_read_without_opening_the_group(saved):
    lazy, eager = open_idata(saved), az.from_netcdf(saved)
    assert set(variable_names(lazy, "posterior")) == set(eager.posterior.data_vars)
    assert lazy.opened() == []
    assert variable_names(eager, "posterior") == list(eager.posterior.data_vars)
    lazy.posterior  # noqa: B018 (opens it)
    assert variable_names(lazy, "posterior") == list(eager.posterior.data_vars)


def test_a_missing_attribute_is_an_attribute_error(saved):
    lazy = open_idata(saved)
    with pytest.raises(AttributeError, match="not_a_group"):
        lazy.not_a_group  # noqa: B018
    assert not hasattr(lazy, "warmup_posterior")
