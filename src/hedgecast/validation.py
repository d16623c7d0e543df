"""``hedgecast check``: validate every file an analyst edits, without fitting."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import Paths
from .errors import HedgecastError, Problem


@dataclass
class CheckReport:
    """What was checked and every problem found."""

    ok: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def check_project(root: str | Path | None = None) -> CheckReport:
    """Validate the spec, every lens and every data file; collect all problems."""
    from .history import load_history
    from .lenses import Lens, list_lenses
    from .spec import load_spec

    paths = Paths.discover(root)
    report = CheckReport()
    spec = None
    try:
        spec = load_spec(paths.spec)
        report.ok.append(f"{paths.spec.relative_to(paths.root)}: {len(spec.scenarios)} scenarios, {len(spec.trajectories)} trajectory classes")
    except HedgecastError as err:
        report.problems.extend(err.problems)
    if spec is not None:
        for path in list_lenses(paths):
            try:
                lens = Lens.load(path, spec, paths)
                report.ok.append(f"{path.relative_to(paths.root)}: {len(lens.priors)} priors")
            except HedgecastError as err:
                report.problems.extend(err.problems)
        try:
            history = load_history(spec, paths)
            report.ok.append(f"data: {len(history.years)} years, {int(history.indicators.notna().sum().sum())} observed indicator values")
        except HedgecastError as err:
            report.problems.extend(err.problems)
    return report
