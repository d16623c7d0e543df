"""models/questions.toml: the project's questions load, and every mistake is named by file, field and line."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import pytest
import tomli_w

from hedgecast.check import check_project
from hedgecast.errors import SpecError
from hedgecast.inputs.questions_file import EVENTS, load_questions

ONE = {
    "id": "trade_low",
    "title": "Trade below $30bn in 2028?",
    "resolution": "YES if TurkStat reports total trade below USD 30 billion for 2028.",
    "fine_print": "First-published full-year figure.",
    "resolution_source": "TurkStat foreign trade statistics",
    "open_date": dt.date(2026, 12, 1),
    "close_date": dt.date(2029, 3, 31),
    "observable": "trade_usd_bn",
    "years": 2028,
    "aggregate": "value",
    "comparison": "<",
    "threshold": 30,
}


@pytest.fixture(scope="module")
def project_questions(workbench):
    return load_questions(workbench.paths.questions, workbench.spec, workbench.history)


def write(tmp_path, *questions, **tables) -> str:
    path = tmp_path / "questions.toml"
    tables = {"ended": {"gdelt_tone": "the extract ends in 2024 (synthetic test file)"}, **tables}
    path.write_text(tomli_w.dumps({**tables, "questions": [dict(q) for q in questions]}), encoding="utf-8")
    return str(path)


def problems_of(path, workbench) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_questions(path, workbench.spec, workbench.history)
    return [str(p) for p in info.value.problems]


def test_the_project_file_covers_both_channels_and_the_crisis_model(project_questions, spec):
    qs = project_questions
    assert len(qs.questions) >= 12 and len(set(qs.ids)) == len(qs.ids)
    observed = {q.observable for q in qs.questions}
    assert {"trade_usd_bn", "russian_tourists_k"} <= observed  # economic channel
    assert {"leader_meetings", "unga_agreement"} <= observed  # political channel
    assert set(EVENTS) <= observed  # rupture events and incidents
    assert "gdelt_tone" not in observed and "gdelt_tone" in qs.ended
    assert all(q.open_date <= q.close_date for q in qs.questions)
    assert all(spec.forecast[0] <= q.years[0] <= q.years[1] <= spec.forecast[1] for q in qs.questions)
    assert qs.headline and {q.observable for q in qs.headline} >= {"rupture"}


def test_record_thresholds_are_read_from_the_history_not_typed(project_questions, workbench):
    h = workbench.history.indicators
    tourists = project_questions["tourists_below_2016_low_2026_2030"]
    assert tourists.record is not None and tourists.threshold == h.loc[2016, "russian_tourists_k"]
    high = project_questions["trade_above_record_2026_2030"]
    assert high.threshold == pytest.approx(h["trade_usd_bn"].max()) and high.record.stat == "max"


def test_a_record_threshold_follows_an_edit_of_the_record(project_copy, workbench):
    """Synthetic edit of a temp copy: the 2016 tourist figure changed, the threshold follows."""
    from hedgecast.workbench import Workbench

    series = project_copy / "data" / "curated" / "series.csv"
    text = series.read_text(encoding="utf-8")
    edited = re.sub(r"^russian_tourists_k,2016,[0-9.]+,", "russian_tourists_k,2016,900,", text, count=1, flags=re.MULTILINE)
    assert edited != text
    series.write_text(edited, encoding="utf-8")
    wb = Workbench.load(project_copy)
    qs = load_questions(wb.paths.questions, wb.spec, wb.history)
    assert qs["tourists_below_2016_low_2026_2030"].threshold == 900.0


def test_the_four_mistakes_of_the_brief_are_each_named_by_file_and_field(tmp_path, workbench):
    path = write(
        tmp_path,
        {**ONE, "observable": "trade_usd"},
        {**ONE, "id": "late", "close_date": dt.date(2026, 1, 1)},
        {**ONE, "id": "quoted", "threshold": "30"},
        {**ONE, "id": "late"},
    )
    found = problems_of(path, workbench)
    assert len(found) == 4, found
    assert any("questions.toml" in p and "[questions[0].observable]" in p and "did you mean 'trade_usd_bn'" in p for p in found)
    assert any("[questions[1].close_date]" in p and "before the open date 2026-12-01" in p for p in found)
    assert any("[questions[2].threshold]" in p and "must be a number" in p and "remove the quotes" in p for p in found)
    assert any("[questions[3].id]" in p and "duplicate id 'late'" in p and "questions[1]" in p for p in found)
    assert all(p.split(" [")[0].rsplit(":", 1)[1].isdigit() for p in found)  # each with its line


def test_problems_carry_the_line_of_their_field(tmp_path, workbench):
    path = write(tmp_path, ONE, {**ONE, "id": "b", "comparison": "=<"})
    (problem,) = problems_of(path, workbench)
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    number = int(problem.split(" [")[0].rsplit(":", 1)[1])
    assert lines[number - 1].startswith("comparison") and "=<" in lines[number - 1]


@pytest.mark.parametrize(
    ("edit", "field", "message"),
    [
        (
            {"observable": "leader_meetings", "threshold": 2, "comparison": ">="},
            "rounding",
            "is a count: say how simulated values are rounded",
        ),
        ({"observable": "gdelt_tone"}, "observable", "no longer observed"),
        ({"years": [2026, 2030]}, "aggregate", '"value" compares one year'),
        ({"years": [2020, 2024], "aggregate": "any"}, "years", "forecast horizon 2026–2035"),
        ({"years": [2030, 2028], "aggregate": "any"}, "years", "before the first"),
        ({"open_date": "2026-12-01"}, "open_date", "TOML date written without quotes"),
        ({"aggregate": "most"}, "aggregate", "unknown aggregate 'most'"),
        ({"threshold": {"record": "trade_usd_bn", "year": 2016}}, "threshold.year", "2016 unsourced"),
        ({"threshold": {"record": "trade_usd_bn", "year": 1990}}, "threshold.year", "record year(s) 2000–2025"),
        ({"threshold": {"record": "trade_usd_bn", "years": [2000, 2010]}}, "threshold", 'stat = "min" or "max"'),
        ({"rounding": "nearest"}, "rounding", "unknown rounding 'nearest'"),
        ({"at_least": 2}, "at_least", 'only used with aggregate = "count"'),
        ({"title": ""}, "title", "must state its title"),
        ({"id": "2 bad"}, "id", "must start with a letter"),
        ({"colour": "red"}, "colour", "unknown key 'colour'"),
    ],
)
def test_each_mistake_is_named(tmp_path, workbench, edit, field, message):
    path = write(tmp_path, {**ONE, **edit})
    found = problems_of(path, workbench)
    assert any(f"[questions[0].{field}]" in p and message in p for p in found), found


def test_event_and_observable_are_exclusive_and_events_have_defaults(tmp_path, workbench):
    both = {**ONE, "event": "rupture"}
    assert any("exactly one of observable" in p for p in problems_of(write(tmp_path, both), workbench))
    event = {k: v for k, v in ONE.items() if k not in ("observable", "aggregate", "comparison", "threshold")}
    qs = load_questions(
        write(tmp_path, {**event, "event": "incident", "inclusion": "strict", "years": [2027, 2030]}), workbench.spec, workbench.history
    )
    q = qs.questions[0]
    assert (q.kind, q.aggregate, q.comparison, q.threshold, q.inclusion) == ("event", "any", ">=", 1.0, "strict")
    bad = problems_of(write(tmp_path, {**event, "event": "ruptur", "years": 2027}), workbench)
    assert any("[questions[0].event]" in p and "did you mean 'rupture'" in p for p in bad)


def test_signpost_settings_are_checked(tmp_path, workbench):
    path = write(tmp_path, ONE, signposts={"years": [2040], "quantiles": [0.5, 1.5], "min_paths": 0})
    found = problems_of(path, workbench)
    assert any("[signposts.years]" in p for p in found) and any("[signposts.quantiles]" in p for p in found)
    assert any("[signposts.min_paths]" in p for p in found)


def test_hedgecast_check_reports_a_broken_questions_file(project_copy):
    path = project_copy / "models" / "questions.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["questions"][0]["observable"] = "trade"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    report = check_project(project_copy)
    mine = [str(p) for p in report.problems if p.file.endswith("questions.toml")]
    assert len(mine) == 1 and mine[0].startswith("models/questions.toml:") and "[questions[0].observable]" in mine[0]
    assert not any("turkiye_russia" in str(p) for p in report.problems)  # not read as a model spec


def test_hedgecast_check_passes_the_project_questions(root):
    report = check_project(root)
    assert any(line.startswith("models/questions.toml:") and "questions" in line for line in report.ok)
