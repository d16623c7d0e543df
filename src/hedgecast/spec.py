"""The model spec file (``models/turkiye_russia.toml``): channels, drivers, indicators,
trajectory classes and scenarios, validated as a whole on load."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ProblemCollector, SpecError, suggest
from .provenance import Provenance
from .trajectories import RuleError, TrajectoryClass, compile_rule

TRANSFORMS = ("identity", "log", "log1p")
DRIVER_KINDS = ("continuous", "discrete")


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
    """Set a driver's future level: from ``from_year`` it moves (over ``ramp`` years)
    to a level drawn from Normal(``to``, ``sd``), then drifts as usual."""

    driver: str
    from_year: int
    to: float
    sd: float = 0.0
    ramp: int = 1


@dataclass(frozen=True)
class WarIntervention:
    """Pin the war state in given years, or hold one state until a year."""

    pin: dict[int, str] = field(default_factory=dict)
    hold_state: str = ""
    hold_until: int = 0


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


def read_toml(path: Path, problems: ProblemCollector) -> dict[str, Any] | None:
    """Read a TOML file; syntax errors are recorded with their line number."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.add("", "file not found")
        return None
    except (OSError, UnicodeDecodeError) as err:
        problems.add("", f"cannot read file: {err}")
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = re.search(r"line (\d+)", str(err))
        problems.add("", f"TOML syntax error: {err}", line=int(match.group(1)) if match else None)
        return None


def _number(value: Any, field_name: str, problems: ProblemCollector, *, positive=False, nonneg=False) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.add(field_name, f"must be a number, got {value!r}")
        return None
    if positive and not value > 0:
        problems.add(field_name, f"must be positive, got {value!r}")
    if nonneg and value < 0:
        problems.add(field_name, f"must not be negative, got {value!r}")
    return float(value)


def _table(data: Any, field_name: str, problems: ProblemCollector) -> dict:
    if not isinstance(data, dict):
        problems.add(field_name, f"must be a table, got {type(data).__name__}")
        return {}
    return data


def _unknown_keys(data: dict, allowed: set[str], field_name: str, problems: ProblemCollector) -> None:
    for key in data:
        if key not in allowed:
            problems.add(f"{field_name}.{key}", f"unknown key: {suggest(key, allowed)}")


def load_spec(path: str | Path) -> ModelSpec:
    """Read and validate a model spec; raise one :class:`SpecError` listing every problem."""
    path = Path(path)
    problems = ProblemCollector(path)
    data = read_toml(path, problems)
    problems.raise_if_any(SpecError)
    assert data is not None
    spec = parse_spec(data, problems)
    problems.raise_if_any(SpecError)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return ModelSpec(**{**spec, "path": str(path), "sha256": digest})


def parse_spec(data: dict, problems: ProblemCollector) -> dict:  # noqa: C901 - one validator, read top to bottom
    """Validate the parsed TOML; return ModelSpec keyword arguments."""
    _unknown_keys(data, {"model", "channels", "drivers", "indicators", "trajectories", "scenarios"}, "", problems)
    model = _table(data.get("model", {}), "model", problems)
    name = str(model.get("name", "model"))
    version = str(model.get("version", "1"))
    history = tuple(model.get("history", (2000, 2025)))
    forecast = tuple(model.get("forecast", (2026, 2035)))
    for fname, span in (("model.history", history), ("model.forecast", forecast)):
        if len(span) != 2 or not all(isinstance(y, int) for y in span) or span[0] > span[1]:
            problems.add(fname, f"must be [first_year, last_year], got {list(span)}")
    if len(history) == 2 and len(forecast) == 2 and all(isinstance(y, int) for y in (*history, *forecast)):
        if forecast[0] != history[1] + 1:
            problems.add("model.forecast", "must start the year after the history ends")

    # channels
    channels: dict[str, Channel] = {}
    raw_channels = _table(data.get("channels", {}), "channels", problems)
    if not raw_channels:
        problems.add("channels", "at least one channel is required")
    for cname, c in raw_channels.items():
        c = _table(c, f"channels.{cname}", problems)
        _unknown_keys(c, {"label", "anchor", "description"}, f"channels.{cname}", problems)
        if "anchor" not in c:
            problems.add(f"channels.{cname}.anchor", "missing: name the indicator that fixes this channel's scale")
        channels[cname] = Channel(cname, str(c.get("anchor", "")), str(c.get("label", cname)), str(c.get("description", "")))
    for required in ("economic", "political"):
        if raw_channels and required not in raw_channels:
            problems.add(f"channels.{required}", "missing: the model needs the economic and political channels")

    # drivers
    drivers: dict[str, Driver] = {}
    for dname, d in _table(data.get("drivers", {}), "drivers", problems).items():
        f = f"drivers.{dname}"
        d = _table(d, f, problems)
        _unknown_keys(d, {"label", "kind", "range", "future_sd", "states", "reference", "description"}, f, problems)
        kind = d.get("kind", "continuous")
        if kind not in DRIVER_KINDS:
            problems.add(f"{f}.kind", f"must be one of {', '.join(DRIVER_KINDS)}, got {kind!r}")
        rng = d.get("range", [-1.0, 1.0])
        if not (isinstance(rng, list) and len(rng) == 2 and all(isinstance(v, (int, float)) for v in rng) and rng[0] < rng[1]):
            problems.add(f"{f}.range", f"must be [low, high] with low < high, got {rng!r}")
            rng = [-1.0, 1.0]
        future_sd = d.get("future_sd", 0.05)
        future_sd = _number(future_sd, f"{f}.future_sd", problems, nonneg=True) or 0.0
        states = tuple(d.get("states", ()))
        reference = str(d.get("reference", ""))
        if kind == "discrete":
            if len(states) < 2:
                problems.add(f"{f}.states", "a discrete driver needs at least two states")
            if len(set(states)) != len(states):
                problems.add(f"{f}.states", "duplicate state names")
            if reference not in states:
                problems.add(f"{f}.reference", f"must be one of its states: {suggest(reference, states)}")
        drivers[dname] = Driver(dname, kind, str(d.get("label", dname)), (float(rng[0]), float(rng[1])), future_sd, states, reference, str(d.get("description", "")))
    discrete = [d for d in drivers.values() if d.kind == "discrete"]
    if len(discrete) != 1:
        problems.add("drivers", f"exactly one discrete driver (the war state) is required, found {len(discrete)}")
    for required in ("energy_leverage", "leader_ties", "nato_pressure", "regional_friction"):
        if drivers and required not in drivers:
            problems.add(f"drivers.{required}", "missing: this driver is required by the model")

    # indicators
    indicators: dict[str, Indicator] = {}
    for iname, i in _table(data.get("indicators", {}), "indicators", problems).items():
        f = f"indicators.{iname}"
        i = _table(i, f, problems)
        _unknown_keys(i, {"channel", "label", "transform", "sign"}, f, problems)
        ch = str(i.get("channel", ""))
        if ch not in channels:
            problems.add(f"{f}.channel", f"unknown channel '{ch}': {suggest(ch, list(channels))}")
        transform = i.get("transform", "identity")
        if transform not in TRANSFORMS:
            problems.add(f"{f}.transform", f"unknown transform {transform!r}: valid are {', '.join(TRANSFORMS)}")
        sign = i.get("sign", 1)
        if sign not in (1, -1):
            problems.add(f"{f}.sign", f"must be 1 or -1, got {sign!r}")
        indicators[iname] = Indicator(iname, ch, str(i.get("label", iname)), str(transform), int(sign) if sign in (1, -1) else 1)
    for c in channels.values():
        if c.anchor and c.anchor not in indicators:
            problems.add(f"channels.{c.name}.anchor", f"unknown indicator '{c.anchor}': {suggest(c.anchor, list(indicators))}")
        elif c.anchor and indicators[c.anchor].channel != c.name:
            problems.add(f"channels.{c.name}.anchor", f"indicator '{c.anchor}' measures '{indicators[c.anchor].channel}', not '{c.name}'")

    # trajectory classes
    trajectories: list[TrajectoryClass] = []
    raw_traj = data.get("trajectories", [])
    if not isinstance(raw_traj, list) or not raw_traj:
        problems.add("trajectories", "must be a non-empty list of [[trajectories]] tables")
        raw_traj = []
    seen: set[str] = set()
    for n, t in enumerate(raw_traj):
        f = f"trajectories[{n}]"
        t = _table(t, f, problems)
        _unknown_keys(t, {"name", "label", "rule", "description"}, f, problems)
        tname = str(t.get("name", ""))
        if not tname:
            problems.add(f"{f}.name", "missing")
        if tname in seen:
            problems.add(f"{f}.name", f"duplicate trajectory class '{tname}'")
        seen.add(tname)
        rule = t.get("rule")
        if not isinstance(rule, str) or not rule.strip():
            problems.add(f"{f}.rule", "missing rule (a boolean expression, or 'otherwise')")
            rule = "False"
        try:
            compile_rule(rule)
        except RuleError as err:
            problems.add(f"{f}.rule", str(err))
        trajectories.append(TrajectoryClass(tname, rule, str(t.get("label", tname)), str(t.get("description", ""))))
    if trajectories:
        if not trajectories[-1].is_otherwise:
            problems.add(f"trajectories[{len(trajectories) - 1}].rule", "the last class's rule must be 'otherwise', so that every path gets a class")
        for n, t in enumerate(trajectories[:-1]):
            if t.is_otherwise:
                problems.add(f"trajectories[{n}].rule", "'otherwise' is allowed only on the last class (later classes could never be reached)")

    # scenarios
    scenarios: dict[str, Scenario] = {}
    war_states = discrete[0].states if len(discrete) == 1 else ()
    first_future, last_future = (forecast if len(forecast) == 2 and all(isinstance(y, int) for y in forecast) else (2026, 2035))
    for sname, s in _table(data.get("scenarios", {}), "scenarios", problems).items():
        f = f"scenarios.{sname}"
        s = _table(s, f, problems)
        _unknown_keys(s, {"label", "description", "includes", "probability", "war", "drivers", "source", "quote", "reason"}, f, problems)
        prov = Provenance.from_dict(s)
        for pfield, msg in prov.problems():
            problems.add(f"{f}.{pfield}", msg)
        prob = s.get("probability")
        if prob is not None and prob != "lens":
            p = _number(prob, f"{f}.probability", problems)
            if p is not None and not 0.0 <= p <= 1.0:
                problems.add(f"{f}.probability", f"must lie in [0, 1], got {p}")
        war_raw = _table(s.get("war", {}), f"{f}.war", problems)
        _unknown_keys(war_raw, {"pin", "hold"}, f"{f}.war", problems)
        pins: dict[int, str] = {}
        for year, state in _table(war_raw.get("pin", {}), f"{f}.war.pin", problems).items():
            if not str(year).isdigit() or not first_future <= int(year) <= last_future:
                problems.add(f"{f}.war.pin.{year}", f"year must be a forecast year {first_future}–{last_future}")
                continue
            if state not in war_states:
                problems.add(f"{f}.war.pin.{year}", f"unknown war state '{state}': {suggest(str(state), war_states)}")
            pins[int(year)] = str(state)
        hold = _table(war_raw.get("hold", {}), f"{f}.war.hold", problems)
        _unknown_keys(hold, {"state", "until"}, f"{f}.war.hold", problems)
        hold_state, hold_until = str(hold.get("state", "")), hold.get("until", 0)
        if hold:
            if hold_state not in war_states:
                problems.add(f"{f}.war.hold.state", f"unknown war state '{hold_state}': {suggest(hold_state, war_states)}")
            if not isinstance(hold_until, int) or not first_future <= hold_until <= last_future:
                problems.add(f"{f}.war.hold.until", f"must be a forecast year {first_future}–{last_future}, got {hold_until!r}")
                hold_until = 0
        interventions: dict[str, DriverIntervention] = {}
        for dname, iv in _table(s.get("drivers", {}), f"{f}.drivers", problems).items():
            g = f"{f}.drivers.{dname}"
            iv = _table(iv, g, problems)
            _unknown_keys(iv, {"from", "to", "sd", "ramp"}, g, problems)
            if dname not in drivers:
                problems.add(g, f"unknown driver '{dname}': {suggest(dname, list(drivers))}")
                continue
            if drivers[dname].kind != "continuous":
                problems.add(g, "the war state is set under [scenarios.X.war], not as a driver level")
                continue
            start = iv.get("from", first_future)
            if not isinstance(start, int) or not first_future <= start <= last_future:
                problems.add(f"{g}.from", f"must be a forecast year {first_future}–{last_future}, got {start!r}")
                start = first_future
            if "to" not in iv:
                problems.add(f"{g}.to", "missing: the level the driver moves to")
            to = _number(iv.get("to", 0.0), f"{g}.to", problems) or 0.0
            lo, hi = drivers[dname].range
            if not lo <= to <= hi:
                problems.add(f"{g}.to", f"{to} lies outside the driver's range [{lo}, {hi}]")
            sd = _number(iv.get("sd", 0.0), f"{g}.sd", problems, nonneg=True) or 0.0
            ramp = iv.get("ramp", 1)
            if not isinstance(ramp, int) or ramp < 1:
                problems.add(f"{g}.ramp", f"must be a whole number of years ≥ 1, got {ramp!r}")
                ramp = 1
            interventions[dname] = DriverIntervention(dname, start, to, sd, ramp)
        includes = s.get("includes", [])
        if not isinstance(includes, list):
            problems.add(f"{f}.includes", "must be a list of scenario names")
            includes = []
        scenarios[sname] = Scenario(
            sname,
            str(s.get("label", sname)),
            str(s.get("description", "")),
            tuple(str(i) for i in includes),
            prob if prob is None or prob == "lens" else float(prob) if isinstance(prob, (int, float)) else None,
            WarIntervention(pins, hold_state if hold else "", hold_until if hold else 0),
            interventions,
            prov,
        )
    if not scenarios:
        problems.add("scenarios", "at least one scenario is required")
    for s in scenarios.values():
        for inc in s.includes:
            if inc not in scenarios:
                problems.add(f"scenarios.{s.name}.includes", f"unknown scenario '{inc}': {suggest(inc, list(scenarios))}")
    # cycles in includes
    for s in scenarios.values():
        stack, seen_s = list(s.includes), set()
        while stack:
            cur = stack.pop()
            if cur == s.name:
                problems.add(f"scenarios.{s.name}.includes", "includes itself (directly or through another scenario)")
                break
            if cur in seen_s or cur not in scenarios:
                continue
            seen_s.add(cur)
            stack.extend(scenarios[cur].includes)

    return {
        "name": name,
        "version": version,
        "history": history,
        "forecast": forecast,
        "channels": channels,
        "drivers": drivers,
        "indicators": indicators,
        "trajectories": trajectories,
        "scenarios": scenarios,
        "description": str(model.get("description", "")),
    }
