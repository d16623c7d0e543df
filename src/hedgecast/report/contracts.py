"""What a report is made of: frozen records that sections compute and the renderer lays out.

A :class:`Section` is data: an id, a title, and an ordered tuple of blocks (paragraphs,
lists, tables of numbers, figures). Nothing in it is HTML: every text is plain and is
escaped when rendered, tables are pandas DataFrames with display formats, figures are
matplotlib Figures (or PNG bytes already rendered). The same sections can be looked at in
a notebook (``section.tables[0].frame``) or rendered into the one HTML file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import pandas as pd

Status = Literal["ok", "warn", "fail", "info"]


class FitLike(Protocol):
    """What the report reads from a fit: :class:`hedgecast.workbench.Fit`, or anything shaped like it.

    ``reweighting`` is None, or says how the draws were made from another fit's by a
    reweighted prior edit (:class:`hedgecast.stress.psis.Reweighting`).
    """

    lens: Any
    idata: Any
    diagnostics: Any
    inputs: Any
    settings: Any
    workbench: Any
    reweighting: Any

    @property
    def spec(self) -> Any: ...

    def forecast(self, scenarios: list[str] | None = None, seed: int | None = None) -> Any: ...

    def posterior_predictive(self) -> Any: ...

    def prior_vs_posterior(self) -> pd.DataFrame: ...


@dataclass(frozen=True)
class Paragraph:
    """Plain text. ``style``: ``"p"``, ``"note"`` (small, muted), ``"strong"``, ``"warn"`` (a red-edged callout)."""

    text: str
    style: str = "p"
    kind: str = field(default="paragraph", init=False)


@dataclass(frozen=True)
class Bullets:
    """A list of plain-text lines; ``callout`` draws it boxed (``warn``: red-edged)."""

    items: tuple[str, ...]
    callout: bool = False
    warn: bool = False
    kind: str = field(default="bullets", init=False)


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside a section (level 3 or 4)."""

    text: str
    level: int = 3
    code: str = ""  # shown after the text as code (e.g. a scenario's key)
    note: str = ""
    kind: str = field(default="heading", init=False)


@dataclass(frozen=True)
class Quote:
    """A verbatim passage (e.g. from a seed paper)."""

    text: str
    kind: str = field(default="quote", init=False)


@dataclass(frozen=True)
class Table:
    """A DataFrame shown as a table.

    Attributes
    ----------
    frame : DataFrame
        The values. The index becomes the row headers when ``index`` is true; MultiIndex
        columns become grouped headers (an empty lower level spans both header rows).
    caption : str
        What the table shows (shown above it).
    formats : mapping
        Column → display format: ``"pct.1"`` (× 100, one decimal), ``"pct.0%"`` (× 100,
        with a % sign), ``"num.2"``, ``"signed.1"``, ``"int"``; other columns as ``str``.
        Missing numbers show as "–".
    marks : DataFrame, optional
        Same shape as ``frame``: a CSS class per cell (``best``, ``clear``, ``bad``, ``good``).
    code : tuple of str
        Columns (or ``"index"``) shown as code.
    swatches : mapping
        Column label (lowest level) → colour of a swatch in its header.
    collapsed : bool
        Shown folded, the caption as the summary.
    css : str
        Extra table class (``small``, ``headline``, ``kv``).

    """

    frame: pd.DataFrame
    caption: str = ""
    formats: Mapping[str, str] = field(default_factory=dict)
    marks: pd.DataFrame | None = None
    code: tuple[str, ...] = ()
    swatches: Mapping[str, str] = field(default_factory=dict)
    index: bool = True
    collapsed: bool = False
    css: str = ""
    wrap: tuple[str, ...] = ()  # columns whose code may wrap
    kind: str = field(default="table", init=False)


@dataclass(frozen=True, eq=False)
class Figure:
    """A figure: a matplotlib Figure (rendered and closed by the renderer) or PNG bytes."""

    figure: Any
    alt: str
    caption: str = ""
    kind: str = field(default="figure", init=False)


Block = Paragraph | Bullets | Heading | Quote | Table | Figure


@dataclass(frozen=True, eq=False)
class Section:
    """One section of the report, as data.

    ``status``: ``"ok"``, ``"warn"`` (worth a look), ``"fail"`` (a check failed), or
    ``"info"``. ``appendix`` sections go last.
    """

    id: str
    title: str
    blocks: tuple[Block, ...] = ()
    status: Status = "info"
    appendix: bool = False

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    @property
    def figures(self) -> list[Figure]:
        return [b for b in self.blocks if isinstance(b, Figure)]

    @property
    def paragraphs(self) -> list[str]:
        """Every plain text of the section (paragraphs, list items, headings, quotes)."""
        out = []
        for b in self.blocks:
            if isinstance(b, Bullets):
                out.extend(b.items)
            elif isinstance(b, (Paragraph, Heading, Quote)):
                out.append(b.text)
        return out


@dataclass(frozen=True)
class Header:
    """The top of the report: lens, key settings, versions, the run record."""

    lens: str
    lens_summary: str
    key: tuple[tuple[str, str], ...]
    versions: tuple[tuple[str, str], ...]
    record: tuple[tuple[str, str], ...]
    generated: str
    hedgecast_version: str
    spec_description: str
    notes: tuple[str, ...] = ()  # shown under the lens: e.g. that the posterior is a reweighting


@dataclass(frozen=True)
class Verdict:
    """The banner: did the fit pass its sampler diagnostics?"""

    passed: bool
    problems: tuple[str, ...]
    n_samples: int


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything the renderer needs: title, banner, header and the sections in order."""

    title: str
    verdict: Verdict
    header: Header
    sections: tuple[Section, ...]

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.sections]

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)


@dataclass(frozen=True)
class ReportConfig:
    """How the report is made.

    Attributes
    ----------
    title : str
        The report's title.
    headline_years : tuple of int
        Years of the headline table (those in the forecast).
    reference : str
        Reference scenario of differences and indicator fans (when forecast).
    figure_dpi : int
        Resolution of the embedded PNGs.
    report_name : str
        File name under ``reports/`` when no path is given.

    """

    title: str = "Türkiye–Russia relations 2026–2035: scenario report"
    headline_years: tuple[int, ...] | None = None  # None: the spec's headline years
    reference: str = "status_quo"
    figure_dpi: int = 100
    report_name: str = "turkiye-russia.html"
