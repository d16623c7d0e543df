"""A lens's reading of the present: ``[present.<driver>]`` tables are validated (driver, year,
value, provenance) with file, field and line; they are inherited, saved and fingerprinted; and the
five paper lenses hold the curated readings of ``data/curated/lens_readings.csv``."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import tomli_w

from hedgecast.config import Paths
from hedgecast.errors import SpecError
from hedgecast.inputs.spec import load_spec
from hedgecast.priors.lens_present import present_years
from hedgecast.priors.lenses import Lens, list_lenses

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_spec(ROOT / "models" / "turkiye_russia.toml")
EXPLICIT = Lens.load(ROOT / "models" / "lenses" / "baseline.toml", SPEC, Paths(ROOT)).to_toml_dict()
QUOTE = {"source": "002_a8cae03e785edc1d.txt", "quote": "enabled a visible acceleration of relations"}


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    (tmp_path / "models" / "lenses").mkdir(parents=True)
    (tmp_path / "models" / "lenses" / "baseline.toml").write_text(tomli_w.dumps(EXPLICIT), encoding="utf-8")
    return Paths(tmp_path)


def child(paths: Paths, present_text: str, name: str = "reader") -> Path:
    path = paths.lenses / f"{name}.toml"
    path.write_text(f'[lens]\nname = "{name}"\nextends = "baseline"\nsummary = "test"\n\n{present_text}', encoding="utf-8")
    return path


def problems(path: Path, paths: Paths) -> list:
    with pytest.raises(SpecError) as info:
        Lens.load(path, SPEC, paths)
    return info.value.problems


def test_present_years_are_the_last_three_history_years():
    assert present_years(SPEC) == [2023, 2024, 2025]


def test_years_share_their_table_provenance_or_carry_their_own(paths):
    path = child(
        paths,
        "[present.leader_ties]\n2023 = 0.7\n2024 = 0.6\n"
        f'source = "{QUOTE["source"]}"\nquote = "{QUOTE["quote"]}"\n\n'
        '[present.leader_ties.2025]\nvalue = 0.5\nreason = "carried forward"\n\n'
        '[present.regional_friction]\n2025 = 0.3\nreason = "co-managed"\n',
    )
    lens = Lens.load(path, SPEC, paths)
    assert lens.present_codings() == {
        ("leader_ties", 2023): 0.7,
        ("leader_ties", 2024): 0.6,
        ("leader_ties", 2025): 0.5,
        ("regional_friction", 2025): 0.3,
    }
    assert lens.present[("leader_ties", 2024)].provenance.quote == QUOTE["quote"]
    assert lens.present[("leader_ties", 2025)].provenance.reason == "carried forward"
    assert lens.present[("leader_ties", 2025)].provenance.source == QUOTE["source"]  # the table's, with its own reason


@pytest.mark.parametrize(
    ("text", "field", "needle"),
    [
        ('[present.leader_tie]\n2024 = 0.5\nreason = "x"\n', "present.leader_tie", "did you mean 'leader_ties'"),
        ('[present.ukraine_war]\n2024 = 0.5\nreason = "x"\n', "present.ukraine_war", "continuous drivers"),
        ('[present.leader_ties]\n2022 = 0.5\nreason = "x"\n', "present.leader_ties.2022", "outside 2023–2025"),
        ('[present.leader_ties]\n2026 = 0.5\nreason = "x"\n', "present.leader_ties.2026", "outside 2023–2025"),
        ('[present.leader_ties]\nlast = 0.5\nreason = "x"\n', "present.leader_ties.last", "neither a year"),
        ('[present.regional_friction]\n2024 = 1.5\nreason = "x"\n', "present.regional_friction.2024", "within 0..1"),
        ('[present.leader_ties]\n2024 = "0.5"\nreason = "x"\n', "present.leader_ties.2024", "remove the quotes"),
        ("[present.leader_ties]\n2024 = 0.5\n", "present.leader_ties.2024.source", "missing provenance"),
        ('[present.leader_ties]\n2024 = 0.5\nsource = "002_a8cae03e785edc1d.txt"\n', "present.leader_ties.2024.quote", "no verbatim quote"),
        ('[present.leader_ties.2024]\nvalu = 0.5\nreason = "x"\n', "present.leader_ties.2024.valu", "did you mean 'value'"),
        ('[present.leader_ties]\nreason = "x"\n', "present.leader_ties", "reads no year"),
    ],
    ids=["typo", "discrete", "too-early", "too-late", "not-a-year", "range", "quoted", "no-provenance", "no-quote", "key", "empty"],
)
def test_a_bad_reading_names_file_field_and_line(paths, text, field, needle):
    path = child(paths, text)
    found = [p for p in problems(path, paths) if p.field == field]
    assert found, [str(p) for p in problems(path, paths)]
    assert needle in found[0].message
    assert found[0].file == str(path)
    assert found[0].line is not None and found[0].line >= 5


def test_a_child_inherits_its_parents_reading_and_overrides_it_year_by_year(paths):
    child(paths, '[present.leader_ties]\n2023 = 0.7\n2024 = 0.7\nreason = "parent"\n', name="parent")
    path = paths.lenses / "grandchild.toml"
    path.write_text(
        '[lens]\nname = "grandchild"\nextends = "parent"\n\n[present.leader_ties]\n2024 = 0.1\nreason = "child"\n', encoding="utf-8"
    )
    lens = Lens.load(path, SPEC, paths)
    assert lens.present_codings() == {("leader_ties", 2023): 0.7, ("leader_ties", 2024): 0.1}
    assert lens.derive("again").present_codings() == lens.present_codings()


def test_a_lens_without_a_reading_keeps_its_fingerprint():
    """Runs saved before lenses could read the present keep matching their lens."""
    import hashlib
    import json

    lens = Lens.load("baseline", SPEC, Paths(ROOT))
    blob = json.dumps({k: v.to_toml() for k, v in lens.priors.items()}, sort_keys=True, default=float)
    assert lens.fingerprint() == hashlib.sha256(blob.encode()).hexdigest()


def test_present_survives_save_and_enters_the_fingerprint(paths):
    path = child(paths, f'[present.leader_ties]\n2025 = 0.2\nsource = "{QUOTE["source"]}"\nquote = "{QUOTE["quote"]}"\n')
    lens = Lens.load(path, SPEC, paths)
    again = Lens.load(lens.save(paths.root / "copy.toml", paths), SPEC, paths)
    assert again.present == lens.present
    assert again.fingerprint() == lens.fingerprint()
    assert lens.fingerprint() != Lens(lens.name, SPEC, lens.priors, lens.summary, lens.author, lens.extends, lens.path).fingerprint()
    # pickling (dask workers) keeps the reading
    import pickle

    assert pickle.loads(pickle.dumps(lens)).present == lens.present
    assert copy.deepcopy(lens).present_codings() == lens.present_codings()


def test_the_paper_lenses_hold_the_curated_readings_of_the_present():
    paths = Paths(ROOT)
    readings = pd.read_csv(ROOT / "data" / "curated" / "lens_readings.csv", dtype=str, keep_default_na=False)
    readings["year"] = readings["year"].astype(int)
    readings["value"] = readings["value"].astype(float)
    lenses = {p.stem: Lens.load(p, SPEC, paths) for p in list_lenses(paths)}
    assert lenses["baseline"].present == {}
    assert set(readings["lens"]) == set(lenses) - {"baseline"}
    for row in readings.itertuples(index=False):
        reading = lenses[row.lens].present[(row.driver, row.year)]
        assert reading.value == pytest.approx(row.value)
        assert (reading.provenance.source, reading.provenance.quote, reading.provenance.reason) == (
            row.source,
            row.quote,
            row.reason,
        )
    for name, lens in lenses.items():
        assert len(lens.present) == int((readings["lens"] == name).sum())


def test_diff_lenses_shows_the_readings_that_differ():
    from hedgecast.priors.lenses import diff_lenses

    paths = Paths(ROOT)
    base, baev = Lens.load("baseline", SPEC, paths), Lens.load("baev_2025", SPEC, paths)
    rows = diff_lenses(base, baev).set_index("prior")
    assert rows.loc["present.leader_ties.2025", "baseline"] == "shared coding"
    assert rows.loc["present.leader_ties.2025", "baev_2025"] == "0"
    assert "slackened" in rows.loc["present.leader_ties.2025", "why"]
    assert diff_lenses(baev, baev).empty
