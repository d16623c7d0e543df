"""Property-based tests: randomly corrupted spec, lens and data files either load or give a
clean HedgecastError naming file and field. Any other exception is a bug.

Corruptions mimic a hurried hand edit: keys deleted or renamed, values swapped for other
types, numbers made negative, NaN, infinite or huge, text truncated, garbage inserted,
lines duplicated or dropped. Runs are derandomized (the same examples every time) and
bounded, so the suite stays quick.
"""

from __future__ import annotations

import copy
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hedgecast.check import check_project
from hedgecast.config import Paths
from hedgecast.errors import HedgecastError
from hedgecast.inputs import data
from hedgecast.inputs.spec import load_spec
from hedgecast.priors.lenses import Lens

ROOT = Path(__file__).resolve().parents[2]
SPEC_TEXT = (ROOT / "models" / "turkiye_russia.toml").read_text(encoding="utf-8")
# a scenario with a fixed war chain, so that transition matrices get corrupted too
SPEC_TEXT += """
[scenarios.h_chain]
reason = "Hypothesis fixture: a fixed war chain."
[scenarios.h_chain.war.transition]
attrition = { attrition = 0.7, frozen = 0.2, settlement = 0.1 }
frozen = { frozen = 1.0 }
"""
LENS_TEXT = (ROOT / "models" / "lenses" / "baseline.toml").read_text(encoding="utf-8")
SPEC_DATA = tomllib.loads(SPEC_TEXT)
LENS_DATA = tomllib.loads(LENS_TEXT)
CSV_TEXT = {name: (ROOT / "data" / "curated" / name).read_text(encoding="utf-8") for name in data.CURATED.values()}
LOADERS = {
    "series.csv": data.load_series,
    "events.csv": data.load_events,
    "drivers.csv": data.load_driver_codings,
    "war_states.csv": data.load_war_states,
    "incidents.csv": data.load_incidents,
}

BOUNDED = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)

# ------------------------------------------------------------------- strategies
ODD_VALUES = st.one_of(
    st.integers(-(10**20), 10**20),
    st.sampled_from([10**400, -(10**400), 2**63, 0, 1, -1, 0.0, -0.0, 1e308, -1e-300]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.booleans(),
    st.lists(st.one_of(st.integers(-5, 5), st.text(max_size=3), st.floats()), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(-3, 3), max_size=3),
    st.sampled_from(
        [
            "lens",
            "otherwise",
            "Normal",
            "Dirichlet",
            "Beta",
            "Flat",
            "none",
            "attrition",
            "economic",
            "rupture_event and",
            "trade_usd_bn >",
            "-1",
            "nan",
            "",
            "../x",
        ]
    ),
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def corrupted(draw, original: dict) -> str | None:
    """The parsed file with 1–4 random edits, written back as TOML."""
    doc = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 4))):
        places = [p for p in _paths(doc) if p]
        if not places:
            break
        place = draw(st.sampled_from(places))
        parent = doc
        for key in place[:-1]:
            parent = parent[key]
        key = place[-1]
        kind = draw(st.sampled_from(["delete", "replace", "rename", "negate", "swap"]))
        if kind == "delete":
            del parent[key]
        elif kind == "replace":
            parent[key] = draw(ODD_VALUES)
        elif kind == "rename" and isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = parent.pop(key)
        elif kind == "negate":
            value = parent[key]
            is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
            parent[key] = (-value or -1) if is_number else draw(ODD_VALUES)
        elif kind == "swap":
            other = doc
            try:
                for k in draw(st.sampled_from(places)):
                    other = other[k]
            except (KeyError, IndexError, TypeError):
                continue
            parent[key] = copy.deepcopy(other)
    try:
        text = tomli_w.dumps(doc)
        text.encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError):  # not writable as TOML (e.g. lone surrogates)
        return None
    return text


@st.composite
def garbled(draw, text: str) -> str:
    """The file's text truncated, with garbage inserted, or with lines dropped, doubled or altered."""
    kind = draw(st.sampled_from(["truncate", "insert", "double", "drop", "alter"]))
    if kind == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    if kind == "insert":
        at = draw(st.integers(0, len(text)))
        junk = draw(
            st.one_of(
                st.text(max_size=20),
                st.binary(max_size=10).map(lambda b: b.decode("latin-1")),
                st.sampled_from(
                    ["[", "]]", "=", '"', "[model]\n", "\x00", "\ufeff", "[[trajectories]]\n", "[priors.mu]\n", "x = " + "[" * 3000]
                ),
            )
        )
        return text[:at] + junk + text[at:]
    lines = text.split("\n")
    i = draw(st.integers(0, len(lines) - 1))
    if kind == "double":
        lines.insert(i, lines[i])
    elif kind == "drop":
        lines.pop(i)
    elif lines[i]:
        j = draw(st.integers(0, len(lines[i]) - 1))
        lines[i] = lines[i][:j] + draw(st.characters(exclude_categories=["Cs"])) + lines[i][j + 1 :]
    return "\n".join(lines)


@st.composite
def garbled_csv(draw) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(CSV_TEXT)))
    lines = CSV_TEXT[name].split("\n")
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["cell", "truncate", "append", "header", "drop", "double"]))
        if kind == "truncate":
            text = "\n".join(lines)
            lines = text[: draw(st.integers(0, len(text)))].split("\n")
        elif kind == "append":
            i = draw(st.integers(0, len(lines) - 1))
            lines[i] += draw(st.one_of(st.text(max_size=10), st.sampled_from([",", '"', ",,", "\x00", "nan", "inf", "-1e400", "1e400"])))
        elif kind == "header":
            cols = lines[0].split(",")
            cols[draw(st.integers(0, len(cols) - 1))] = draw(
                st.one_of(st.text(max_size=8), st.sampled_from(["year", "value", "", "source"]))
            )
            lines[0] = ",".join(cols)
        elif kind == "drop" and len(lines) > 1:
            lines.pop(draw(st.integers(0, len(lines) - 1)))
        elif kind == "double":
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
        elif len(lines) > 1:
            i = draw(st.integers(1, len(lines) - 1))
            cols = lines[i].split(",")
            cols[draw(st.integers(0, len(cols) - 1))] = draw(
                st.one_of(
                    st.text(max_size=8),
                    st.sampled_from(["nan", "inf", "-inf", "1e400", "-5", "2030", "1999", "", "true", "NA", "2015-02-30", "+1", "3"]),
                )
            )
            lines[i] = ",".join(cols)
    return name, "\n".join(lines)


# ------------------------------------------------------------------- the property
def assert_clean(err: HedgecastError, file: Path | None = None) -> None:
    """A clean error: at least one problem, each with a file and a message, printable."""
    assert err.problems
    for p in err.problems:
        assert p.file and p.message, p
        if file is not None and p.file == str(file):
            assert p.line is None or p.line >= 1
    assert err.render()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    root = tmp_path_factory.mktemp("hypothesis")
    (root / "models" / "lenses").mkdir(parents=True)
    return Paths(root)


@pytest.fixture(scope="module")
def spec():
    return load_spec(ROOT / "models" / "turkiye_russia.toml")


def check_spec_text(text: str, workdir: Paths) -> None:
    path = workdir.models / "turkiye_russia.toml"
    path.write_text(text, encoding="utf-8")
    try:
        loaded = load_spec(path)
    except HedgecastError as err:
        assert_clean(err, path)
    else:
        assert loaded.trajectories[-1].is_otherwise
        for s in loaded.scenarios.values():
            for row in s.war.transition.values():
                assert abs(sum(row.values()) - 1.0) <= 1e-6


def check_lens_text(text: str, workdir: Paths, spec) -> None:
    path = workdir.lenses / "baseline.toml"
    path.write_text(text, encoding="utf-8")
    try:
        lens = Lens.load(path, spec, workdir)
    except HedgecastError as err:
        assert_clean(err, path)
    else:
        assert all(lp.provenance.source or lp.provenance.reason for lp in lens.priors.values())


@BOUNDED
@given(text=corrupted(SPEC_DATA))
def test_corrupted_spec_structure(text, workdir):
    if text is not None:
        check_spec_text(text, workdir)


@BOUNDED
@given(text=garbled(SPEC_TEXT))
def test_garbled_spec_text(text, workdir):
    check_spec_text(text, workdir)


@BOUNDED
@given(text=corrupted(LENS_DATA))
def test_corrupted_lens_structure(text, workdir, spec):
    if text is not None:
        check_lens_text(text, workdir, spec)


@BOUNDED
@given(text=garbled(LENS_TEXT))
def test_garbled_lens_text(text, workdir, spec):
    check_lens_text(text, workdir, spec)


@settings(BOUNDED, max_examples=80)
@given(case=garbled_csv())
def test_garbled_curated_data(case, tmp_path_factory):
    name, text = case
    root = tmp_path_factory.getbasetemp() / "hypothesis-data"
    (root / "data" / "curated").mkdir(parents=True, exist_ok=True)
    (root / "data" / "curated" / name).write_text(text, encoding="utf-8")
    try:
        LOADERS[name](Paths(root))
    except HedgecastError as err:
        assert_clean(err)
        assert all(p.file == f"data/curated/{name}" for p in err.problems)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    root = tmp_path_factory.mktemp("hypothesis-project")
    for sub in ("models", "data"):
        shutil.copytree(ROOT / sub, root / sub)
    shutil.copyfile(ROOT / "pyproject.toml", root / "pyproject.toml")
    return Paths(root)


@settings(BOUNDED, max_examples=25)
@given(
    edit=st.one_of(
        corrupted(SPEC_DATA).map(lambda t: ("spec", t)),
        corrupted(LENS_DATA).map(lambda t: ("lens", t)),
        garbled_csv().map(lambda c: (c[0], c[1])),
    )
)
def test_check_never_crashes(edit, project, monkeypatch):
    """``hedgecast check`` on a corrupted project reports problems; it never raises."""
    monkeypatch.delenv("HEDGECAST_SEEDS", raising=False)
    kind, text = edit
    if text is None:
        return
    target = {"spec": project.spec, "lens": project.lenses / "baseline.toml"}.get(kind, project.curated / kind)
    original = target.read_text(encoding="utf-8")
    try:
        target.write_text(text, encoding="utf-8")
        report = check_project(project.root)
        for p in report.problems:
            assert p.file and p.message
            assert not p.file.startswith(str(project.root)), "files are shown relative to the project"
    finally:
        target.write_text(original, encoding="utf-8")
