"""The autodiff engines against torch.autograd and central finite differences, on random graphs."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.deep_learning.autodiff import (
    Array,
    Value,
    cross_entropy,
    demo,
    mlp_loss,
    topological_order,
    unbroadcast,
)
from mlatlas.foundations.neural_networks import init_mlp, loss_and_gradients, make_dataset
from mlatlas.verification import verifies

TOL = 1e-10  # float64, both engines doing the same arithmetic in a different order
FD_TOL = 1e-6  # central differences with h = 1e-6: truncation ~h^2, rounding ~1e-16 / h = 1e-10

# Operations that both our engines and torch tensors spell the same way; the unary ones are composed
# so that every input is in their domain (log of x^2 + 1, exp of tanh x).
BINARY = [
    lambda a, b: a + b,
    lambda a, b: a * b,
    lambda a, b: a - b,
    lambda a, b: a / (b * b + 1.0),
]
UNARY = [
    lambda a: a.tanh(),
    lambda a: a.tanh().exp(),
    lambda a: (a * a + 1.0).log(),
    lambda a: a.relu(),
    lambda a: a**3,
    lambda a: 2.0 - a,
]


RELU = 3


def random_program(
    rng: np.random.Generator, num_inputs: int, num_ops: int, smooth: bool = False
) -> list[tuple]:
    """A random DAG as a list of (op kind, op index, operand indices); operands are reused freely.

    ``smooth`` leaves out relu, whose kink at 0 finite differences cannot resolve.
    """
    unary = [i for i in range(len(UNARY)) if not (smooth and i == RELU)]
    program = []
    for k in range(num_ops):
        available = num_inputs + k
        if rng.random() < 0.5:
            program.append(("binary", int(rng.integers(len(BINARY))), tuple(rng.integers(available, size=2))))
        else:
            program.append(("unary", int(rng.choice(unary)), (int(rng.integers(available)),)))
    return program


def run_program(program, inputs):
    nodes = list(inputs)
    for kind, index, operands in program:
        op = BINARY[index] if kind == "binary" else UNARY[index]
        nodes.append(op(*(nodes[i] for i in operands)))
    out = nodes[-1]
    for node in nodes[-4:-1]:  # several sinks feed the output, so many paths reach the inputs
        out = out + node
    return out


@verifies("autodiff", against="torch.autograd", tol=TOL, note="float64, scalar engine, 40 random graphs")
@pytest.mark.parametrize("seed", range(40))
def test_scalar_engine_matches_torch_autograd_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=5)
    program = random_program(rng, 5, 25)
    ours = [Value(v) for v in x]
    out = run_program(program, ours)
    out.backward()
    ref = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    expected = run_program(program, list(ref.unbind()))
    (grad,) = torch.autograd.grad(expected, ref)
    np.testing.assert_allclose(out.data, expected.item(), rtol=TOL, atol=TOL)
    np.testing.assert_allclose([v.grad for v in ours], grad.numpy(), rtol=TOL, atol=TOL)


@verifies("autodiff", against="finite differences", tol=FD_TOL, note="float64, central, h = 1e-6")
@pytest.mark.parametrize("seed", range(10))
def test_scalar_engine_matches_central_differences(seed):
    rng = np.random.default_rng(100 + seed)
    x = rng.normal(size=4)
    program = random_program(rng, 4, 20, smooth=True)
    ours = [Value(v) for v in x]
    run_program(program, ours).backward()
    h = 1e-6
    for i in range(4):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        f_up = run_program(program, [Value(v) for v in up]).data
        f_down = run_program(program, [Value(v) for v in down]).data
        np.testing.assert_allclose(ours[i].grad, (f_up - f_down) / (2 * h), rtol=FD_TOL, atol=FD_TOL)


# Array operations with broadcasting between a (3, 4) matrix, a (4,) row, a (3, 1) column and a (4, 4)
# weight, and reductions; each takes the leaves and the current value.
ARRAY_OPS = [
    lambda v, row, col, W: v + row,
    lambda v, row, col, W: v * col,
    lambda v, row, col, W: v @ W,
    lambda v, row, col, W: v / (row * row + 1.0),
    lambda v, row, col, W: v.tanh(),
    lambda v, row, col, W: (v * v + 1.0).log(),
    lambda v, row, col, W: v.tanh().exp() - col,
    lambda v, row, col, W: v.relu() + v * 0.5,
    lambda v, row, col, W: (v @ W.T).T.tanh().T - row,
]


def torch_sum(v, axis=None, keepdims=False):
    return v.sum() if axis is None else v.sum(dim=axis, keepdim=keepdims)


@verifies(
    "autodiff",
    against="torch.autograd",
    tol=TOL,
    note="float64, array engine, random graphs with broadcasting",
)
@pytest.mark.parametrize("seed", range(20))
def test_array_engine_matches_torch_autograd_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    leaves = [rng.normal(size=s) for s in [(3, 4), (4,), (3, 1), (4, 4)]]
    ops = rng.permutation(
        np.concatenate([[0, 1, 2], rng.integers(len(ARRAY_OPS), size=10)])
    )  # every leaf used
    weights = rng.normal(size=(3, 4))

    def program(x, row, col, W, summed, weights):
        v = x
        for k in ops:
            v = ARRAY_OPS[k](v, row, col, W)
        return summed(v * weights, 0, True).tanh().sum() if seed % 2 else (v * weights).sum()

    ours = [Array(a) for a in leaves]
    out = program(*ours, lambda v, axis, keepdims: v.sum(axis=axis, keepdims=keepdims), Array(weights))
    out.backward()
    refs = [torch.tensor(a, requires_grad=True) for a in leaves]
    expected = program(*refs, torch_sum, torch.tensor(weights))
    grads = torch.autograd.grad(expected, refs)
    np.testing.assert_allclose(out.data, expected.item(), rtol=TOL, atol=TOL)
    for leaf, g in zip(ours, grads):
        np.testing.assert_allclose(leaf.grad, g.numpy(), rtol=TOL, atol=TOL)


@verifies(
    "autodiff", against="hand-written backprop", tol=1e-12, note="float64, the neural-networks chapter's MLP"
)
def test_array_engine_equals_hand_written_backprop():
    rng = np.random.default_rng(0)
    x, y = make_dataset("moons", 64, rng)
    params = init_mlp([2, 8, 8, 2], rng)
    expected = loss_and_gradients(params, x, y, activation="tanh", loss="softmax")
    ours = [(Array(W), Array(b)) for W, b in params]
    loss = mlp_loss(ours, x, y)
    loss.backward()
    np.testing.assert_allclose(loss.data, expected.loss, rtol=1e-12)
    for (W, b), (dW, db) in zip(ours, expected.grads):
        np.testing.assert_allclose(W.grad, dW, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b.grad, db, rtol=1e-12, atol=1e-14)


def test_cross_entropy_matches_torch_with_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [3.0, 2.0, 1.0]])  # naive exp would overflow
    ours = Array(logits)
    loss = cross_entropy(ours, np.array([1, 0]))
    loss.backward()
    ref = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(ref, torch.tensor([1, 0]))
    expected.backward()
    np.testing.assert_allclose(loss.data, expected.item(), rtol=TOL)
    np.testing.assert_allclose(ours.grad, ref.grad.numpy(), rtol=TOL, atol=TOL)


@settings(max_examples=50, deadline=None)
@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    extra=st.lists(st.integers(1, 3), min_size=0, max_size=2),
    data=st.data(),
)
def test_unbroadcast_is_the_adjoint_of_broadcasting(shape, extra, data):
    # <broadcast(x), g> = <x, unbroadcast(g)> for every x and g: the defining property of a VJP
    target = tuple(extra) + tuple(s if data.draw(st.booleans()) else 1 for s in shape)
    small = tuple(s if t == s else 1 for s, t in zip(shape, target[len(extra) :]))
    rng = np.random.default_rng(len(target))
    x, g = rng.normal(size=small), rng.normal(size=target)
    lhs = np.sum(np.broadcast_to(x, target) * g)
    rhs = np.sum(x * unbroadcast(g, small))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12, atol=1e-12)


def test_shared_node_gradients_add_up():
    a = Value(3.0)
    b = a * a + a  # a is used three times: db/da = 2a + 1 = 7
    b.backward()
    assert a.grad == 7.0
    assert sum(node is a for node in topological_order(b)) == 1


def test_topological_order_handles_deep_graphs():
    x = Value(0.5)
    y = x
    for _ in range(5000):  # 10,000 operations, deeper than Python's default recursion limit
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0


def test_engines_reject_bad_input():
    with pytest.raises(ValueError, match="must be > 0"):
        Value(-1.0).log()
    with pytest.raises(ValueError, match="pass grad="):
        Array(np.ones(3)).backward()
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        Array(np.ones(3)) @ Array(np.ones((3, 2)))
    with pytest.raises(ValueError, match="shift or clamp"):
        Array(np.array([1.0, 0.0])).log()
    with pytest.raises(TypeError, match="constant exponents"):
        Value(2.0) ** Value(3.0)


@verifies(
    "autodiff", against="two moons training", tol="accuracy >= 0.95", note="2-16-16-2 tanh MLP, 500 steps"
)
def test_demo_trains_the_mlp():
    result = demo(steps=500)
    assert result.losses[-1] < 0.05 < result.losses[0]
    assert result.accuracy >= 0.95
    assert result.accuracy == 1.0  # page: 100% in our run (seeded, deterministic)


def test_the_pages_numbers():
    from mlatlas.deep_learning.figures.autodiff import derivative_errors, neuron

    e = derivative_errors(0.7)
    best_forward, best_central = e.steps[e.forward.argmin()], e.steps[e.central.argmin()]
    assert 1e-9 <= best_forward <= 1e-7 and 1e-10 <= e.forward.min() <= 1e-8  # page: ~3e-9 near h = 1e-8
    assert 1e-6 <= best_central <= 1e-5 and 1e-12 <= e.central.min() <= 1e-10  # page: ~1e-11 near h = 3e-6
    assert e.autodiff == 0.0  # page: matches the hand-written formula exactly at x = 0.7
    from mlatlas.deep_learning.figures.autodiff import f, f_prime

    for x in np.linspace(-3.0, 3.0, 61):  # page: within two units in the last place on [-3, 3]
        v = Value(float(x))
        f(v).backward()
        exact = f_prime(float(x))
        assert abs(v.grad - exact) <= 2 * np.spacing(abs(exact))
    assert e.forward[-1] > 1e-2 and e.forward[0] > 1e-3  # both ends of the V are bad
    assert 1e-2 < e.forward[0] < 5e-2 and 5e-4 < e.central[0] < 5e-3  # alt: ~2e-2 and ~1e-3 at h = 1e-14
    y, leaves = neuron()
    np.testing.assert_allclose(y.data, np.tanh(-1.5), rtol=1e-15)  # page: -0.905
    np.testing.assert_allclose(leaves["x1"].grad, (1 - np.tanh(-1.5) ** 2) * -3.0, rtol=1e-14)  # page: -0.542
