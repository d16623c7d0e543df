"""The seminar section: what a room forecast together, each participant as an anonymous dot, and where they disagreed.

Built from a saved seminar (:class:`hedgecast.seminar.results.SeminarResults`, or the path of its
JSON, ``reports/seminar.json``); the report adds it only when that file exists, so a project without a
seminar gets the same report as before.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hedgecast.plots.seminar import plot_room, plot_spread
from hedgecast.report.contracts import Figure, Heading, Paragraph, Section, Table
from hedgecast.seminar.results import SeminarResults

__all__ = ["seminar_section"]


def _results(source: Any) -> SeminarResults:
    if isinstance(source, SeminarResults):
        return source
    if isinstance(source, (str, os.PathLike)):
        return SeminarResults.load(Path(source))
    return SeminarResults.from_dict(source)


def _num(x: Any) -> float:
    return float("nan") if x is None else float(x)


def _range(b: dict) -> str:
    return f"{b['most_likely']:.3g} ({b['low']:.3g} to {b['high']:.3g})"


def seminar_section(source: Any) -> Section:
    """Build the seminar section: pooled forecast, participants' dots, the group's answers, the disagreement analysis."""
    res = _results(source)
    rounds = res.round_numbers
    last = max(rounds) if rounds else None
    s = res.summary(last)
    n = s["n_participants"]
    blocks: list = []
    if res.synthetic:
        blocks.append(
            Paragraph(
                "SYNTHETIC: this seminar is a made-up example (no real participants); its numbers illustrate the method only.", "warn"
            )
        )
    blocks.append(
        Paragraph(
            f"Seminar “{res.title}” on lens {res.lens}: {n} participant{'s' if n != 1 else ''} answered {len(res.assumptions)} "
            f"question{'s' if len(res.assumptions) != 1 else ''} about the lens's assumptions"
            + (f" in round {last} (of {len(rounds)})" if last is not None else "")
            + ". Each answer (a most likely value and a 90% range) became a prior; each participant's forecast of the headline "
            "questions is the fit's draws reweighted for their priors (or a refit where k̂ > 0.7). Participants are shown "
            "anonymously, by key."
        )
    )
    if res.note:
        blocks.append(Paragraph(res.note, "note"))
    if n == 0:
        blocks.append(Paragraph("No submissions yet.", "note"))
        return Section("seminar", "Seminar room", tuple(blocks), status="info")
    blocks.append(Figure(plot_room(s), "Each participant's forecast (grey dots), the room's pooled forecast and the lens's own"))
    pp = (s.get("pooled_prior") or {}).get("probabilities") or {}
    base = s["baseline"]["probabilities"]
    rows = []
    for q in s["questions"]:
        rows.append(
            {
                "question": q["title"],
                "lens, no answers": _num(base.get(q["id"])),
                "room (linear pool)": _num(q["pooled"]),
                "± MC error": _num(q["pooled_mcse"]),
                "pooled priors": _num(pp.get(q["id"])),
                "spread between participants (sd)": _num(q.get("sd_between")),
                "disagreement share of variance": _num(q["share_between"]),
            }
        )
    frame = pd.DataFrame(rows).set_index("question")
    pct = {c: "pct.1%" for c in frame.columns}
    pct["disagreement share of variance"] = "pct.0%"
    blocks += [
        Heading("The room's forecast", level=4),
        Table(frame, formats=pct, css="small", caption="Probability of YES per headline question (status quo)"),
    ]
    if s["pending"]:
        blocks.append(Paragraph(f"Not in the pool (a refit was pending): {', '.join(s['pending'])}.", "warn"))
    blocks += _answers(s)
    blocks += _drivers(s)
    blocks.append(Figure(plot_spread(s), "How much of each question's uncertainty is disagreement between participants"))
    blocks += _rounds(res, rounds)
    blocks.append(
        Paragraph(
            "How to read it: the room's forecast is the equal-weight mixture (linear pool) of the participants' forecasts; "
            "“pooled priors” forecasts once from the logarithmic pool of everyone's priors. Over participants × simulated paths "
            "the outcome's variance p(1 − p) splits exactly into between participants (the room's disagreement) and within "
            "(each participant's own uncertainty). The drivers table moves one assumption at a time to each participant's "
            "answer (others at the lens's priors) and gives each assumption's share of the spread that causes.",
            "note",
        )
    )
    return Section("seminar", "Seminar room", tuple(blocks), status="warn" if res.synthetic else "info")


def _answers(s: dict) -> list:
    rows = []
    for a in s["assumptions"]:
        rows.append(
            {
                "assumption": a["label"],
                "units": a["units"],
                "lens: most likely (90% range)": _range(a["baseline"]),
                "answers": a["n"],
                "room median": _num(a["median"]),
                "interquartile range": "–" if a["q1"] is None else f"{a['q1']:.3g} to {a['q3']:.3g}",
                "outside it": ", ".join(a["outside"]) or "none",
            }
        )
    frame = pd.DataFrame(rows).set_index("assumption")
    return [
        Heading("What the room answered", level=4),
        Table(frame, formats={"answers": "int", "room median": "num.3"}, css="small", wrap=("units",)),
    ]


def _drivers(s: dict) -> list:
    d = pd.DataFrame(s.get("drivers") or [])
    if d.empty:
        return [Paragraph("Which assumption drives the disagreement was not computed (it needs the fit: Room.summary).", "note")]
    titles = {q["id"]: q["title"] for q in s["questions"]}
    table = d.pivot_table(index="question", columns="label", values="share", sort=False).rename(index=titles)
    table = table.loc[:, table.columns[np.argsort(-table.fillna(0).mean().to_numpy())]]
    return [
        Heading("Which assumption drives the disagreement", level=4),
        Table(
            table,
            formats={c: "pct.0%" for c in table.columns},
            css="small",
            caption="Share of the between-participant spread, assumption by assumption",
        ),
    ]


def _rounds(res: SeminarResults, rounds: list[int]) -> list:
    if len(rounds) < 2:
        return []
    rows = {}
    for r in rounds:
        sr = res.summary(r)
        rows[f"round {r}"] = {q["title"]: _num(q["pooled"]) for q in sr["questions"]}
    frame = pd.DataFrame(rows)
    return [Heading("How the room moved between rounds", level=4), Table(frame, formats={c: "pct.1%" for c in frame.columns}, css="small")]
