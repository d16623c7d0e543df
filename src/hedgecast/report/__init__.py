"""The scenario report: sections computed as data, rendered into one self-contained HTML file.

>>> from hedgecast.report import write_report       # doctest: +SKIP
>>> write_report(fit)                                 # doctest: +SKIP   (or fit.report())
"""

from hedgecast.report.api import build_report, render_report, saved_sections, write_report
from hedgecast.report.contracts import ReportConfig, ReportData, Section

__all__ = ["ReportConfig", "ReportData", "Section", "build_report", "render_report", "saved_sections", "write_report"]
