"""Conditioning, total probability and Bayes' rule: exact enumeration (Fractions) against simulation."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from mlatlas.foundations import probability as pr
from mlatlas.verification import verifies

TOL = 1e-12  # float64 formulas against exact rational enumeration
SIGMAS = 4.0  # Monte Carlo margin: |estimate - exact| <= 4 standard errors (seeded)
MC_TOL = "4 standard errors"

TEST = pr.DiagnosticTest(prevalence=0.01, sensitivity=0.99, specificity=0.95)


def diagnostic_space(prev, sens, spec):
    """The four outcomes (disease?, positive?) with exact probabilities."""
    return {
        (True, True): prev * sens,
        (True, False): prev * (1 - sens),
        (False, True): (1 - prev) * (1 - spec),
        (False, False): (1 - prev) * spec,
    }


@verifies(
    "probability",
    against="exact enumeration",
    tol=TOL,
    note="Bayes, total probability and conditionals vs exact rational sums over outcomes",
)
def test_bayes_matches_exact_enumeration():
    prev, sens, spec = Fraction(1, 100), Fraction(99, 100), Fraction(95, 100)
    space = diagnostic_space(prev, sens, spec)
    exact_ppv = pr.enumerate_probability(space, lambda w: w[0], given=lambda w: w[1])
    assert exact_ppv == Fraction(99, 594) == Fraction(1, 6)  # 0.0099 / (0.0099 + 0.0495)
    np.testing.assert_allclose(pr.positive_predictive_value(TEST), float(exact_ppv), rtol=TOL)
    exact_positive = pr.enumerate_probability(space, lambda w: w[1])
    np.testing.assert_allclose(
        pr.total_probability([0.01, 0.99], [0.99, 0.05]), float(exact_positive), rtol=TOL
    )
    joint = np.array([[float(space[(d, t)]) for t in (True, False)] for d in (True, False)])  # P[D, T]
    cond = pr.conditional(joint)  # P(D | T)
    np.testing.assert_allclose(cond[0, 0], float(exact_ppv), rtol=TOL)
    exact_sick_given_negative = pr.enumerate_probability(space, lambda w: w[0], given=lambda w: not w[1])
    np.testing.assert_allclose(cond[0, 1], float(exact_sick_given_negative), rtol=TOL)


@verifies("probability", against="exact enumeration", tol=TOL, note="two dice, 36 outcomes, Fractions")
def test_two_dice_conditionals_are_exact():
    space = pr.two_dice()
    assert pr.enumerate_probability(space, lambda w: sum(w) == 8) == Fraction(5, 36)
    first_even = lambda w: w[0] % 2 == 0
    assert pr.enumerate_probability(space, lambda w: sum(w) == 8, given=first_even) == Fraction(1, 6)
    # at least one six, given the dice differ: 10 of the 30 outcomes
    assert pr.enumerate_probability(space, lambda w: 6 in w, given=lambda w: w[0] != w[1]) == Fraction(1, 3)
    # independence: P(first even and second even) = P(first even) P(second even)
    both = pr.enumerate_probability(space, lambda w: w[0] % 2 == 0 and w[1] % 2 == 0)
    assert both == Fraction(1, 2) * Fraction(1, 2)


@verifies("probability", against="Monte Carlo", tol=MC_TOL, note="seeded: 200 000 people, 50 000 throws")
def test_simulation_agrees_with_exact_answers():
    rng = np.random.default_rng(0)
    est = pr.simulate_positive_predictive_value(TEST, 200_000, rng)
    exact = pr.positive_predictive_value(TEST)
    assert abs(est.value - exact) <= SIGMAS * est.std_error, (est, exact)
    dice = pr.monte_carlo_probability(
        pr.draw_two_dice, lambda w: sum(w) == 8, 50_000, rng, given=lambda w: w[0] % 2 == 0
    )
    assert abs(dice.value - 1 / 6) <= SIGMAS * dice.std_error, dice
    assert 0.45 * 50_000 < dice.n < 0.55 * 50_000  # about half the throws have an even first die


probability_tables = st.integers(2, 4).flatmap(
    lambda x: st.integers(2, 4).flatmap(
        lambda y: st.lists(st.floats(0.01, 1.0), min_size=x * y, max_size=x * y).map(
            lambda v: (np.array(v) / np.sum(v)).reshape(x, y)
        )
    )
)


@settings(max_examples=25, deadline=None)
@given(probability_tables)
def test_product_rule_and_bayes_are_consistent(joint):
    p_x, p_y = pr.marginal(joint, 0), pr.marginal(joint, 1)
    x_given_y = pr.conditional(joint)  # P(x | y)
    y_given_x = pr.conditional(joint.T)  # P(y | x)
    np.testing.assert_allclose(x_given_y.sum(axis=0), 1.0, rtol=TOL)
    np.testing.assert_allclose(x_given_y * p_y, joint, rtol=TOL, atol=TOL)  # P(x, y) = P(x | y) P(y)
    for y in range(joint.shape[1]):
        # Bayes: P(x | y) from the prior P(x) and the likelihood P(y | x)
        np.testing.assert_allclose(pr.bayes(p_x, y_given_x[y]), x_given_y[:, y], rtol=1e-10, atol=TOL)
        np.testing.assert_allclose(pr.total_probability(p_x, y_given_x[y]), p_y[y], rtol=1e-10)


def test_sequential_updates_equal_one_batch_update():
    prior = np.array([0.01, 0.99])
    likelihoods = np.array([[0.99, 0.05], [0.99, 0.05], [0.01, 0.95]])  # +, +, -
    history = pr.sequential_bayes(prior, likelihoods)
    assert history.shape == (4, 2)
    np.testing.assert_allclose(history[-1], pr.bayes(prior, likelihoods.prod(axis=0)), rtol=TOL)
    np.testing.assert_allclose(history[1, 0], 1 / 6, rtol=TOL)
    np.testing.assert_allclose(history.sum(axis=1), 1.0, rtol=TOL)


def test_conditioning_on_an_impossible_column_gives_nan():
    cond = pr.conditional(np.array([[0.5, 0.0], [0.5, 0.0]]))
    assert np.all(np.isnan(cond[:, 1])) and np.allclose(cond[:, 0], 0.5)


def test_casscells_question_and_this_pages_question():
    # Casscells et al. (1978): prevalence 1/1000, false-positive rate 5% (sensitivity taken as 1) -> ~2%
    question = pr.DiagnosticTest(prevalence=0.001, sensitivity=1.0, specificity=0.95)
    casscells = pr.positive_predictive_value(question)
    np.testing.assert_allclose(casscells, 1 / (1 + 0.999 * 0.05 / 0.001), rtol=TOL)
    assert round(100 * casscells) == 2
    # the page's own question: prevalence 1/100, sensitivity 99%, false-positive rate 5% -> 1/6
    np.testing.assert_allclose(pr.positive_predictive_value(TEST), 1 / 6, rtol=TOL)


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="sum to 1"):
        pr.bayes(np.array([0.5, 0.6]), np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="one probability"):
        pr.bayes(np.array([0.5, 0.5]), np.array([0.1, 1.2]))
    with pytest.raises(ValueError, match="probability 0 under every hypothesis"):
        pr.bayes(np.array([0.5, 0.5]), np.array([0.0, 0.0]))
    with pytest.raises(ValueError, match="sensitivity must be a probability"):
        pr.positive_predictive_value(pr.DiagnosticTest(0.1, 1.5, 0.9))
    with pytest.raises(ValueError, match="conditioning event has probability 0"):
        pr.enumerate_probability(pr.two_dice(), lambda w: True, given=lambda w: sum(w) > 12)
    with pytest.raises(ValueError, match="none of the 10 samples"):
        pr.monte_carlo_probability(
            pr.draw_two_dice, lambda w: True, 10, np.random.default_rng(0), given=lambda w: sum(w) > 12
        )
    with pytest.raises(ValueError, match="axis 0"):
        pr.marginal(np.full((2, 2), 0.25), 2)


def test_figures_return_figures():
    from mlatlas.foundations.figures import probability as figs

    assert isinstance(figs.base_rates(), Figure)
