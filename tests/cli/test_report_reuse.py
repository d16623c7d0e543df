"""`hedgecast report` fits only what changed: unchanged lenses are reused from saved runs, an edited one is refitted."""

from __future__ import annotations

import re
from pathlib import Path

from cli_helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
ARGS = ("report", "--lens", "baseline", "--lens", "kusa_2022", "--draws", "20", "--chains", "2", "--tune", "0")


def invoke(monkeypatch, capsys, *args) -> tuple[int, str]:
    code, out, err = run_cli(monkeypatch, capsys, args)
    return code, out + err


def test_unchanged_inputs_reuse_every_fit_and_an_edited_lens_refits_only_itself(project, mock_fits_and_reports, monkeypatch, capsys):
    code, out = invoke(monkeypatch, capsys, "--root", str(project), *ARGS)
    assert code == 0, out
    # the baseline lens is also fitted to the strict and the loose incidents, for the crisis model section
    assert mock_fits_and_reports["fitted"] == ["baseline", "kusa_2022", "baseline/strict", "baseline/loose"]
    assert mock_fits_and_reports["manifests"][-1]["fits"] == {
        "baseline": "fitted",
        "kusa_2022": "fitted",
        "baseline (strict incidents)": "fitted",
        "baseline (loose incidents)": "fitted",
    }
    assert mock_fits_and_reports["inclusion_fits"][-1] == ["strict", "loose"]
    runs = sorted(p.name for p in (project / "runs").iterdir())
    assert len(runs) == 4  # every fit saved, so every fit can be reused

    code, out = invoke(monkeypatch, capsys, "--root", str(project), *ARGS)
    assert code == 0, out
    assert mock_fits_and_reports["fitted"] == ["baseline", "kusa_2022", "baseline/strict", "baseline/loose"]  # nothing refitted
    fits = mock_fits_and_reports["manifests"][-1]["fits"]
    assert len(fits) == 4 and all(v.startswith("reused run ") for v in fits.values())
    assert "Reused" in out and len(list((project / "runs").iterdir())) == 4

    lens = project / "models" / "lenses" / "kusa_2022.toml"
    text = lens.read_text(encoding="utf-8")
    edited, n = re.subn(
        r"(\[priors\.cushion\][^\[]*?\n(?:alpha|mu|sigma|beta) = )([0-9.]+)",
        lambda m: m.group(1) + str(float(m.group(2)) * 1.5),
        text,
        count=1,
    )
    assert n == 1, "the kusa lens has a cushion prior to edit"
    lens.write_text(edited, encoding="utf-8")
    code, out = invoke(monkeypatch, capsys, "--root", str(project), *ARGS)
    assert code == 0, out
    assert mock_fits_and_reports["fitted"][4:] == ["kusa_2022"]
    fits = mock_fits_and_reports["manifests"][-1]["fits"]
    assert fits["baseline"].startswith("reused run ") and fits["kusa_2022"] == "fitted"
    assert fits["baseline (loose incidents)"].startswith("reused run ")

    code, out = invoke(monkeypatch, capsys, "--root", str(project), *ARGS, "--refit")
    assert code == 0, out
    assert mock_fits_and_reports["fitted"][-4:] == ["baseline", "kusa_2022", "baseline/strict", "baseline/loose"]
