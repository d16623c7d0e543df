"""Lens files: every prior is validated (names, distributions, parameters, support,
provenance), all problems come together with file, field and line, and editing a lens
in a notebook cannot leave it broken."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pymc_extras.prior import Prior

from hedgecast.config import Paths
from hedgecast.errors import SpecError
from hedgecast.lenses import Lens, diff_lenses, parameter_groups
from hedgecast.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "models" / "lenses" / "baseline.toml"
SPEC = load_spec(ROOT / "models" / "turkiye_russia.toml")


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    (tmp_path / "models" / "lenses").mkdir(parents=True)
    shutil.copyfile(BASELINE, tmp_path / "models" / "lenses" / "baseline.toml")
    return Paths(tmp_path)


@pytest.fixture
def lens_file(paths: Paths) -> Path:
    return paths.lenses / "baseline.toml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")


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


# ------------------------------------------------------------------- the real lens
def test_real_lens_is_complete():
    lens = Lens.load(BASELINE, SPEC, Paths(ROOT))
    expected = sum(len(coords) for _, coords in parameter_groups(SPEC).values())
    assert len(lens.priors) == expected
    assert lens.prior("rho.economic").distribution == "Beta"
    assert lens.provenance("beta.economic.leader_ties").cites_seed


def test_save_and_load_round_trip(paths: Paths):
    lens = Lens.load("baseline", SPEC, paths)
    target = lens.save(paths.root / "copy.toml", paths)
    again = Lens.load(target, SPEC, paths)
    assert again.fingerprint() == lens.fingerprint()
    assert diff_lenses(lens, again).empty


def test_group_default_with_nested_overrides(paths: Paths):
    """A [priors.beta] default, with more specific tables below it, resolves element by element."""
    text = BASELINE.read_text(encoding="utf-8")
    start = text.index("[priors.beta.economic.energy_leverage]")
    end = text.index("# ---- the 2022 shift")
    override = (
        '[priors.beta]\ndist = "Normal"\nmu = 0.0\nsigma = 0.5\nreason = "Default for every driver effect."\n\n'
        '[priors.beta.political.leader_ties]\ndist = "Normal"\nmu = 0.6\nsigma = 0.35\nreason = "Leader ties matter politically."\n\n'
    )
    (paths.lenses / "grouped.toml").write_text(text[:start] + override + text[end:], encoding="utf-8")
    lens = Lens.load("grouped", SPEC, paths)
    assert lens.prior("beta.political.leader_ties").parameters == {"mu": 0.6, "sigma": 0.35}
    assert lens.prior("beta.economic.nato_pressure").parameters == {"mu": 0.0, "sigma": 0.5}
    assert lens.provenance("beta.economic.nato_pressure").reason == "Default for every driver effect."


# ------------------------------------------------------------------- syntax
def test_syntax_error_with_line(lens_file: Path, paths: Paths):
    edit(lens_file, "alpha = 6.0", "alpha = 6.0.0")
    (problem,) = problems_of(lens_file, paths)
    assert problem.line == line_of(lens_file, "alpha = 6.0.0")
    assert "TOML syntax error" in problem.message


def test_duplicate_prior_table_is_a_clean_error(lens_file: Path, paths: Paths):
    append(lens_file, '[priors.cushion]\ndist = "Normal"\nmu = 0\nsigma = 1\nreason = "again"\n')
    (problem,) = problems_of(lens_file, paths)
    assert "duplicate table" in problem.message and "priors.cushion" in problem.message
    assert problem.line == len(lens_file.read_text(encoding="utf-8").splitlines()) - 4


# ------------------------------------------------------------------- unknown names
@pytest.mark.parametrize(
    ("old", "new", "field", "hint"),
    [
        ("[priors.cushion]", "[priors.cushon]", "priors.cushon", "cushion"),
        ("[priors.beta.economic.leader_ties]", "[priors.beta.economic.leader_tie]", "priors.beta.economic.leader_tie", "leader_ties"),
        ("[priors.leverage_shift.political]", "[priors.leverage_shift.politcal]", "priors.leverage_shift.politcal", "political"),
        ("[priors.war_effect.economic.frozen]", "[priors.war_effect.economic.frozn]", "priors.war_effect.economic.frozn", "frozen"),
        ("[priors.noise]\ndist = \"Gamma\"", "[priors.noise]\ndist = \"Gama\"", "priors.noise.dist", "Gamma"),
        ("[priors.initial]\ndist = \"Normal\"", "[priors.initial]\ndist = \"normal\"", "priors.initial.dist", "Normal"),
        ("[priors.hazard_ties]\ndist = \"Normal\"\nmu = -1.0\nsigma", "[priors.hazard_ties]\ndist = \"Normal\"\nmu = -1.0\nsgima", "priors.hazard_ties.sgima", "sigma"),
        ('[lens]\nname = "baseline"\nsummary', '[lens]\nname = "baseline"\nsumary', "lens.sumary", "summary"),
        ("[priors.cushion]\ndist = \"Normal\"\nmu = 0.3\nsigma = 0.3\nsource", "[priors.cushion]\ndist = \"Normal\"\nmu = 0.3\nsigma = 0.3\nsorce", "priors.cushion.sorce", "source"),
    ],
)
def test_unknown_names_list_valid_ones_and_suggest(lens_file: Path, paths: Paths, old, new, field, hint):
    edit(lens_file, old, new)
    problem = only(problems_of(lens_file, paths), field)
    assert f"did you mean '{hint}'?" in problem.message
    assert problem.line is not None


def test_unknown_section(lens_file: Path, paths: Paths):
    append(lens_file, "[prior.extra]\nx = 1\n")
    problem = only(problems_of(lens_file, paths), "prior")
    assert "did you mean 'priors'?" in problem.message


def test_scenario_probability_for_a_certain_scenario(lens_file: Path, paths: Paths):
    append(lens_file, '[priors.scenario_probability.protracted_war]\ndist = "Beta"\nalpha = 2.0\nbeta = 2.0\nreason = "x"\n')
    problem = only(problems_of(lens_file, paths), "priors.scenario_probability.protracted_war")
    assert 'probability = "lens"' in problem.message


def test_war_transition_from_the_reference_state(lens_file: Path, paths: Paths):
    append(lens_file, '[priors.war_transition.none]\ndist = "Dirichlet"\na = [1.0, 1.0, 1.0, 1.0, 1.0]\nreason = "x"\n')
    problem = only(problems_of(lens_file, paths), "priors.war_transition.none")
    assert "reference (no-war) state" in problem.message


# ------------------------------------------------------------------- distributions and parameters
@pytest.mark.parametrize(
    ("old", "new", "field", "needle"),
    [
        # non-numeric
        ("[priors.mu]\ndist = \"Normal\"\nmu = 0.0\nsigma = 1.0", "[priors.mu]\ndist = \"Normal\"\nmu = 0.0\nsigma = \"1.0\"", "priors.mu.sigma", "remove the quotes"),
        ("[priors.mu]\ndist = \"Normal\"\nmu = 0.0", "[priors.mu]\ndist = \"Normal\"\nmu = true", "priors.mu.mu", "must be a number"),
        ("[priors.mu]\ndist = \"Normal\"\nmu = 0.0", "[priors.mu]\ndist = \"Normal\"\nmu = [0.0, 1.0]", "priors.mu.mu", "single number"),
        ("[priors.mu]\ndist = \"Normal\"\nmu = 0.0", "[priors.mu]\ndist = \"Normal\"\nmu = nan", "priors.mu.mu", "finite"),
        ("[priors.mu]\ndist = \"Normal\"\nmu = 0.0", "[priors.mu]\ndist = \"Normal\"\nmu = " + "9" * 400, "priors.mu.mu", "finite"),
        # scales
        ("[priors.mu]\ndist = \"Normal\"\nmu = 0.0\nsigma = 1.0", "[priors.mu]\ndist = \"Normal\"\nmu = 0.0\nsigma = -1.0", "priors.mu.sigma", "must be positive"),
        ("[priors.mu]\ndist = \"Normal\"\nmu = 0.0\nsigma = 1.0", "[priors.mu]\ndist = \"Normal\"\nmu = 0.0\nsigma = 0.0", "priors.mu.sigma", "must be positive"),
        ("[priors.sigma]\ndist = \"Gamma\"\nalpha = 3.0", "[priors.sigma]\ndist = \"Gamma\"\nalpha = -3.0", "priors.sigma.alpha", "must be positive"),
        # Beta
        ("[priors.rho]\ndist = \"Beta\"\nalpha = 6.0", "[priors.rho]\ndist = \"Beta\"\nalpha = 0", "priors.rho.alpha", "must be positive"),
        ("[priors.rho]\ndist = \"Beta\"\nalpha = 6.0\nbeta = 3.0", "[priors.rho]\ndist = \"Beta\"\nmu = 1.2\nsigma = 0.1", "priors.rho.mu", "between 0 and 1"),
        ("[priors.rho]\ndist = \"Beta\"\nalpha = 6.0\nbeta = 3.0", "[priors.rho]\ndist = \"Beta\"\nmu = 0.5\nsigma = 0.6", "priors.rho.sigma", "needs sigma <"),
        ("[priors.rho]\ndist = \"Beta\"\nalpha = 6.0\nbeta = 3.0", "[priors.rho]\ndist = \"Beta\"\nalpha = 6.0", "priors.rho", "is not a valid prior"),
        # support of the group
        ("[priors.rho]\ndist = \"Beta\"\nalpha = 6.0\nbeta = 3.0", "[priors.rho]\ndist = \"Normal\"\nmu = 0.5\nsigma = 0.1", "priors.rho.dist", "must lie in (0, 1)"),
        ("[priors.rho]\ndist = \"Beta\"\nalpha = 6.0\nbeta = 3.0", "[priors.rho]\ndist = \"Uniform\"\nlower = -0.5\nupper = 1.0", "priors.rho", "0 ≤ lower < upper ≤ 1"),
        ("[priors.noise]\ndist = \"Gamma\"\nalpha = 3.0\nbeta = 8.0", "[priors.noise]\ndist = \"Normal\"\nmu = 0.3\nsigma = 0.1", "priors.noise.dist", "must be positive"),
        ("[priors.mu]\ndist = \"Normal\"\nmu = 0.0\nsigma = 1.0", "[priors.mu]\ndist = \"Uniform\"\nlower = 1.0\nupper = -1.0", "priors.mu", "lower < upper"),
        # distributions that cannot be priors here
        ("[priors.mu]\ndist = \"Normal\"\nmu = 0.0\nsigma = 1.0", "[priors.mu]\ndist = \"Flat\"", "priors.mu.dist", "improper"),
        ("[priors.mu]\ndist = \"Normal\"\nmu = 0.0\nsigma = 1.0", "[priors.mu]\ndist = \"Poisson\"\nmu = 1.0", "priors.mu.dist", "continuous univariate"),
        ("[priors.mu]\ndist = \"Normal\"\nmu = 0.0\nsigma = 1.0", "[priors.mu]\ndist = \"Dirichlet\"\na = [1.0, 1.0]", "priors.mu.dist", "only for war_transition"),
        ("[priors.mu]\ndist = \"Normal\"\nmu = 0.0\nsigma = 1.0", "[priors.mu]\ndist = \"Normal\"\nmu = 0.0\nsigma = 1.0\ndims = \"channel\"", "priors.mu.dims", "not used in a lens"),
        ("[priors.mu]\ndist = \"Normal\"\nmu = 0.0\nsigma = 1.0", "[priors.mu]\ndist = 3\nmu = 0.0\nsigma = 1.0", "priors.mu.dist", "in quotes"),
        ("[priors.mu]\ndist = \"Normal\"\nmu = 0.0\nsigma = 1.0", "[priors.mu]\nmu = 0.0\nsigma = 1.0", "priors.mu.dist", "missing"),
        # Dirichlet war transitions
        ("a = [1.5, 7.0, 0.8, 0.4, 0.3]", "a = [1.5, 7.0, 0.8, 0.4]", "priors.war_transition.attrition.a", "one weight per future war state (5)"),
        ("a = [1.5, 7.0, 0.8, 0.4, 0.3]", "a = [1.5, 7.0, 0.0, 0.4, 0.3]", "priors.war_transition.attrition.a", "must be positive"),
        ("a = [1.5, 7.0, 0.8, 0.4, 0.3]", "a = [1.5, 7.0, \"x\", 0.4, 0.3]", "priors.war_transition.attrition.a", "must be a number"),
        ("[priors.war_transition.attrition]\ndist = \"Dirichlet\"", "[priors.war_transition.attrition]\ndist = \"Normal\"", "priors.war_transition.attrition.dist", "must be Dirichlet"),
    ],
)
def test_bad_priors(lens_file: Path, paths: Paths, old, new, field, needle):
    edit(lens_file, old, new)
    problem = only(problems_of(lens_file, paths), field)
    assert needle in problem.message
    assert problem.file == str(lens_file)


def test_same_family_must_share_parameters_within_a_group(lens_file: Path, paths: Paths):
    edit(lens_file, "[priors.beta.political.sanctions_enforcement]\ndist = \"Normal\"\nmu = -0.1\nsigma = 0.3", "[priors.beta.political.sanctions_enforcement]\ndist = \"Normal\"\nmu = -0.1\ntau = 11.0")
    problem = only(problems_of(lens_file, paths), "priors.beta.political.sanctions_enforcement")
    assert "must use the same parameters" in problem.message


def test_value_where_a_table_belongs(lens_file: Path, paths: Paths):
    append(lens_file, "[priors.crisis_effect.extra]\nx = 1\n")
    edit(lens_file, "[priors.hazard_intercept]", "[priors.hazard_interceptx]")
    problems = problems_of(lens_file, paths)
    assert "did you mean 'political'?" in only(problems, "priors.crisis_effect.extra").message or "valid names are" in only(problems, "priors.crisis_effect.extra").message
    assert "did you mean 'hazard_intercept'?" in only(problems, "priors.hazard_interceptx").message


# ------------------------------------------------------------------- provenance
def test_missing_provenance(lens_file: Path, paths: Paths):
    edit(lens_file, 'reason = "Long-run level of each channel, before drivers, on the standardized scale: weakly informative."\n', "")
    problem = only(problems_of(lens_file, paths), "priors.mu.source")
    assert "missing provenance" in problem.message


def test_seed_source_without_quote(lens_file: Path, paths: Paths):
    edit(lens_file, 'quote = "rivalry and cooperation coexist in a transactional equilibrium"\n', "")
    problem = only(problems_of(lens_file, paths), "priors.rho.quote")
    assert "verbatim quote" in problem.message


# ------------------------------------------------------------------- extends and names
def test_extends_unknown_lens_suggests(paths: Paths):
    (paths.lenses / "mine.toml").write_text('[lens]\nname = "mine"\nextends = "baselin"\n', encoding="utf-8")
    problem = only(problems_of(paths.lenses / "mine.toml", paths), "lens.extends")
    assert "did you mean 'baseline'?" in problem.message


def test_extends_cycle(paths: Paths):
    (paths.lenses / "a.toml").write_text('[lens]\nname = "a"\nextends = "b"\n', encoding="utf-8")
    (paths.lenses / "b.toml").write_text('[lens]\nname = "b"\nextends = "a"\n', encoding="utf-8")
    problem = only(problems_of(paths.lenses / "a.toml", paths), "lens.extends")
    assert "extends itself" in problem.message


def test_a_broken_parent_is_reported_with_the_childs_problems(paths: Paths, lens_file: Path):
    edit(lens_file, "sigma = 1.5", "sigma = -1.5")
    child = paths.lenses / "mine.toml"
    child.write_text('[lens]\nname = "mine"\nextends = "baseline"\n\n[priors.cushion]\ndist = "Normal"\nmu = 0.1\nsigma = -1\nreason = "x"\n', encoding="utf-8")
    problems = problems_of(child, paths)
    assert {(Path(p.file).name, p.field) for p in problems} >= {("baseline.toml", "priors.initial.sigma"), ("mine.toml", "priors.cushion.sigma")}
    assert not any("missing priors" in p.message for p in problems)


def test_lens_name_must_be_safe_for_run_folders(lens_file: Path, paths: Paths):
    edit(lens_file, 'name = "baseline"', 'name = "../../etc"')
    problem = only(problems_of(lens_file, paths), "lens.name")
    assert "letters, digits" in problem.message


def test_unknown_lens_name_suggests(paths: Paths):
    with pytest.raises(SpecError, match="did you mean 'baseline'"):
        Lens.load("baselin", SPEC, paths)


def test_missing_priors_are_listed(paths: Paths):
    (paths.lenses / "thin.toml").write_text('[lens]\nname = "thin"\n[priors.nu]\ndist = "Gamma"\nalpha = 2.0\nbeta = 0.1\nreason = "x"\n', encoding="utf-8")
    problem = only(problems_of(paths.lenses / "thin.toml", paths), "priors")
    assert "missing priors for: initial.economic" in problem.message


def test_every_problem_in_a_lens_is_reported_together(lens_file: Path, paths: Paths):
    edit(lens_file, "sigma = 1.5", "sigma = -1.5")
    edit(lens_file, "[priors.cushion]", "[priors.cushon]")
    edit(lens_file, "a = [1.5, 7.0, 0.8, 0.4, 0.3]", "a = [1.5, 7.0]")
    edit(lens_file, '[priors.noise]\ndist = "Gamma"', '[priors.noise]\ndist = "Normal"')
    problems = problems_of(lens_file, paths)
    assert {"priors.initial.sigma", "priors.cushon", "priors.war_transition.attrition.a", "priors.noise.dist"} <= {p.field for p in problems}


# ------------------------------------------------------------------- editing in a notebook
def test_set_prior_rejects_bad_priors_and_leaves_the_lens_unchanged(paths: Paths):
    lens = Lens.load("baseline", SPEC, paths)
    before = lens.fingerprint()
    with pytest.raises(SpecError, match="must be positive"):
        lens.set_prior("beta.political.leader_ties", Prior("Normal", mu=0.5, sigma=-0.1), reason="x")
    with pytest.raises(SpecError, match="missing provenance"):
        lens.set_prior("beta.political.leader_ties", Prior("Normal", mu=0.5, sigma=0.1))
    with pytest.raises(SpecError, match="same parameters"):
        lens.set_prior("beta.political.leader_ties", {"dist": "Normal", "mu": 0.5, "tau": 4.0}, reason="x")
    with pytest.raises(SpecError, match="did you mean 'beta.political.leader_ties'"):
        lens.set_prior("beta.political.leader_tie", Prior("Normal", mu=0.5, sigma=0.1), reason="x")
    with pytest.raises(SpecError, match="a prior must be"):
        lens.set_prior("beta.political.leader_ties", "Normal(0, 1)", reason="x")  # type: ignore[arg-type]
    assert lens.fingerprint() == before
    lens.set_prior("beta.political.leader_ties", Prior("Normal", mu=0.5, sigma=0.1), reason="Seminar: ties matter less.")
    assert lens.prior("beta.political.leader_ties").parameters == {"mu": 0.5, "sigma": 0.1}


def test_derive_rejects_unsafe_names(paths: Paths):
    lens = Lens.load("baseline", SPEC, paths)
    with pytest.raises(SpecError, match="letters, digits"):
        lens.derive("my/lens")
    assert lens.derive("my-lens_2").extends == "baseline"


def test_saving_a_copy_does_not_move_the_lens(paths: Paths):
    lens = Lens.load("baseline", SPEC, paths)
    lens.save(paths.root / "elsewhere.toml", paths, remember=False)
    assert lens.path == str(paths.lenses / "baseline.toml")
    lens.save(paths.root / "moved.toml", paths)
    assert lens.path == str(paths.root / "moved.toml")
