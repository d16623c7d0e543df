"""The renderer: one figure embedder (the only base64 in the package), escaping, table layout."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure as MplFigure

from hedgecast.report.contracts import Bullets, Figure, Paragraph, Section, Table
from hedgecast.report.render import embed_figure, format_value, render_page, table_view

SRC = Path(__file__).resolve().parents[2] / "src" / "hedgecast"


def test_the_figure_embedder_is_the_only_place_that_base64_encodes():
    users = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if re.search(r"\bbase64\b", p.read_text(encoding="utf-8")))
    assert users == ["report/render.py"]
    pngs = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if 'format="png"' in p.read_text(encoding="utf-8"))
    assert pngs == ["report/render.py"]


def test_embed_figure_renders_and_closes():
    import matplotlib.pyplot as plt

    fig = plt.figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    html = str(embed_figure(Figure(fig, 'a "quoted" <alt>')))
    assert html.startswith('<img src="data:image/png;base64,iVBORw0KGgo') and 'alt="a &#34;quoted&#34; &lt;alt&gt;"' in html
    assert not plt.fignum_exists(fig.number)
    assert str(embed_figure(Figure(b"\x89PNG\r\n\x1a\nxyz", "bytes"))).startswith('<img src="data:image/png;base64,iVBORw0KGgp4eXo=')


def test_user_text_is_escaped_everywhere():
    evil = "<script>alert(1)</script>"
    frame = pd.DataFrame({"name": [evil], "p": [0.1234]}, index=pd.Index([evil], name=evil))
    section = Section(
        "probe",
        evil,
        (
            Paragraph(evil),
            Bullets((evil,), callout=True),
            Table(frame, caption=evil, formats={"p": "pct.1"}),
            Figure(MplFigure(), evil, evil),
        ),
    )
    html = render_page(section, title="t")
    assert "<script" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 6
    assert '<td class="num">12.3</td>' in html


def test_grouped_headers_marks_and_formats():
    cols = pd.MultiIndex.from_tuples([("2030", "a"), ("2030", "b"), ("P(x)", "")])
    frame = pd.DataFrame([[0.1, 0.9, float("nan")]], index=pd.Index(["s"], name="Scenario"), columns=cols)
    marks = pd.DataFrame([["", "best", ""]], index=frame.index, columns=cols)
    view = table_view(Table(frame, formats={c: "pct.1" for c in cols}, marks=marks, swatches={"a": "#000000"}))
    top, bottom = view["head"]
    assert [(h["text"], h["colspan"], h["rowspan"]) for h in top] == [("Scenario", 1, 2), ("2030", 2, 1), ("P(x)", 1, 2)]
    assert [h["text"] for h in bottom] == ["a", "b"] and bottom[0]["swatch"] == "#000000"
    assert [c["text"] for c in view["body"][0]] == ["s", "10.0", "90.0", "–"]
    assert view["body"][0][2]["cls"] == "num best"
    assert format_value(0.5, "pct.0%") == "50%" and format_value(-1.234, "signed.1") == "-1.2" and format_value(1234, "int") == "1,234"
