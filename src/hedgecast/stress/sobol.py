"""Sobol indices of the headline probabilities over assumptions varied jointly (SALib).

First-order and total indices (Saltelli sampling, Jansen estimators); every evaluation is a
PSIS reweighting, so thousands take seconds. Evaluations with k̂ > 0.7 are used but counted.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hedgecast.files import records
from hedgecast.stress.assumptions import Assumption, changes_for
from hedgecast.stress.progress import Progress, no_progress
from hedgecast.stress.psis import K_THRESHOLD
from hedgecast.stress.reweight import Reweighter

__all__ = ["SobolResult", "sobol_indices"]


@dataclass
class SobolResult:
    """First-order (S1) and total (ST) Sobol indices of the headline probabilities."""

    indices: pd.DataFrame  # scenario, metric, assumption, S1, S1_conf, ST, ST_conf, variance
    assumptions: list[str]
    n_base: int
    n_evaluations: int
    n_unreliable: int
    max_pareto_k: float
    seconds: float

    @property
    def share_unreliable(self) -> float:
        return self.n_unreliable / self.n_evaluations if self.n_evaluations else 0.0

    def table(self, scenario: str, metric: str) -> pd.DataFrame:
        return self.indices.query("scenario == @scenario and metric == @metric").sort_values("ST", ascending=False).reset_index(drop=True)

    def to_dict(self) -> dict:
        return {
            "assumptions": self.assumptions,
            "n_base": self.n_base,
            "n_evaluations": self.n_evaluations,
            "n_unreliable": self.n_unreliable,
            "share_unreliable": self.share_unreliable,
            "max_pareto_k": self.max_pareto_k,
            "seconds": self.seconds,
            "indices": records(self.indices),
        }


def sobol_indices(
    rw: Reweighter,
    assumptions: Sequence[Assumption],
    *,
    metrics: Sequence[str],
    n: int = 256,
    seed: int = 2026,
    progress: Progress = no_progress,
) -> SobolResult:
    """Sobol indices over ``assumptions`` varied jointly and uniformly over their tornado ranges.

    ``n`` base samples (a power of two) give ``n (D + 2)`` evaluations (Saltelli scheme,
    no second-order terms); each is a reweighting (forecast-only priors too, per
    scenario), so thousands take seconds. Evaluations with k̂ > 0.7 are used but counted:
    :attr:`SobolResult.share_unreliable` says how far to trust the indices.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    t0 = time.perf_counter()
    names = [a.name for a in assumptions]
    bounds = [[a.coordinate(a.tornado[0]), a.coordinate(a.tornado[1])] for a in assumptions]
    problem = {"num_vars": len(assumptions), "names": names, "bounds": bounds}
    X = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    Q, S = len(metrics), len(rw.scenarios)
    qi = [rw.quantities.index(m) for m in metrics]
    Y = np.empty((len(X), Q, S))
    ks = np.empty(len(X))
    step = max(1, len(X) // 50)
    for i, x in enumerate(X):
        if i % step == 0:
            progress("Sobol indices", i, len(X))
        Y[i], ks[i] = rw.values(changes_for(rw.lens, {a: a.value(c) for a, c in zip(assumptions, x, strict=True)}), qi)
    progress("Sobol indices", len(X), len(X))
    rows = []
    for qj, m in enumerate(metrics):
        for sj, s in enumerate(rw.scenarios):
            y = Y[:, qj, sj]
            var = float(np.var(y))
            if not np.isfinite(var) or var < 1e-14:
                res = {k: np.zeros(len(names)) for k in ("S1", "S1_conf", "ST", "ST_conf")}
            else:
                with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
                    # SALib divides by the output variance: near-constant outputs (an assumption that
                    # moves nothing) raise RuntimeWarnings for a ratio whose value is then ~0 anyway
                    warnings.simplefilter("ignore", RuntimeWarning)
                    res = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=200, seed=seed)
            for j, a in enumerate(names):
                rows.append(
                    {
                        "scenario": s,
                        "metric": m,
                        "assumption": a,
                        "S1": float(res["S1"][j]),
                        "S1_conf": float(res["S1_conf"][j]),
                        "ST": float(res["ST"][j]),
                        "ST_conf": float(res["ST_conf"][j]),
                        "variance": var,
                    }
                )
    finite = ks[np.isfinite(ks)]
    return SobolResult(
        pd.DataFrame(rows),
        names,
        n,
        len(X),
        int(np.sum(ks > K_THRESHOLD)),
        float(finite.max()) if finite.size else float("nan"),
        time.perf_counter() - t0,
    )
