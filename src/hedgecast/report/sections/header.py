"""The top of the report: the diagnostics verdict (banner) and the header (lens, settings, versions, run record)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from hedgecast.report.contracts import FitLike, Header, Verdict
from hedgecast.report.sections.common import n_paths


def verdict(fit: FitLike) -> Verdict:
    """The red banner (failed diagnostics, each problem named) or the green note."""
    d = fit.diagnostics
    return Verdict(passed=bool(d.passed), problems=tuple(d.problems), n_samples=d.n_samples)


def _flatten(info: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    rows = []
    for key, value in info.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            rows += _flatten(value, name + ".")
        elif isinstance(value, (list, tuple)):
            rows.append((name, ", ".join(str(v) for v in value)))
        else:
            rows.append((name, str(value)))
    return rows


def header(fit: FitLike, forecast: Any, run_info: Mapping[str, Any] | None, versions: Mapping[str, str]) -> Header:
    """Lens, sampler settings, versions and hashes, and how the report was made.

    ``versions``: the installed versions of the packages the numbers depend on (the run
    record's own ``versions`` win when it has them).
    """
    from hedgecast import __version__

    info = dict(run_info or {})
    s = fit.settings
    key = [
        ("Lens", fit.lens.name),
        ("Seed (sampler / forecast)", f"{s.seed} / {forecast.data.attrs.get('seed', s.seed)}"),
        ("Sampler", f"{s.sampler}: {s.chains} chains × {s.draws} draws after {s.tune} tuning steps (target accept {s.target_accept}{', low-rank mass matrix' if s.sampler == 'nutpie' and s.low_rank else ''})"),
        ("Forecast paths per scenario", f"{n_paths(forecast):,}"),
        ("History fitted", f"{fit.inputs.years[0]}–{fit.inputs.years[-1]}"),
        ("Model spec", f"{fit.spec.name} v{fit.spec.version}, sha256 {fit.spec.sha256[:12]}"),
        ("Lens fingerprint", fit.lens.fingerprint()[:12]),
    ]
    if info.get("id"):
        key.insert(0, ("Run", str(info["id"])))
    if info.get("fits"):  # which lenses this report fitted and which it reused from saved runs
        key.append(("Fits", "; ".join(f"{name}: {how}" for name, how in info["fits"].items())))
    versions = info.get("versions") or versions
    record = _flatten({k: v for k, v in info.items() if k not in ("diagnostics", "headline", "versions")})
    created = str(info.get("created") or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    return Header(
        lens=fit.lens.name,
        lens_summary=fit.lens.summary,
        key=tuple(key),
        versions=tuple(sorted(versions.items())),
        record=tuple(record),
        generated=created,
        hedgecast_version=str(info.get("hedgecast", __version__)),
        spec_description=fit.spec.description,
        notes=(fit.reweighting.summary,) if fit.reweighting is not None else (),
    )
