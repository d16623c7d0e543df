"""The question sheet: every question's probability per lens and scenario, its base rate, ready to export.

One function shared by ``hedgecast questions``, the report's Questions section and the
notebooks, so that they show the same numbers:

    >>> qs = load_questions(wb.paths.questions, wb.spec, wb.history)           # doctest: +SKIP
    >>> sheet = question_sheet(wb, {"baseline": (fit.forecast(), run_id)}, qs)  # doctest: +SKIP
    >>> sheet[sheet.of_record][["id", "probability", "mc_se", "base_rate"]]    # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from hedgecast.forecasting.question_base_rates import base_rates
from hedgecast.forecasting.questions import question_table
from hedgecast.inputs import data
from hedgecast.inputs.questions_file import QuestionSet, load_questions

__all__ = ["project_questions", "question_sheet"]


def project_questions(workbench) -> QuestionSet:
    """The project's ``models/questions.toml``, validated against the workbench's spec and record."""
    return load_questions(workbench.paths.questions, workbench.spec, workbench.history)


def question_sheet(
    workbench,
    forecasts: Mapping[str, tuple[object, str]],
    qset: QuestionSet | None = None,
    *,
    scenarios: list[str] | None = None,
    issued_at: str | None = None,
) -> pd.DataFrame:
    """Every question × lens × scenario (:func:`~hedgecast.forecasting.questions.question_table`) with base rates.

    ``forecasts`` maps a lens name to ``(Forecast, run id)``; ``qset`` defaults to the project's questions.
    """
    qset = qset if qset is not None else project_questions(workbench)
    base = base_rates(qset, workbench.history, data.load_incidents(workbench.paths))
    return question_table(qset, forecasts, scenarios=scenarios, base=base, issued_at=issued_at)
