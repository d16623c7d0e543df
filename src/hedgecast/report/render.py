"""Render report data into one self-contained HTML file.

One Jinja2 environment (autoescaped: every text of a section is escaped), one figure
embedder (:func:`embed_figure`: a Figure becomes a base64 PNG ``<img>`` and is closed), and
the table layout (:func:`table_view`). No external files, fonts, scripts or URLs.
"""

from __future__ import annotations

import base64
import io
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from hedgecast.report.contracts import Figure, ReportData, Section, Table

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
FIGURE_DPI = 100


def environment() -> Environment:
    """The report's Jinja2 environment: templates/, autoescape on, undefined names an error."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["figure"] = embed_figure
    env.filters["table_view"] = table_view
    return env


def embed_figure(figure: Figure | Any, dpi: int = FIGURE_DPI) -> Markup:
    """The one place a figure becomes HTML: ``<img>`` holding a base64 PNG (no external file).

    ``figure`` is a :class:`~hedgecast.report.contracts.Figure` block (or a bare matplotlib
    Figure). A matplotlib figure is rendered, then closed; PNG bytes are embedded as they are.
    """
    fig, alt = (figure.figure, figure.alt) if isinstance(figure, Figure) else (figure, "figure")
    data = base64.b64encode(figure_png(fig, dpi)).decode("ascii")
    return Markup('<img src="data:image/png;base64,{}" alt="{}">').format(data, alt)


def figure_png(fig: Any, dpi: int = FIGURE_DPI) -> bytes:
    """A matplotlib figure as PNG bytes (then closed); PNG bytes are returned as they are."""
    if isinstance(fig, (bytes, bytearray)):
        return bytes(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.08, metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


# ------------------------------------------------------------------------------------
# tables
# ------------------------------------------------------------------------------------
def format_value(value: Any, spec: str | None) -> str:
    """Display text of one cell (see :class:`~hedgecast.report.contracts.Table` for the formats)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–" if spec else ""
    if not spec:
        return str(value)
    kind, _, digits = spec.partition(".")
    percent = digits.endswith("%")
    digits = int(digits.rstrip("%") or 0)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(x):
        return "–"
    if kind == "pct":
        return f"{100 * x:.{digits}f}" + ("%" if percent else "")
    if kind == "num":
        return f"{x:.{digits}f}"
    if kind == "signed":
        return f"{x:+.{digits}f}"
    if kind == "int":
        return f"{int(x):,}"
    raise ValueError(f"unknown table format {spec!r}")


def _header_rows(table: Table) -> list[list[dict]]:
    cols = table.frame.columns
    corner = {"text": str(table.frame.index.name or ""), "cls": "", "colspan": 1, "rowspan": 1, "swatch": ""}
    num = {c for c, f in table.formats.items() if f}
    if not isinstance(cols, pd.MultiIndex):
        row = [corner] if table.index else []
        for c in cols:
            row.append(
                {"text": str(c), "cls": "num" if c in num else "", "colspan": 1, "rowspan": 1, "swatch": table.swatches.get(str(c), "")}
            )
        return [row]
    top, bottom = ([{**corner, "rowspan": 2}] if table.index else []), []
    i = 0
    while i < len(cols):
        a, b = cols[i]
        if b == "":
            top.append({"text": str(a), "cls": "num" if cols[i] in num else "", "colspan": 1, "rowspan": 2, "swatch": ""})
            i += 1
            continue
        j = i
        while j < len(cols) and cols[j][0] == a and cols[j][1] != "":
            bottom.append(
                {"text": str(cols[j][1]), "cls": "num", "colspan": 1, "rowspan": 1, "swatch": table.swatches.get(str(cols[j][1]), "")}
            )
            j += 1
        top.append({"text": str(a), "cls": "group", "colspan": j - i, "rowspan": 1, "swatch": ""})
        i = j
    return [top, bottom]


def table_view(table: Table) -> dict:
    """Header rows and body rows of a table, every cell's text already formatted (not escaped)."""
    frame = table.frame
    body = []
    for r in range(len(frame)):
        cells = []
        if table.index:
            cells.append({"tag": "th", "text": str(frame.index[r]), "cls": "", "code": "index" in table.code})
        for c, col in enumerate(frame.columns):
            spec = table.formats.get(col)
            cls = ["num"] if spec else []
            if table.marks is not None:
                mark = table.marks.iat[r, c]
                if isinstance(mark, str) and mark:
                    cls.append(mark)
            if col in table.wrap:
                cls.append("wrap")
            cells.append({"tag": "td", "text": format_value(frame.iat[r, c], spec), "cls": " ".join(cls), "code": col in table.code})
        body.append(cells)
    return {"head": _header_rows(table), "body": body}


# ------------------------------------------------------------------------------------
# documents
# ------------------------------------------------------------------------------------
def slug(text: str) -> str:
    """A section id from a title."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "section"


def render_document(data: ReportData) -> str:
    """The report as one HTML string (``templates/report.html``)."""
    main = [s for s in data.sections if not s.appendix]
    appendices = [s for s in data.sections if s.appendix]
    return (
        environment()
        .get_template("report.html")
        .render(title=data.title, verdict=data.verdict, header=data.header, main=main, appendices=appendices)
    )


def render_page(section: Section, title: str | None = None) -> str:
    """One section as a standalone, self-contained HTML page (``templates/page.html``)."""
    return environment().get_template("page.html").render(title=title or section.title, section=section)
