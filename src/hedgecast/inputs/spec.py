"""The model spec file (``models/turkiye_russia.toml``), validated as a whole on load.

It holds the channels, drivers, indicators, trajectory classes and scenarios
(:mod:`hedgecast.inputs.spec_parts`). Every mistake in it is collected, with its
field and line, into one :class:`SpecError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hedgecast.config import FIRST_YEAR, LAST_HISTORY_YEAR
from hedgecast.errors import ProblemCollector, suggest
from hedgecast.forecasting.rule_variables import EVENT_VARIABLES, rule_variable_names
from hedgecast.forecasting.trajectories import RuleError, TrajectoryClass, compile_rule
from hedgecast.inputs.scenario_spec import parse_scenarios
from hedgecast.inputs.schemas import INCLUSION_LEVELS
from hedgecast.inputs.spec_parts import Channel, Driver, Indicator, Scenario
from hedgecast.inputs.spec_toml import (
    check_keys,
    check_name,
    check_number,
    check_table,
    check_text,
    close_hint,
    is_finite_number,
    load_toml_file,
)

TRANSFORMS = ("identity", "log", "log1p")
DRIVER_KINDS = ("continuous", "discrete")
RUPTURE_YEARS = (2014, 2016)
"""The 2015–16 rupture that trajectory rules measure against: the history must cover it."""
REQUIRED_CHANNELS = ("economic", "political")
REQUIRED_DRIVERS = ("energy_leverage", "leader_ties", "nato_pressure", "regional_friction")
DEFAULT_INCLUSION = "main"
"""The incident inclusion rule the crisis model is fitted to when the spec names none (``data/curated/README.md``)."""


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
    crisis_inclusion: str = DEFAULT_INCLUSION
    path: str = ""
    sha256: str = ""
    centring: tuple[int, int] = ()
    """The spec file's ``model.history``: the fixed period drivers are centred and indicators
    standardized over. ``history`` is the fitted record, which runs on to the last year the data
    cover (:func:`hedgecast.inputs.updates.extend_to_data`); empty = ``history``."""

    @property
    def centring_period(self) -> tuple[int, int]:
        """The period drivers are centred and indicators standardized over (fixed in the spec file)."""
        return tuple(self.centring) if self.centring else tuple(self.history)

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

    def lens_mixtures(self) -> list[str]:
        """Mixture scenarios whose branch probabilities come from the lens (a Dirichlet prior each)."""
        return [s.name for s in self.scenarios.values() if s.branches and s.branch_probabilities == "lens"]


# ---------------------------------------------------------------------------------------
# Loading a spec
# ---------------------------------------------------------------------------------------
def load_spec(path: str | Path) -> ModelSpec:
    """Read and validate a model spec; raise one :class:`SpecError` listing every problem."""
    path = Path(path)
    spec, text = load_toml_file(path, parse_spec)
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
    check_keys(data, {"model", "crisis_model", "channels", "drivers", "indicators", "trajectories", "scenarios"}, "", problems)
    meta = _parse_model(data, problems)
    channels = _parse_channels(data, problems)
    drivers = _parse_drivers(data, problems)
    indicators = _parse_indicators(data, channels, problems)
    trajectories = _parse_trajectories(data, indicators, meta["history"], problems)
    scenarios = parse_scenarios(data, drivers, meta["forecast"], problems)
    return {
        **meta,
        "channels": channels,
        "drivers": drivers,
        "indicators": indicators,
        "trajectories": trajectories,
        "scenarios": scenarios,
        "crisis_inclusion": _parse_crisis_model(data, problems),
    }


def _parse_crisis_model(data: dict, problems: ProblemCollector) -> str:
    """``[crisis_model] inclusion``: which incidents of ``incidents.csv`` the crisis model counts (strict, main or loose)."""
    table = check_table(data.get("crisis_model", {}), "crisis_model", problems)
    check_keys(table, {"inclusion"}, "crisis_model", problems)
    level = table.get("inclusion", DEFAULT_INCLUSION)
    if level not in INCLUSION_LEVELS:
        problems.add(
            "crisis_model.inclusion",
            f"unknown inclusion rule {level!r}: the incident rules of data/curated/README.md are "
            f"{', '.join(INCLUSION_LEVELS)} (strictest first){close_hint(level, INCLUSION_LEVELS)}",
        )
        return DEFAULT_INCLUSION
    return str(level)


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
    model = check_table(data.get("model", {}), "model", problems)
    check_keys(model, {"name", "version", "history", "forecast", "headline_years", "description"}, "model", problems)
    name = check_text(model.get("name"), "model.name", problems, "model")
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
        "centring": history,
        "forecast": forecast,
        "headline_years": headline,
        "description": check_text(model.get("description"), "model.description", problems),
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


def _entries(raw: dict, section: str, kind: str, keys: set[str], problems: ProblemCollector) -> Iterator[tuple[str, str, dict]]:
    """Each named table of ``[section]`` (``raw``): its name, its field path and the table, name and keys checked."""
    for name, entry in raw.items():
        f = f"{section}.{name}"
        check_name(name, f, problems, kind)
        entry = check_table(entry, f, problems)
        check_keys(entry, keys, f, problems)
        yield name, f, entry


def _parse_channels(data: dict, problems: ProblemCollector) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    raw = check_table(data.get("channels", {}), "channels", problems)
    if not raw:
        problems.add("channels", "at least one channel is required (the model needs economic and political)")
    for cname, f, c in _entries(raw, "channels", "channel", {"label", "anchor", "description"}, problems):
        if "anchor" not in c:
            problems.add(f"{f}.anchor", "missing: name the indicator that fixes this channel's scale")
        channels[cname] = Channel(
            cname,
            anchor=check_text(c.get("anchor"), f"{f}.anchor", problems),
            label=check_text(c.get("label"), f"{f}.label", problems, cname),
            description=check_text(c.get("description"), f"{f}.description", problems),
        )
    for required in REQUIRED_CHANNELS:
        if raw and required not in raw:
            problems.add(
                f"channels.{required}", f"missing: the model needs the economic and political channels; {suggest(required, list(raw))}"
            )
    return channels


def _parse_drivers(data: dict, problems: ProblemCollector) -> dict[str, Driver]:
    drivers: dict[str, Driver] = {}
    raw = check_table(data.get("drivers", {}), "drivers", problems)
    keys = {"label", "kind", "range", "future_sd", "states", "reference", "description"}
    for dname, f, d in _entries(raw, "drivers", "driver", keys, problems):
        kind = d.get("kind", "continuous")
        if kind not in DRIVER_KINDS:
            problems.add(f"{f}.kind", f"must be one of {', '.join(DRIVER_KINDS)}, got {kind!r}{close_hint(kind, DRIVER_KINDS)}")
            kind = "continuous"
        rng = d.get("range", [-1.0, 1.0])
        if not (isinstance(rng, list) and len(rng) == 2 and all(is_finite_number(v) for v in rng) and rng[0] < rng[1]):
            problems.add(f"{f}.range", f"must be [low, high], two finite numbers with low < high, got {rng!r}")
            rng = [-1.0, 1.0]
        future_sd = check_number(d.get("future_sd", 0.05), f"{f}.future_sd", problems, nonneg=True)
        states: tuple[str, ...] = ()
        reference = ""
        if kind == "discrete":
            raw_states = d.get("states", [])
            if not isinstance(raw_states, list) or not all(isinstance(x, str) for x in raw_states):
                problems.add(f"{f}.states", f"must be a list of state names in quotes, got {raw_states!r}")
                raw_states = [x for x in raw_states if isinstance(x, str)] if isinstance(raw_states, list) else []
            states = tuple(raw_states)
            for st in states:
                check_name(st, f"{f}.states", problems, "war state")
            if len(states) < 2:
                problems.add(f"{f}.states", "a discrete driver needs at least two states")
            dupes = sorted({x for x in states if states.count(x) > 1})
            if dupes:
                problems.add(f"{f}.states", f"duplicate state names: {', '.join(dupes)}")
            reference = check_text(d.get("reference"), f"{f}.reference", problems)
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
            kind=kind,
            label=check_text(d.get("label"), f"{f}.label", problems, dname),
            range=(float(rng[0]), float(rng[1])),
            future_sd=future_sd if future_sd is not None else 0.0,
            states=states,
            reference=reference,
            description=check_text(d.get("description"), f"{f}.description", problems),
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


def _parse_indicators(data: dict, channels: dict[str, Channel], problems: ProblemCollector) -> dict[str, Indicator]:
    indicators: dict[str, Indicator] = {}
    raw = check_table(data.get("indicators", {}), "indicators", problems)
    if not raw:
        problems.add("indicators", "at least one indicator per channel is required")
    for iname, f, i in _entries(raw, "indicators", "indicator", {"channel", "label", "transform", "sign", "unit", "in_rules"}, problems):
        ch = i.get("channel")
        if not isinstance(ch, str) or ch not in channels:
            problems.add(f"{f}.channel", f"unknown channel {ch!r}: {suggest(ch, list(channels))}")
        transform = i.get("transform", "identity")
        if transform not in TRANSFORMS:
            problems.add(
                f"{f}.transform", f"unknown transform {transform!r}: valid are {', '.join(TRANSFORMS)}{close_hint(transform, TRANSFORMS)}"
            )
            transform = "identity"
        sign = i.get("sign", 1)
        if isinstance(sign, bool) or sign not in (1, -1):
            problems.add(f"{f}.sign", f"must be 1 or -1, got {sign!r}")
            sign = 1
        in_rules = i.get("in_rules", True)
        if not isinstance(in_rules, bool):
            problems.add(f"{f}.in_rules", f"must be true or false, got {in_rules!r}")
            in_rules = True
        indicators[iname] = Indicator(
            iname,
            channel=ch if isinstance(ch, str) else "",
            label=check_text(i.get("label"), f"{f}.label", problems, iname),
            transform=str(transform),
            sign=int(sign),
            unit=check_text(i.get("unit"), f"{f}.unit", problems),
            in_rules=in_rules,
        )
    for c in channels.values():
        if not c.anchor:
            continue
        if c.anchor not in indicators:
            problems.add(f"channels.{c.name}.anchor", f"unknown indicator '{c.anchor}': {suggest(c.anchor, list(indicators))}")
        elif indicators[c.anchor].channel != c.name:
            problems.add(f"channels.{c.name}.anchor", f"indicator '{c.anchor}' measures '{indicators[c.anchor].channel}', not '{c.name}'")
    return indicators


def _parse_trajectories(data: dict, indicators: dict[str, Indicator], history: tuple[int, int], problems: ProblemCollector) -> list[TrajectoryClass]:
    trajectories: list[TrajectoryClass] = []
    raw = data.get("trajectories", [])
    if not isinstance(raw, list) or not raw:
        problems.add("trajectories", 'must be a non-empty list of [[trajectories]] tables, the last with rule = "otherwise"')
        raw = []
    variables = rule_variable_names(indicators, history)
    seen: set[str] = set()
    for n, t in enumerate(raw):
        f = f"trajectories[{n}]"
        t = check_table(t, f, problems)
        check_keys(t, {"name", "label", "rule", "description"}, f, problems)
        tname = t.get("name", "")
        if not tname:
            problems.add(f"{f}.name", "missing: every trajectory class needs a name")
        elif check_name(tname, f"{f}.name", problems, "trajectory class"):
            if tname in seen:
                problems.add(f"{f}.name", f"duplicate trajectory class '{tname}'")
            seen.add(tname)
        rule = t.get("rule")
        if not isinstance(rule, str) or not rule.strip():
            problems.add(f"{f}.rule", 'missing rule (a condition in quotes, or "otherwise")')
            rule = "False"
        else:
            try:
                compile_rule(rule, variables, EVENT_VARIABLES)
            except RuleError as err:
                problems.add(f"{f}.rule", str(err))
        trajectories.append(
            TrajectoryClass(
                str(tname),
                rule,
                check_text(t.get("label"), f"{f}.label", problems, str(tname)),
                check_text(t.get("description"), f"{f}.description", problems),
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
