"""The report pipeline: one function from a fit to one self-contained HTML file.

:func:`build_report` computes every section as data (:mod:`hedgecast.report.sections`),
:func:`render_report` lays them out (:mod:`hedgecast.report.render`), :func:`write_report`
writes the file atomically. ``Fit.report()`` and ``hedgecast report`` both call
:func:`write_report`, so they give the same sections; saved results of ``hedgecast stress``
and ``hedgecast validate`` (``reports/stress.json``, ``sbc.json``, ``backtest.json``) and a saved
seminar (``reports/seminar.json``, :mod:`hedgecast.seminar.results`) are included whenever they exist.

    >>> fit.report()                                      # doctest: +SKIP
    >>> from hedgecast.report import write_report
    >>> write_report(fit, "reports/mine.html", compare=[other_fit])  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hedgecast.files import write_atomic
from hedgecast.report.comparison import lens_probabilities
from hedgecast.report.contracts import FitLike, ReportConfig, ReportData, Section
from hedgecast.report.render import render_document
from hedgecast.report.section_cache import SectionCache, forecast_keys, is_workbench_fit, project_files_digest
from hedgecast.report.sections import appendices, checks, differences, header, outlook
from hedgecast.report.sections.base_rates import base_rates_section
from hedgecast.report.sections.common import headline_years
from hedgecast.report.sections.crisis import crisis_section, rule_headline
from hedgecast.report.sections.lenses import lenses_section
from hedgecast.report.sections.questions import question_sections
from hedgecast.report.sections.seminar import seminar_section
from hedgecast.report.sections.stress import stress_section
from hedgecast.report.sections.track_record import track_record_sections
from hedgecast.report.sections.validation import backtest_section, sbc_section, unreadable_section

__all__ = ["SAVED_RESULTS", "build_report", "cached_headline_rates", "comparison_section", "fit_sections", "render_report", "saved_sections", "section_cache", "write_report"]

#: results other commands save under reports/, and the section each becomes (in report order)
SAVED_RESULTS: tuple[tuple[str, Callable[[Any], Section]], ...] = (
    ("stress.json", stress_section),
    ("sbc.json", sbc_section),
    ("backtest.json", backtest_section),
    ("seminar.json", seminar_section),
)


def fit_sections(
    fit: FitLike,
    forecast: Any,
    config: ReportConfig | None = None,
    inclusion_fits: Sequence[FitLike] = (),
    cache: SectionCache | None = None,
) -> tuple[list[Section], list[Section]]:
    """The sections computed from the fit and its forecast: ``(main, appendices)``.

    ``inclusion_fits``: the same lens fitted to the incidents of other inclusion rules (the crisis
    model section shows the headline under each). With ``cache``, the costly sections come from it
    when nothing they depend on changed (:mod:`hedgecast.report.section_cache`).
    """
    config = config or ReportConfig()
    made = forecast_keys(fit, forecast)

    def cached(name: str, build: Callable[..., Section], *args: Any, with_forecast: bool = True) -> Section:
        if cache is None:
            return build(*args)
        return cache.section(cache.key(name, config, [fit], [made] if with_forecast else []), lambda: build(*args))

    rules = None
    if cache is None:
        questions = question_sections(fit, forecast, config)
    else:
        # the questions read models/questions.toml and the record; the rule headline forecasts every other rule's fit
        files = {"files": project_files_digest(fit.workbench.paths)}
        questions = cache.sections(cache.key("questions", config, [fit], [made], extra=files), lambda: question_sections(fit, forecast, config))
        if inclusion_fits:
            year = headline_years(forecast, config)[0]
            key = cache.key("crisis-rules", config, [fit, *inclusion_fits], [made, *(forecast_keys(f) for f in inclusion_fits)], extra={"year": year})
            rules = cache.value(key, lambda: rule_headline(fit, forecast, inclusion_fits, year))
    main = [
        *track_record_sections(fit),  # how the issued forecasts did, once ledgered questions have resolved
        cached("headline", outlook.headline_section, fit, forecast, config),
        cached("base-rates", base_rates_section, fit, forecast, config, lambda years: cached_headline_rates(fit, forecast, years, cache)),
        *questions,
        outlook.classes_section(fit.spec, fit.inputs),
        cached("channels", outlook.channels_section, fit, forecast, config),
        cached("indicators", outlook.indicators_section, fit, forecast, config),
        cached("differences", differences.differences_section, forecast, config),
        cached("learning", checks.learning_section, fit, with_forecast=False),
        crisis_section(fit, forecast, inclusion_fits, config, rules),
        cached("ppc", checks.ppc_section, fit, with_forecast=False),
        cached("diagnostics", checks.diagnostics_section, fit, with_forecast=False),
    ]
    ends = [
        appendices.scenarios_section(fit.spec, forecast, fit.lens),
        appendices.priors_section(fit.lens),
        appendices.data_section(fit),
    ]
    return main, ends


def cached_headline_rates(fit: FitLike, forecast: Any, years: Sequence[int], cache: SectionCache | None = None) -> Any:
    """:func:`~hedgecast.forecasting.headline_rates.headline_rates` of ``fit`` and ``forecast``, from ``cache`` when
    nothing it reads changed (the fit with its prior draws, the forecast, the record's files); ``hedgecast report``
    prints the same table the Base rates section shows, so an unchanged report forecasts the prior draws for neither."""
    from hedgecast.forecasting.headline_rates import headline_rates

    if cache is None:
        return headline_rates(fit, forecast, list(years))
    extra = {"files": project_files_digest(fit.workbench.paths), "years": [int(y) for y in years]}
    key = cache.key("headline-rates", None, [fit], [forecast_keys(fit, forecast)], extra=extra)
    return cache.value(key, lambda: headline_rates(fit, forecast, list(years)))


def comparison_section(fits: Sequence[FitLike], cache: SectionCache | None = None) -> Section:
    """The Lenses section of ``fits`` (the report's fit first), from ``cache`` when none of them changed."""
    if cache is None:
        return lenses_section(fits)
    key = cache.key("lenses", None, list(fits), [forecast_keys(f) for f in fits])

    def one(fit: FitLike, year: int, scenarios: list[str] | None) -> Any:  # each lens's numbers, kept per lens
        part = cache.key("lens-probabilities", None, [fit], [forecast_keys(fit)], extra={"year": year, "scenarios": scenarios})
        return cache.value(part, lambda: lens_probabilities(fit, year, scenarios))

    return cache.section(key, lambda: lenses_section(fits, one=one))


def section_cache(fit: FitLike) -> SectionCache | None:
    """The project's section cache (``.cache/report-sections/``), for a fit the workbench made; else None."""
    paths = getattr(getattr(fit, "workbench", None), "paths", None)
    return SectionCache(paths.cache / "report-sections") if paths is not None and is_workbench_fit(fit) else None


def saved_sections(reports: str | os.PathLike) -> list[Section]:
    """Sections of the saved results under ``reports`` (those that exist); an unreadable file becomes a section saying so."""
    out = []
    for name, make in SAVED_RESULTS:
        path = Path(reports) / name
        if not path.is_file():
            continue
        try:
            out.append(make(path))
        except (OSError, ValueError, KeyError, TypeError) as err:
            out.append(unreadable_section(name, path, err))
    return out


def build_report(
    fit: FitLike,
    forecast: Any = None,
    *,
    compare: Sequence[FitLike] = (),
    inclusion_fits: Sequence[FitLike] = (),
    include_saved: bool = True,
    sections: Iterable[Section] = (),
    run_info: Mapping[str, Any] | None = None,
    config: ReportConfig | None = None,
    cache: SectionCache | None = None,
) -> ReportData:
    """Compute the whole report as data.

    Parameters
    ----------
    fit : Fit
        A fitted lens, or anything shaped like one (:class:`~hedgecast.report.contracts.FitLike`).
    forecast : Forecast, optional
        Default ``fit.forecast()`` (every scenario; ``status_quo`` is the reference when present).
    compare : sequence of Fit
        Other lenses' fits: adds the Lenses section (``fit`` first).
    inclusion_fits : sequence of Fit
        ``fit``'s lens fitted to the incidents of the other inclusion rules: the crisis model
        section shows the headline under each (see :meth:`hedgecast.workbench.Workbench.fit_other_rules`).
    include_saved : bool
        Add the sections of ``reports/stress.json``, ``sbc.json`` and ``backtest.json`` when they exist.
    sections : iterable of Section
        More sections, placed after the lens comparison and before the saved results.
    run_info : mapping, optional
        The run record (``SavedRun.manifest``): id, seeds, versions, hashes …, shown under the title.
    config : ReportConfig, optional
        Title, headline years, reference scenario.
    cache : SectionCache, optional
        Take the costly sections from it when nothing they depend on changed, and keep them
        there (:func:`write_report` uses the project's: see :func:`section_cache`).

    """
    config = config or ReportConfig()
    forecast = fit.forecast() if forecast is None else forecast
    main, ends = fit_sections(fit, forecast, config, inclusion_fits, cache)
    if compare:
        main.append(comparison_section([fit, *compare], cache))
    main.extend(sections)
    if include_saved:
        main.extend(saved_sections(fit.workbench.paths.reports))
    info = dict(run_info or {})
    return ReportData(
        title=config.title.replace("2026–2035", "{}–{}".format(*fit.spec.forecast)),  # the horizon follows the data
        verdict=header.verdict(fit),
        header=header.header(fit, forecast, info, info.get("versions") or {}),
        sections=tuple(main + ends),
    )


def render_report(fit: FitLike, forecast: Any = None, **kwargs: Any) -> str:
    """The report as an HTML string (arguments as for :func:`build_report`)."""
    return render_document(build_report(fit, forecast, **kwargs))


def write_report(fit: FitLike, path: str | os.PathLike | None = None, **kwargs: Any) -> Path:
    """Write the report to ``path`` (default ``reports/turkiye-russia.html``) atomically; return the path.

    The other arguments (keyword only) are those of :func:`build_report`; ``cache`` defaults to
    the project's section cache. A failure while computing, rendering or writing leaves an
    existing file intact.
    """
    config = kwargs.get("config") or ReportConfig()
    target = Path(path) if path is not None else fit.workbench.paths.reports / config.report_name
    kwargs.setdefault("cache", section_cache(fit))
    html = render_report(fit, **kwargs)
    return write_atomic(target, html)
