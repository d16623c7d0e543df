"""``hedgecast check``: validate every file an analyst edits, without fitting.

Every model spec (``models/*.toml``), every lens (``models/lenses/*.toml``) and every
data file is checked, and all problems across all files are collected into one
report: a broken spec does not hide a broken data file. Nothing is compiled or
sampled, so a check takes seconds.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

from hedgecast.config import Paths
from hedgecast.errors import HedgecastError, Problem, suggest
from hedgecast.inputs.provenance import quote_problems

NEAR_MISS_CUTOFF = 0.9
"""How close (difflib ratio) a series name must be to one the model reads to count as a typo."""


@dataclass
class CheckReport:
    """What was checked and every problem found.

    Attributes
    ----------
    ok : list of str
        One line per file (or group of files) that passed.
    problems : list of Problem
        Every problem in every file, file names relative to the project root.
    warnings : list of Problem
        What is valid but probably not meant (e.g. a scenario target that goes against
        its declared direction); they do not fail the check.
    notes : list of str
        What could not be checked, and why (e.g. lenses when the spec is broken).
    seconds : float
        How long the check took.

    """

    ok: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.problems

    def raise_if_problems(self) -> None:
        """Raise one :class:`HedgecastError` listing every problem, if there are any."""
        if self.problems:
            raise HedgecastError(self.problems)


def check_project(root: str | Path | None = None) -> CheckReport:
    """Validate the specs, every lens and every data file; collect all problems.

    Parameters
    ----------
    root : path, optional
        The project folder (default: found from the current directory).

    Returns
    -------
    CheckReport
        Never raises for a problem in the files: every one is in ``problems``.

    """
    paths = Paths.discover(root)
    start = time.perf_counter()
    report = CheckReport()
    spec = _check_specs(paths, report)
    _check_lenses(paths, spec, report)
    _check_data(paths, spec, report)
    _check_questions(paths, spec, report)
    report.problems = _relative(list(dict.fromkeys(report.problems)), paths)
    report.warnings = _relative(list(dict.fromkeys(report.warnings)), paths)
    report.seconds = time.perf_counter() - start
    return report


def _show(path: Path, paths: Paths) -> str:
    try:
        return str(path.resolve().relative_to(paths.root.resolve()))
    except ValueError:
        return str(path)


def _relative(problems: list[Problem], paths: Paths) -> list[Problem]:
    root = str(paths.root.resolve())
    out = []
    for p in problems:
        file = p.file
        if file.startswith(root + "/"):
            file = file[len(root) + 1 :]
        out.append(dataclasses.replace(p, file=file) if file != p.file else p)
    return out


def _quotes(path: Path, paths: Paths) -> list[Problem]:
    """Seed quotes in a TOML file that are not verbatim in their paper (if the papers are here)."""
    from hedgecast.errors import ProblemCollector
    from hedgecast.inputs.spec_toml import add_lines, read_toml_text

    collector = ProblemCollector(path)
    data, text = read_toml_text(path, collector)
    if data is None:
        return []
    collector.problems = quote_problems(data, str(path), paths.seeds)
    add_lines(collector, text)
    return collector.problems


def _check_specs(paths: Paths, report: CheckReport):
    """Every ``models/*.toml`` is a model spec; the main one is returned if it is valid."""
    from hedgecast.inputs.spec import load_spec

    spec = None
    files = [paths.spec, *sorted(p for p in paths.models.glob("*.toml") if p not in (paths.spec, paths.questions))]
    for path in files:
        try:
            loaded = load_spec(path)
        except HedgecastError as err:
            report.problems.extend(err.problems)
            continue
        quotes = _quotes(path, paths)
        report.problems.extend(quotes)
        if not quotes:
            report.ok.append(f"{_show(path, paths)}: {len(loaded.scenarios)} scenarios, {len(loaded.trajectories)} trajectory classes")
        if path == paths.spec:
            spec = loaded
    if not paths.seeds.is_dir():
        report.notes.append(f"seed quotes were not checked: the papers are not at {paths.seeds}")
    return spec


def _check_questions(paths: Paths, spec, report: CheckReport) -> None:
    """``models/questions.toml`` against the spec and the record (:mod:`hedgecast.inputs.questions_file`), if it exists."""
    from hedgecast.inputs.questions_file import load_questions
    from hedgecast.inputs.updates import load_record

    if not paths.questions.is_file():
        return
    try:
        spec, history = load_record(spec, paths) if spec is not None else (spec, None)
    except HedgecastError:
        history = None
    if history is None:
        report.notes.append(f"{_show(paths.questions, paths)} was not checked: fix the spec and the data first")
        return
    try:
        loaded = load_questions(paths.questions, spec, history)
    except HedgecastError as err:
        report.problems.extend(err.problems)
        return
    report.ok.append(f"{_show(paths.questions, paths)}: {len(loaded.questions)} questions, {len(loaded.headline)} with signposts")


def _check_lenses(paths: Paths, spec, report: CheckReport) -> None:
    from hedgecast.errors import ProblemCollector
    from hedgecast.inputs.spec_toml import read_toml_text
    from hedgecast.priors.lenses import Lens, list_lenses

    files = list_lenses(paths) if paths.lenses.is_dir() else []
    if not files:
        report.problems.append(Problem(_show(paths.lenses, paths), "", "no lens files (*.toml) found; at least baseline.toml is needed"))
        return
    if spec is None:
        for path in files:
            collector = ProblemCollector(path)
            read_toml_text(path, collector)
            report.problems.extend(collector.problems)
        report.notes.append("lenses were checked for TOML syntax only: fix the model spec first, then run hedgecast check again")
        return
    names: dict[str, Path] = {}
    for path in files:
        try:
            lens = Lens.load(path, spec, paths)
        except HedgecastError as err:
            report.problems.extend(err.problems)
            continue
        quotes = _quotes(path, paths)
        report.problems.extend(quotes)
        if lens.name in names:
            report.problems.append(
                Problem(
                    str(path),
                    "lens.name",
                    f"lens name '{lens.name}' is already used by {_show(names[lens.name], paths)}; give each lens its own name",
                )
            )
            continue
        names[lens.name] = path
        if not quotes:
            report.ok.append(f"{_show(path, paths)}: {len(lens.priors)} priors")


def _check_data(paths: Paths, spec, report: CheckReport) -> None:
    """Each curated and raw file on its own, then the record as the spec reads it."""
    from hedgecast.inputs import data, flags
    from hedgecast.inputs.updates import load_record, new_year_status

    loaders = (
        *(data.load_series, data.load_events, data.load_driver_codings, data.load_war_states, data.load_incidents),  # curated/
        *(data.load_unga, data.load_cow_trade, data.load_gdelt, data.load_mid),  # raw/
    )
    failed = False
    for loader in loaders:
        try:
            loader(paths)
        except HedgecastError as err:
            report.problems.extend(err.problems)
            failed = True
    if failed:
        return
    report.problems.extend(_near_miss_series(paths))
    report.problems.extend(flags.partial_year_problems(paths))
    report.notes.append(flags.unsourced_summary(paths))
    if paths.seeds.is_dir():
        try:
            report.problems.extend(data.seed_quote_problems(paths))
        except HedgecastError as err:
            report.problems.extend(err.problems)
    if spec is None:
        report.ok.append(f"data: {len(loaders)} files valid (not checked against the spec, which has errors)")
        return
    consistency = _spec_data_problems(spec, paths)
    report.problems.extend(consistency)
    if consistency:
        return
    try:
        spec, history = load_record(spec, paths)
    except HedgecastError as err:
        report.problems.extend(err.problems)
        return
    report.notes.extend(f"new year of data: {y.describe()}" for y in new_year_status(spec, paths))
    report.warnings.extend(direction_warnings(spec, history))
    observed = int(history.indicators.notna().sum().sum())
    report.ok.append(f"data: {len(loaders)} files, {len(history.years)} years, {observed} observed indicator values")
    report.notes.extend(_excluded_lines(history.excluded))
    report.problems.extend(_class_reference_problems(spec, history))
    report.notes.append(_class_reference_note(spec, history))


def _class_reference_note(spec, history) -> str:
    """The reference values the class rules use, as read from the record, for a reader to check."""
    from hedgecast.forecasting.observed import record_from_history
    from hedgecast.forecasting.rule_variables import reference_names
    from hedgecast.forecasting.trajectories import rule_names

    record = record_from_history(spec, history)
    refs, sources = record.references(), record.reference_sources()
    used = reference_names(sorted({n for t in spec.trajectories for n in rule_names(t.rule)}))
    return "class rule references from the record: " + ("; ".join(f"{n} = {refs[n]:.4g} ({sources[n]})" for n in used) or "none")


def _class_reference_problems(spec, history) -> list[Problem]:
    """Class rules that use a reference the observed record does not determine (with the spec's line numbers)."""
    from hedgecast.errors import ProblemCollector
    from hedgecast.forecasting.observed import record_from_history, reference_problems
    from hedgecast.inputs.spec_toml import add_lines, read_toml_text

    record = record_from_history(spec, history)
    out = reference_problems(spec, record)
    if out:
        collector = ProblemCollector(spec.path)
        _, text = read_toml_text(Path(spec.path), collector)
        collector.problems = out
        add_lines(collector, text)
        out = collector.problems
    return out


def direction_warnings(spec, history) -> list[Problem]:
    """Scenario interventions that go against their declared direction, from the last coded driver values.

    An absolute target (``to``) with ``direction = "tighten"`` that lies below the driver's
    last coded value eases it: valid, but almost certainly not what was meant.
    """
    from hedgecast.errors import ProblemCollector
    from hedgecast.inputs.scenario_spec import direction_warnings as found
    from hedgecast.inputs.spec_toml import add_lines, read_toml_text

    year = int(history.drivers.index[-1])
    current = {d: float(history.drivers[d].iloc[-1]) for d in history.drivers.columns}
    collector = ProblemCollector(spec.path)
    for where, message in found(spec.scenarios, spec.drivers, current, year):
        collector.add(where, message)
    if collector.problems:
        _, text = read_toml_text(Path(spec.path), ProblemCollector(spec.path))
        add_lines(collector, text)
    return collector.problems


def _excluded_lines(excluded) -> list[str]:
    """What the model leaves out: the number of unsourced cells per indicator, and every partial one."""
    lines = []
    unsourced = excluded[excluded["reason"] == "unsourced"]
    if len(unsourced):
        per = ", ".join(f"{name} {len(part)} ({', '.join(str(y) for y in part['year'])})" for name, part in unsourced.groupby("indicator"))
        lines.append(f"treated as missing, UNSOURCED: {len(unsourced)} indicator values: {per}")
    for row in excluded[excluded["reason"] == "partial"].itertuples(index=False):
        where = f"{row.file} row {row.row}" if row.row else row.file
        lines.append(f"treated as missing, partial year: {row.indicator} {row.year} = {row.value:g} ({where}: {row.note})")
    return lines


def _near_miss_series(paths: Paths) -> list[Problem]:
    """Rows of ``series.csv`` whose name is one letter or so off a series the model reads.

    ``series.csv`` may hold any number of auxiliary series, so an unknown name is not
    an error; but ``russian_tourist_k`` for ``russian_tourists_k`` would silently drop
    that year from the indicator, so a name that close to one the model reads is.
    """
    import difflib

    from hedgecast.inputs import data

    wanted = sorted(set(data.SERIES_INDICATORS.values()))  # indicator -> the series it is read from
    frame = data.load_series(paths)
    shown = _show(paths.curated / data.CURATED["series"], paths)
    out = []
    for row, name in zip(frame.index, frame["series"], strict=True):
        if name in wanted:
            continue
        close = difflib.get_close_matches(name, wanted, n=1, cutoff=NEAR_MISS_CUTOFF)
        if close:
            out.append(
                Problem(
                    shown,
                    f"row {row}, column series",
                    f"series '{name}' is not one the model reads, so this row is ignored; did you mean '{close[0]}'? "
                    "[row numbers as in a spreadsheet: header = row 1]",
                )
            )
    return out


def _spec_data_problems(spec, paths: Paths) -> list[Problem]:
    """Names in the spec that the data files do not provide (with the names they do)."""
    from hedgecast.inputs import data

    file = spec.path
    out = []
    for name in spec.indicator_names:
        if name not in data.INDICATORS:
            out.append(Problem(file, f"indicators.{name}", f"no data file provides indicator '{name}': {suggest(name, data.INDICATORS)}"))
    for name in spec.continuous_drivers:
        if name not in data.DRIVERS:
            out.append(
                Problem(file, f"drivers.{name}", f"data/curated/drivers.csv has no codings for '{name}': {suggest(name, data.DRIVERS)}")
            )
    coded = set(data.load_war_states(paths)["state"])
    for state in sorted(coded - set(spec.war_states)):
        out.append(
            Problem(
                file,
                f"drivers.{spec.war_driver.name}.states",
                f"data/curated/war_states.csv uses state '{state}', which the spec does not list: {suggest(state, spec.war_states)}",
            )
        )
    if out:
        from hedgecast.errors import ProblemCollector
        from hedgecast.inputs.spec_toml import add_lines, read_toml_text

        collector = ProblemCollector(file)
        _, text = read_toml_text(Path(file), collector)
        collector.problems = out
        add_lines(collector, text)
        out = collector.problems
    return out
