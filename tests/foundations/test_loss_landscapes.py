"""Loss-landscape slices checked by exact identities on a quadratic and a ReLU rescaling symmetry."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from mlatlas.foundations import loss_landscapes as ll
from mlatlas.foundations import neural_networks as nn_
from mlatlas.verification import verifies

TOL = 1e-12  # float64

SHAPES = [(3, 4), (4, 2)]


def params_like(rng, scale=1.0):
    return [(scale * rng.standard_normal(s), scale * rng.standard_normal(s[1])) for s in SHAPES]


def quadratic(seed):
    """L(theta) = 1/2 (theta - theta*)^T H (theta - theta*) + c over the flattened parameters."""
    rng = np.random.default_rng(seed)
    template = params_like(rng)
    n = ll.flatten(template).size
    A = rng.standard_normal((n, n))
    H = A @ A.T / n + 0.1 * np.eye(n)
    theta_star = rng.standard_normal(n)
    c = 0.7

    def loss(p):
        e = ll.flatten(p) - theta_star
        return 0.5 * e @ H @ e + c

    return loss, H, theta_star, c, template, rng


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31))
@verifies(
    "loss-landscapes",
    against="identities on a quadratic",
    tol=TOL,
    note="float64; 1-D path is the exact parabola L(a) + alpha g.d + alpha^2 d.H.d / 2 (Hypothesis)",
)
def test_linear_path_on_a_quadratic_is_the_exact_parabola(seed):
    loss, H, theta_star, _, _, rng = quadratic(seed % 1000)
    a, b = params_like(rng), params_like(rng)
    alphas = np.linspace(-0.5, 1.5, 9)
    curve = ll.linear_path(loss, a, b, alphas)
    d = ll.flatten(b) - ll.flatten(a)
    g = H @ (ll.flatten(a) - theta_star)  # gradient at a
    expected = loss(a) + alphas * (g @ d) + 0.5 * alphas**2 * (d @ H @ d)
    np.testing.assert_allclose(curve.losses, expected, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(curve.losses[[2, 6]], [loss(a), loss(b)], rtol=TOL)  # alpha = 0 and 1


@verifies(
    "loss-landscapes",
    against="identities on a quadratic",
    tol=TOL,
    note="float64; 2-D slice at the minimum is the quadratic form of D^T H D",
)
def test_2d_slice_at_the_minimum_is_the_projected_hessian_form():
    loss, H, theta_star, c, template, rng = quadratic(1)
    center = ll.unflatten(theta_star, template)
    d1, d2 = ll.random_direction(center, rng), ll.random_direction(center, rng)
    alphas, betas = np.linspace(-1, 1, 5), np.linspace(-2, 2, 7)
    surface = ll.slice_2d(loss, center, d1, d2, alphas, betas)
    assert surface.losses.shape == (7, 5)
    D = np.stack([ll.flatten(d1), ll.flatten(d2)], axis=1)  # (n, 2)
    M = D.T @ H @ D  # the Hessian seen through the plane
    A, B = np.meshgrid(alphas, betas)
    expected = c + 0.5 * (M[0, 0] * A**2 + 2 * M[0, 1] * A * B + M[1, 1] * B**2)
    np.testing.assert_allclose(surface.losses, expected, rtol=TOL, atol=TOL)
    assert surface.losses.min() == pytest.approx(c, rel=TOL)  # the minimum is at the centre


def test_filter_normalised_directions_have_the_filter_norms():
    rng = np.random.default_rng(2)
    params = params_like(rng, scale=3.0)
    d = ll.filter_normalize(ll.random_direction(params, rng), params)
    for (dW, db), (W, _) in zip(d, params):
        np.testing.assert_allclose(np.linalg.norm(dW, axis=0), np.linalg.norm(W, axis=0), rtol=TOL)
        np.testing.assert_array_equal(db, 0.0)


@verifies(
    "loss-landscapes",
    against="identities on a quadratic",
    tol=TOL,
    note="and: filter-normalised slices are invariant to ReLU rescaling (float64)",
)
def test_filter_normalisation_makes_slices_invariant_to_relu_rescaling():
    rng = np.random.default_rng(3)
    x, y = nn_.make_dataset("moons", 60, rng)
    params = nn_.init_mlp([2, 8, 1], rng, "relu")
    params = [(W, 0.1 * rng.standard_normal(b.shape)) for W, b in params]
    c = 5.0  # scale layer 1 (weights and bias) up by c and layer 2's weights down: same function
    rescaled = [(c * params[0][0], c * params[0][1]), (params[1][0] / c, params[1][1])]

    def loss(p):
        return nn_.loss_and_gradients(p, x, y, activation="relu").loss

    np.testing.assert_allclose(loss(rescaled), loss(params), rtol=TOL)
    raw1, raw2 = ll.random_direction(params, rng), ll.random_direction(params, rng)
    grid = np.linspace(-1, 1, 5)
    normalised = [
        ll.slice_2d(loss, p, ll.filter_normalize(raw1, p), ll.filter_normalize(raw2, p), grid, grid)
        for p in (params, rescaled)
    ]
    np.testing.assert_allclose(normalised[0].losses, normalised[1].losses, rtol=TOL, atol=TOL)
    # without filter normalisation the same raw directions give a different picture
    raw = [ll.slice_2d(loss, p, raw1, raw2, grid, grid) for p in (params, rescaled)]
    assert np.max(np.abs(raw[0].losses - raw[1].losses)) > 0.1


def test_flatten_round_trip_and_combine():
    rng = np.random.default_rng(4)
    p = params_like(rng)
    back = ll.unflatten(ll.flatten(p), p)
    for (W, b), (W2, b2) in zip(p, back):
        np.testing.assert_array_equal(W, W2)
        np.testing.assert_array_equal(b, b2)
    q = params_like(rng)
    mid = ll.combine(p, [ll.difference(p, q)], [0.5])
    np.testing.assert_allclose(ll.flatten(mid), 0.5 * (ll.flatten(p) + ll.flatten(q)), rtol=TOL)


def test_bad_input_is_rejected():
    rng = np.random.default_rng(5)
    p = params_like(rng)
    other = [(rng.standard_normal((3, 5)), rng.standard_normal(5))]
    with pytest.raises(ValueError, match="same layers and shapes"):
        ll.difference(p, other)
    with pytest.raises(ValueError, match="same layers and shapes"):
        ll.filter_normalize(other, p)
    with pytest.raises(ValueError, match="hold 26 numbers"):
        ll.unflatten(np.zeros(5), p)


def test_figures_return_figures():
    from mlatlas.foundations.figures import loss_landscapes as figs

    assert isinstance(figs.interpolation_and_slice(), Figure)


def test_the_figures_numbers():
    """The numbers the page and the figure's alt text quote: the line from initialisation (alpha = 0) to
    the trained network (alpha = 1) falls from ~0.68 to ~0.0035 and keeps falling a little past 1
    (no L2 term: nothing stops the weights from growing); the network has 337 parameters."""
    from mlatlas.foundations.figures.loss_landscapes import _trained_moons

    start, trained, loss, _ = _trained_moons()
    alphas = np.linspace(-0.5, 1.5, 81)
    curve = ll.linear_path(loss, start, trained, alphas)
    assert round(curve.losses[20], 2) == 0.68 and alphas[20] == 0.0
    assert round(curve.losses[60], 4) == 0.0035 and alphas[60] == 1.0
    assert 1.0 < alphas[np.argmin(curve.losses)] < 1.5
    assert ll.flatten(trained).size == 337


def test_the_figures_network_separates_the_data_and_sits_at_the_bottom_of_its_slice():
    """loss-landscapes.md: the trained network classifies every training point correctly (why the loss
    keeps falling past alpha = 1 without L2), and the right panel's deepest point is the trained network."""
    from mlatlas.foundations.figures.loss_landscapes import _trained_moons

    start, trained, loss, rng = _trained_moons()
    x, y = nn_.make_dataset("moons", 200, np.random.default_rng(0), noise=0.1)  # the figure's data
    probs = np.asarray(nn_.loss_and_gradients(trained, x, y, activation="tanh").probs).ravel()
    assert np.all((probs > 0.5) == (np.asarray(y).ravel() > 0.5))  # 200 of 200 correct
    line = ll.linear_path(loss, start, trained, np.linspace(0.0, 1.0, 41)).losses
    assert np.all(np.diff(line) < 0)  # the caption's "downhill all the way" from alpha = 0 to 1
    d1 = ll.filter_normalize(ll.random_direction(trained, rng), trained)  # the figure's directions
    d2 = ll.filter_normalize(ll.random_direction(trained, rng), trained)
    grid = np.linspace(-1.0, 1.0, 41)
    surface = ll.slice_2d(loss, trained, d1, d2, grid, grid)
    assert np.unravel_index(np.argmin(surface.losses), surface.losses.shape) == (20, 20)  # the centre
