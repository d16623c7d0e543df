"""Reading ``models/questions.toml``: resolvable forecast questions and the signpost settings.

A question is what a forecasting platform publishes (id, title, resolution criteria, fine
print, resolution source, open and close dates) plus a small declarative mapping onto the
simulated observables — never Python evaluated from the file:

* ``observable = "<indicator>"`` (an indicator of the spec, in its own units) **or**
  ``event = "rupture" | "incident"`` (a rupture event — the forecast's ``crisis`` — or the
  number of serious incidents — the forecast's ``incidents``, when the model makes them);
* ``years = [first, last]`` (or one year): the window, inside the forecast horizon;
* ``aggregate``: ``value`` (the one year), ``any`` / ``all`` (the comparison holds in at least
  one / every year), ``sum`` (the window's total is compared), ``count`` (the comparison holds
  in at least ``at_least`` years);
* ``comparison`` (``<``, ``<=``, ``>``, ``>=``) and ``threshold``: a number, or a value read
  from the record (``{ record = "russian_tourists_k", year = 2016 }``, or ``stat = "min"`` /
  ``"max"`` over ``years``, optionally ``times = 0.5``) through the :class:`History`;
* ``rounding`` (``none``, ``round`` — half up —, ``floor``, ``ceil``): how a simulated value is
  rounded before it is compared; required for count indicators (``transform = "log1p"``).

Events default to ``aggregate = "any"``, ``comparison = ">="``, ``threshold = 1``.

Every problem is collected with its dotted field (``questions[3].threshold``) and line, and
raised together (exit 2), as for the model spec.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hedgecast.errors import ProblemCollector, suggest
from hedgecast.inputs.schemas import INCLUSION_LEVELS
from hedgecast.inputs.spec_toml import (
    check_keys,
    check_name,
    check_number,
    check_table,
    check_text,
    load_toml_file,
)

EVENTS = {
    "rupture": "a rupture event (the forecast's crisis variable)",
    "incident": "serious incidents (the forecast's incidents variable)",
}
AGGREGATES = ("value", "any", "all", "sum", "count")
COMPARISONS = ("<", "<=", ">", ">=")
ROUNDINGS = ("none", "round", "floor", "ceil")
STATS = ("value", "min", "max")
TEXT_FIELDS = ("title", "resolution", "fine_print", "resolution_source")
QUESTION_KEYS = {
    "id", *TEXT_FIELDS, "open_date", "close_date", "headline", "observable", "event", "inclusion",
    "years", "aggregate", "comparison", "threshold", "rounding", "at_least",
}  # fmt: skip
SIGNPOST_KEYS = {"years", "quantiles", "min_paths", "top"}


@dataclass(frozen=True)
class RecordThreshold:
    """A threshold read from the record: ``times`` × the value (or min / max) of ``indicator`` in ``years``."""

    indicator: str
    stat: str
    years: tuple[int, int]
    times: float
    value: float

    def describe(self, units: str = "") -> str:
        span = str(self.years[0]) if self.years[0] == self.years[1] else f"{self.years[0]}–{self.years[1]}"
        what = {"value": f"its {span} value", "min": f"its {span} low", "max": f"its {span} high"}[self.stat]
        scaled = f"{self.times:g} × " if self.times != 1 else ""
        return f"{scaled}{what} in the record ({self.value:g}{' ' + units if units else ''})"


@dataclass(frozen=True)
class Question:
    """One resolvable question and its mapping onto the simulated observables."""

    id: str
    title: str
    resolution: str
    fine_print: str
    resolution_source: str
    open_date: dt.date
    close_date: dt.date
    observable: str  # an indicator name, or "rupture" / "incident"
    kind: str  # "indicator" or "event"
    years: tuple[int, int]
    aggregate: str
    comparison: str
    threshold: float
    rounding: str = "none"
    at_least: int = 1
    inclusion: str = "main"  # incidents only: the inclusion rule the base rate counts
    headline: bool = False
    record: RecordThreshold | None = None
    observed: tuple[tuple[int, float], ...] = ()
    """Window years the fitted history already covers (new data, :mod:`hedgecast.inputs.updates`) and the
    record's value in each (NaN where not observed yet): read from the record, not simulated."""

    @property
    def window(self) -> list[int]:
        return list(range(self.years[0], self.years[1] + 1))

    def rule_text(self, units: str = "") -> str:
        """The mapping in words: what is counted as YES on a simulated path."""
        span = str(self.years[0]) if self.years[0] == self.years[1] else f"{self.years[0]}–{self.years[1]}"
        what = (
            self.observable
            if self.kind == "indicator"
            else ("rupture events" if self.observable == "rupture" else f"serious incidents ({self.inclusion} rule)")
        )
        limit = self.record.describe(units) if self.record else f"{self.threshold:g}{' ' + units if units else ''}"
        cond = f"{self.comparison} {limit}"
        body = {
            "value": f"{what} in {span} {cond}",
            "any": f"{what} {cond} in at least one year of {span}",
            "all": f"{what} {cond} in every year of {span}",
            "sum": f"total {what} over {span} {cond}",
            "count": f"{what} {cond} in at least {self.at_least} years of {span}",
        }[self.aggregate]
        if self.kind == "event" and self.aggregate == "any" and self.comparison == ">=" and self.threshold == 1:
            one = "rupture event" if self.observable == "rupture" else f"serious incident ({self.inclusion} rule)"
            body = f"at least one {one} in {span}"
        rounding = {
            "round": "; simulated values rounded to the nearest whole number (halves up)",
            "floor": "; simulated values rounded down",
            "ceil": "; simulated values rounded up",
        }
        return body + rounding.get(self.rounding, "")


@dataclass(frozen=True)
class SignpostSettings:
    """Which near-term observables are candidate signposts, and how conditionals are kept."""

    years: tuple[int, ...] = (2026, 2027)
    quantiles: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 0.9)
    min_paths: int = 200
    top: int = 5


@dataclass(frozen=True)
class QuestionSet:
    """The questions of one file, the indicators no longer observed, and the signpost settings."""

    questions: tuple[Question, ...]
    ended: dict[str, str] = field(default_factory=dict)  # indicator -> why it is no longer observed
    signposts: SignpostSettings = SignpostSettings()
    path: str = ""

    def __getitem__(self, qid: str) -> Question:
        return next(q for q in self.questions if q.id == qid)

    @property
    def ids(self) -> list[str]:
        return [q.id for q in self.questions]

    @property
    def headline(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.headline)


def load_questions(path: str | Path, spec: Any, history: Any) -> QuestionSet:
    """Read and validate a questions file; raise one :class:`SpecError` listing every problem.

    ``spec`` gives the indicators and the forecast horizon; ``history`` (a
    :class:`~hedgecast.inputs.history.History`) the record values that thresholds refer to.
    """
    path = Path(path)
    out, _ = load_toml_file(path, lambda data, problems: parse_questions(data, spec, history, problems))
    return QuestionSet(out["questions"], out["ended"], out["signposts"], str(path))


def parse_questions(data: dict, spec: Any, history: Any, problems: ProblemCollector) -> dict:
    """Validate the parsed TOML; every problem is recorded in ``problems``."""
    check_keys(data, {"questions", "ended", "signposts"}, "", problems)
    ended = _parse_ended(data.get("ended", {}), spec, problems)
    signposts = _parse_signposts(data.get("signposts", {}), spec, problems)
    raw = data.get("questions")
    if not isinstance(raw, list) or not raw:
        problems.add("questions", "must be a non-empty list of [[questions]] tables")
        raw = []
    questions, seen = [], {}
    for n, table in enumerate(raw):
        f = f"questions[{n}]"
        table = check_table(table, f, problems)
        qid = table.get("id")
        if isinstance(qid, str) and qid in seen:
            problems.add(f"{f}.id", f"duplicate id '{qid}': already used by questions[{seen[qid]}]; every question needs its own id")
        elif isinstance(qid, str):
            seen[qid] = n
        q = _parse_question(table, f, spec, history, ended, problems)
        if q is not None:
            questions.append(q)
    return {"questions": tuple(questions), "ended": ended, "signposts": signposts}


def _parse_ended(raw: Any, spec: Any, problems: ProblemCollector) -> dict[str, str]:
    out = {}
    for name, reason in check_table(raw, "ended", problems).items():
        if name not in spec.indicators:
            problems.add(f"ended.{name}", f"unknown indicator '{name}': {suggest(name, spec.indicators)}")
        elif not isinstance(reason, str) or not reason.strip():
            problems.add(f"ended.{name}", "must say, in quotes, why the series is no longer observed")
        else:
            out[name] = reason
    return out


def _parse_signposts(raw: Any, spec: Any, problems: ProblemCollector) -> SignpostSettings:
    t = check_table(raw, "signposts", problems)
    check_keys(t, SIGNPOST_KEYS, "signposts", problems)
    default = SignpostSettings()
    first, last = horizon(spec)
    years = t.get("years", list(default.years))
    if not isinstance(years, list) or not years or not all(_is_int(y) and first <= y <= last for y in years):
        problems.add("signposts.years", f"must be a list of forecast years {first}–{last}, got {years!r}")
        years = list(default.years)
    # a year the data now cover is news already read, no longer a signpost (hedgecast.inputs.updates)
    years = [y for y in years if y >= spec.forecast[0]] or [spec.forecast[0], spec.forecast[0] + 1]
    quantiles = t.get("quantiles", list(default.quantiles))
    if not isinstance(quantiles, list) or not quantiles or not all(_is_num(q) and 0 < q < 1 for q in quantiles):
        problems.add("signposts.quantiles", f"must be a list of numbers strictly between 0 and 1, got {quantiles!r}")
        quantiles = list(default.quantiles)
    counts = {}
    for key, low in (("min_paths", 1), ("top", 1)):
        value = t.get(key, getattr(default, key))
        if not _is_int(value) or value < low:
            problems.add(f"signposts.{key}", f"must be a whole number ≥ {low}, got {value!r}")
            value = getattr(default, key)
        counts[key] = int(value)
    return SignpostSettings(tuple(int(y) for y in years), tuple(float(q) for q in sorted(quantiles)), **counts)


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x)


def _date(value: Any, f: str, problems: ProblemCollector) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if value is None:
        problems.add(f, "missing: write a date without quotes, e.g. 2026-12-01")
    elif isinstance(value, str):
        problems.add(f, f"must be a TOML date written without quotes (e.g. 2026-12-01), got the text {value!r}")
    else:
        problems.add(f, f"must be a date such as 2026-12-01 (no time of day), got {value!r}")
    return None


def horizon(spec: Any) -> tuple[int, int]:
    """Years a question may be about: after the spec file's history (its centring period) to the forecast's end.

    Once new data extend the history (:mod:`hedgecast.inputs.updates`) the first of these years are
    observed: a question's window may still include them (they are read from the record).
    """
    centring = getattr(spec, "centring_period", spec.history)
    return centring[1] + 1, spec.forecast[1]


def _window(value: Any, f: str, spec: Any, problems: ProblemCollector) -> tuple[int, int] | None:
    first, last = horizon(spec)
    years = [value] if _is_int(value) else value
    if not isinstance(years, list) or len(years) not in (1, 2) or not all(_is_int(y) for y in years):
        problems.add(f, f"must be a year or [first, last] (whole numbers), got {value!r}")
        return None
    a, b = years[0], years[-1]
    if b < a:
        problems.add(f, f"the last year {b} is before the first {a}")
        return None
    if a < first or b > last:
        problems.add(f, f"must lie in the forecast horizon {first}–{last}, got {value!r}")
        return None
    return (a, b)


def _parse_question(t: dict, f: str, spec: Any, history: Any, ended: dict, problems: ProblemCollector) -> Question | None:
    if not t:
        return None
    check_keys(t, QUESTION_KEYS, f, problems)
    start = len(problems.problems)
    qid = t.get("id")
    if qid is None:
        problems.add(f"{f}.id", "missing: every question needs an id (letters, digits and _)")
    else:
        check_name(qid, f"{f}.id", problems, "question")
    texts = {}
    for key in TEXT_FIELDS:
        value = check_text(t.get(key), f"{f}.{key}", problems)
        if key not in t or (isinstance(t[key], str) and not value.strip()):
            problems.add(f"{f}.{key}", f"missing: a question must state its {key.replace('_', ' ')}")
        texts[key] = value
    opened, closed = _date(t.get("open_date"), f"{f}.open_date", problems), _date(t.get("close_date"), f"{f}.close_date", problems)
    if opened and closed and closed < opened:
        problems.add(f"{f}.close_date", f"close date {closed} is before the open date {opened}")
    headline = t.get("headline", False)
    if not isinstance(headline, bool):
        problems.add(f"{f}.headline", f"must be true or false, got {headline!r}")
    kind, observable = _observable(t, f, spec, ended, problems)
    years = _window(t.get("years"), f"{f}.years", spec, problems) if "years" in t else None
    if "years" not in t:
        problems.add(f"{f}.years", "missing: the year or [first, last] years the question is about")
    event = kind == "event"
    aggregate = t.get("aggregate", "any" if event else None)
    if aggregate not in AGGREGATES:
        problems.add(
            f"{f}.aggregate", f"{'missing' if aggregate is None else f'unknown aggregate {aggregate!r}'}: {suggest(aggregate, AGGREGATES)}"
        )
    elif aggregate == "value" and years and years[0] != years[1]:
        problems.add(
            f"{f}.aggregate", f'"value" compares one year\'s value: give one year, not {years[0]}–{years[1]} (or use any, all, sum, count)'
        )
    comparison = t.get("comparison", ">=" if event else None)
    if comparison not in COMPARISONS:
        problems.add(
            f"{f}.comparison",
            f"{'missing' if comparison is None else f'unknown comparison {comparison!r}'}: use one of {', '.join(COMPARISONS)}",
        )
    threshold, record = _threshold(t.get("threshold", 1 if event else None), f"{f}.threshold", spec, history, problems)
    rounding = t.get("rounding", "none")
    if rounding not in ROUNDINGS:
        problems.add(f"{f}.rounding", f"unknown rounding {rounding!r}: {suggest(rounding, ROUNDINGS)}")
    elif kind == "indicator" and observable in spec.indicators and spec.indicators[observable].transform == "log1p" and "rounding" not in t:
        problems.add(f"{f}.rounding", f"{observable} is a count: say how simulated values are rounded (round, floor or ceil)")
    at_least = t.get("at_least", 1)
    if "at_least" in t and aggregate != "count":
        problems.add(f"{f}.at_least", 'only used with aggregate = "count"')
    elif not _is_int(at_least) or at_least < 1 or (years and at_least > years[1] - years[0] + 1):
        problems.add(f"{f}.at_least", f"must be a whole number of years between 1 and the window's length, got {at_least!r}")
    inclusion = t.get("inclusion", "main")
    if "inclusion" in t and observable != "incident":
        problems.add(f"{f}.inclusion", 'only used with event = "incident"')
    elif inclusion not in INCLUSION_LEVELS:
        problems.add(f"{f}.inclusion", f"unknown inclusion rule {inclusion!r}: {suggest(inclusion, INCLUSION_LEVELS)}")
    if len(problems.problems) > start or years is None or threshold is None or kind is None:
        return None
    return Question(
        str(qid), *(texts[k] for k in TEXT_FIELDS), opened, closed, observable, kind, years, aggregate, comparison,  # type: ignore[arg-type]
        threshold, rounding, int(at_least), inclusion, headline, record, observed_window(kind, observable, inclusion, years, history),
    )  # fmt: skip


def observed_window(kind: str, observable: str, inclusion: str, years: tuple[int, int], history: Any) -> tuple[tuple[int, float], ...]:
    """``(year, value)`` for the window years inside ``history`` (indicator values, rupture years as 0/1, incident counts)."""
    if history is None:
        return ()
    inside = [y for y in range(years[0], years[1] + 1) if y in set(history.years)]
    if not inside:
        return ()
    if kind == "indicator":
        series = history.indicators[observable]
    else:
        counts = history.incidents.reindex(history.years, fill_value=0)
        series = (counts["escalated"] > 0).astype(float) if observable == "rupture" else counts[inclusion].astype(float)
    return tuple((y, float(series.get(y, np.nan))) for y in inside)


def _observable(t: dict, f: str, spec: Any, ended: dict, problems: ProblemCollector) -> tuple[str | None, str]:
    has_obs, has_event = "observable" in t, "event" in t
    if has_obs == has_event:
        problems.add(f, 'give exactly one of observable = "<indicator>" or event = "rupture" / "incident"')
        return None, ""
    if has_event:
        name = t["event"]
        if name not in EVENTS:
            problems.add(f"{f}.event", f"unknown event {name!r}: {suggest(name, EVENTS)}")
            return None, ""
        return "event", name
    name = t["observable"]
    if name not in spec.indicators:
        problems.add(f"{f}.observable", f"unknown observable {name!r}: {suggest(name, spec.indicators)}")
        return None, ""
    if name in ended:
        problems.add(f"{f}.observable", f"{name} is no longer observed ({ended[name]}): a question on it cannot resolve")
        return None, ""
    return "indicator", name


def _threshold(value: Any, f: str, spec: Any, history: Any, problems: ProblemCollector) -> tuple[float | None, RecordThreshold | None]:
    if value is None:
        problems.add(f, 'missing: a number, or { record = "<indicator>", year = … } for a value from the record')
        return None, None
    if not isinstance(value, dict):
        return check_number(value, f, problems), None
    check_keys(value, {"record", "year", "years", "stat", "times"}, f, problems)
    name = value.get("record")
    if name not in spec.indicators:
        problems.add(f"{f}.record", f"unknown indicator {name!r}: {suggest(name, spec.indicators)}")
        return None, None
    stat = value.get("stat", "value")
    if stat not in STATS:
        problems.add(f"{f}.stat", f"unknown stat {stat!r}: {suggest(stat, STATS)}")
        return None, None
    given = [k for k in ("year", "years") if k in value]
    if len(given) != 1 or (stat == "value") != (given[0] == "year"):
        problems.add(f, 'give year = … with stat = "value" (the default), or years = [first, last] with stat = "min" or "max"')
        return None, None
    lo, hi = spec.history
    span = value[given[0]]
    years = [span] if given[0] == "year" else span
    if (
        not isinstance(years, list)
        or len(years) not in (1, 2)
        or not all(_is_int(y) and lo <= y <= hi for y in years)
        or years[-1] < years[0]
    ):
        problems.add(f"{f}.{given[0]}", f"must be record year(s) {lo}–{hi}, first ≤ last, got {span!r}")
        return None, None
    times = check_number(value.get("times", 1.0), f"{f}.times", problems, positive=True)
    series = history.indicators[name].loc[years[0] : years[-1]]
    observed = series.dropna()
    if observed.empty or (stat == "value" and series.isna().any()):
        left = history.excluded[(history.excluded["indicator"] == name) & history.excluded["year"].between(years[0], years[-1])]
        why = f" (left out: {', '.join(f'{y} {r}' for y, r in zip(left['year'], left['reason'], strict=True))})" if len(left) else ""
        problems.add(f"{f}.{given[0]}", f"{name} has no observed value in {span!r}{why}: pick years the record observes")
        return None, None
    base = float({"value": observed.iloc[0], "min": observed.min(), "max": observed.max()}[stat])
    if times is None:
        return None, None
    record = RecordThreshold(name, stat, (years[0], years[-1]), times, base)
    return times * base, record
