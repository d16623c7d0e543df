"""``hedgecast scenarios``: every scenario of the spec and what it does, in words.

    hedgecast scenarios                       # all of them
    hedgecast scenarios sanctions_relief new_low
    hedgecast scenarios --lens carnegie_2024  # lens-given probabilities with that lens's prior means

The wording is the report's (:func:`hedgecast.forecasting.scenario_words.intervention_lines`).
Nothing is fitted; a wrong name exits 2 with the closest ones.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from hedgecast.cli.app import STATE, app, out
from hedgecast.cli.options import check_scenarios, load_lenses, options


@app.command("scenarios")
def scenarios(
    names: Annotated[list[str] | None, typer.Argument(help="Scenarios to show (default: all).", show_default=False)] = None,
    lens: Annotated[str, typer.Option("--lens", "-l", help="Lens whose prior means are shown for lens-given probabilities.")] = "baseline",
) -> None:
    """List the scenarios: what each changes (in words), how often it applies, and its source."""
    from hedgecast.forecasting.scenario_words import intervention_lines
    from hedgecast.workbench import Workbench

    wb = Workbench.load(STATE["root"])
    problems = options()
    check_scenarios(problems, wb.spec, names)
    chosen = load_lenses(wb, [lens], problems)[0]
    for name in names or list(wb.spec.scenarios):
        s = wb.spec.scenarios[name]
        tag = " [yellow](hypothetical)[/]" if s.hypothetical else ""
        out.print(f"[bold]{escape(s.label or name)}[/] [dim]{name}[/]{tag}", highlight=False)
        for line in intervention_lines(wb.spec, name, chosen):
            out.print(f"  • {escape(line)}", highlight=False, soft_wrap=True)
        pv = s.provenance
        source = pv.source + (f": “{pv.quote}”" if pv.quote else "") if pv.source else pv.reason
        out.print(f"  [dim]source: {escape(source)}[/]", highlight=False, soft_wrap=True)
        if pv.source and pv.reason:
            out.print(f"  [dim]reason: {escape(pv.reason)}[/]", highlight=False, soft_wrap=True)
        out.print()
