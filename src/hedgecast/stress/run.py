"""``hedgecast stress``: run the stress test and keep its record.

:func:`hedgecast.stress.suite.run_stress` computes the stress test (latency of an instant
prior edit, power-scaling, the tornado, Sobol indices, "what would you have to believe", the
pools of the lenses); :func:`cli_stress` runs it for the command line and writes
``reports/stress.json``, which every report then shows as its Stress test section
(:func:`hedgecast.report.sections.stress.stress_section`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from hedgecast.files import write_atomic
from hedgecast.stress.progress import Progress
from hedgecast.stress.suite import StressResult, StressSettings, run_stress

if TYPE_CHECKING:  # pragma: no cover
    from hedgecast.forecasting.forecast import Forecast
    from hedgecast.workbench import Fit, Workbench


def cli_stress(
    workbench: Workbench,
    fit: Fit,
    forecast: Forecast,
    progress_callback: Progress | None = None,
    *,
    settings: StressSettings | None = None,
    json_path: str | os.PathLike | None = None,
) -> StressResult:
    """Run the stress test, write ``reports/stress.json`` (atomically) and return the result.

    ``progress_callback(description, completed, total)`` drives a progress bar.
    """
    result = run_stress(fit, forecast, settings, workbench=workbench, progress=progress_callback)
    target = Path(json_path) if json_path is not None else workbench.paths.reports / "stress.json"
    write_atomic(target, result.to_json())
    return result
