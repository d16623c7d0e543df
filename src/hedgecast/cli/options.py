"""Checking a command's options before any work: every mistake at once, one message, exit 2.

A command first checks its numbers (:func:`check_counts`), builds its settings, loads the
spec and checks names and years against it (:func:`load_lenses`, :func:`check_scenarios`,
:func:`check_year`), and only then fits: ``hedgecast forecast --year 2100`` fails in a
second, not after minutes of sampling. Problems are collected in a
:class:`~hedgecast.errors.ProblemCollector` and raised together as one
:class:`~hedgecast.errors.HedgecastError`.
"""

from __future__ import annotations

import functools
import inspect
import typing
from dataclasses import field, fields, make_dataclass
from typing import Annotated

import typer

from hedgecast.errors import HedgecastError, ProblemCollector, suggest
from hedgecast.model.fit import SamplerSettings


def options() -> ProblemCollector:
    """Return a collector for the problems of command-line options (they belong to no file)."""
    return ProblemCollector("")


def check_counts(problems: ProblemCollector, minimum: int, **values: int) -> None:
    """Record every option (``--draws`` for ``draws``) below ``minimum``."""
    for name, value in values.items():
        if value < minimum:
            problems.add("", f"--{name.replace('_', '-')} must be at least {minimum} (got {value})")


def check_sampler(problems: ProblemCollector, sampler: str, allowed: tuple[str, ...]) -> None:
    """Record a ``--sampler`` that is not one of ``allowed``."""
    if sampler not in allowed:
        problems.add("", f"unknown sampler {sampler!r}: use {' or '.join(repr(s) for s in allowed)}")


def check_scenarios(problems: ProblemCollector, spec, names: list[str] | None) -> None:
    """Record every ``--scenario`` the spec does not define."""
    for s in names or []:
        if s not in spec.scenarios:
            problems.add("", f"unknown scenario '{s}': {suggest(s, list(spec.scenarios))}")


def check_year(problems: ProblemCollector, spec, year: int | None) -> None:
    """Record a ``--year`` that is not one of the spec's forecast years (None: the spec's headline year)."""
    years = spec.forecast_years
    if year is not None and year not in years:
        problems.add("", f"--year {year} is outside the forecast horizon {years[0]}–{years[-1]}")


def sampler_settings(draws: int, tune: int, chains: int, seed: int) -> SamplerSettings:
    """Return the sampler settings of ``fit``/``forecast``/``report``/``stress``, checked."""
    problems = options()
    check_counts(problems, 1, draws=draws, chains=chains)
    check_counts(problems, 0, tune=tune)
    problems.raise_if_any(HedgecastError)
    return SamplerSettings(draws=draws, tune=tune, chains=chains, seed=seed)


def sampler_options(*, per_fit: bool = False, **defaults: int) -> type:
    """A frozen dataclass of the sampler's Typer options ``draws, tune, chains, seed``, for :func:`shared_options`.

    Defaults are :class:`~hedgecast.model.fit.SamplerSettings`'s unless given in ``defaults``.
    ``per_fit``: for commands that make many fits (``validate``), whose seed is a base seed.
    """
    per = ", per fit" if per_fit else ""
    helps = {
        "draws": f"Posterior draws per chain{per}.",
        "tune": f"Tuning steps per chain{per}.",
        "chains": "Chains per fit." if per_fit else "Chains.",
        "seed": "Base seed; each fit's seed is derived from it and the fit's index."
        if per_fit
        else "Random seed (same spec + data + seed ⇒ same numbers).",
    }
    settings = SamplerSettings()
    options = [(n, Annotated[int, typer.Option(help=h)], field(default=defaults.get(n, getattr(settings, n)))) for n, h in helps.items()]
    return make_dataclass("SamplerOptions", options, frozen=True)


def load_lenses(wb, names: list[str], problems: ProblemCollector | None = None) -> list:
    """Load (and so validate) every lens named before any is fitted; raise with ``problems`` too."""
    problems = options() if problems is None else problems
    lenses = []
    for name in names:
        try:
            lenses.append(wb.lens(name))
        except HedgecastError as err:
            problems.extend(err.problems)
    problems.raise_if_any(HedgecastError)
    return lenses


def shared_options(cls, **defaults):
    """Give a command the options of the dataclass ``cls`` (one definition), as one ``cls`` instance.

    The command takes the instance as its first argument and its own options after it;
    in ``--help`` its own options come first. ``defaults`` override the fields' defaults
    for this command. The fields' annotations are Typer options (``Annotated[int, typer.Option(…)]``).
    """
    hints = typing.get_type_hints(cls, include_extras=True)
    shared = [
        inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, annotation=hints[f.name], default=defaults.get(f.name, f.default))
        for f in fields(cls)
    ]

    def wrap(command):
        own = list(inspect.signature(command, eval_str=True).parameters.values())[1:]

        @functools.wraps(command)
        def with_options(**kwargs):
            return command(cls(**{p.name: kwargs.pop(p.name) for p in shared}), **kwargs)

        with_options.__signature__ = inspect.Signature([p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + shared)
        return with_options

    return wrap


__all__ = [
    "check_counts",
    "check_sampler",
    "check_scenarios",
    "check_year",
    "load_lenses",
    "options",
    "sampler_options",
    "sampler_settings",
    "shared_options",
]
