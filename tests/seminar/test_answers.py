"""Checking a participant's answer (one message naming the field) and the prior it becomes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from hedgecast.errors import HedgecastError
from hedgecast.priors.elicit import from_interval
from hedgecast.seminar.answers import MASS, MAX_JUSTIFICATION, Answer, SeminarInputError, answer_prior, check_answer
from hedgecast.seminar.wording import Wording, from_model_scale, to_model_scale

EFFECT = Wording("an effect", "How big?", "sd", "bigger is more", "identity")
RATE = Wording("a rate", "How many a year?", "incidents per year", "more", "log")
PERCENT = Wording("a chance", "What chance?", "%", "likelier", "logit%")


@pytest.mark.parametrize(
    ("answer", "wording", "field", "words"),
    [
        (Answer("a", float("nan"), 0, 1), EFFECT, "a.most_likely", "NaN"),
        (Answer("a", 0.5, float("-inf"), 1), EFFECT, "a.low", "finite"),
        (Answer("a", 0.5, 0, float("inf")), EFFECT, "a.high", "finite"),
        (Answer("a", 0.5, "x", 1), EFFECT, "a.low", "number"),
        (Answer("a", True, 0, 1), EFFECT, "a.most_likely", "number"),
        (Answer("a", 0.5, 1, 0), EFFECT, "a.high", "low end is above"),
        (Answer("a", 0.5, 0.5, 0.5), EFFECT, "a.high", "no width"),
        (Answer("a", 2.0, 0, 1), EFFECT, "a.most_likely", "inside your range"),
        (Answer("a", 0.5, 0, 2e6), EFFECT, "a.high", "far outside"),
        (Answer("a", 1.0, -1.0, 2.0), RATE, "a.low", "above 0"),
        (Answer("a", 50, 10, 120), PERCENT, "a.high", "between 0 and 100"),
        (Answer("a", 50, 0, 90), PERCENT, "a.low", "between 0 and 100"),
        (Answer("a", 0.5, 0, 1, "x" * (MAX_JUSTIFICATION + 1)), EFFECT, "a.justification", "at most"),
        (Answer("a", 0.5, 0, 1, None), EFFECT, "a.justification", "text"),
    ],
)
def test_bad_answers_name_their_field(answer, wording, field, words):
    with pytest.raises(SeminarInputError) as err:
        check_answer(answer, wording)
    assert err.value.field == field
    assert words in err.value.message
    assert isinstance(err.value, HedgecastError) and field in str(err.value)


def test_a_good_answer_comes_back_as_floats():
    a = check_answer(Answer("a", "0.5", 0, 1, "because"), EFFECT)
    assert a == Answer("a", 0.5, 0.0, 1.0, "because")


@pytest.mark.parametrize("transform", ["identity", "log", "logit%"])
def test_transforms_round_trip(transform):
    x = np.array([0.3, 2.0, 55.0])
    assert np.allclose(from_model_scale(to_model_scale(x, transform), transform), x)


@pytest.mark.parametrize(("ml", "lo", "hi"), [(0.3, -0.5, 0.8), (0.0, -1.0, 1.0), (1.0, 0.9, 3.0)])
def test_normal_answer_has_its_mode_and_90_percent_in_range(ml, lo, hi):
    p = answer_prior(check_answer(Answer("a", ml, lo, hi), EFFECT), EFFECT, "Normal")
    mu, sigma = p.parameters["mu"], p.parameters["sigma"]
    assert mu == pytest.approx(ml)
    assert stats.norm.cdf(hi, mu, sigma) - stats.norm.cdf(lo, mu, sigma) == pytest.approx(MASS, abs=1e-10)


def test_a_centred_range_is_the_equal_tail_interval():
    p = answer_prior(Answer("a", 0.25, -0.5, 1.0), EFFECT, "Normal")
    q = from_interval(-0.5, 1.0, MASS, "Normal").prior
    assert p.parameters["mu"] == pytest.approx(q.parameters["mu"])
    assert p.parameters["sigma"] == pytest.approx(q.parameters["sigma"])


def test_a_rate_answer_is_a_prior_on_the_log_rate():
    p = answer_prior(Answer("a", 0.5, 0.1, 2.0), RATE, "Normal")
    assert p.parameters["mu"] == pytest.approx(math.log(0.5))
    mu, s = p.parameters["mu"], p.parameters["sigma"]
    inside = stats.norm.cdf(math.log(2.0), mu, s) - stats.norm.cdf(math.log(0.1), mu, s)
    assert inside == pytest.approx(MASS, abs=1e-10)


def test_student_t_keeps_its_degrees_of_freedom():
    from pymc_extras.prior import Prior

    p = answer_prior(Answer("a", 0.2, -0.3, 1.5), EFFECT, "StudentT", Prior("StudentT", nu=5.0, mu=0.0, sigma=1.0))
    assert p.parameters["nu"] == 5.0
    d = stats.t(5.0, p.parameters["mu"], p.parameters["sigma"])
    assert d.cdf(1.5) - d.cdf(-0.3) == pytest.approx(MASS, abs=1e-9)


def test_off_centre_normal_matches_preliz_maxent_with_the_location_fixed():
    """The fast solve is PreliZ's maximum-entropy Normal with mu held at the most likely value."""
    from hedgecast.priors.elicit import from_maxent

    p = answer_prior(Answer("a", 0.3, -0.5, 0.8), EFFECT, "Normal")
    q = from_maxent(-0.5, 0.8, MASS, "Normal", fixed={"mu": 0.3}).prior
    assert p.parameters["sigma"] == pytest.approx(q.parameters["sigma"], rel=1e-4)


def test_unsupported_family_is_a_form_error():
    with pytest.raises(SeminarInputError) as err:
        answer_prior(Answer("a", 0.5, 0, 1), EFFECT, "Dirichlet")
    assert err.value.field == "a"
