"""A saved seminar: JSON round trip, the submissions CSV, and a participant's answers as a lens file."""

from __future__ import annotations

import csv
import io

import pytest

from hedgecast.priors.lenses import Lens
from hedgecast.seminar import Answer
from hedgecast.seminar.results import CSV_FIELDS, SeminarResults, participant_lens, submissions_csv, write_participant_lens

WHY = 'Escalated in 2015 within a week; "quoted", with a comma'


@pytest.fixture(scope="module")
def results(room):
    res = SeminarResults.from_room(room, "Test room (synthetic)", synthetic=True)
    res.submit(room, "p1", [Answer("escalation_intercept", 25, 8, 55, WHY)], time="2026-11-27T10:00:00+00:00")
    res.submit(room, "p2", [Answer("escalation_intercept", 6, 2, 15, '=HYPERLINK("x")')], time="2026-11-27T10:01:00+00:00")
    res.submit(room, "p1", [Answer("escalation_intercept", 20, 8, 45, "revised")], round=2, time="2026-11-27T10:05:00+00:00")
    res.analyse(room, round=1)
    return res


def test_json_round_trip(results, tmp_path):
    path = results.save(tmp_path / "seminar.json")
    back = SeminarResults.load(path)
    assert back.summary(1) == results.summary(1)
    assert back.round_numbers == [1, 2] and back.synthetic
    assert back.latest(1)["p1"].answers[0].justification == WHY
    assert back.latest()["p1"].answers[0].most_likely == 20  # the last round by default
    assert back.drivers and back.drivers == results.drivers


def test_not_a_seminar_file(tmp_path):
    (tmp_path / "x.json").write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="not a saved seminar"):
        SeminarResults.load(tmp_path / "x.json")


def test_csv_round_trip(results, tmp_path):
    text = submissions_csv(results, tmp_path / "s.csv")
    assert (tmp_path / "s.csv").read_text() == text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(CSV_FIELDS)
    assert len(rows) == 3
    first = rows[0]
    sub = results.submissions[0]
    assert (first["participant"], first["round"], first["time"]) == ("p1", "1", sub.time)
    assert float(first["most_likely"]) == 25 and float(first["low"]) == 8 and float(first["high"]) == 55
    assert first["justification"] == WHY
    assert first["prior"].startswith("Normal(mu=") and first["method"] == "reweighted"
    assert float(first["khat"]) == pytest.approx(sub.forecast.khat, abs=1e-3)
    assert rows[1]["justification"].startswith("'=")  # no spreadsheet runs it as a formula


def test_participant_lens_file_round_trip(room, workbench, tmp_path):
    ans = [Answer("escalation_ties", 0.5, 0.3, 0.9, WHY), Answer("incident_intercept", 0.4, 0.15, 1.0, "")]
    lens = participant_lens(room, ans, "seminar-p1", participant="p1", date="2026-11-27")
    path = write_participant_lens(room, ans, "seminar-p1", tmp_path / "seminar-p1.toml", participant="p1", date="2026-11-27")
    back = Lens.load(path, workbench.spec, workbench.paths)
    reason = back.provenance("escalation_ties").reason
    assert reason.startswith(f"seminar participant p1, 2026-11-27: {WHY}")
    assert "(no justification given)" in back.provenance("incident_intercept").reason
    for k in ("escalation_ties", "incident_intercept"):
        assert back.priors[k].prior.parameters == pytest.approx(lens.priors[k].prior.parameters)
    assert back.priors["escalation_intercept"].prior == room.fit.lens.priors["escalation_intercept"].prior
