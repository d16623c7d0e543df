"""Reading one data file: strict CSV into a frame of strings, then a pandera schema.

Every problem in a file is collected and raised together as one
:class:`~hedgecast.errors.DataError`; each names the file and, for a bad value,
``row N, column C`` where rows are counted as in a spreadsheet (the header is row 1,
the first data row is row 2). No pandas, pandera or csv exception escapes from here.
Loaded frames keep that spreadsheet row number as their index (named ``row``).
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from hedgecast.config import Paths
from hedgecast.errors import DataError, Problem, suggest

ROW_CONVENTION = "row numbers as in a spreadsheet: header = row 1"


def display_path(path: Path, paths: Paths | None) -> str:
    """Return the path as the user would type it (relative to the project root if inside it)."""
    if paths is not None:
        try:
            return str(path.resolve().relative_to(paths.root.resolve()))
        except ValueError:
            pass
    return str(path)


def read_text_table(path: Path, shown: str, na_values: Iterable[str] = ("",)) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse ``path`` strictly as UTF-8 CSV into a frame of strings (None = empty).

    The index is the spreadsheet row number of each record (header = row 1; blank
    lines count as rows, as they do in a spreadsheet, but yield no record).

    Returns
    -------
    frame, problems
        ``problems`` is non-empty when the file cannot be read as a table at all, or
        when some rows have the wrong number of fields (those rows are left out).

    """
    if not path.exists():
        return pd.DataFrame(), [Problem(shown, "", "file not found")]
    if not path.is_file():
        return pd.DataFrame(), [Problem(shown, "", "is not a file")]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return pd.DataFrame(), [Problem(shown, "", f"cannot be read: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return pd.DataFrame(), [
            Problem(shown, f"line {line}", f"is not valid UTF-8 text (byte {exc.start}); save the file as UTF-8 CSV", line)
        ]
    if not text.strip():
        return pd.DataFrame(), [Problem(shown, "", "is empty; expected a header row and data rows")]
    if "\x00" in text:
        return pd.DataFrame(), [Problem(shown, "", "is not a text CSV file (it contains NUL bytes)")]

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    try:
        for number, record in enumerate(reader, start=1):
            records.append((number, record))
    except csv.Error as exc:
        where = len(records) + 1
        return pd.DataFrame(), [Problem(shown, f"row {where}", f"is not valid CSV: {exc} ({ROW_CONVENTION})", reader.line_num or None)]

    problems: list[Problem] = []
    header_no, header = next(((n, r) for n, r in records if r), (0, []))
    header = [h.strip() for h in header]
    if header_no != 1:
        problems.append(Problem(shown, f"row {header_no}", f"the header must be on row 1 ({ROW_CONVENTION})"))
    dupes = sorted({h for h in header if header.count(h) > 1})
    for h in dupes:
        problems.append(Problem(shown, f"column {h}", f"column '{h}' appears more than once in the header"))
    blanks = [i + 1 for i, h in enumerate(header) if not h]
    if blanks:
        problems.append(Problem(shown, "header", f"header field(s) {blanks} are empty; every column needs a name"))
    if dupes or blanks:
        return pd.DataFrame(), problems

    missing_values = set(na_values)
    rows, index = [], []
    for number, record in records:
        if number <= header_no or not record or all(not c.strip() for c in record):
            continue
        if len(record) != len(header):
            problems.append(
                Problem(
                    shown,
                    f"row {number}",
                    f"has {len(record)} fields but the header has {len(header)} "
                    f"(an unquoted comma, or a missing separator?) ({ROW_CONVENTION})",
                )
            )
            continue
        cells = [c.strip() for c in record]
        rows.append([None if c in missing_values else c for c in cells])
        index.append(number)
    frame = pd.DataFrame(rows, columns=header, index=pd.Index(index, name="row"), dtype=object)
    return frame, problems


def did_you_mean(valid: Iterable[str]) -> Callable[[str], str]:
    """Return a hinter for a bad value: "; did you mean 'x'?" when one of ``valid`` is close, else ''."""
    valid = list(valid)

    def hint(value: str) -> str:
        close = difflib.get_close_matches(str(value), valid, n=1, cutoff=0.6)
        return f"; did you mean '{close[0]}'?" if close else ""

    return hint


def pandera_problems(
    schema: pa.DataFrameSchema, frame: pd.DataFrame, shown: str, hints: dict[str, Callable[[str], str]] | None = None
) -> list[Problem]:
    """Validate ``frame`` (strings) lazily; turn every failure into a Problem."""
    present = [c for c in schema.columns if c in frame.columns]
    sub = schema.select_columns(present) if present != list(schema.columns) else schema
    try:
        sub.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _failure_problems(exc.failure_cases, shown, hints or {})
    except pa.errors.SchemaError as exc:  # not expected with lazy=True, but never let it escape
        return [Problem(shown, "", f"failed validation: {exc}")]
    return []


def _failure_problems(cases: pd.DataFrame, shown: str, hints: dict[str, Callable[[str], str]]) -> list[Problem]:
    out: list[Problem] = []
    seen: set[tuple] = set()
    for case in cases.itertuples(index=False):
        column = getattr(case, "column", None)
        check = str(getattr(case, "check", ""))
        value = getattr(case, "failure_case", None)
        row = getattr(case, "index", None)
        if check == "column_in_dataframe":
            key = ("missing", value)
            if key not in seen:
                seen.add(key)
                out.append(Problem(shown, f"column {value}", f"missing column '{value}'"))
            continue
        if row is None or (isinstance(row, float) and math.isnan(row)):
            key = (column, check)
            if key not in seen:
                seen.add(key)
                out.append(Problem(shown, f"column {column}" if column else "", f"failed check {check}"))
            continue
        row = int(row)
        key = (row, column)
        if key in seen:  # one message per cell is enough
            continue
        seen.add(key)
        if check == "not_nullable":
            message = "is empty; a value is required"
        else:
            hint = hints[column](value) if column in hints else ""
            message = f"{check} (found {show_value(value)}{hint})"
        out.append(cell_problem(shown, row, column, message))
    return sorted(out, key=_problem_order)


def show_value(value: object) -> str:
    """Quote a cell value for a message (cut to 60 characters)."""
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _problem_order(p: Problem) -> tuple:
    m = re.match(r"row (\d+)", p.field)
    return (0, 0, p.field) if not m else (1, int(m.group(1)), p.field)


@dataclass
class FileSpec:
    """How to load one data file: its schema and the checks beyond it."""

    schema: pa.DataFrameSchema
    strict: bool  # True: no extra columns allowed (curated files)
    na_values: tuple[str, ...] = ("",)
    extra_checks: list[Callable[[pd.DataFrame, str], list[Problem]]] = field(default_factory=list)
    hints: dict[str, Callable[[str], str]] = field(default_factory=dict)  # column -> extra advice for a bad value


def load_table(path: Path, spec: FileSpec, paths: Paths | None) -> pd.DataFrame:
    """Read, validate (collecting all problems) and return the frame of strings."""
    shown = display_path(path, paths)
    frame, problems = read_text_table(path, shown, spec.na_values)
    if frame.empty and problems and not len(frame.columns):
        raise DataError(problems)
    expected = list(spec.schema.columns)
    missing = [c for c in expected if c not in frame.columns]
    extra = [c for c in frame.columns if c not in expected]
    for c in missing:
        hint = ""
        close = [e for e in extra if suggest(e, [c]).endswith(f"'{c}'?")] if extra else []
        if close:
            hint = f" (is '{close[0]}' a misspelling of it?)"
        problems.append(Problem(shown, f"column {c}", f"missing column '{c}'{hint}; the file needs columns {', '.join(expected)}"))
    if spec.strict:
        for c in extra:
            problems.append(Problem(shown, f"column {c}", f"unexpected column '{c}'; {suggest(c, expected)}"))
    if frame.empty and not missing:
        problems.append(Problem(shown, "", "has no data rows"))
    if not frame.empty:
        problems += pandera_problems(spec.schema, frame, shown, spec.hints)
        if not missing:
            bad_cells = {(p.field) for p in problems}
            for extra_check in spec.extra_checks:
                problems += [p for p in extra_check(frame, shown) if p.field not in bad_cells]
    if problems:
        raise DataError(problems)
    return frame


def cell_field(row: int, column: str) -> str:
    """Name the field of one cell in a problem: ``row N, column C``."""
    return f"row {row}, column {column}"


def cell_problem(shown: str, row: int, column: str, message: str) -> Problem:
    """Return a problem in one cell, with the row-numbering convention spelled out."""
    return Problem(shown, cell_field(row, column), f"{message} [{ROW_CONVENTION}]")


def load_all(loaders: Mapping[str, Callable[[Paths], Any]], paths: Paths) -> dict[str, Any]:
    """Run every loader; raise one DataError with the problems of all that fail.

    Returns ``key -> result`` in the order of ``loaders``. A problem already reported
    by an earlier loader (the same file read twice) is not repeated.
    """
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    for key, loader in loaders.items():
        try:
            out[key] = loader(paths)
        except DataError as exc:
            problems += [p for p in exc.problems if p not in problems]
    if problems:
        raise DataError(problems)
    return out
