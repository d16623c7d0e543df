"""Tables the commands print: the headline per scenario, and the headline against its base rates."""

from __future__ import annotations

from rich.table import Table

__all__ = ["base_rate_table", "probability_table"]


def base_rate_table(fit, fc, rates=None) -> Table | None:
    """The headline (status quo) beside its base rate and prior-only value, with the plain flags (None without status quo).

    ``rates(fit, fc, years)`` computes the table (default :func:`~hedgecast.forecasting.headline_rates.headline_rates`;
    ``hedgecast report`` passes the report's cached one).
    """
    from hedgecast.forecasting.headline_rates import REFERENCE, headline_rates

    if REFERENCE not in fc.scenarios:
        return None
    frame = (rates or headline_rates)(fit, fc, list(fc.spec.headline_years or (fc.spec.headline_year,)))
    table = Table(title="Headline (status quo) against base rates", caption=frame.attrs["rules"], show_lines=False)
    for col in ("headline", "base rate (90% interval)", "prior only", "posterior", "odds ×"):
        table.add_column(col, justify="left" if col == "headline" else "right")
    for name, r in frame.iterrows():
        lo, hi = r["base-rate interval"]
        flag = " [yellow]⚑[/]" if r["flags"] else ""
        table.add_row(f"{name}{flag}", f"{100 * r['base rate']:.1f}% ({100 * lo:.1f}–{100 * hi:.1f})", f"{100 * r['prior only']:.1f}%", f"{100 * r['posterior']:.1f}%", f"{r['odds ratio']:.2f}")
    return table


def probability_table(fc, year: int) -> Table:
    """P(each class) in ``year`` per scenario, and P(at least one rupture event by ``year``)."""
    probs = fc.class_probabilities((year,)).sel(year=year)
    events = fc.p_rupture_event_by(year)
    table = Table(title=f"P(trajectory class) in {year}, and P(rupture event by {year})", show_lines=False)
    table.add_column("scenario")
    for c in fc.spec.class_names:
        table.add_column(c, justify="right")
    table.add_column(f"rupture event by {year}", justify="right")
    for s in fc.scenarios:
        table.add_row(s, *[f"{100 * float(probs.sel(scenario=s, trajectory=c)):.1f}%" for c in fc.spec.class_names], f"{100 * float(events.sel(scenario=s)):.1f}%")
    return table
