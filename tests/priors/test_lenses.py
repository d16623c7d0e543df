"""Lens files: every prior is validated (names, distributions, parameters, support,
provenance), all problems come together with file, field and line, and editing a lens
in a notebook cannot leave it broken."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from pymc_extras.prior import Prior

from hedgecast.config import Paths
from hedgecast.errors import SpecError
from hedgecast.inputs.spec import load_spec
from hedgecast.priors.groups import parameter_groups
from hedgecast.priors.lenses import Lens, diff_lenses

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "models" / "lenses" / "baseline.toml"
SPEC = load_spec(ROOT / "models" / "turkiye_russia.toml")
# every prior written out explicitly, element by element (independent of how baseline.toml is laid out)
EXPLICIT = Lens.load(BASELINE, SPEC, Paths(ROOT)).to_toml_dict()
KNOWN = {  # priors the tests edit, with known contents
    "priors.mu.economic": {"dist": "Normal", "mu": 0.0, "sigma": 1.0, "reason": "Test fixture."},
    "priors.rho.economic": {
        "dist": "Beta",
        "alpha": 6.0,
        "beta": 3.0,
        "source": "000_bf485ff2d620e735.txt",
        "quote": "rivalry and cooperation coexist",
    },
    "priors.sigma.economic": {"dist": "Gamma", "alpha": 3.0, "beta": 6.0, "reason": "Test fixture."},
    "priors.noise": {},
    "priors.cushion": {"dist": "Normal", "mu": 0.3, "sigma": 0.3, "reason": "Test fixture."},
    "priors.war_transition.attrition": {"dist": "Dirichlet", "a": [1.5, 7.0, 0.8, 0.4, 0.3], "reason": "Test fixture."},
}


def base() -> dict:
    data = copy.deepcopy(EXPLICIT)
    data["lens"] = {"name": "baseline", "summary": "Test copy of the baseline."}
    for path, value in KNOWN.items():
        if value:
            put(data, path, copy.deepcopy(value))
    noise = {"dist": "Gamma", "alpha": 6.0, "beta": 16.0, "reason": "Test fixture."}
    data["priors"]["noise"] = {name: dict(noise) for name in SPEC.indicator_names}
    return data


def _walk(data: Any, dotted: str) -> tuple[Any, Any]:
    keys = dotted.split(".")
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    return node, keys[-1]


def put(data: dict, dotted: str, value: Any) -> dict:
    node, key = _walk(data, dotted)
    node[key] = value
    return data


def drop(data: dict, dotted: str) -> dict:
    node, key = _walk(data, dotted)
    del node[key]
    return data


def rename(data: dict, dotted: str, new: str) -> dict:
    node, key = _walk(data, dotted)
    node[new] = node.pop(key)
    return data


def write(path: Path, data: dict) -> Path:
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    (tmp_path / "models" / "lenses").mkdir(parents=True)
    write(tmp_path / "models" / "lenses" / "baseline.toml", base())
    return Paths(tmp_path)


@pytest.fixture
def lens_file(paths: Paths) -> Path:
    return paths.lenses / "baseline.toml"


def problems_after(path: Path, paths: Paths, *changes) -> list:
    data = base()
    for change in changes:
        change(data)
    write(path, data)
    return problems_of(path, paths)


def problems_of(path: Path, paths: Paths) -> list:
    with pytest.raises(SpecError) as info:
        Lens.load(path, SPEC, paths)
    assert info.value.problems
    return info.value.problems


def only(problems: list, field: str):
    hits = [p for p in problems if p.field == field]
    assert hits, f"no problem at {field}; got {[str(p) for p in problems]}"
    return hits[0]


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


# ------------------------------------------------------------------- the real lenses
def test_real_lenses_are_complete():
    expected = sum(len(coords) for _, coords in parameter_groups(SPEC).values())
    for path in sorted((ROOT / "models" / "lenses").glob("*.toml")):
        lens = Lens.load(path, SPEC, Paths(ROOT))
        assert len(lens.priors) == expected, path.name
        assert all(lp.provenance.source or lp.provenance.reason for lp in lens.priors.values())


def test_save_and_load_round_trip(paths: Paths):
    lens = Lens.load("baseline", SPEC, paths)
    target = lens.save(paths.root / "copy.toml", paths)
    again = Lens.load(target, SPEC, paths)
    assert again.fingerprint() == lens.fingerprint()
    assert diff_lenses(lens, again).empty


def test_group_default_with_nested_overrides(paths: Paths):
    """A [priors.beta] default, with more specific tables below it, resolves element by element."""
    data = base()
    data["priors"]["beta"] = {
        "dist": "Normal",
        "mu": 0.0,
        "sigma": 0.5,
        "reason": "Default for every driver effect.",
        "political": {"leader_ties": {"dist": "Normal", "mu": 0.6, "sigma": 0.35, "reason": "Leader ties matter politically."}},
    }
    write(paths.lenses / "grouped.toml", data)
    lens = Lens.load("grouped", SPEC, paths)
    assert lens.prior("beta.political.leader_ties").parameters == {"mu": 0.6, "sigma": 0.35}
    assert lens.prior("beta.economic.nato_pressure").parameters == {"mu": 0.0, "sigma": 0.5}
    assert lens.provenance("beta.economic.nato_pressure").reason == "Default for every driver effect."


# ------------------------------------------------------------------- syntax
def test_syntax_error_with_line(lens_file: Path, paths: Paths):
    text = lens_file.read_text(encoding="utf-8").replace("alpha = 6.0", "alpha = 6.0.0", 1)
    lens_file.write_text(text, encoding="utf-8")
    (problem,) = problems_of(lens_file, paths)
    assert problem.line == line_of(lens_file, "alpha = 6.0.0")
    assert "TOML syntax error" in problem.message


def test_duplicate_prior_table_is_a_clean_error(lens_file: Path, paths: Paths):
    with lens_file.open("a", encoding="utf-8") as fh:
        fh.write('\n[priors.cushion]\ndist = "Normal"\nmu = 0\nsigma = 1\nreason = "again"\n')
    (problem,) = problems_of(lens_file, paths)
    assert "duplicate table" in problem.message and "priors.cushion" in problem.message
    assert problem.line == line_of(lens_file, 'reason = "again"') - 4


# ------------------------------------------------------------------- unknown names
@pytest.mark.parametrize(
    ("path", "new", "hint"),
    [
        ("priors.cushion", "cushon", "cushion"),
        ("priors.beta.economic.leader_ties", "leader_tie", "leader_ties"),
        ("priors.leverage_shift.political", "politcal", "political"),
        ("priors.war_effect.economic.frozen", "frozn", "frozen"),
        ("priors.cushion.sigma", "sgima", "sigma"),
        ("priors.cushion.reason", "reaso", "reason"),
        ("lens.summary", "sumary", "summary"),
        ("priors", "prior", "priors"),
    ],
)
def test_unknown_names_list_valid_ones_and_suggest(lens_file: Path, paths: Paths, path, new, hint):
    problems = problems_after(lens_file, paths, lambda d: rename(d, path, new))
    problem = only(problems, ".".join([*path.split(".")[:-1], new]))
    assert f"did you mean '{hint}'?" in problem.message
    assert problem.line is not None


@pytest.mark.parametrize(("dist", "hint"), [("Gama", "Gamma"), ("gamma", "Gamma"), ("HalfNormel", "HalfNormal")])
def test_unknown_distribution_suggests(lens_file: Path, paths: Paths, dist, hint):
    problem = only(problems_after(lens_file, paths, lambda d: put(d, "priors.sigma.economic.dist", dist)), "priors.sigma.economic.dist")
    assert f"did you mean '{hint}'?" in problem.message


def test_scenario_probability_for_a_certain_scenario(lens_file: Path, paths: Paths):
    certain = next(s for s in SPEC.scenarios.values() if s.probability is None).name
    problems = problems_after(
        lens_file,
        paths,
        lambda d: put(d, f"priors.scenario_probability.{certain}", {"dist": "Beta", "alpha": 2.0, "beta": 2.0, "reason": "x"}),
    )
    assert 'probability = "lens"' in only(problems, f"priors.scenario_probability.{certain}").message


def test_war_transition_from_the_reference_state(lens_file: Path, paths: Paths):
    ref = SPEC.war_driver.reference
    n = len(SPEC.future_war_states)
    problems = problems_after(
        lens_file, paths, lambda d: put(d, f"priors.war_transition.{ref}", {"dist": "Dirichlet", "a": [1.0] * n, "reason": "x"})
    )
    assert "reference (no-war) state" in only(problems, f"priors.war_transition.{ref}").message


# ------------------------------------------------------------------- distributions and parameters
MU, RHO, SIG, WAR = "priors.mu.economic", "priors.rho.economic", "priors.sigma.economic", "priors.war_transition.attrition"


@pytest.mark.parametrize(
    ("path", "value", "field", "needle"),
    [
        # non-numeric and non-finite
        (f"{MU}.sigma", "1.0", f"{MU}.sigma", "remove the quotes"),
        (f"{MU}.mu", True, f"{MU}.mu", "must be a number"),
        (f"{MU}.mu", [0.0, 1.0], f"{MU}.mu", "single number"),
        (f"{MU}.mu", float("nan"), f"{MU}.mu", "finite"),
        (f"{MU}.mu", float("inf"), f"{MU}.mu", "finite"),
        (f"{MU}.mu", 10**400, f"{MU}.mu", "finite"),
        # scales
        (f"{MU}.sigma", -1.0, f"{MU}.sigma", "must be positive"),
        (f"{MU}.sigma", 0, f"{MU}.sigma", "must be positive"),
        (f"{SIG}.alpha", -3.0, f"{SIG}.alpha", "must be positive"),
        # Beta
        (f"{RHO}.alpha", 0, f"{RHO}.alpha", "must be positive"),
        (RHO, {"dist": "Beta", "mu": 1.2, "sigma": 0.1, "reason": "x"}, f"{RHO}.mu", "between 0 and 1"),
        (RHO, {"dist": "Beta", "mu": 0.5, "sigma": 0.6, "reason": "x"}, f"{RHO}.sigma", "needs sigma <"),
        (RHO, {"dist": "Beta", "alpha": 6.0, "reason": "x"}, RHO, "is not a valid prior"),
        # support of the group
        (RHO, {"dist": "Normal", "mu": 0.5, "sigma": 0.1, "reason": "x"}, f"{RHO}.dist", "must lie in (0, 1)"),
        (RHO, {"dist": "Uniform", "lower": -0.5, "upper": 1.0, "reason": "x"}, RHO, "0 ≤ lower < upper ≤ 1"),
        (SIG, {"dist": "Normal", "mu": 0.3, "sigma": 0.1, "reason": "x"}, f"{SIG}.dist", "must be positive"),
        (SIG, {"dist": "TruncatedNormal", "mu": 0.3, "sigma": 0.1, "lower": -1.0, "reason": "x"}, f"{SIG}.lower", "lower ≥ 0"),
        (MU, {"dist": "Uniform", "lower": 1.0, "upper": -1.0, "reason": "x"}, MU, "lower < upper"),
        # distributions that cannot be priors here
        (MU, {"dist": "Flat", "reason": "x"}, f"{MU}.dist", "improper"),
        (MU, {"dist": "Poisson", "mu": 1.0, "reason": "x"}, f"{MU}.dist", "continuous univariate"),
        (MU, {"dist": "Dirichlet", "a": [1.0, 1.0], "reason": "x"}, f"{MU}.dist", "only for war_transition"),
        (f"{MU}.dims", "channel", f"{MU}.dims", "not used in a lens"),
        (f"{MU}.dist", 3, f"{MU}.dist", "in quotes"),
        (MU, {"mu": 0.0, "sigma": 1.0, "reason": "x"}, f"{MU}.dist", "missing"),
        (MU, {}, MU, "is empty"),
        (MU, 1.0, MU, "must be a table"),
        # Dirichlet war transitions
        (f"{WAR}.a", [1.5, 7.0, 0.8, 0.4], f"{WAR}.a", "one weight per future war state (5)"),
        (f"{WAR}.a", [1.5, 7.0, 0.0, 0.4, 0.3], f"{WAR}.a", "must be positive"),
        (f"{WAR}.a", [1.5, 7.0, "x", 0.4, 0.3], f"{WAR}.a", "must be a number"),
        (f"{WAR}.dist", "Normal", f"{WAR}.dist", "must be Dirichlet"),
    ],
)
def test_bad_priors(lens_file: Path, paths: Paths, path, value, field, needle):
    problem = only(problems_after(lens_file, paths, lambda d: put(d, path, value)), field)
    assert needle in problem.message
    assert problem.file == str(lens_file)
    assert problem.line is not None


def test_same_family_must_share_parameters_within_a_group(lens_file: Path, paths: Paths):
    name = "priors.beta.political.sanctions_enforcement"
    problems = problems_after(lens_file, paths, lambda d: put(d, name, {"dist": "Normal", "mu": -0.1, "tau": 11.0, "reason": "x"}))
    assert "must use the same parameters" in only(problems, name).message


def test_a_scalar_group_has_no_further_levels(lens_file: Path, paths: Paths):
    problems = problems_after(lens_file, paths, lambda d: put(d, "priors.cushion.extra", {"x": 1}))
    assert "no further levels" in only(problems, "priors.cushion.extra").message


# ------------------------------------------------------------------- provenance
def test_missing_provenance(lens_file: Path, paths: Paths):
    problems = problems_after(lens_file, paths, lambda d: drop(d, f"{MU}.reason"))
    assert "missing provenance" in only(problems, f"{MU}.source").message


def test_seed_source_without_quote(lens_file: Path, paths: Paths):
    problems = problems_after(lens_file, paths, lambda d: drop(d, f"{RHO}.quote"))
    assert "verbatim quote" in only(problems, f"{RHO}.quote").message


def test_provenance_must_be_text(lens_file: Path, paths: Paths):
    problems = problems_after(lens_file, paths, lambda d: put(d, f"{MU}.reason", ["a", "list"]))
    assert "text" in only(problems, f"{MU}.reason").message


# ------------------------------------------------------------------- known_by: when a prior's content could be known
@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("2016", "remove the quotes"),
        (2016.5, "whole number"),
        (True, "whole number"),
        (216, "between 1900 and 2025"),
        (2031, "between 1900 and 2025 (the last history year"),
    ],
)
def test_a_bad_known_by_names_the_file_and_the_prior(lens_file: Path, paths: Paths, value, needle):
    name = "priors.cushion"
    problems = problems_after(
        lens_file, paths, lambda d: put(d, f"{name}.known_by", value), lambda d: put(d, f"{name}.known_by_reason", "x")
    )
    problem = only(problems, f"{name}.known_by")
    assert needle in problem.message and problem.file == str(lens_file) and problem.line is not None
    assert str(lens_file) in str(problem) and "priors.cushion.known_by" in str(problem)


def test_known_by_and_its_reason_come_together(lens_file: Path, paths: Paths):
    problems = problems_after(lens_file, paths, lambda d: put(d, "priors.cushion.known_by", 2016))
    assert "missing" in only(problems, "priors.cushion.known_by_reason").message
    problems = problems_after(lens_file, paths, lambda d: put(d, "priors.cushion.known_by_reason", "why"))
    assert "missing" in only(problems, "priors.cushion.known_by").message


def test_known_by_cannot_be_after_the_lens_year(lens_file: Path, paths: Paths):
    def edit(d):
        d["lens"]["year"] = 2020
        put(d, "priors.cushion.known_by", 2022)
        put(d, "priors.cushion.known_by_reason", "x")

    problem = only(problems_after(lens_file, paths, edit), "priors.cushion.known_by")
    assert "between 1900 and 2020 (the lens's own year" in problem.message
    problems = problems_after(lens_file, paths, lambda d: d["lens"].update(year="2020"))
    assert "whole number" in only(problems, "lens.year").message


def test_known_by_is_read_inherited_and_round_trips(paths: Paths):
    data = base()
    data["lens"]["year"] = 2024
    put(data, "priors.cushion.known_by", 2017)
    put(data, "priors.cushion.known_by_reason", "Shown after 2016.")
    put(data, "priors.scenario_probability.ceasefire_by_2027.known_by", 2024)  # within the test lens's year
    # a group table gives its year to every element it covers
    data["priors"]["noise"] = {"dist": "Gamma", "alpha": 6.0, "beta": 16.0, "reason": "x", "known_by": 2001, "known_by_reason": "Generic."}
    assert "known_by" not in data["priors"]["mu"]["economic"]  # a test fixture without one
    write(paths.lenses / "baseline.toml", data)
    lens = Lens.load("baseline", SPEC, paths)
    assert lens.year == 2024 and lens.known_by("cushion") == 2017
    assert all(lens.known_by(f"noise.{name}") == 2001 for name in SPEC.indicator_names)
    assert lens.known_by("mu.economic") == 2024  # not stated: the lens's year
    assert lens.priors["mu.economic"].known_by is None
    # a child without a year: its own unstated priors take the last history year, the inherited ones keep the parent's
    own = {"mu": {"political": {"dist": "Normal", "mu": 0.1, "sigma": 1.0, "reason": "x"}}}
    write(paths.lenses / "child.toml", {"lens": {"name": "child", "extends": "baseline"}, "priors": own})
    child = Lens.load("child", SPEC, paths)
    assert child.year is None and child.known_by("mu.political") == SPEC.history_years[-1] and child.known_by("mu.economic") == 2024
    again = Lens.load(lens.save(paths.root / "copy.toml", paths), SPEC, paths)
    assert again.year == 2024 and again.known_by("cushion") == 2017 and again.fingerprint() == lens.fingerprint()
    assert again.priors["cushion"].known_by_reason == "Shown after 2016."


def test_with_prior_takes_a_known_by_or_the_lens_year(paths: Paths):
    lens = Lens.load("baseline", SPEC, paths)
    edited = lens.with_prior("cushion", Prior("Normal", mu=0.5, sigma=0.2), reason="x", known_by=2017, known_by_reason="Shown after 2016.")
    assert edited.known_by("cushion") == 2017 and edited.priors["cushion"].to_toml()["known_by"] == 2017
    assert lens.with_prior("cushion", Prior("Normal", mu=0.5, sigma=0.2), reason="x").known_by("cushion") == SPEC.history_years[-1]
    with pytest.raises(SpecError) as info:
        lens.with_prior("cushion", Prior("Normal", mu=0.5, sigma=0.2), reason="x", known_by=2017)
    assert info.value.problems[0].field == "cushion.known_by_reason"


def test_the_shipped_lenses_state_known_by_for_every_prior_but_the_crisis_hazard():
    """Every prior table of the shipped lenses says when its content could be known; the hazard ones are left to the
    crisis-model rewrite and are taken as known from their lens's year."""
    baseline = Lens.load("baseline", SPEC, Paths(ROOT))
    for path in sorted((ROOT / "models" / "lenses").glob("*.toml")):
        lens = Lens.load(path, SPEC, Paths(ROOT))
        assert lens.year is not None, path.name
        for name, lp in lens.priors.items():
            if name.startswith("hazard_"):
                assert lens.known_by(name) >= 2022, (path.name, name)
                continue
            assert lp.known_by is not None and lp.known_by_reason.strip(), (path.name, name)
            if lp != baseline.priors[name]:  # stated by this lens, not inherited: not after the lens was written
                assert lp.known_by <= lens.year, (path.name, name)


# ------------------------------------------------------------------- extends and names
def test_extends_unknown_lens_suggests(paths: Paths):
    write(paths.lenses / "mine.toml", {"lens": {"name": "mine", "extends": "baselin"}})
    problem = only(problems_of(paths.lenses / "mine.toml", paths), "lens.extends")
    assert "did you mean 'baseline'?" in problem.message


def test_extends_cycle(paths: Paths):
    write(paths.lenses / "a.toml", {"lens": {"name": "a", "extends": "b"}})
    write(paths.lenses / "b.toml", {"lens": {"name": "b", "extends": "a"}})
    problem = only(problems_of(paths.lenses / "a.toml", paths), "lens.extends")
    assert "extends itself" in problem.message


def test_extends_cycle_through_lenses_named_unlike_their_files(paths: Paths):
    write(paths.lenses / "a.toml", {"lens": {"name": "x", "extends": "b"}})
    write(paths.lenses / "b.toml", {"lens": {"name": "y", "extends": "a"}})
    problem = only(problems_of(paths.lenses / "a.toml", paths), "lens.extends")
    assert "extends itself" in problem.message


def test_a_broken_parent_is_reported_with_the_childs_problems(paths: Paths, lens_file: Path):
    write(lens_file, put(base(), f"{MU}.sigma", -1.0))
    child = write(
        paths.lenses / "mine.toml",
        {"lens": {"name": "mine", "extends": "baseline"}, "priors": {"cushion": {"dist": "Normal", "mu": 0.1, "sigma": -1, "reason": "x"}}},
    )
    problems = problems_of(child, paths)
    assert {(Path(p.file).name, p.field) for p in problems} >= {("baseline.toml", f"{MU}.sigma"), ("mine.toml", "priors.cushion.sigma")}
    assert not any("missing priors" in p.message for p in problems)


def test_a_child_lens_overrides_its_parent(paths: Paths):
    child = write(
        paths.lenses / "mine.toml",
        {
            "lens": {"name": "mine", "extends": "baseline"},
            "priors": {"cushion": {"dist": "Normal", "mu": 0.9, "sigma": 0.2, "reason": "Seminar view."}},
        },
    )
    lens = Lens.load(child, SPEC, paths)
    assert lens.prior("cushion").parameters == {"mu": 0.9, "sigma": 0.2}
    assert lens.prior("nu") == Lens.load("baseline", SPEC, paths).prior("nu")


def test_lens_name_must_be_safe_for_run_folders(lens_file: Path, paths: Paths):
    problem = only(problems_after(lens_file, paths, lambda d: put(d, "lens.name", "../../etc")), "lens.name")
    assert "letters, digits" in problem.message


def test_unknown_lens_name_suggests(paths: Paths):
    with pytest.raises(SpecError, match="did you mean 'baseline'"):
        Lens.load("baselin", SPEC, paths)


def test_missing_priors_are_listed(paths: Paths):
    thin = write(
        paths.lenses / "thin.toml",
        {"lens": {"name": "thin"}, "priors": {"nu": {"dist": "Gamma", "alpha": 2.0, "beta": 0.1, "reason": "x"}}},
    )
    problem = only(problems_of(thin, paths), "priors")
    assert "missing priors for: initial.economic" in problem.message


def test_every_problem_in_a_lens_is_reported_together(lens_file: Path, paths: Paths):
    problems = problems_after(
        lens_file,
        paths,
        lambda d: put(d, f"{MU}.sigma", -1.5),
        lambda d: rename(d, "priors.cushion", "cushon"),
        lambda d: put(d, f"{WAR}.a", [1.5, 7.0]),
        lambda d: put(d, f"{SIG}.dist", "Normal"),
    )
    assert {f"{MU}.sigma", "priors.cushon", f"{WAR}.a", f"{SIG}.dist"} <= {p.field for p in problems}
    lines = [p.line for p in problems if p.line is not None]
    assert lines == sorted(lines)


# ------------------------------------------------------------------- editing in a notebook
def test_with_prior_rejects_bad_priors_and_leaves_the_lens_unchanged(paths: Paths):
    lens = Lens.load("baseline", SPEC, paths)
    before = lens.fingerprint()
    name = "beta.political.leader_ties"
    family = lens.prior(name).distribution
    assert family == "Normal" and set(lens.prior(name).parameters) == {"mu", "sigma"}
    with pytest.raises(SpecError, match="must be positive"):
        lens.with_prior(name, Prior("Normal", mu=0.5, sigma=-0.1), reason="x")
    with pytest.raises(SpecError, match="missing provenance"):
        lens.with_prior(name, Prior("Normal", mu=0.5, sigma=0.1))
    with pytest.raises(SpecError, match="same parameters"):
        lens.with_prior(name, {"dist": "Normal", "mu": 0.5, "tau": 4.0}, reason="x")
    with pytest.raises(SpecError, match=r"did you mean 'beta\.political\.leader_ties'"):
        lens.with_prior("beta.political.leader_tie", Prior("Normal", mu=0.5, sigma=0.1), reason="x")
    with pytest.raises(SpecError, match="a prior must be"):
        lens.with_prior(name, "Normal(0, 1)", reason="x")  # type: ignore[arg-type]
    assert lens.fingerprint() == before
    edited = lens.with_prior(name, Prior("Normal", mu=0.5, sigma=0.1), reason="Seminar: ties matter less.")
    assert edited.prior(name).parameters == {"mu": 0.5, "sigma": 0.1}
    assert edited.fingerprint() != before and edited.changes == (name,)
    assert lens.fingerprint() == before and lens.changes == ()  # the original is untouched
    assert edited.provenance(name).reason == "Seminar: ties matter less."


def test_with_prior_accepts_numpy_numbers(paths: Paths):
    import numpy as np

    lens = Lens.load("baseline", SPEC, paths)
    lens = lens.with_prior("cushion", {"dist": "Normal", "mu": np.int64(0), "sigma": np.float32(0.5)}, reason="x")
    assert lens.prior("cushion").parameters == {"mu": 0, "sigma": 0.5}


def test_a_lens_is_immutable(paths: Paths):
    import copy
    import dataclasses
    import pickle

    lens = Lens.load("baseline", SPEC, paths)
    with pytest.raises(TypeError, match=r"use lens = lens\.with_prior"):
        lens.set_prior("cushion", Prior("Normal", mu=1.0, sigma=0.1), reason="x")
    with pytest.raises(TypeError):
        lens.priors["cushion"] = lens.priors["nu"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        lens.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        lens.priors["cushion"].prior = Prior("Normal", mu=1.0, sigma=0.1)  # type: ignore[misc]
    for again in (pickle.loads(pickle.dumps(lens)), copy.deepcopy(lens), copy.copy(lens)):
        assert again.fingerprint() == lens.fingerprint() and again.path == lens.path


def test_derive_rejects_unsafe_names(paths: Paths):
    lens = Lens.load("baseline", SPEC, paths)
    with pytest.raises(SpecError, match="letters, digits"):
        lens.derive("my/lens")
    derived = lens.derive("my-lens_2")
    assert derived.extends == "baseline" and derived is not lens and dict(derived.priors) == dict(lens.priors)


def test_saving_does_not_move_the_lens(paths: Paths):
    lens = Lens.load("baseline", SPEC, paths)
    assert lens.save(paths.root / "elsewhere.toml", paths) == paths.root / "elsewhere.toml"
    assert lens.path == str(paths.lenses / "baseline.toml")
    moved = Lens.load(paths.root / "elsewhere.toml", SPEC, paths)
    assert moved.path == str(paths.root / "elsewhere.toml") and moved.fingerprint() == lens.fingerprint()


def test_a_fit_keeps_its_lens_when_the_lens_is_edited(workbench):
    lens = workbench.lens("baseline")
    fit = workbench.fit(lens, sampler="mock", draws=20, chains=2)
    before, fingerprint = fit.forecast().headline(2030), lens.fingerprint()
    lens2 = lens.with_prior("cushion", Prior("Normal", mu=3.0, sigma=0.1), reason="a very different belief")
    lens2 = lens2.with_prior("scenario_probability.post_erdogan_2028", Prior("Beta", alpha=9.0, beta=1.0), reason="near certain")
    assert fit.lens is lens and fit.lens.fingerprint() == fingerprint != lens2.fingerprint()
    assert fit.lens.prior("cushion") != lens2.prior("cushion")
    fit._forecasts.clear()  # recompute: the forecast is cached by the lens's fingerprint
    assert fit.forecast().headline(2030) == before
