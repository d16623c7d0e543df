"""The stress section from a stress record (the shape of ``StressResult.to_dict()`` / ``reports/stress.json``).

The end-to-end path (run_stress → record → section) is in tests/stress/test_stress.py; this
checks the section alone on a small synthetic record, fast.
"""

from __future__ import annotations

import json

import pandas as pd

from hedgecast.report.contracts import Section, Table
from hedgecast.report.render import render_page
from hedgecast.report.sections.stress import stress_section

R, T = "P(rupture, 2030)", "P(transactional_equilibrium, 2030)"
VERDICTS = {"reached": "reached", "already": "already holds", "none": "none in the plausible range", "undetermined": "undetermined"}


def _tornado(base: float) -> list[dict]:
    return [
        {
            "assumption": f"a{i} <b>",
            "prior": f"a{i}",
            "knob": "location",
            "base": base,
            "p_low": base - 0.05 * i,
            "p_high": None if i == 2 else base + 0.05,
        }
        | {"k_low": 0.2, "k_high": 0.9 if i == 2 else 0.3, "method_low": "reweight", "method_high": "reweight", "reliable_low": True}
        | {"reliable_high": i != 2, "swing": 0.1, "complete": i != 2}
        for i in (1, 2, 3)
    ]


def record() -> dict:
    scen = ["status_quo", "protracted_war"]
    return {
        "lens": "baseline",
        "n_draws": 200,
        "sampler": {"chains": 2, "draws": 100},
        "settings": {"metrics": [R, T], "focus": ["protracted_war"]},
        "k_threshold": 0.7,
        "primary_metric": R,
        "sensitivity_threshold": 0.05,
        "verdicts": VERDICTS,
        "base": [{"scenario": s, "metric": m, "probability": 0.2, "mcse": 0.01} for s in scen for m in (R, T)],
        "latency": {"change": "x: 0 → 1", "reweighted_edit_s": 0.01, "reweighted_edit_warm_s": 0.005, "pareto_k": 0.3, "ess": 150.0},
        "power_scaling": {
            "table": [
                {
                    "parameter": "rho.economic",
                    "prior": 0.08,
                    "likelihood": 0.09,
                    "diagnosis": "prior-data conflict",
                    "dominant_prior": "rho",
                    "dominant_sensitivity": 0.08,
                }
            ],
            "matrix": {"rho": {"rho": 0.08, "beta": None}, "beta": {"rho": 0.01, "beta": 0.2}},
            "headline": [{"prior_group": "rho", "scenario": "status_quo", "metric": R, "dP_dlog2alpha": 0.01, "pareto_k": 0.2}],
        },
        "outcome_sensitivity": {"points": [{"scenario": "status_quo", "metric": R, "reliable": False, "method": "reweight"}]},
        "tornado": {s: {m: _tornado(0.2) for m in (R, T)} for s in scen},
        "sobol": {
            "assumptions": ["a1", "a2"],
            "n_base": 32,
            "n_evaluations": 192,
            "n_unreliable": 3,
            "share_unreliable": 3 / 192,
            "max_pareto_k": 0.9,
            "seconds": 2.0,
            "indices": [
                {"scenario": "protracted_war", "metric": R, "assumption": a, "S1": 0.3, "S1_conf": 0.1, "ST": 0.4, "ST_conf": 0.1}
                for a in ("a1", "a2")
            ],
        },
        "what_would_you_have_to_believe": [
            {
                "target": {"text": "P(rupture by 2030) ≥ 0.30 under protracted_war"},
                "base": 0.2,
                "base_mcse": 0.01,
                "within_noise": False,
                "table": [
                    {
                        "assumption": "a1",
                        "base_value": 0.0,
                        "required_value": 1.5,
                        "shift_text": "+1.5 prior sd",
                        "probability": 0.31,
                        "mcse": 0.02,
                    }
                    | {"pareto_k": 0.4, "method": "reweight", "verdict": "reached", "shift": 1.5, "note": ""},
                    {"assumption": "a2", "base_value": 0.0, "required_value": None, "shift_text": "", "probability": None, "mcse": None}
                    | {"pareto_k": None, "method": "", "verdict": "none in the plausible range", "shift": None, "note": ""},
                ],
            }
        ],
        "pool": {
            "members": [{"name": "baseline", "method": "fit", "pareto_k": None, "ess": 200.0, "message": "this fit"}],
            "weights": [1.0],
            "excluded": [],
            "log_pool": None,
            "table": [{"scenario": s, "metric": m, "baseline": 0.2, "linear pool": 0.2, "log pool": None} for s in scen for m in (R, T)],
        },
        "refits": [
            {
                "changes": {"rho": "Normal(0, 1)"},
                "why": "k̂ > 0.7",
                "refit_s": 12.0,
                "warm": True,
                "diagnostics_passed": True,
                "problems": [],
            }
        ],
        "timings": {"total_s": 30.0},
        "notes": ["Sobol: 3 of 192 evaluations had k̂ > 0.7 <i>"],
    }


def test_stress_section_is_data_and_renders(tmp_path):
    path = tmp_path / "stress.json"
    path.write_text(json.dumps(record()), encoding="utf-8")
    section = stress_section(path)
    assert isinstance(section, Section) and section.id == "stress" and section.title == "Stress test" and section.status == "warn"
    assert len(section.figures) == 2 + 1 + 1  # tornado × metrics, Sobol, power-scaling
    assert all(isinstance(t, Table) and isinstance(t.frame, pd.DataFrame) and not t.frame.empty for t in section.tables)
    text = " ".join(section.paragraphs)
    for words in (
        "Tornado charts",
        "Sobol indices",
        "What would you have to believe?",
        "Pooled forecast across lenses",
        "Prior sensitivity (power-scaling)",
    ):
        assert words in text
    assert "1 of 2 assumptions can reach the target alone" in text
    html = render_page(section)
    assert html.count("<img") == 4 and "<b>" not in html and "<i>" not in html and "a1 &lt;b&gt;" in html
    assert stress_section(record()).paragraphs == section.paragraphs  # the record or its file: the same section
