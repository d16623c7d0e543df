"""User-facing errors: every mistake names its file and field, and all are reported together."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file.

    Parameters
    ----------
    file : str
        The file the problem is in (as the user would type it).
    field : str
        Dotted path of the field (``priors.beta.economic.energy_leverage.sigma``),
        or ``row 12, column value`` for data files.
    message : str
        What is wrong and, where possible, what would be right.
    line : int or None
        Line number when known (syntax errors).

    """

    file: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        if not (self.file or self.field):
            return self.message
        where = f"{self.file}:{self.line}" if self.line else self.file
        if not where:  # a command-line option: no file to name
            return f"{self.field}: {self.message}"
        field = f" [{self.field}]" if self.field else ""
        return f"{where}{field}: {self.message}"


class HedgecastError(Exception):
    """Base class for mistakes a user can fix (exit code 2 in the CLI)."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("", "", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(dict.fromkeys(problems))  # the same problem found twice is listed once
        super().__init__(self.render())

    def render(self) -> str:
        """Return all problems as one message, one per line."""
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems found:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class SpecError(HedgecastError):
    """A model spec, lens or scenario file is malformed."""


class DataError(HedgecastError):
    """A data file does not match its schema."""


class RunError(HedgecastError):
    """A saved run is missing, corrupt, or was made with a different spec."""


class ReweightingRefused(HedgecastError):
    """A reweighted prior edit whose draws cannot stand for the edited posterior (k̂ > 0.7, or a changed model): refit it."""


class DiagnosticsFailed(Exception):
    """The sampler's diagnostics failed (exit code 3 unless warnings are allowed)."""

    exit_code = 3


class ProblemCollector:
    """Collect problems while validating, then raise them all at once.

    Examples
    --------
    >>> problems = ProblemCollector("models/x.toml")
    >>> problems.add("channels", "must not be empty")
    >>> problems.raise_if_any(SpecError)  # doctest: +SKIP

    """

    def __init__(self, file: str | Path):
        self.file = str(file)
        self.problems: list[Problem] = []

    def add(self, field: str, message: str, line: int | None = None) -> None:
        """Record one problem in this collector's file."""
        self.problems.append(Problem(self.file, field, message, line))

    def extend(self, problems: list[Problem]) -> None:
        """Record problems found elsewhere."""
        self.problems.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, error: type[HedgecastError] = SpecError) -> None:
        """Raise ``error`` listing every recorded problem, if there are any."""
        if self.problems:
            raise error(self.problems)


def suggest(name: object, valid: Iterable[object]) -> str:
    """Return 'valid names are …; did you mean X?' for an unknown ``name``.

    Never fails, whatever it is given (names from a corrupted file may be numbers,
    lists or empty).
    """
    import difflib

    choices = sorted({str(v) for v in valid})
    if not choices:
        return "there are none defined"
    text = str(name)
    close = difflib.get_close_matches(text, choices, n=1, cutoff=0.6)
    if not close:  # a difference of case only ('normal' for 'Normal') is a near miss too
        close = [c for c in choices if c.lower() == text.lower()][:1]
    hint = f"; did you mean '{close[0]}'?" if close else ""
    shown = choices if len(choices) <= 40 else [*choices[:40], f"… ({len(choices) - 40} more)"]
    return f"valid names are {', '.join(shown)}{hint}"
