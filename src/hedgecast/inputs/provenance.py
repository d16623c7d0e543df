"""Where a prior, scenario or data value came from, and checking that it says so truthfully."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hedgecast.errors import Problem

SEED_FILE = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")
PROVENANCE_KEYS = ("source", "quote", "reason")
_SEEDISH = re.compile(r"(^\d{3}_)|(\.txt$)")


@dataclass(frozen=True)
class Provenance:
    """A seed paper and a verbatim quote from it, or a stated reason (or both).

    Parameters
    ----------
    source : str
        A seed file name (``001_19e99d834b398c11.txt``) or a named public source.
    quote : str
        A verbatim passage of ``source`` when it is a seed file.
    reason : str
        The analyst's reasoning, when no paper is quoted.

    """

    source: str = ""
    quote: str = ""
    reason: str = ""

    @property
    def cites_seed(self) -> bool:
        """True when the source is one of the seed papers."""
        return bool(SEED_FILE.match(self.source))

    def problems(self) -> list[tuple[str, str]]:
        """Return ``(field, message)`` pairs for anything missing or inconsistent."""
        out = []
        source, quote, reason = self.source.strip(), self.quote.strip(), self.reason.strip()
        if quote and not source:
            out.append(("source", "has a quote but no source: name the seed paper it comes from"))
        elif not (source or reason):
            out.append(("source", "missing provenance: give source + quote (a seed paper and a verbatim passage), or a reason"))
        if self.cites_seed and not quote:
            out.append(("quote", f"cites {self.source} but gives no verbatim quote"))
        if not self.cites_seed and _SEEDISH.search(source):
            out.append(
                ("source", f"'{source}' looks like a seed file name but is not one; write it exactly, e.g. 001_19e99d834b398c11.txt")
            )
        return out

    def to_dict(self) -> dict[str, str]:
        """Return the non-empty fields, in file order."""
        return {k: v for k, v in (("source", self.source), ("quote", self.quote), ("reason", self.reason)) if v}

    @classmethod
    def from_table(cls, data: dict) -> tuple[Provenance, list[tuple[str, str]]]:
        """Build from a spec or lens table and say what is wrong with it.

        Returns the provenance and ``(field, message)`` pairs: a ``source``/``quote``/
        ``reason`` that is not text, plus everything :meth:`problems` finds.
        """
        out = []
        clean = {}
        for key in PROVENANCE_KEYS:
            value = data.get(key, "")
            if isinstance(value, str):
                clean[key] = value
            else:
                out.append((key, f"must be text in quotes, got {value!r}"))
                clean[key] = ""
        prov = cls(**clean)
        if not out:
            out += prov.problems()
        return prov, out

    @classmethod
    def from_dict(cls, data: dict) -> Provenance:
        """Build from the ``source``/``quote``/``reason`` keys of ``data`` (others ignored)."""
        return cls(
            source=str(data.get("source", "")),
            quote=str(data.get("quote", "")),
            reason=str(data.get("reason", "")),
        )

    def __str__(self) -> str:
        if self.cites_seed:
            return f"{self.source}: “{self.quote}”"
        return self.reason or self.source


def normalise_whitespace(text: str) -> str:
    """Collapse runs of whitespace to one space (line breaks in the papers are layout)."""
    return re.sub(r"\s+", " ", text).strip()


@cache
def _seed_text(path: Path) -> str:
    return normalise_whitespace(path.read_text(encoding="utf-8"))


def quote_found(provenance: Provenance, seeds_dir: Path) -> bool | None:
    """Whether the quote is verbatim in its seed file; None when it cannot be checked.

    Only whitespace is normalised, nothing else (quotes, dashes and case must match).
    """
    if not provenance.cites_seed:
        return None
    path = seeds_dir / provenance.source
    if not path.exists():
        return None
    return normalise_whitespace(provenance.quote) in _seed_text(path)


def quote_problems(data: object, file: str, seeds_dir: Path) -> list[Problem]:
    """Every seed quote in a parsed spec or lens file that is not verbatim in its paper.

    Walks the whole file: any table with a seed-file ``source`` and a ``quote`` is
    checked, and each problem names the table's dotted field. Nothing is reported
    when ``seeds_dir`` does not exist (the papers are not available to check against).
    """
    out: list[Problem] = []
    if not seeds_dir.is_dir():
        return out

    def walk(node: object, field: str) -> None:
        if isinstance(node, list):
            for n, item in enumerate(node):
                walk(item, f"{field}[{n}]")
            return
        if not isinstance(node, dict):
            return
        source, quote = node.get("source"), node.get("quote")
        if isinstance(source, str) and isinstance(quote, str) and quote.strip() and SEED_FILE.match(source):
            where = f"{field}.quote" if field else "quote"
            path = seeds_dir / source
            if not path.is_file():
                out.append(Problem(file, f"{field}.source" if field else "source", f"seed file {source} not found in {seeds_dir}"))
            else:
                try:
                    found = normalise_whitespace(quote) in _seed_text(path)
                except (OSError, UnicodeDecodeError) as err:
                    out.append(Problem(file, where, f"cannot read seed file {source}: {err}"))
                else:
                    if not found:
                        shown = quote if len(quote) <= 80 else quote[:77] + "..."
                        out.append(Problem(file, where, f"quote not found verbatim in {source}: '{shown}' (only whitespace may differ)"))
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                walk(value, f"{field}.{key}" if field else str(key))

    walk(data, "")
    return out
