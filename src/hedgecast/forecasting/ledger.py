"""The forecast ledger: every issued forecast of the questions, one file each, never changed.

``hedgecast report --issue`` records the question probabilities of the report it writes as one
new JSON file in ``ledger/`` at the project root (a tracked folder):
``ledger/<issued at, UTC>_<run id>.json`` holding the issue time, the run id, the SHA-256 of the
spec, of each lens file and of every data file, the fitted history's years, and one record per
question × lens × scenario (probability, Monte Carlo standard error, number of paths, base rate).
Exploratory reports (without ``--issue``) write nothing here.

The file is written with :func:`hedgecast.files.write_atomic` (a temporary file in the same
folder — named ``.<name>.<random>.tmp``, which :func:`load_ledger` never reads — then
``os.replace``): a kill during the write leaves the ledger as it was. An existing entry is
never overwritten (:func:`write_entry` refuses).

``ledger/resolutions.toml`` (optional, by hand) records what the data cannot tell — a question's
outcome with its source, and whether a scenario's premise came true (see
:mod:`hedgecast.forecasting.track_record`)::

    [[resolutions]]
    id = "meetings_2027_at_least_2"
    outcome = true                # YES
    source = "kremlin.ru readouts, 2027-06-02 and 2027-10-14"
    resolved_on = 2028-01-31

    [[premises]]
    scenario = "protracted_war"
    held = true                   # its premise came true over the questions' windows
    source = "war_states.csv 2026–2027 rows"
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hedgecast.errors import HedgecastError, Problem
from hedgecast.files import dumps, json_safe, write_atomic

__all__ = [
    "FORMAT",
    "LedgerError",
    "Premise",
    "Resolution",
    "entry_path",
    "issue",
    "ledger_entry",
    "ledger_forecasts",
    "load_ledger",
    "load_resolutions",
    "write_entry",
]

FORMAT = 1
"""Version of the entry layout."""
ENTRY_KEYS = ("format", "issued_at", "run_id", "hashes", "history", "forecasts")
FORECAST_KEYS = ("id", "lens", "scenario", "probability", "mc_se", "n_paths", "of_record", "close_date", "base_rate", "run_id")
RESOLUTIONS = "resolutions.toml"


class LedgerError(HedgecastError):
    """A ledger entry or ``ledger/resolutions.toml`` is malformed, or an entry would be overwritten."""


def ledger_entry(sheet: pd.DataFrame, *, run_id: str, issued_at: str, hashes: dict[str, Any], history: tuple[int, int]) -> dict:
    """The entry of one issued forecast, from a question sheet (:func:`~hedgecast.forecasting.question_sheet.question_sheet`).

    ``hashes``: ``{"spec": sha256, "lenses": {name: sha256}, "data": {file: sha256}}``.
    """
    forecasts = [
        {
            "id": r["id"],
            "lens": r["lens"],
            "scenario": r["scenario"],
            "probability": r["probability"],
            "mc_se": r["mc_se"],
            "n_paths": int(r["n_paths"]),
            "of_record": bool(r["of_record"]),
            "close_date": r["close_date"],
            "base_rate": r["base_rate"],
            "run_id": r["run_id"],
        }  # fmt: skip
        for _, r in sheet.iterrows()
    ]
    return json_safe(
        {"format": FORMAT, "issued_at": issued_at, "run_id": run_id, "hashes": hashes, "history": list(history), "forecasts": forecasts}
    )


def issue(
    workbench: Any,
    forecasts: dict[str, tuple[Any, str]],
    run_id: str,
    *,
    lens_hashes: dict[str, str] | None = None,
    issued_at: str | None = None,
) -> Path:
    """Record the question probabilities of ``forecasts`` (lens → ``(Forecast, run id)``) as one new ledger entry.

    What ``hedgecast report --issue`` calls. Every scenario of each forecast is recorded; the
    forecast of record is the baseline lens under the status quo. ``lens_hashes``: lens → the
    SHA-256 of its resolved priors (:meth:`~hedgecast.priors.lenses.Lens.fingerprint`). Returns the new file.
    """
    from hedgecast.forecasting.question_sheet import question_sheet
    from hedgecast.runs import data_hashes

    issued = issued_at or dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    sheet = question_sheet(workbench, forecasts, issued_at=issued)
    hashes = {"spec": workbench.spec.sha256, "lenses": dict(lens_hashes or {}), "data": data_hashes(workbench.paths)}
    years = workbench.history.years
    entry = ledger_entry(sheet, run_id=run_id, issued_at=issued, hashes=hashes, history=(years[0], years[-1]))
    return write_entry(workbench.paths.ledger, entry)


def entry_path(folder: Path, entry: dict) -> Path:
    """``<folder>/<issued at as 20261127T230400Z>_<run id>.json``."""
    stamp = dt.datetime.fromisoformat(entry["issued_at"]).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(folder) / f"{stamp}_{entry['run_id']}.json"


def write_entry(folder: str | Path, entry: dict) -> Path:
    """Write ``entry`` as a new file of the ledger, atomically; refuse to overwrite an existing one."""
    problems = _entry_problems(entry, "the new entry")
    if problems:
        raise LedgerError(problems)
    path = entry_path(Path(folder), entry)
    if path.exists():
        raise LedgerError(Problem(str(path), "", "a ledger entry with this time and run id exists; ledger entries are never changed"))
    return write_atomic(path, dumps(entry, allow_nan=False) + "\n", mode=0o444)


def _entry_problems(entry: Any, shown: str) -> list[Problem]:
    if not isinstance(entry, dict):
        return [Problem(shown, "", "must be a JSON object")]
    out = [Problem(shown, k, "missing") for k in ENTRY_KEYS if k not in entry]
    if out:
        return out
    if entry["format"] != FORMAT:
        out.append(Problem(shown, "format", f"unknown format {entry['format']!r}; this hedgecast reads format {FORMAT}"))
    try:
        dt.datetime.fromisoformat(str(entry["issued_at"]))
    except ValueError:
        out.append(Problem(shown, "issued_at", f"must be an ISO time stamp, got {entry['issued_at']!r}"))
    if not isinstance(entry["forecasts"], list) or not entry["forecasts"]:
        return [*out, Problem(shown, "forecasts", "must be a non-empty list")]
    for n, f in enumerate(entry["forecasts"]):
        missing = [k for k in FORECAST_KEYS if not isinstance(f, dict) or k not in f]
        if missing:
            out.append(Problem(shown, f"forecasts[{n}]", f"missing {', '.join(missing)}"))
        elif f["probability"] is not None and not (isinstance(f["probability"], (int, float)) and 0 <= f["probability"] <= 1):
            out.append(Problem(shown, f"forecasts[{n}].probability", f"must be within 0–1 or null, got {f['probability']!r}"))
    return out


def load_ledger(folder: str | Path) -> list[dict]:
    """Every entry of the ledger (``*.json``; temporary files of an interrupted write are skipped), oldest first.

    Raises
    ------
    LedgerError
        An entry that is not valid JSON or lacks a field (every problem, each naming its file).

    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    entries, problems = [], []
    for path in sorted(folder.glob("*.json")):
        if path.name.startswith("."):
            continue
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            problems.append(Problem(str(path), "", f"not a readable JSON ledger entry ({err})"))
            continue
        found = _entry_problems(entry, str(path))
        if found:
            problems.extend(found)
            continue
        entries.append({**entry, "file": path.name})
    if problems:
        raise LedgerError(problems)
    return sorted(entries, key=lambda e: (dt.datetime.fromisoformat(e["issued_at"]), e["file"]))


def ledger_forecasts(entries: list[dict]) -> pd.DataFrame:
    """One row per entry × forecast: ``file, issued_at, entry_run_id`` + :data:`FORECAST_KEYS`."""
    rows = [
        {"file": e["file"], "issued_at": e["issued_at"], "entry_run_id": e["run_id"], **{k: f.get(k) for k in FORECAST_KEYS}}
        for e in entries
        for f in e["forecasts"]
    ]
    frame = pd.DataFrame(rows, columns=["file", "issued_at", "entry_run_id", *FORECAST_KEYS])
    for col in ("probability", "mc_se", "base_rate"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return frame


@dataclass(frozen=True)
class Resolution:
    """An outcome the analyst recorded, with its source."""

    id: str
    outcome: bool
    source: str
    resolved_on: dt.date | None = None
    note: str = ""


@dataclass(frozen=True)
class Premise:
    """Whether a scenario's premise came true, as the analyst judged it, with the evidence."""

    scenario: str
    held: bool
    source: str
    note: str = ""


@dataclass(frozen=True)
class Resolutions:
    """The contents of ``ledger/resolutions.toml``."""

    outcomes: dict[str, Resolution] = field(default_factory=dict)
    premises: dict[str, Premise] = field(default_factory=dict)
    path: str = ""


def load_resolutions(folder: str | Path) -> Resolutions:
    """Read ``<folder>/resolutions.toml`` (none: empty); every mistake names the file and field (exit 2)."""
    path = Path(folder) / RESOLUTIONS
    if not path.is_file():
        return Resolutions(path=str(path))
    shown = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise LedgerError(Problem(shown, "", f"not readable TOML ({err})")) from None
    problems: list[Problem] = [
        Problem(shown, k, "unknown table: use [[resolutions]] or [[premises]]") for k in data if k not in ("resolutions", "premises")
    ]
    outcomes: dict[str, Resolution] = {}
    premises: dict[str, Premise] = {}
    for n, t in enumerate(data.get("resolutions", [])):
        f = f"resolutions[{n}]"
        bad = _table_problems(t, shown, f, {"id": str, "outcome": bool, "source": str}, {"resolved_on", "note"})
        if bad:
            problems.extend(bad)
            continue
        if t["id"] in outcomes:
            problems.append(Problem(shown, f"{f}.id", f"'{t['id']}' is resolved twice"))
            continue
        outcomes[t["id"]] = Resolution(t["id"], t["outcome"], t["source"], t.get("resolved_on"), str(t.get("note", "")))
    for n, t in enumerate(data.get("premises", [])):
        f = f"premises[{n}]"
        bad = _table_problems(t, shown, f, {"scenario": str, "held": bool, "source": str}, {"note"})
        if bad:
            problems.extend(bad)
            continue
        premises[t["scenario"]] = Premise(t["scenario"], t["held"], t["source"], str(t.get("note", "")))
    if problems:
        raise LedgerError(problems)
    return Resolutions(outcomes, premises, shown)


def _table_problems(t: Any, shown: str, f: str, required: dict[str, type], optional: set[str]) -> list[Problem]:
    if not isinstance(t, dict):
        return [Problem(shown, f, "must be a table")]
    out = [
        Problem(shown, f"{f}.{k}", f"unknown key; known: {', '.join([*required, *sorted(optional)])}")
        for k in t
        if k not in required and k not in optional
    ]
    for k, kind in required.items():
        if k not in t:
            out.append(Problem(shown, f"{f}.{k}", "missing"))
        elif not isinstance(t[k], kind) or (kind is str and not t[k].strip()):
            out.append(Problem(shown, f"{f}.{k}", f"must be {'true or false' if kind is bool else 'non-empty text'}, got {t[k]!r}"))
    if "resolved_on" in t and not isinstance(t["resolved_on"], dt.date):
        out.append(Problem(shown, f"{f}.resolved_on", f"must be a TOML date such as 2028-01-31, got {t['resolved_on']!r}"))
    return out


def finite(x: Any) -> bool:
    """A real number that is not NaN or infinite."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
