"""The result of a change attribution (:func:`hedgecast.stress.attribution.explain_change`): table, summary, chart.

Per scenario and headline quantity: run A's probability, each cause's additive contribution
with its Monte Carlo error, the remainder no cause explains, and run B's probability; the
contributions and the remainder sum to B − A exactly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hedgecast.stress.change_players import Changes, Player

__all__ = ["NOISE", "Attribution"]

NOISE = "not attributable (Monte Carlo)"
"""The row of what no cause explains: run B's own draws against their reconstruction."""


@dataclass
class Attribution:
    """The change of each headline probability from run A to run B, split additively among its causes."""

    label_a: str
    label_b: str
    players: list[Player]
    quantities: list[str]
    scenarios: list[str]
    start: np.ndarray  # (Q, S) run A's saved forecast
    end: np.ndarray  # (Q, S) run B's
    total_se: np.ndarray
    contributions: np.ndarray  # (P, Q, S)
    contribution_se: np.ndarray
    residual: np.ndarray  # (Q, S): what the players do not explain (Monte Carlo; with no players, the whole change)
    residual_se: np.ndarray
    coalitions: list[dict] = field(default_factory=list)
    cost: dict = field(default_factory=dict)
    changes: Changes | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> np.ndarray:
        return self.end - self.start

    @property
    def attributable(self) -> bool:
        return bool(self.players)

    def _at(self, quantity: str | None, scenario: str | None) -> tuple[int, int]:
        q = 0 if quantity is None else self.quantities.index(quantity)
        s = 0 if scenario is None else self.scenarios.index(scenario)
        return q, s

    def ranked(self, quantity: str | None = None, scenario: str | None = None) -> list[str]:
        """Return the players' labels, the largest contribution (in absolute value) to ``quantity`` first (default the first quantity)."""
        q, s = self._at(quantity, scenario)
        order = np.argsort(-np.abs(self.contributions[:, q, s]), kind="stable")
        return [self.players[i].label for i in order]

    def table(self, scenario: str | None = None) -> pd.DataFrame:
        """Long table: per scenario and quantity, run A, each cause (largest first), the unexplained remainder, run B.

        ``change`` of the causes and the remainder sums to run B minus run A exactly.
        """
        rows = []
        for s, scen in enumerate(self.scenarios):
            if scenario is not None and scen != scenario:
                continue
            for q, name in enumerate(self.quantities):
                base = {"scenario": scen, "quantity": name}
                rows.append(
                    {
                        **base,
                        "cause": f"run A ({self.label_a})",
                        "kind": "start",
                        "change": np.nan,
                        "mcse": np.nan,
                        "value": self.start[q, s],
                    }
                )
                for i in np.argsort(-np.abs(self.contributions[:, q, s]), kind="stable"):
                    p = self.players[i]
                    rows.append(
                        {
                            **base,
                            "cause": p.label,
                            "kind": p.kind,
                            "change": self.contributions[i, q, s],
                            "mcse": self.contribution_se[i, q, s],
                            "value": np.nan,
                        }
                    )
                rows.append(
                    {
                        **base,
                        "cause": NOISE,
                        "kind": "noise",
                        "change": self.residual[q, s],
                        "mcse": self.residual_se[q, s],
                        "value": np.nan,
                    }
                )
                rows.append(
                    {
                        **base,
                        "cause": f"run B ({self.label_b})",
                        "kind": "end",
                        "change": self.total[q, s],
                        "mcse": self.total_se[q, s],
                        "value": self.end[q, s],
                    }
                )
        return pd.DataFrame(rows)

    def summary(self, quantity: str | None = None, scenario: str | None = None) -> str:
        """One sentence: the change of ``quantity`` and its causes, largest first (points of probability)."""
        q, s = self._at(quantity, scenario)
        moved = f"{100 * self.start[q, s]:.1f}% → {100 * self.end[q, s]:.1f}% ({100 * self.total[q, s]:+.1f} pts)"
        head = f"{self.quantities[q]} ({self.scenarios[s]}): {moved}"
        if not self.players:
            why = "; ".join(self.changes.unattributable) if self.changes and self.changes.unattributable else "nothing differs"
            return (
                f"{head}: no change to attribute ({why}); the difference is Monte Carlo noise (± {100 * self.residual_se[q, s]:.1f} pts)."
            )
        parts = [
            f"{p} {100 * self.contributions[self._index(p), q, s]:+.1f} ± {100 * self.contribution_se[self._index(p), q, s]:.1f}"
            for p in self.ranked(self.quantities[q], self.scenarios[s])
        ]
        parts.append(f"{NOISE} {100 * self.residual[q, s]:+.1f} ± {100 * self.residual_se[q, s]:.1f}")
        return f"{head} = " + ", ".join(parts) + " pts."

    def _index(self, label: str) -> int:
        return [p.label for p in self.players].index(label)

    def cost_line(self) -> str:
        c = self.cost
        return (
            f"Cost: {len(self.coalitions)} coalitions; {c['reweightings']} PSIS reweightings, {c['refits']} refits "
            f"({c['refit_s']:.1f} s), {c['forecasts']} forecasts ({c['forecast_s']:.1f} s); {c['total_s']:.1f} s in all."
        )

    def waterfall(self, quantity: str | None = None, scenario: str | None = None, ax=None):
        """Draw the waterfall chart of ``quantity`` (default the first: P(rupture event by the first headline year))."""
        from hedgecast.plots.waterfall import plot_waterfall

        q, s = self._at(quantity, scenario)
        steps = [
            (self.players[i].label, self.contributions[i, q, s], self.contribution_se[i, q, s])
            for i in np.argsort(-np.abs(self.contributions[:, q, s]), kind="stable")
        ]
        steps.append((NOISE, self.residual[q, s], self.residual_se[q, s]))
        title = f"Why {self.quantities[q]} moved ({self.scenarios[s]})"
        return plot_waterfall(
            self.start[q, s], steps, ax=ax, start_label=f"run A\n{self.label_a}", end_label=f"run B\n{self.label_b}", title=title
        )

    def to_dict(self) -> dict:
        return {
            "a": self.label_a,
            "b": self.label_b,
            "players": [dataclasses.asdict(p) for p in self.players],
            "unattributable": list(self.changes.unattributable) if self.changes else [],
            "notes": self.notes,
            "cost": self.cost,
            "coalitions": self.coalitions,
            "table": self.table().replace({np.nan: None}).to_dict(orient="records"),
        }
