"""Reading TOML files (the model spec, lenses) and pointing at the line of a field.

Text, syntax errors with their line, the line of any dotted field, and small
validators for the values read.

Every validator records a problem in a :class:`~hedgecast.errors.ProblemCollector`
under its dotted field and returns a usable fallback, so one pass reports every
mistake; :func:`add_lines` then gives each problem the line of its field.
:func:`load_toml_file` does the whole round for a file read as one piece.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from hedgecast.errors import ProblemCollector, SpecError, suggest
from hedgecast.inputs.provenance import Provenance

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
"""Names of channels, drivers, states, indicators, classes and scenarios: they become
dotted prior names (``beta.economic.leader_ties``) and rule variables (``trade_usd_bn_mean_3y``)."""


# ---------------------------------------------------------------------------------------
# Reading TOML, and pointing at lines
# ---------------------------------------------------------------------------------------
_TOML_HINTS = (
    (re.compile(r"Cannot declare \((.*)\) twice"), "duplicate table: [{0}] is declared twice in this file (merge the two, or rename one)"),
    (re.compile(r"Cannot overwrite a value"), "duplicate key: this key is already set in this table, or a table of the same name exists"),
    (re.compile(r"Invalid value"), 'invalid value: put text in double quotes ("..."), write numbers plainly (0.5), lists in [ ]'),
    (re.compile(r"Unclosed array"), "a list [ … ] is not closed"),
    (re.compile(r"Expected '=' after a key"), "expected 'key = value' (a stray word, or text without quotes?)"),
)


def _toml_message(err: tomllib.TOMLDecodeError, text: str) -> tuple[str, int | None]:
    msg = str(err)
    match = re.search(r"\(at line (\d+), column (\d+)\)", msg)
    line = int(match.group(1)) if match else None
    at_end = "(at end of document)" in msg
    if line is None and at_end:
        line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
    core = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", msg)
    for pattern, hint in _TOML_HINTS:
        m = pattern.search(core)
        if m:
            groups = [", ".join(re.findall(r"'((?:[^'\\]|\\.)*)'", g)).replace(", ", ".") for g in m.groups()]
            core = hint.format(*groups)
            break
    column = f", column {match.group(2)}" if match else ""
    return f"TOML syntax error: {core}{' (at end of file)' if at_end else column}", line


def read_toml_text(path: Path, problems: ProblemCollector) -> tuple[dict[str, Any] | None, str]:
    """Read a TOML file and its text; syntax errors are recorded with their line number."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.add("", "file not found")
        return None, ""
    except IsADirectoryError:
        problems.add("", "is a folder, not a file")
        return None, ""
    except UnicodeDecodeError as err:
        raw = Path(path).read_bytes()
        line = raw[: err.start].count(b"\n") + 1
        problems.add("", f"is not UTF-8 text (bad byte at position {err.start}); save the file as UTF-8", line=line)
        return None, ""
    except OSError as err:
        problems.add("", f"cannot read file: {err.strerror or err}")
        return None, ""
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as err:
        message, line = _toml_message(err, text)
        problems.add("", message, line=line)
    except RecursionError:
        problems.add("", "TOML syntax error: lists or tables nested too deeply")
    return None, text


def read_toml(path: Path, problems: ProblemCollector) -> dict[str, Any] | None:
    """Read a TOML file; syntax errors are recorded with their line number."""
    return read_toml_text(path, problems)[0]


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]#]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*=")
_KEY_PART = re.compile(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+)")


def _key_parts(key: str) -> list[str]:
    return [a or b or c for a, b, c in _KEY_PART.findall(key)]


def _field_parts(field_name: str) -> list[str]:
    out = []
    for part in re.split(r"\.(?![^\[]*\])", field_name):
        m = re.fullmatch(r"(.*?)((?:\[\d+\])+)", part)
        if m:
            out.append(m.group(1))
            out += [f"#{i}" for i in re.findall(r"\[(\d+)\]", m.group(2))]
        elif part:
            out.append(part)
    return out


def locate(text: str, field_name: str) -> int | None:
    """Find the line of a dotted field in TOML ``text`` (best effort; None if not found).

    Fields look like ``scenarios.x.war.hold.until`` or ``trajectories[2].rule``.
    """
    if not text or not field_name:
        return None
    lines = text.splitlines()
    headers: list[tuple[int, list[str]]] = []  # (line index, parts)
    counts: dict[tuple[str, ...], int] = {}
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if not m:
            continue
        parts = _key_parts(m.group(2))
        if m.group(1) == "[[":
            n = counts.get(tuple(parts), 0)
            counts[tuple(parts)] = n + 1
            parts = [*parts, f"#{n}"]
        headers.append((i, parts))
    want = _field_parts(field_name)
    best_start, best_len = -1, 0
    for i, parts in headers:
        if len(parts) >= best_len and want[: len(parts)] == parts:
            best_start, best_len = i, len(parts)
    rest = want[best_len:]
    if best_start < 0:  # a table given only through sub-tables: point at the first of them
        first = next((i for i, parts in headers if parts[: len(want)] == want), None)
        if first is not None:
            return first + 1
    if best_start < 0 and not rest:
        return None
    end = next((i for i, _ in headers if i > best_start), len(lines))
    if rest:
        hit, hit_len = None, 0
        for i in range(best_start + 1, end):
            m = _KEY.match(lines[i])
            if not m:
                continue
            parts = _key_parts(m.group(1))
            k = min(len(parts), len(rest))
            if parts[:k] == rest[:k] and k > hit_len:
                hit, hit_len = i, k
        if hit is not None and hit_len < len(rest) and rest[hit_len].startswith("#"):
            # an item of a multi-line inline array: the n-th line that opens a table
            n, seen = int(rest[hit_len][1:]), -1
            for i in range(hit + 1, end):
                if lines[i].lstrip().startswith("{"):
                    seen += 1
                    if seen == n:
                        return i + 1
                if lines[i].strip().startswith("]"):
                    break
        if hit is not None:
            return hit + 1
    return best_start + 1 if best_start >= 0 else None


def add_lines(problems: ProblemCollector, text: str, start: int = 0) -> None:
    """Give every problem recorded since ``start`` (and lacking one) the line of its field."""
    for n in range(start, len(problems.problems)):
        p = problems.problems[n]
        if p.line is None and p.field:
            line = locate(text, p.field)
            if line is not None:
                problems.problems[n] = dataclasses.replace(p, line=line)


def sort_by_line(problems: ProblemCollector, start: int = 0) -> None:
    """Order the problems recorded since ``start`` by line, so they read top to bottom."""
    tail = problems.problems[start:]
    problems.problems[start:] = sorted(tail, key=lambda p: (p.line is None, p.line or 0))


Parsed = TypeVar("Parsed")


def load_toml_file(path: Path, parse: Callable[[dict[str, Any], ProblemCollector], Parsed]) -> tuple[Parsed, str]:
    """Read the TOML file ``path`` and validate it with ``parse(data, problems)``; return its result and the file's text.

    A file that cannot be read or parsed raises at once; otherwise every problem ``parse``
    records gets the line of its field, and they are raised together, top to bottom, as
    one :class:`SpecError`.
    """
    problems = ProblemCollector(path)
    data, text = read_toml_text(path, problems)
    problems.raise_if_any(SpecError)
    assert data is not None
    out = parse(data, problems)
    add_lines(problems, text)
    sort_by_line(problems)
    problems.raise_if_any(SpecError)
    return out, text


# ---------------------------------------------------------------------------------------
# Small validators: each records a problem and returns a usable fallback
# ---------------------------------------------------------------------------------------
def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(value: Any) -> bool:
    """Tell whether ``value`` is a number that is not NaN or infinite and fits a float (TOML integers can be huge)."""
    if not is_number(value):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def quoted_number_hint(value: Any) -> str:
    """' (remove the quotes)' when ``value`` is text that reads as a number, else ''."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return ""
        return " (remove the quotes: numbers are written without them)"
    return ""


def check_number(value: Any, field_name: str, problems: ProblemCollector, *, positive=False, nonneg=False, unit=False) -> float | None:
    """Check a finite number (optionally > 0, ≥ 0 or in [0, 1]); None if it is not a finite number."""
    if not is_number(value):
        problems.add(field_name, f"must be a number, got {value!r}{quoted_number_hint(value)}")
        return None
    if not is_finite_number(value):
        problems.add(field_name, f"must be a finite number, got {value!r}")
        return None
    if positive and not value > 0:
        problems.add(field_name, f"must be positive, got {value!r}")
    if nonneg and value < 0:
        problems.add(field_name, f"must not be negative, got {value!r}")
    if unit and not 0.0 <= value <= 1.0:
        problems.add(field_name, f"is a probability and must lie in [0, 1], got {value!r}")
    return float(value)


def check_year(value: Any, field_name: str, problems: ProblemCollector, first: int, last: int, what: str = "a forecast year") -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not first <= value <= last:
        problems.add(field_name, f"must be {what} {first}–{last}, got {value!r}")
        return None
    return value


def check_text(value: Any, field_name: str, problems: ProblemCollector, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        problems.add(field_name, f"must be text in quotes, got {value!r}")
        return default
    return value


def check_name(name: Any, field_name: str, problems: ProblemCollector, what: str) -> bool:
    if not isinstance(name, str) or not NAME.match(name):
        problems.add(
            field_name, f"{what} name {name!r} must start with a letter and use only letters, digits and _ (e.g. regional_friction)"
        )
        return False
    return True


def check_table(data: Any, field_name: str, problems: ProblemCollector) -> dict:
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"{type(data).__name__} {data!r}"
        problems.add(field_name, f"must be a table (a [section] or {{ key = value }}), got {kind}")
        return {}
    return data


def check_keys(data: dict, allowed: set[str], field_name: str, problems: ProblemCollector) -> None:
    for key in data:
        if key not in allowed:
            where = f"{field_name}.{key}" if field_name else str(key)
            problems.add(where, f"unknown key '{key}': {suggest(key, allowed)}")


def check_provenance(table: dict, field_name: str, problems: ProblemCollector) -> Provenance:
    prov, found = Provenance.from_table(table)
    for pfield, msg in found:
        problems.add(f"{field_name}.{pfield}", msg)
    return prov


def close_hint(value: Any, valid) -> str:
    hint = suggest(value, valid)
    return hint[hint.index(";") :] if ";" in hint else ""
