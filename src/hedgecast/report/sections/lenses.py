"""The lens comparison section: the same scenarios seen through each paper's priors."""

from __future__ import annotations

from collections.abc import Sequence

from hedgecast.report.comparison import compare_lenses, comparison_table, lens_chart
from hedgecast.report.contracts import Bullets, Figure, FitLike, Heading, Paragraph, Section, Table


def lenses_section(fits: Sequence[FitLike], year: int | None = None, one=None) -> Section:
    """A chart, a table per class and one of P(crisis), and each lens's summary (``one``: see :func:`compare_lenses`)."""
    result = compare_lenses(fits, year, one=one)
    diag = ", ".join(f"{f.lens.name} {'passed' if f.diagnostics.passed else 'failed'}" for f in fits)
    blocks: list = [
        Paragraph(
            "Each lens is one paper's reading turned into priors, fitted to the same {}–{} record and simulated under the same scenarios ".format(*fits[0].spec.history)
            + f"and random numbers. Differences between columns are differences between the papers' assumptions. Diagnostics per lens: {diag}."
        ),
        Figure(lens_chart(result), "Lens comparison: P(class) per scenario and lens"),
    ]
    for traj in result.trajectory.values:
        table = comparison_table(result, str(traj))
        blocks += [
            Heading(f"P({traj}) in {year}, % — by scenario and lens", level=4),
            Table(table, formats={c: "num.1" for c in table.columns}),
        ]
    crisis = (100 * result["p_crisis"]).transpose("scenario", "lens").to_pandas().round(1)
    blocks += [
        Heading(f"P(at least one rupture event by {year}), %", level=4),
        Table(crisis, formats={c: "num.1" for c in crisis.columns}),
        Heading("The lenses", level=4),
        Bullets(tuple(f"{f.lens.name}: {f.lens.summary}" for f in fits)),
    ]
    failed = any(not f.diagnostics.passed for f in fits)
    return Section("lenses", "Lenses", tuple(blocks), status="fail" if failed else "ok")
