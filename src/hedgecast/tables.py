"""Result tables formatted for reading in a notebook: labels, the charts' order, percentages.

One convention for every table a reader sees:

* scenarios and trajectory classes by their **labels** from the spec (as the charts name them),
  scenarios in the forecast's order and classes in the bar charts' order (closest to furthest
  apart: :func:`hedgecast.forecasting.trajectories.class_order`);
* probabilities as **percentages** (``31.5%``) and differences of probabilities as
  **percentage points** (``+2.3 pp``): the data stay fractions, only the display changes;
* diagnostics with the precision needed to check them (R-hat to 3 decimals, ESS and
  divergences as whole numbers);
* text columns left-aligned and wrapped.

The functions return a pandas :class:`~pandas.io.formats.style.Styler` (what a notebook
shows); ``.data`` is the labelled DataFrame underneath.

    >>> from hedgecast import tables                                   # doctest: +SKIP
    >>> tables.class_probabilities(fc.class_probabilities((2030,)), wb.spec, 2030)  # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd
import xarray as xr
from pandas.io.formats.style import Styler

from hedgecast.forecasting.trajectories import class_order
from hedgecast.inputs.spec import ModelSpec
from hedgecast.model.fit import ESS_MIN, RHAT_MAX, Diagnostics

__all__ = [
    "class_labels",
    "class_probabilities",
    "diagnostics",
    "label",
    "percent",
    "points",
    "readable",
    "relabel",
    "scenario_labels",
    "scenarios",
    "spread",
    "trajectory_classes",
]

MISSING = "–"
TEXT_STYLE = {"text-align": "left", "white-space": "pre-wrap", "vertical-align": "top", "min-width": "12em", "max-width": "40em"}
TABLE_STYLES = [
    {"selector": "th.row_heading", "props": [("text-align", "left"), ("vertical-align", "top")]},
    {"selector": "th.index_name", "props": [("text-align", "left"), ("font-style", "italic"), ("font-weight", "normal")]},
    {"selector": "th.col_heading", "props": [("text-align", "center"), ("white-space", "pre-wrap")]},
    {"selector": "td", "props": [("vertical-align", "top")]},
    {"selector": "caption", "props": [("caption-side", "top"), ("text-align", "left"), ("font-weight", "bold"), ("padding-bottom", "0.4em")]},
]
_QUANTITY = re.compile(r"^P\((?P<what>[^,()]+), (?P<year>\d{4})\)$")


# ------------------------------------------------------------------------------------
# labels and order
# ------------------------------------------------------------------------------------
def scenario_labels(spec: ModelSpec) -> dict[str, str]:
    """Scenario id → label, in the spec's order (as the charts label scenarios)."""
    return {name: s.label for name, s in spec.scenarios.items()}


def class_labels(spec: ModelSpec) -> dict[str, str]:
    """Trajectory class id → label, in the bar charts' order."""
    by_name = {t.name: t.label for t in spec.trajectories}
    return {name: by_name[name] for name in class_order(spec.class_names)}


def label(key: object, spec: ModelSpec) -> object:
    """The display label of a scenario or class id, or of a quantity such as ``P(rupture, 2030)``.

    Anything else is returned unchanged.
    """
    if not isinstance(key, str):
        return key
    names = {**scenario_labels(spec), **class_labels(spec)}
    if key in names:
        return names[key]
    m = _QUANTITY.match(key)
    if m and m["what"] in names:
        return f"P({names[m['what']]}, {m['year']})"
    return key


def relabel(df: pd.DataFrame, spec: ModelSpec, columns: Iterable[str] = ()) -> pd.DataFrame:
    """``df`` with scenario/class ids and quantities replaced by labels in its index, its column
    headers and the text ``columns`` (e.g. ``scenario``, ``metric``). Order is kept."""
    out = df.copy()
    out.index = out.index.map(lambda k: _label_key(k, spec))
    out.columns = out.columns.map(lambda k: _label_key(k, spec))
    for c in columns:
        new = _label_key(c, spec)
        if new in out.columns:
            out[new] = out[new].map(lambda v: label(v, spec))
    return out


def _label_key(key: object, spec: ModelSpec) -> object:
    return tuple(label(k, spec) for k in key) if isinstance(key, tuple) else label(key, spec)


# ------------------------------------------------------------------------------------
# number formats
# ------------------------------------------------------------------------------------
def _missing(x: object) -> bool:
    try:
        return x is None or math.isnan(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def percent(p: float, digits: int = 1) -> str:
    """A probability (0–1) as a percentage: ``0.315`` → ``31.5%``."""
    return MISSING if _missing(p) else f"{100 * float(p):.{digits}f}%"


def points(d: float, digits: int = 1) -> str:
    """A difference of probabilities as signed percentage points: ``0.023`` → ``+2.3 pp``."""
    if _missing(d):
        return MISSING
    v = round(100 * float(d), digits)
    return f"{v + 0.0:+.{digits}f} pp"  # + 0.0: no "-0.0"


def spread(sd: float, digits: int = 1) -> str:
    """A spread of probabilities (a standard deviation or standard error) in percentage points: ``0.122`` → ``12.2 pp``."""
    return MISSING if _missing(sd) else f"{100 * float(sd):.{digits}f} pp"


_PERCENT, _POINTS, _SPREAD = percent, points, spread  # readable()'s keyword arguments shadow the names


def _decimal(digits: int):
    return lambda x: MISSING if _missing(x) else f"{float(x):.{digits}f}"


def _integer(x: object) -> str:
    return MISSING if _missing(x) else f"{round(float(x)):,d}"


def _keys(df: pd.DataFrame, which: Sequence | bool) -> list:
    if which is True:
        return [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    if not which:
        return []
    missing = [c for c in which if c not in df.columns]
    if missing:
        raise KeyError(f"no such columns: {missing} (columns: {list(df.columns)})")
    return list(which)


def readable(
    df: pd.DataFrame,
    *,
    percent: Sequence | bool = (),
    points: Sequence | bool = (),
    spread: Sequence = (),
    decimals: Mapping[object, int] | None = None,
    integers: Sequence = (),
    text: Sequence | bool = (),
    caption: str | None = None,
    hide_index: bool = False,
) -> Styler:
    """``df`` styled for reading: the named columns as percentages (``percent``: probabilities),
    signed percentage points (``points``: differences of probabilities), unsigned percentage
    points (``spread``: sd or se of a probability), fixed decimals or whole numbers; ``text`` columns (True: every non-numeric one) left-aligned
    and wrapped; row labels left-aligned. Values are not changed, only shown."""
    formats: dict = {}
    for c in _keys(df, percent):
        formats[c] = _PERCENT
    for c in _keys(df, points):
        formats[c] = _POINTS
    for c in _keys(df, list(spread)):
        formats[c] = _SPREAD
    for c, n in (decimals or {}).items():
        formats[_keys(df, [c])[0]] = _decimal(n)
    for c in _keys(df, list(integers)):
        formats[c] = _integer
    texts = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])] if text is True else _keys(df, text)
    styler = df.style.format(formats, na_rep=MISSING).set_table_styles(TABLE_STYLES)
    if texts:
        styler = styler.set_properties(subset=texts, **TEXT_STYLE)
    if caption:
        styler = styler.set_caption(caption)
    if hide_index:
        styler = styler.hide(axis="index")
    return styler


# ------------------------------------------------------------------------------------
# the tables the notebooks show
# ------------------------------------------------------------------------------------
def class_probabilities(probs: xr.DataArray, spec: ModelSpec, year: int | None = None, *, caption: str | None = None) -> Styler:
    """Scenario × trajectory class probabilities (percent): scenarios labelled, in the
    forecast's order (the bar chart's, top to bottom); classes labelled, in the bar chart's order."""
    if "year" in probs.dims:
        if year is None:
            raise ValueError("probs has a 'year' dim: pass the year to show")
        probs = probs.sel(year=year)
    table = probs.transpose("scenario", "trajectory").to_pandas()
    table = table[class_order([str(c) for c in table.columns])]
    table = relabel(table, spec).rename_axis(index="scenario", columns=None)
    return readable(table, percent=True, caption=caption or (f"Trajectory class in {year}" if year is not None else "Trajectory class"))


def _diagnostic_rows(d: Diagnostics) -> dict[str, str]:
    return {
        "max R-hat": f"{d.max_rhat:.3f}",
        "min bulk ESS": _integer(d.min_ess_bulk),
        "min tail ESS": _integer(d.min_ess_tail),
        "divergences": _integer(d.divergences),
    }


def diagnostics(diag: Diagnostics | Mapping[str, Diagnostics], *, caption: str | None = None) -> Styler:
    """R-hat (3 decimals), bulk/tail ESS and divergences (whole numbers) against their thresholds.

    One fit: value, threshold, whether it passes and the worst parameter. Several (a mapping
    name → diagnostics): one column per fit ("value (worst parameter)", ✗ where it fails).
    """
    thresholds = {"max R-hat": f"≤ {RHAT_MAX}", "min bulk ESS": f"≥ {ESS_MIN}", "min tail ESS": f"≥ {ESS_MIN}", "divergences": "0"}
    single = isinstance(diag, Diagnostics)
    fits = {"value": diag} if single else dict(diag)
    cols = {}
    for name, d in fits.items():
        ok = _passes(d)
        values = _diagnostic_rows(d)
        worst = [d.worst.get("rhat", ""), d.worst.get("ess_bulk", ""), d.worst.get("ess_tail", ""), ""]
        if single:
            cols["value"] = values
            cols["threshold"] = thresholds
            cols["passes"] = {k: "yes" if ok[k] else "NO" for k in values}
            cols["worst parameter"] = dict(zip(values, worst))
        else:
            cols[name] = {k: (f"{v} ({w})" if w and not ok[k] else v) + ("" if ok[k] else " ✗") for (k, v), w in zip(values.items(), worst)}
    if not single:
        cols["threshold"] = thresholds
    table = pd.DataFrame(cols)
    styler = readable(table, caption=caption or "Sampler diagnostics")
    right = [c for c in table.columns if c not in ("worst parameter",)]
    return styler.set_properties(subset=right, **{"text-align": "right"}).set_properties(
        subset=[c for c in table.columns if c == "worst parameter"], **{"text-align": "left"}
    )


def _passes(d: Diagnostics) -> dict[str, bool]:
    return {
        "max R-hat": d.max_rhat <= RHAT_MAX,
        "min bulk ESS": d.min_ess_bulk >= ESS_MIN,
        "min tail ESS": d.min_ess_tail >= ESS_MIN,
        "divergences": d.divergences == 0,
    }


def scenarios(spec: ModelSpec) -> Styler:
    """Every scenario: its label and what it assumes, in the spec's order."""
    table = pd.DataFrame({"what it assumes": {s.label: s.description for s in spec.scenarios.values()}}).rename_axis("scenario")
    return readable(table, text=True, caption="Scenarios")


def trajectory_classes(spec: ModelSpec) -> Styler:
    """Every trajectory class: its rule (first match wins, in the spec's order) and meaning,
    listed in the bar charts' order."""
    by_name = {t.name: t for t in spec.trajectories}
    rank = {name: i + 1 for i, name in enumerate(spec.class_names)}
    rows = {
        by_name[c].label: {"rule checked": rank[c], "rule": by_name[c].rule, "meaning": by_name[c].description}
        for c in class_order(spec.class_names)
    }
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("class")
    return readable(table, text=["rule", "meaning"], caption="Trajectory classes, in the charts' order (rules are tried in the order of 'rule checked'; the first match wins)")
