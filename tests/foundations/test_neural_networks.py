"""The hand-written NumPy MLP against torch autograd (shared weights) and central finite differences."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from mlatlas.foundations import neural_networks as nn_
from mlatlas.verification import verifies

TOL = 1e-10  # float64: forward and backward agree with autograd to rounding error
FD_TOL = 1e-7  # central differences with h = 1e-6 carry O(h^2) truncation + O(eps/h) rounding error
TORCH_ACT = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "linear": lambda z: z,
}


def torch_loss(params, x, y, activation, loss, l2):
    """The same network written with torch ops; autograd does the backward pass."""
    tparams = [
        (
            torch.tensor(W, dtype=torch.float64, requires_grad=True),
            torch.tensor(b, dtype=torch.float64, requires_grad=True),
        )
        for W, b in params
    ]
    a = torch.tensor(x, dtype=torch.float64)
    for l, (W, b) in enumerate(tparams):
        z = a @ W + b
        a = TORCH_ACT[activation](z) if l < len(tparams) - 1 else z
    if loss == "bce":
        target = torch.tensor(y, dtype=torch.float64).reshape(-1, 1)
        value = torch.nn.functional.binary_cross_entropy_with_logits(a, target)
    else:
        value = torch.nn.functional.cross_entropy(a, torch.tensor(y, dtype=torch.long))
    value = value + 0.5 * l2 * sum((W * W).sum() for W, _ in tparams)
    value.backward()
    return value, a, tparams


def problem(loss, activation, seed=0, B=7, sizes=(3, 5, 4)):
    rng = np.random.default_rng(seed)
    K = 1 if loss == "bce" else 3
    params = nn_.init_mlp([*sizes, K], rng, activation)
    # non-zero biases so that their gradients are exercised by the forward pass too
    params = [(W, 0.1 * rng.standard_normal(b.shape)) for W, b in params]
    x = rng.standard_normal((B, sizes[0]))
    y = rng.integers(0, 2 if loss == "bce" else K, size=B)
    return params, x, y


@pytest.mark.parametrize("activation", nn_.ACTIVATIONS)
@pytest.mark.parametrize("loss", nn_.LOSSES)
@verifies(
    "neural-networks",
    against="torch autograd",
    tol=TOL,
    note="float64; forward, loss and every gradient, 4 activations x 2 losses, with L2",
)
def test_forward_and_backward_match_torch_autograd(activation, loss):
    params, x, y = problem(loss, activation)
    ours = nn_.loss_and_gradients(params, x, y, activation=activation, loss=loss, l2=0.03)
    ref_loss, ref_logits, tparams = torch_loss(params, x, y, activation, loss, l2=0.03)

    logits = nn_.forward(params, x, activation).logits
    np.testing.assert_allclose(logits, ref_logits.detach().numpy(), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(ours.loss, ref_loss.item(), rtol=TOL, atol=TOL)
    for (dW, db), (W, b) in zip(ours.grads, tparams):
        np.testing.assert_allclose(dW, W.grad.numpy(), rtol=TOL, atol=TOL)
        np.testing.assert_allclose(db, b.grad.numpy(), rtol=TOL, atol=TOL)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("loss", nn_.LOSSES)
@verifies(
    "neural-networks",
    against="finite differences",
    tol=FD_TOL,
    note="float64 central differences, h = 1e-6, every parameter",
)
def test_gradients_match_central_finite_differences(activation, loss):
    params, x, y = problem(loss, activation, seed=1)
    grads = nn_.loss_and_gradients(params, x, y, activation=activation, loss=loss, l2=0.01).grads
    h = 1e-6

    def f(p):
        return nn_.loss_and_gradients(p, x, y, activation=activation, loss=loss, l2=0.01).loss

    for l, (W, b) in enumerate(params):
        for which, array in ((0, W), (1, b)):
            numeric = np.zeros_like(array)
            for idx in np.ndindex(array.shape):
                plus = [(w.copy(), c.copy()) for w, c in params]
                minus = [(w.copy(), c.copy()) for w, c in params]
                plus[l][which][idx] += h
                minus[l][which][idx] -= h
                numeric[idx] = (f(plus) - f(minus)) / (2 * h)
            np.testing.assert_allclose(grads[l][which], numeric, rtol=FD_TOL, atol=FD_TOL)
            # FD_TOL is a safety margin: the page says the worst gap observed stays below 1e-9 (~3e-10)
            assert np.max(np.abs(grads[l][which] - numeric)) < 1e-9


def test_sgd_step_matches_torch_optim_sgd():
    params, x, y = problem("softmax", "tanh", seed=2)
    lr = 0.3
    for _ in range(5):
        grads = nn_.loss_and_gradients(params, x, y, activation="tanh", loss="softmax").grads
        _, _, tparams = torch_loss(params, x, y, "tanh", "softmax", l2=0.0)
        opt = torch.optim.SGD([t for pair in tparams for t in pair], lr=lr)
        opt.step()
        params = nn_.sgd_step(params, grads, lr)
        for (W, b), (tW, tb) in zip(params, tparams):
            np.testing.assert_allclose(W, tW.detach().numpy(), rtol=TOL, atol=TOL)
            np.testing.assert_allclose(b, tb.detach().numpy(), rtol=TOL, atol=TOL)


def test_init_is_deterministic_and_scaled():
    a = nn_.init_mlp([2, 8, 1], np.random.default_rng(3), "relu")
    b = nn_.init_mlp([2, 8, 1], np.random.default_rng(3), "relu")
    for (Wa, ba), (Wb, bb) in zip(a, b):
        np.testing.assert_array_equal(Wa, Wb)
        np.testing.assert_array_equal(ba, bb)
    # documented recipe: W = gain * standard_normal((fan_in, fan_out)) / sqrt(fan_in)
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(a[0][0], np.sqrt(2.0) * rng.standard_normal((2, 8)) / np.sqrt(2))
    big = nn_.init_mlp([400, 400], np.random.default_rng(4), "tanh")[0][0]
    assert abs(big.var() * 400 - 1.0) < 0.02  # Var[W] = 1 / fan_in


def test_sigmoid_is_stable_and_symmetric():
    z = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    s = nn_.sigmoid(z)
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s + nn_.sigmoid(-z), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(s, torch.sigmoid(torch.tensor(z)).numpy(), rtol=TOL, atol=0)


def test_bce_is_finite_for_confident_wrong_logits():
    loss, dlogits, _ = nn_.bce_loss(np.array([[800.0], [-800.0]]), np.array([0, 1]))
    np.testing.assert_allclose(loss, 800.0, rtol=TOL)
    np.testing.assert_allclose(dlogits, [[0.5], [-0.5]], rtol=TOL)
    # the literal log(1 + e^z) would not survive: e^z overflows float64 past z = log(max) = 709.78
    assert round(float(np.log(np.finfo(np.float64).max)), 2) == 709.78
    with np.errstate(over="ignore"):
        assert np.isinf(np.exp(800.0))


def test_training_solves_moons():
    rng = np.random.default_rng(0)
    x, y = nn_.make_dataset("moons", 100, rng, noise=0.1)
    params = nn_.init_mlp([2, 8, 1], rng, "tanh")
    result = nn_.train(params, x, y, steps=600, lr=0.5)
    assert result.losses[-1] < 0.1 * result.losses[0]
    assert result.accuracies[-1] >= 0.95
    assert np.mean(nn_.predict(result.params, x) == y) >= 0.95


@pytest.mark.parametrize("name", nn_.DATASETS)
def test_datasets_shapes_and_balance(name):
    x, y = nn_.make_dataset(name, 50, np.random.default_rng(0))
    assert x.shape == (50, 2) and y.shape == (50,) and x.dtype == np.float64
    assert set(np.unique(y)) <= {0, 1} and 0 < y.sum() < 50


def test_bad_input_is_rejected_with_a_clear_message():
    rng = np.random.default_rng(0)
    params = nn_.init_mlp([2, 3, 1], rng)
    with pytest.raises(ValueError, match="unknown activation"):
        nn_.init_mlp([2, 1], rng, "gelu")
    with pytest.raises(ValueError, match="at least an input and an output"):
        nn_.init_mlp([2], rng)
    with pytest.raises(ValueError, match="3 features per row but the first layer expects 2"):
        nn_.forward(params, np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"shape \(B, F\)"):
        nn_.forward(params, np.zeros(2))
    with pytest.raises(ValueError, match="bce labels must be 0 or 1"):
        nn_.loss_and_gradients(params, np.zeros((2, 2)), np.array([0, 2]))
    with pytest.raises(ValueError, match="integers in"):
        nn_.loss_and_gradients(nn_.init_mlp([2, 3], rng), np.zeros((2, 2)), np.array([0, 3]), loss="softmax")
    with pytest.raises(ValueError, match="unknown loss"):
        nn_.loss_and_gradients(params, np.zeros((2, 2)), np.array([0, 1]), loss="mse")
    with pytest.raises(ValueError, match="learning rate must be > 0"):
        nn_.sgd_step(params, params, lr=0.0)
    with pytest.raises(ValueError, match="unknown dataset"):
        nn_.make_dataset("swiss", 10, rng)


def test_demo_prints_progress(capsys):
    result = nn_.demo(steps=50)
    out = capsys.readouterr().out
    assert "test accuracy" in out and len(result.losses) == 50


def test_figures_return_figures():
    from mlatlas.foundations.figures import neural_networks as figs

    assert isinstance(figs.decision_boundary(), Figure)
