"""SBC and backtest results become report sections: data, no HTML."""

from __future__ import annotations

import numpy as np

from hedgecast.report.contracts import Figure, Section, Table
from hedgecast.report.render import render_page
from hedgecast.report.sections.validation import sbc_section
from hedgecast.validate import sbc
from hedgecast.validate.sbc import SBCResult, SBCSettings

L = 99


def _synthetic_sbc() -> SBCResult:
    # a small synthetic result: rendering ~50 panels twice takes seconds, four show the same
    rng = np.random.default_rng(6)
    ranks = np.stack([rng.integers(0, L + 1, 40), rng.integers(0, L + 1, 40), np.zeros(40, int), rng.integers(0, L + 1, 40)], axis=1)
    fits = [{"index": i, "seed": i, "divergences": int(i == 3), "max_rhat": 1.001} for i in range(40)]
    return SBCResult(
        SBCSettings(sims=40), "baseline", ["mu.economic", "rho.political", "sigma.economic", "nu"], ranks, fits, seconds=90, workers=2
    )


def test_sbc_section_reports_the_verdict_and_draws_both_figures(tmp_path):
    result = _synthetic_sbc()
    section = sbc_section(result.to_dict())
    assert isinstance(section, Section) and section.title == sbc.SECTION_TITLE and section.status == "fail"
    assert len(section.figures) == 2 and all(isinstance(f, Figure) for f in section.figures)
    text = " ".join(section.paragraphs)
    assert "<" not in text  # plain text, never HTML
    assert "Evidence of miscalibration" in text and "sigma.economic" in text  # all ranks 0: a biased posterior
    assert "1 of 40 refits had divergent transitions" in text
    (table,) = section.tables
    assert isinstance(table, Table) and len(table.frame) == 4 and "sigma.economic" in table.frame.index
    # the saved file gives the same section, and it renders into a self-contained page
    path = sbc.save_sbc(result, tmp_path / "sbc.json")
    again = sbc_section(path)
    assert again.paragraphs == section.paragraphs
    html = render_page(again)
    assert html.count("data:image/png;base64,") == 2 and "Evidence of miscalibration" in html
