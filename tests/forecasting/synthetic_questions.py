"""A synthetic forecast question with every platform field filled in (for tests only)."""

from __future__ import annotations

import datetime as dt

from hedgecast.inputs.questions_file import Question


def question(**kw) -> Question:
    """An indicator question (trade below 30 bn USD in 2028, closing 2031-01-31) with ``kw`` replacing any field."""
    base = dict(
        id="q", title="t", resolution="r", fine_print="f", resolution_source="s", open_date=dt.date(2026, 12, 1),
        close_date=dt.date(2031, 1, 31), observable="trade_usd_bn", kind="indicator", years=(2028, 2028),
        aggregate="value", comparison="<", threshold=30.0,
    )  # fmt: skip
    return Question(**{**base, **kw})
