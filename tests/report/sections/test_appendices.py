"""The scenario appendix states each scenario's interventions in the same words as ``hedgecast scenarios``."""

from __future__ import annotations

from hedgecast.forecasting.scenario_words import intervention_lines
from hedgecast.report.contracts import Bullets, Paragraph
from hedgecast.report.sections.appendices import scenarios_section


def test_the_scenario_appendix_uses_the_one_wording(mock_fit, spec, baseline):
    fc = mock_fit.forecast(scenarios=["status_quo", "new_low", "russia_internal_shock"])
    section = scenarios_section(spec, fc, baseline)
    bullets = [b.items for b in section.blocks if isinstance(b, Bullets)]
    assert len(bullets) == len(spec.scenarios)
    for name in ("new_low", "eu_ends_russian_gas", "sanctions_relief"):
        assert tuple(intervention_lines(spec, name, baseline)) in bullets
    texts = [b.text for b in section.blocks if isinstance(b, Paragraph)]
    assert any("(hypothetical: no source anticipates it)" in t for t in texts)
