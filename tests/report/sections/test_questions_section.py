"""The report's Questions and What to watch sections: right after the headline, one row per question, mistakes shown."""

from __future__ import annotations

import dataclasses
import tomllib

import pytest
import tomli_w

from hedgecast.forecasting.question_sheet import project_questions
from hedgecast.report.api import fit_sections
from hedgecast.report.sections.questions import question_sections
from hedgecast.workbench import Workbench


def _edit(root, change) -> None:
    path = root / "models" / "questions.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")


@pytest.fixture(scope="module")
def forecast(mock_fit):
    return mock_fit.forecast()


def test_sections_follow_the_headline(mock_fit, forecast):
    main, _ = fit_sections(mock_fit, forecast)
    ids = [s.id for s in main]
    assert ids[:4] == ["headline", "base-rates", "questions", "watch"]


def test_questions_section_has_one_row_per_question_with_its_probability(mock_fit, forecast, workbench):
    qs = project_questions(workbench)
    questions, watch = question_sections(mock_fit, forecast)
    first = questions.tables[0].frame
    assert list(first["id"]) == qs.ids
    p = first.set_index("id")["P"]
    # a direct count over the paths, for one question
    trade = forecast.data["indicator_value"].sel(indicator="trade_usd_bn", scenario="status_quo", year=slice(2026, 2030))
    assert p["trade_below_30bn_2026_2030"] == pytest.approx(float((trade < 30).any("year").mean()))
    assert any("forecasts of record" in t for t in questions.paragraphs)
    per_scenario = questions.tables[1].frame
    assert per_scenario.shape == (len(qs.questions), len(forecast.scenarios))
    assert watch.title == "What to watch" and any("expected absolute change" in t for t in watch.paragraphs)


def test_watch_section_lists_signposts_when_enough_paths(mock_fit, forecast, project_copy):
    _edit(project_copy, lambda d: d["signposts"].update(min_paths=10))
    fit = dataclasses.replace(mock_fit, workbench=Workbench.load(project_copy))
    _, watch = question_sections(fit, forecast)
    tables = watch.tables
    assert tables and all(set(t.frame.columns) >= {"If …", "P if", "P otherwise", "E|ΔP|"} for t in tables)
    assert all((t.frame["E|ΔP|"].diff().dropna() <= 1e-12).all() for t in tables)  # ranked


def test_a_broken_questions_file_becomes_a_failing_section_not_a_crash(mock_fit, forecast, project_copy):
    _edit(project_copy, lambda d: d["questions"][0].update(close_date=d["questions"][0]["open_date"].replace(year=2020)))
    fit = dataclasses.replace(mock_fit, workbench=Workbench.load(project_copy))
    (section,) = question_sections(fit, forecast)
    assert section.status == "fail" and any("[questions[0].close_date]" in t for t in section.paragraphs)


def test_no_questions_file_no_sections(mock_fit, forecast, project_copy):
    (project_copy / "models" / "questions.toml").unlink()
    fit = dataclasses.replace(mock_fit, workbench=Workbench.load(project_copy))
    assert question_sections(fit, forecast) == []
