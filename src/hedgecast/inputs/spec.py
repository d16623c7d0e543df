"""The model spec file (``models/turkiye_russia.toml``), validated as a whole on load.

It holds the channels, drivers, indicators, trajectory classes and scenarios. Every
mistake in it is collected, with its field and line, into one :class:`SpecError`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hedgecast.config import FIRST_YEAR, LAST_HISTORY_YEAR
from hedgecast.errors import ProblemCollector, SpecError, suggest
from hedgecast.forecasting.trajectories import RuleError, TrajectoryClass, compile_rule, rule_variable_names
from hedgecast.inputs.provenance import Provenance

TRANSFORMS = ("identity", "log", "log1p")
DRIVER_KINDS = ("continuous", "discrete")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
"""Names of channels, drivers, states, indicators, classes and scenarios: they become
dotted prior names (``beta.economic.leader_ties``) and rule variables (``economic_change``)."""
RUPTURE_YEARS = (2014, 2016)
"""The 2015–16 rupture that trajectory rules measure against: the history must cover it."""
ROW_SUM_TOLERANCE = 1e-6
REQUIRED_CHANNELS = ("economic", "political")
REQUIRED_DRIVERS = ("energy_leverage", "leader_ties", "nato_pressure", "regional_friction")


@dataclass(frozen=True)
class Channel:
    """A latent dimension of the relationship, scaled by its anchor indicator."""

    name: str
    anchor: str
    label: str = ""
    description: str = ""


@dataclass(frozen=True)
class Driver:
    """An exogenous force named by the papers."""

    name: str
    kind: str
    label: str = ""
    range: tuple[float, float] = (-1.0, 1.0)
    future_sd: float = 0.05
    states: tuple[str, ...] = ()
    reference: str = ""
    description: str = ""


@dataclass(frozen=True)
class Indicator:
    """An observed series measuring one channel."""

    name: str
    channel: str
    label: str = ""
    transform: str = "identity"
    sign: int = 1


@dataclass(frozen=True)
class DriverIntervention:
    """Set a driver's future level.

    From ``from_year`` it moves (over ``ramp`` years) to a level drawn from
    Normal(``to``, ``sd``), then drifts as usual.
    """

    driver: str
    from_year: int
    to: float
    sd: float = 0.0
    ramp: int = 1


@dataclass(frozen=True)
class WarIntervention:
    """Pin the war state in given years, hold one state until a year, or fix the chain.

    ``transition`` maps a from-state to its full row of next-year probabilities over
    ``ModelSpec.future_war_states`` (in that order; each row sums to 1). Rows given
    here replace the lens's ``war_transition`` prior for those from-states in this
    scenario; the other rows keep the lens prior. Empty = the lens's chain throughout.
    """

    pin: dict[int, str] = field(default_factory=dict)
    hold_state: str = ""
    hold_until: int = 0
    transition: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """An intervention on future drivers (possibly composed, possibly uncertain)."""

    name: str
    label: str = ""
    description: str = ""
    includes: tuple[str, ...] = ()
    probability: float | str | None = None
    war: WarIntervention = field(default_factory=WarIntervention)
    drivers: dict[str, DriverIntervention] = field(default_factory=dict)
    provenance: Provenance = field(default_factory=Provenance)


@dataclass(frozen=True)
class ModelSpec:
    """Everything the model is made of, read from one spec file."""

    name: str
    version: str
    history: tuple[int, int]
    forecast: tuple[int, int]
    channels: dict[str, Channel]
    drivers: dict[str, Driver]
    indicators: dict[str, Indicator]
    trajectories: list[TrajectoryClass]
    scenarios: dict[str, Scenario]
    headline_years: tuple[int, ...] = ()
    description: str = ""
    path: str = ""
    sha256: str = ""

    @property
    def history_years(self) -> list[int]:
        return list(range(self.history[0], self.history[1] + 1))

    @property
    def forecast_years(self) -> list[int]:
        return list(range(self.forecast[0], self.forecast[1] + 1))

    @property
    def headline_year(self) -> int:
        """The year headline probabilities are quoted for by default: the first of ``headline_years``."""
        return (self.headline_years or default_headline_years(self.forecast))[0]

    @property
    def continuous_drivers(self) -> list[str]:
        return [d.name for d in self.drivers.values() if d.kind == "continuous"]

    @property
    def war_driver(self) -> Driver:
        return next(d for d in self.drivers.values() if d.kind == "discrete")

    @property
    def war_states(self) -> list[str]:
        return list(self.war_driver.states)

    @property
    def effect_states(self) -> list[str]:
        """War states with an effect parameter (all but the reference)."""
        return [s for s in self.war_states if s != self.war_driver.reference]

    @property
    def future_war_states(self) -> list[str]:
        """States the future Markov chain moves between (all but the reference)."""
        return self.effect_states

    @property
    def channel_names(self) -> list[str]:
        return list(self.channels)

    @property
    def indicator_names(self) -> list[str]:
        return list(self.indicators)

    @property
    def class_names(self) -> list[str]:
        return [t.name for t in self.trajectories]

    def uncertain_scenarios(self) -> list[str]:
        """Scenarios whose probability comes from the lens."""
        return [s.name for s in self.scenarios.values() if s.probability == "lens"]


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


# ---------------------------------------------------------------------------------------
# Small validators: each records a problem and returns a usable fallback
# ---------------------------------------------------------------------------------------
def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(value: Any) -> bool:
    """Tell whether ``value`` is a number that is not NaN or infinite and fits a float (TOML integers can be huge)."""
    if not _is_number(value):
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


def _number(value: Any, field_name: str, problems: ProblemCollector, *, positive=False, nonneg=False, unit=False) -> float | None:
    """Check a finite number (optionally > 0, ≥ 0 or in [0, 1]); None if it is not a finite number."""
    if not _is_number(value):
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


def _year(value: Any, field_name: str, problems: ProblemCollector, first: int, last: int, what: str = "a forecast year") -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not first <= value <= last:
        problems.add(field_name, f"must be {what} {first}–{last}, got {value!r}")
        return None
    return value


def _text(value: Any, field_name: str, problems: ProblemCollector, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        problems.add(field_name, f"must be text in quotes, got {value!r}")
        return default
    return value


def _name(name: Any, field_name: str, problems: ProblemCollector, what: str) -> bool:
    if not isinstance(name, str) or not NAME.match(name):
        problems.add(
            field_name, f"{what} name {name!r} must start with a letter and use only letters, digits and _ (e.g. regional_friction)"
        )
        return False
    return True


def _table(data: Any, field_name: str, problems: ProblemCollector) -> dict:
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"{type(data).__name__} {data!r}"
        problems.add(field_name, f"must be a table (a [section] or {{ key = value }}), got {kind}")
        return {}
    return data


def _unknown_keys(data: dict, allowed: set[str], field_name: str, problems: ProblemCollector) -> None:
    for key in data:
        if key not in allowed:
            where = f"{field_name}.{key}" if field_name else str(key)
            problems.add(where, f"unknown key '{key}': {suggest(key, allowed)}")


def _provenance(table: dict, field_name: str, problems: ProblemCollector) -> Provenance:
    prov, found = Provenance.from_table(table)
    for pfield, msg in found:
        problems.add(f"{field_name}.{pfield}", msg)
    return prov


# ---------------------------------------------------------------------------------------
# Loading a spec
# ---------------------------------------------------------------------------------------
def load_spec(path: str | Path) -> ModelSpec:
    """Read and validate a model spec; raise one :class:`SpecError` listing every problem."""
    path = Path(path)
    problems = ProblemCollector(path)
    data, text = read_toml_text(path, problems)
    problems.raise_if_any(SpecError)
    assert data is not None
    spec = parse_spec(data, problems)
    add_lines(problems, text)
    sort_by_line(problems)
    problems.raise_if_any(SpecError)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest() if text else ""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        pass
    return ModelSpec(**{**spec, "path": str(path), "sha256": digest})


def parse_spec(data: dict, problems: ProblemCollector) -> dict:
    """Validate the parsed TOML; return ModelSpec keyword arguments.

    Every problem is recorded in ``problems`` (nothing is raised here), so one pass
    reports all of them.
    """
    _unknown_keys(data, {"model", "channels", "drivers", "indicators", "trajectories", "scenarios"}, "", problems)
    meta = _parse_model(data, problems)
    channels = _parse_channels(data, problems)
    drivers = _parse_drivers(data, problems)
    indicators = _parse_indicators(data, channels, problems)
    trajectories = _parse_trajectories(data, list(channels), problems)
    scenarios = _parse_scenarios(data, drivers, meta["forecast"], problems)
    return {
        **meta,
        "channels": channels,
        "drivers": drivers,
        "indicators": indicators,
        "trajectories": trajectories,
        "scenarios": scenarios,
    }


def _span(value: Any, field_name: str, problems: ProblemCollector, default: tuple[int, int]) -> tuple[tuple[int, int], bool]:
    ok = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(y, int) and not isinstance(y, bool) for y in value)
        and value[0] <= value[1]
    )
    if not ok:
        problems.add(field_name, f"must be [first_year, last_year] (two whole years, first ≤ last), got {value!r}")
        return default, False
    return (value[0], value[1]), True


def _parse_model(data: dict, problems: ProblemCollector) -> dict:
    model = _table(data.get("model", {}), "model", problems)
    _unknown_keys(model, {"name", "version", "history", "forecast", "headline_years", "description"}, "model", problems)
    name = _text(model.get("name"), "model.name", problems, "model")
    version = model.get("version", "1")
    if isinstance(version, bool) or not isinstance(version, (str, int, float)):
        problems.add("model.version", f'must be text such as "2", got {version!r}')
        version = "1"
    history, ok_h = _span(model.get("history", [FIRST_YEAR, LAST_HISTORY_YEAR]), "model.history", problems, (FIRST_YEAR, LAST_HISTORY_YEAR))
    forecast, ok_f = _span(
        model.get("forecast", [LAST_HISTORY_YEAR + 1, LAST_HISTORY_YEAR + 10]),
        "model.forecast",
        problems,
        (LAST_HISTORY_YEAR + 1, LAST_HISTORY_YEAR + 10),
    )
    if ok_h:
        if history[0] < FIRST_YEAR or history[1] > LAST_HISTORY_YEAR:
            problems.add(
                "model.history", f"the data cover {FIRST_YEAR}–{LAST_HISTORY_YEAR}; the history must lie within them, got {list(history)}"
            )
        if not (history[0] <= RUPTURE_YEARS[0] and history[1] >= RUPTURE_YEARS[1]):
            problems.add(
                "model.history",
                f"must include {RUPTURE_YEARS[0]}–{RUPTURE_YEARS[1]} (trajectory rules measure against "
                f"the 2015–16 rupture), got {list(history)}",
            )
    headline = _headline_years(model.get("headline_years"), forecast if ok_f else None, problems)
    if ok_h and ok_f and forecast[0] != history[1] + 1:
        problems.add("model.forecast", f"must start the year after the history ends ({history[1] + 1}), got {forecast[0]}")
    return {
        "name": name,
        "version": str(version),
        "history": history,
        "forecast": forecast,
        "headline_years": headline,
        "description": _text(model.get("description"), "model.description", problems),
    }


def default_headline_years(forecast: tuple[int, int]) -> tuple[int, ...]:
    """Headline years of a spec that names none: the middle and the last forecast year."""
    first, last = forecast
    return tuple(sorted({(first + last) // 2, last}))


def _headline_years(value: Any, forecast: tuple[int, int] | None, problems: ProblemCollector) -> tuple[int, ...]:
    """``model.headline_years``: whole forecast years, first the one quoted by default (e.g. ``[2030, 2035]``)."""
    if value is None:
        return default_headline_years(forecast) if forecast is not None else ()
    ok = isinstance(value, list) and value and all(isinstance(y, int) and not isinstance(y, bool) for y in value)
    if not ok:
        problems.add("model.headline_years", f"must be a list of whole years such as [2030, 2035], got {value!r}")
        return ()
    if len(set(value)) != len(value):
        problems.add("model.headline_years", f"lists a year twice: {value!r}")
    if forecast is not None:
        outside = [y for y in value if not forecast[0] <= y <= forecast[1]]
        if outside:
            problems.add(
                "model.headline_years",
                f"must be forecast years {forecast[0]}–{forecast[1]} (the years runs and reports summarize), "
                f"got {', '.join(map(str, outside))}",
            )
    return tuple(value)


def _parse_channels(data: dict, problems: ProblemCollector) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    raw = _table(data.get("channels", {}), "channels", problems)
    if not raw:
        problems.add("channels", "at least one channel is required (the model needs economic and political)")
    for cname, c in raw.items():
        f = f"channels.{cname}"
        _name(cname, f, problems, "channel")
        c = _table(c, f, problems)
        _unknown_keys(c, {"label", "anchor", "description"}, f, problems)
        if "anchor" not in c:
            problems.add(f"{f}.anchor", "missing: name the indicator that fixes this channel's scale")
        channels[cname] = Channel(
            cname,
            _text(c.get("anchor"), f"{f}.anchor", problems),
            _text(c.get("label"), f"{f}.label", problems, cname),
            _text(c.get("description"), f"{f}.description", problems),
        )
    for required in REQUIRED_CHANNELS:
        if raw and required not in raw:
            problems.add(
                f"channels.{required}", f"missing: the model needs the economic and political channels; {suggest(required, list(raw))}"
            )
    return channels


def _parse_drivers(data: dict, problems: ProblemCollector) -> dict[str, Driver]:
    drivers: dict[str, Driver] = {}
    raw = _table(data.get("drivers", {}), "drivers", problems)
    for dname, d in raw.items():
        f = f"drivers.{dname}"
        _name(dname, f, problems, "driver")
        d = _table(d, f, problems)
        _unknown_keys(d, {"label", "kind", "range", "future_sd", "states", "reference", "description"}, f, problems)
        kind = d.get("kind", "continuous")
        if kind not in DRIVER_KINDS:
            problems.add(f"{f}.kind", f"must be one of {', '.join(DRIVER_KINDS)}, got {kind!r}{_close(kind, DRIVER_KINDS)}")
            kind = "continuous"
        rng = d.get("range", [-1.0, 1.0])
        if not (isinstance(rng, list) and len(rng) == 2 and all(is_finite_number(v) for v in rng) and rng[0] < rng[1]):
            problems.add(f"{f}.range", f"must be [low, high], two finite numbers with low < high, got {rng!r}")
            rng = [-1.0, 1.0]
        future_sd = _number(d.get("future_sd", 0.05), f"{f}.future_sd", problems, nonneg=True)
        states: tuple[str, ...] = ()
        reference = ""
        if kind == "discrete":
            raw_states = d.get("states", [])
            if not isinstance(raw_states, list) or not all(isinstance(x, str) for x in raw_states):
                problems.add(f"{f}.states", f"must be a list of state names in quotes, got {raw_states!r}")
                raw_states = [x for x in raw_states if isinstance(x, str)] if isinstance(raw_states, list) else []
            states = tuple(raw_states)
            for st in states:
                _name(st, f"{f}.states", problems, "war state")
            if len(states) < 2:
                problems.add(f"{f}.states", "a discrete driver needs at least two states")
            dupes = sorted({x for x in states if states.count(x) > 1})
            if dupes:
                problems.add(f"{f}.states", f"duplicate state names: {', '.join(dupes)}")
            reference = _text(d.get("reference"), f"{f}.reference", problems)
            if reference not in states:
                problems.add(
                    f"{f}.reference", f"must be one of its states (the no-war reference), got {reference!r}: {suggest(reference, states)}"
                )
        else:
            for key in ("states", "reference"):
                if key in d:
                    problems.add(f"{f}.{key}", f'only a discrete driver has {key}; set kind = "discrete" or remove it')
        drivers[dname] = Driver(
            dname,
            kind,
            _text(d.get("label"), f"{f}.label", problems, dname),
            (float(rng[0]), float(rng[1])),
            future_sd if future_sd is not None else 0.0,
            states,
            reference,
            _text(d.get("description"), f"{f}.description", problems),
        )
    discrete = [d for d in drivers.values() if d.kind == "discrete"]
    if len(discrete) != 1:
        names = ", ".join(d.name for d in discrete) or "none"
        problems.add("drivers", f"exactly one discrete driver (the war state) is required, found {len(discrete)} ({names})")
    for required in REQUIRED_DRIVERS:
        if required not in drivers:
            problems.add(f"drivers.{required}", f"missing: this driver is required by the model; {suggest(required, list(drivers))}")
        elif drivers[required].kind != "continuous":
            problems.add(f"drivers.{required}.kind", "must be continuous: the model uses its level")
    return drivers


def _close(value: Any, valid) -> str:
    hint = suggest(value, valid)
    return hint[hint.index(";") :] if ";" in hint else ""


def _parse_indicators(data: dict, channels: dict[str, Channel], problems: ProblemCollector) -> dict[str, Indicator]:
    indicators: dict[str, Indicator] = {}
    raw = _table(data.get("indicators", {}), "indicators", problems)
    if not raw:
        problems.add("indicators", "at least one indicator per channel is required")
    for iname, i in raw.items():
        f = f"indicators.{iname}"
        _name(iname, f, problems, "indicator")
        i = _table(i, f, problems)
        _unknown_keys(i, {"channel", "label", "transform", "sign"}, f, problems)
        ch = i.get("channel")
        if not isinstance(ch, str) or ch not in channels:
            problems.add(f"{f}.channel", f"unknown channel {ch!r}: {suggest(ch, list(channels))}")
        transform = i.get("transform", "identity")
        if transform not in TRANSFORMS:
            problems.add(
                f"{f}.transform", f"unknown transform {transform!r}: valid are {', '.join(TRANSFORMS)}{_close(transform, TRANSFORMS)}"
            )
            transform = "identity"
        sign = i.get("sign", 1)
        if isinstance(sign, bool) or sign not in (1, -1):
            problems.add(f"{f}.sign", f"must be 1 or -1, got {sign!r}")
            sign = 1
        indicators[iname] = Indicator(
            iname, ch if isinstance(ch, str) else "", _text(i.get("label"), f"{f}.label", problems, iname), str(transform), int(sign)
        )
    for c in channels.values():
        if not c.anchor:
            continue
        if c.anchor not in indicators:
            problems.add(f"channels.{c.name}.anchor", f"unknown indicator '{c.anchor}': {suggest(c.anchor, list(indicators))}")
        elif indicators[c.anchor].channel != c.name:
            problems.add(f"channels.{c.name}.anchor", f"indicator '{c.anchor}' measures '{indicators[c.anchor].channel}', not '{c.name}'")
    return indicators


def _parse_trajectories(data: dict, channel_names: list[str], problems: ProblemCollector) -> list[TrajectoryClass]:
    trajectories: list[TrajectoryClass] = []
    raw = data.get("trajectories", [])
    if not isinstance(raw, list) or not raw:
        problems.add("trajectories", 'must be a non-empty list of [[trajectories]] tables, the last with rule = "otherwise"')
        raw = []
    variables = rule_variable_names(channel_names)
    seen: set[str] = set()
    for n, t in enumerate(raw):
        f = f"trajectories[{n}]"
        t = _table(t, f, problems)
        _unknown_keys(t, {"name", "label", "rule", "description"}, f, problems)
        tname = t.get("name", "")
        if not tname:
            problems.add(f"{f}.name", "missing: every trajectory class needs a name")
        elif _name(tname, f"{f}.name", problems, "trajectory class"):
            if tname in seen:
                problems.add(f"{f}.name", f"duplicate trajectory class '{tname}'")
            seen.add(tname)
        rule = t.get("rule")
        if not isinstance(rule, str) or not rule.strip():
            problems.add(f"{f}.rule", 'missing rule (a condition in quotes, or "otherwise")')
            rule = "False"
        else:
            try:
                compile_rule(rule, variables)
            except RuleError as err:
                problems.add(f"{f}.rule", str(err))
        trajectories.append(
            TrajectoryClass(
                str(tname),
                rule,
                _text(t.get("label"), f"{f}.label", problems, str(tname)),
                _text(t.get("description"), f"{f}.description", problems),
            )
        )
    if trajectories:
        if not trajectories[-1].is_otherwise:
            problems.add(
                f"trajectories[{len(trajectories) - 1}].rule",
                'the last class\'s rule must be "otherwise", so that every path gets a class '
                "(paths matching no rule would be left unclassified)",
            )
        for n, t in enumerate(trajectories[:-1]):
            if t.is_otherwise:
                problems.add(
                    f"trajectories[{n}].rule", '"otherwise" is allowed only on the last class (later classes could never be reached)'
                )
    return trajectories


def _parse_transition(raw: Any, f: str, future: list[str], reference: str, problems: ProblemCollector) -> dict[str, dict[str, float]]:
    """Parse a fixed war-state transition matrix: from-state -> full row over ``future``."""
    table = _table(raw, f, problems)
    out: dict[str, dict[str, float]] = {}

    def unknown(state: str) -> str:
        if state == reference:
            return f"'{state}' is the reference (no-war) state, which the chain never enters or leaves; use pin to set it"
        return f"unknown war state '{state}': {suggest(state, future)}"

    for src, row in table.items():
        g = f"{f}.{src}"
        if src not in future:
            problems.add(g, unknown(src))
            continue
        row = _table(row, g, problems)
        if not row:
            if isinstance(table[src], dict):
                problems.add(g, f"empty row: give next-year probabilities over {', '.join(future)}")
            continue
        full = dict.fromkeys(future, 0.0)
        ok = True
        for dst, p in row.items():
            value = _number(p, f"{g}.{dst}", problems, unit=True)
            if dst not in future:
                problems.add(f"{g}.{dst}", unknown(dst))
                ok = False
            elif value is None or not 0.0 <= value <= 1.0:
                ok = False
            else:
                full[dst] = value
        if ok:
            total = math.fsum(full.values())
            if abs(total - 1.0) > ROW_SUM_TOLERANCE:
                problems.add(g, f"probabilities in a row must sum to 1, got {total:.6g} ({' + '.join(f'{v:g}' for v in row.values())})")
            else:
                out[src] = full
    return out


def _parse_scenarios(data: dict, drivers: dict[str, Driver], forecast: tuple[int, int], problems: ProblemCollector) -> dict[str, Scenario]:
    scenarios: dict[str, Scenario] = {}
    discrete = [d for d in drivers.values() if d.kind == "discrete"]
    war = discrete[0] if len(discrete) == 1 else None
    war_states = list(war.states) if war else []
    future_states = [s for s in war_states if war is not None and s != war.reference]
    first, last = forecast
    raw = _table(data.get("scenarios", {}), "scenarios", problems)
    for sname, s in raw.items():
        f = f"scenarios.{sname}"
        _name(sname, f, problems, "scenario")
        s = _table(s, f, problems)
        _unknown_keys(s, {"label", "description", "includes", "probability", "war", "drivers", "source", "quote", "reason"}, f, problems)
        prov = _provenance(s, f, problems)
        prob: float | str | None = None
        raw_prob = s.get("probability")
        if isinstance(raw_prob, str):
            if raw_prob == "lens":
                prob = "lens"
            else:
                hint = quoted_number_hint(raw_prob) or _close(raw_prob, ["lens"])
                problems.add(f"{f}.probability", f'must be a number in [0, 1] or "lens", got {raw_prob!r}{hint}')
        elif raw_prob is not None:
            prob = _number(raw_prob, f"{f}.probability", problems, unit=True)

        war_raw = _table(s.get("war", {}), f"{f}.war", problems)
        _unknown_keys(war_raw, {"pin", "hold", "transition"}, f"{f}.war", problems)
        pins: dict[int, str] = {}
        for year, state in _table(war_raw.get("pin", {}), f"{f}.war.pin", problems).items():
            g = f"{f}.war.pin.{year}"
            y = int(year) if re.fullmatch(r"[0-9]{1,6}", year) else None
            if y is None or not first <= y <= last:
                problems.add(g, f"year must be a forecast year {first}–{last}, got {year!r}")
                continue
            if state not in war_states:
                problems.add(g, f"unknown war state {state!r}: {suggest(state, war_states)}")
                continue
            pins[y] = state
        hold = _table(war_raw.get("hold", {}), f"{f}.war.hold", problems)
        _unknown_keys(hold, {"state", "until"}, f"{f}.war.hold", problems)
        hold_state, hold_until = "", 0
        if hold:
            hold_state = hold.get("state", "")
            if hold_state not in war_states:
                problems.add(f"{f}.war.hold.state", f"unknown war state {hold_state!r}: {suggest(hold_state, war_states)}")
                hold_state = ""
            if "until" not in hold:
                problems.add(f"{f}.war.hold.until", "missing: the last year the state is held")
            hold_until = _year(hold.get("until", first), f"{f}.war.hold.until", problems, first, last) or 0
            if not hold_state or not hold_until:
                hold_state, hold_until = "", 0
        transition: dict[str, dict[str, float]] = {}
        if "transition" in war_raw:
            transition = _parse_transition(
                war_raw["transition"], f"{f}.war.transition", future_states, war.reference if war else "", problems
            )

        interventions: dict[str, DriverIntervention] = {}
        for dname, iv in _table(s.get("drivers", {}), f"{f}.drivers", problems).items():
            g = f"{f}.drivers.{dname}"
            iv = _table(iv, g, problems)
            _unknown_keys(iv, {"from", "to", "sd", "ramp"}, g, problems)
            if dname not in drivers:
                problems.add(g, f"unknown driver '{dname}': {suggest(dname, list(drivers))}")
                continue
            if drivers[dname].kind != "continuous":
                problems.add(g, "the war state is set under [scenarios.X.war] (pin, hold or transition), not as a driver level")
                continue
            start = _year(iv.get("from", first), f"{g}.from", problems, first, last) or first
            if "to" not in iv:
                problems.add(f"{g}.to", "missing: the level the driver moves to")
            to = _number(iv.get("to", 0.0), f"{g}.to", problems)
            lo, hi = drivers[dname].range
            if to is not None and not lo <= to <= hi:
                problems.add(f"{g}.to", f"{to:g} lies outside the driver's range [{lo:g}, {hi:g}]")
            sd = _number(iv.get("sd", 0.0), f"{g}.sd", problems, nonneg=True)
            ramp = iv.get("ramp", 1)
            if isinstance(ramp, bool) or not isinstance(ramp, int) or ramp < 1:
                problems.add(f"{g}.ramp", f"must be a whole number of years ≥ 1, got {ramp!r}")
                ramp = 1
            interventions[dname] = DriverIntervention(dname, start, to if to is not None else 0.0, sd if sd is not None else 0.0, ramp)

        includes = s.get("includes", [])
        if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
            problems.add(f"{f}.includes", f"must be a list of scenario names in quotes, got {includes!r}")
            includes = [i for i in includes if isinstance(i, str)] if isinstance(includes, list) else []
        dupes = sorted({i for i in includes if includes.count(i) > 1})
        if dupes:
            problems.add(f"{f}.includes", f"lists {', '.join(dupes)} more than once")
        scenarios[sname] = Scenario(
            sname,
            _text(s.get("label"), f"{f}.label", problems, sname),
            _text(s.get("description"), f"{f}.description", problems),
            tuple(dict.fromkeys(includes)),
            prob,
            WarIntervention(pins, hold_state, hold_until, transition),
            interventions,
            prov,
        )
    if not scenarios:
        problems.add("scenarios", "at least one scenario is required (e.g. a status_quo with no interventions)")
    for sc in scenarios.values():
        for inc in sc.includes:
            if inc not in scenarios:
                problems.add(f"scenarios.{sc.name}.includes", f"unknown scenario '{inc}': {suggest(inc, list(scenarios))}")
    for sc in scenarios.values():  # cycles in includes
        stack, seen = list(sc.includes), set()
        while stack:
            cur = stack.pop()
            if cur == sc.name:
                problems.add(f"scenarios.{sc.name}.includes", "includes itself (directly or through another scenario)")
                break
            if cur in seen or cur not in scenarios:
                continue
            seen.add(cur)
            stack.extend(scenarios[cur].includes)
    return scenarios
