"""Cached report sections: the same report, recomputed only when something a section depends on changed."""

from __future__ import annotations

import dataclasses
import types

import pandas as pd
import pytest

from hedgecast.report import api
from hedgecast.report.contracts import Figure
from hedgecast.report.render import render_document
from hedgecast.report.section_cache import SectionCache, forecast_keys, section_key

CACHED = {"headline", "base-rates", "questions", "channels", "indicators", "differences", "learning", "ppc", "diagnostics"}
#: values kept beside the sections: the headline against its base rates (the Base rates section and the command's table)
VALUES = {"headline-rates"}


@pytest.fixture
def fit(mock_fit):
    return dataclasses.replace(mock_fit, _forecasts={})


def _report(fit, cache, **kwargs):
    run = {"id": "run-1", "created": "2026-01-01T00:00:00+00:00"}  # a fixed time: the header says when
    return render_document(api.build_report(fit, include_saved=False, cache=cache, run_info=run, **kwargs))


def test_a_second_report_reads_every_costly_section_and_is_the_same(fit, tmp_path):
    first = SectionCache(tmp_path)
    html = _report(fit, first)
    assert (first.hits, first.misses) == (0, len(CACHED) + len(VALUES))
    again = SectionCache(tmp_path)
    assert _report(fit, again) == html
    assert (again.hits, again.misses) == (len(CACHED), 0)
    assert _report(fit, None) == html


def test_cached_sections_hold_their_figures_as_png(fit, tmp_path):
    cache = SectionCache(tmp_path)
    sections = api.fit_sections(fit, fit.forecast(), cache=cache)[0]
    figures = [f for s in sections if s.id in CACHED for f in s.figures]
    assert figures and all(isinstance(f, Figure) and f.figure[:8] == b"\x89PNG\r\n\x1a\n" for f in figures)


def test_the_key_follows_the_forecast_the_lens_and_the_fit(fit, workbench):
    fc = fit.forecast()
    key = section_key("headline", None, [fit], [forecast_keys(fit, fc)])
    assert key is not None
    assert section_key("headline", None, [fit], [forecast_keys(fit, fit.forecast())]) == key
    other_seed = fit.forecast(seed=fit.settings.seed + 1)
    assert section_key("headline", None, [fit], [forecast_keys(fit, other_seed)]) != key
    assert section_key("channels", None, [fit], [forecast_keys(fit, fc)]) != key
    edited = dataclasses.replace(fit, lens=fit.lens.derive("edited"), _forecasts={})
    assert section_key("headline", None, [edited], [forecast_keys(edited, edited.forecast())]) != key
    reused = dataclasses.replace(fit, reused_from="run-x", notes=["completed"], idata=fit.idata.copy())
    reused.idata.add_groups({"predictions": fc.data})
    assert section_key("headline", None, [reused], [forecast_keys(fit, fc)]) == key, "a reused fit reads the sections its fitting left"


def test_anything_but_a_workbench_fit_and_its_own_forecast_is_not_cached(fit, tmp_path):
    """A forecast the fit did not make (e.g. reweighted by a prior edit), or a fit-like object, is computed as before."""
    fc = fit.forecast()
    foreign = type(fc)(fc.data.copy(), fc.spec)
    assert forecast_keys(fit, foreign) is None
    assert section_key("headline", None, [fit], [forecast_keys(fit, foreign)]) is None
    like = types.SimpleNamespace(**{f.name: getattr(fit, f.name) for f in dataclasses.fields(fit)})
    assert section_key("learning", None, [like]) is None
    cache = SectionCache(tmp_path)
    _report(fit, cache, forecast=foreign)
    assert {p.stem for p in tmp_path.glob("*.pkl")} and cache.misses == len(CACHED - {"headline", "base-rates", "questions", "channels", "indicators", "differences"})


def test_prune_keeps_the_most_recent(tmp_path):
    import os

    cache = SectionCache(tmp_path)
    for i in range(5):
        path = tmp_path / f"{i}.pkl"
        path.write_bytes(b"x")
        os.utime(path, (i, i))
    cache.prune(keep=2)
    assert sorted(p.stem for p in tmp_path.glob("*.pkl")) == ["3", "4"]


def test_the_headline_under_other_inclusion_rules_is_kept_and_their_forecasts_are_not_recomputed(fit, workbench, tmp_path):
    others = [workbench.fit(fit.lens, fit.settings, inclusion=level) for level in ("strict", "loose")]
    html = _report(fit, SectionCache(tmp_path), inclusion_fits=others)
    fresh = [dataclasses.replace(f, _forecasts={}) for f in others]
    again = SectionCache(tmp_path)
    assert _report(fit, again, inclusion_fits=fresh) == html
    assert again.misses == 0 and all(f._forecasts == {} for f in fresh), "no other rule's fit was forecast again"
    assert _report(fit, None, inclusion_fits=others) == html
    assert "The headline under other inclusion rules" in html and "loose" in html


def test_a_reused_fit_is_keyed_by_the_digest_its_run_recorded_and_a_fit_derived_from_it_by_its_draws(fit):
    from hedgecast.model.fit_key import posterior_digest
    from hedgecast.report.section_cache import fit_identity

    reused = dataclasses.replace(fit, reused_from="run-x", posterior_sha256="recorded-by-the-run")
    assert fit_identity(reused)["posterior"] == "recorded-by-the-run"
    derived = dataclasses.replace(reused, reused_from=None)  # e.g. a prior edit of it, reweighted
    assert fit_identity(derived)["posterior"] == posterior_digest(fit.idata) == fit_identity(fit)["posterior"]


def test_the_questions_key_follows_the_questions_file_and_the_data(project_copy):
    from hedgecast.config import Paths
    from hedgecast.report.section_cache import project_files_digest

    paths = Paths(project_copy)
    before = project_files_digest(paths)
    assert project_files_digest(paths) == before
    paths.questions.write_text(paths.questions.read_text(encoding="utf-8") + "\n# an analyst's note\n", encoding="utf-8")
    after_questions = project_files_digest(paths)
    assert after_questions != before
    incidents = paths.curated / "incidents.csv"
    incidents.write_text(incidents.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert project_files_digest(paths) != after_questions


def test_an_edited_lens_reforecasts_that_lens_only_for_the_lens_comparison(fit, workbench, tmp_path):
    from pymc_extras.prior import Prior

    from hedgecast.report.contracts import Table
    from hedgecast.report.sections.lenses import lenses_section

    other = workbench.fit(workbench.lens("kusa_2022"), fit.settings)
    api.comparison_section([fit, other], SectionCache(tmp_path))
    edited_lens = other.lens.with_prior("cushion", Prior("Normal", mu=0.3, sigma=0.4), reason="a test edit")
    edited = workbench.fit(edited_lens, fit.settings)
    unchanged = dataclasses.replace(fit, _forecasts={})
    section = api.comparison_section([unchanged, edited], SectionCache(tmp_path))
    assert unchanged._forecasts == {}, "the unchanged lens's numbers came from the cache, not a new forecast"
    assert edited._forecasts != {}, "the edited lens was forecast"
    direct = lenses_section([fit, edited])
    tables = [[b.frame for b in s.blocks if isinstance(b, Table)] for s in (section, direct)]
    assert len(tables[0]) == len(tables[1]) > 0
    for got, want in zip(*tables, strict=True):
        pd.testing.assert_frame_equal(got, want)
