"""Neural networks: a multilayer perceptron with backpropagation written by hand in NumPy.

Paper: Rumelhart, Hinton & Williams (1986), "Learning representations by back-propagating errors"
(Nature 323, no arXiv); initialisation after He et al. (2015), arXiv:1502.01852.
A stack of affine maps and elementwise nonlinearities, trained by pushing the loss gradient back
through the cached forward pass (the chain rule, one layer at a time) and taking plain SGD steps.

Everything is float64 NumPy with no classes and no hidden state, so that the browser lab can port it
line for line to JavaScript and check itself against golden vectors produced here. Conventions:

* a batch is a matrix ``x`` of shape (B, F): one example per row;
* ``params`` is a list of ``(W, b)`` pairs, ``W`` of shape (F_in, F_out) and ``b`` of shape (F_out,);
  layer ``l`` computes ``z_l = a_{l-1} @ W_l + b_l`` and ``a_l = act(z_l)``; the last layer is linear
  (its output are the *logits*);
* loss ``"bce"``: one output unit, sigmoid probability, labels in {0, 1};
  loss ``"softmax"``: K output units, softmax probabilities, integer labels in {0, ..., K-1};
* the L2 penalty ``(l2 / 2) * sum_l ||W_l||^2`` touches weights only, never biases.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
LOSSES = ("bce", "softmax")
DATASETS = ("xor", "moons", "circles", "spiral")

Params = list[tuple[np.ndarray, np.ndarray]]


class ForwardCache(NamedTuple):
    """What the backward pass needs: every layer's pre-activation and activation.

    ``activations[0]`` is the input ``x``; ``activations[l]`` is ``a_l``; ``pre_activations[l - 1]``
    is ``z_l``. The last activation equals the last pre-activation: the logits, shape (B, K).
    """

    pre_activations: list[np.ndarray]
    activations: list[np.ndarray]

    @property
    def logits(self) -> np.ndarray:
        return self.activations[-1]


class LossAndGradients(NamedTuple):
    """Loss (data term + L2 term), its gradients per layer as ``(dW, db)``, and the probabilities."""

    loss: float
    grads: Params
    probs: np.ndarray


# ---------------------------------------------------------------------------------------------
# activations and their derivatives (expressed through z and a = act(z), whichever is cheaper)
# ---------------------------------------------------------------------------------------------


def sigmoid(z: np.ndarray) -> np.ndarray:
    """sigma(z) = 1 / (1 + e^{-z}), evaluated without overflow for large |z|."""
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def activate(z: np.ndarray, activation: str) -> np.ndarray:
    """a = act(z) for act in tanh, relu (max(0, z)), sigmoid, linear (identity)."""
    if activation == "tanh":
        return np.tanh(z)
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "sigmoid":
        return sigmoid(z)
    if activation == "linear":
        return z.copy()
    raise ValueError(f"unknown activation {activation!r}; choose one of {ACTIVATIONS}")


def activation_derivative(z: np.ndarray, a: np.ndarray, activation: str) -> np.ndarray:
    """act'(z): tanh' = 1 - a^2, relu' = [z > 0] (0 at z = 0), sigmoid' = a (1 - a), linear' = 1."""
    if activation == "tanh":
        return 1.0 - a * a
    if activation == "relu":
        return (z > 0).astype(z.dtype)
    if activation == "sigmoid":
        return a * (1.0 - a)
    if activation == "linear":
        return np.ones_like(z)
    raise ValueError(f"unknown activation {activation!r}; choose one of {ACTIVATIONS}")


# ---------------------------------------------------------------------------------------------
# parameters
# ---------------------------------------------------------------------------------------------


def init_mlp(sizes: Sequence[int], rng: np.random.Generator, activation: str = "tanh") -> Params:
    """Random parameters for an MLP with layer widths ``sizes`` = [F, hidden..., K].

    W_l = gain * N(0, 1) / sqrt(fan_in), drawn with ``rng.standard_normal((fan_in, fan_out))`` layer by
    layer in order; gain = sqrt(2) for relu (He et al., 2015), 1 otherwise (LeCun). Biases start at 0.
    Same generator state in, same parameters out.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {ACTIVATIONS}")
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output width, got {list(sizes)}")
    if any(int(s) != s or s < 1 for s in sizes):
        raise ValueError(f"every layer width must be a positive integer, got {list(sizes)}")
    gain = np.sqrt(2.0) if activation == "relu" else 1.0
    params: Params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        W = gain * rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)  # (F_in, F_out)
        b = np.zeros(fan_out)  # (F_out,)
        params.append((W, b))
    return params


def _check_input(params: Params, x: np.ndarray) -> None:
    if not params:
        raise ValueError("params is empty; build them with init_mlp([F, ..., K], rng)")
    if x.ndim != 2:
        raise ValueError(f"x must have shape (B, F) with one example per row, got shape {x.shape}")
    F = params[0][0].shape[0]
    if x.shape[1] != F:
        raise ValueError(f"x has {x.shape[1]} features per row but the first layer expects {F}")


# ---------------------------------------------------------------------------------------------
# forward, loss, backward
# ---------------------------------------------------------------------------------------------


def forward(params: Params, x: np.ndarray, activation: str = "tanh") -> ForwardCache:
    """Run the MLP on x (B, F); hidden layers use ``activation``, the last layer is linear.

    z_l = a_{l-1} W_l + b_l,  a_l = act(z_l) for hidden l,  logits = z_L.
    """
    _check_input(params, x)
    pre_activations: list[np.ndarray] = []
    activations: list[np.ndarray] = [x]
    L = len(params)
    for l, (W, b) in enumerate(params, start=1):
        z = activations[-1] @ W + b  # z_l = a_{l-1} W_l + b_l     (B, F_out)
        a = activate(z, activation) if l < L else z  # a_l = act(z_l); last layer stays linear
        pre_activations.append(z)
        activations.append(a)
    return ForwardCache(pre_activations, activations)


def bce_loss(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Binary cross-entropy from logits (B, 1) and labels y (B,) in {0, 1}.

    loss = mean_i [ softplus(z_i) - y_i z_i ]  (= -[y log p + (1-y) log(1-p)] with p = sigma(z)),
    dloss/dz_i = (p_i - y_i) / B. Returns (loss, dlogits (B, 1), p (B, 1)).
    """
    if logits.ndim != 2 or logits.shape[1] != 1:
        raise ValueError(f"bce needs one output unit: logits of shape (B, 1), got {logits.shape}")
    y = np.asarray(y, dtype=float).reshape(-1, 1)  # (B, 1)
    if y.shape[0] != logits.shape[0]:
        raise ValueError(f"{y.shape[0]} labels for {logits.shape[0]} examples")
    if np.any((y != 0) & (y != 1)):
        raise ValueError("bce labels must be 0 or 1")
    B = logits.shape[0]
    z = logits
    softplus = np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))  # log(1 + e^z), stable
    loss = float(np.sum(softplus - y * z) / B)
    p = sigmoid(z)  # (B, 1)
    return loss, (p - y) / B, p


def softmax_ce_loss(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Softmax cross-entropy from logits (B, K) and integer labels y (B,).

    loss = mean_i [ logsumexp(z_i) - z_{i, y_i} ],  dloss/dz_i = (p_i - onehot(y_i)) / B.
    Returns (loss, dlogits (B, K), p (B, K)).
    """
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (B, K), got {logits.shape}")
    B, K = logits.shape
    y = np.asarray(y)
    if y.shape != (B,):
        raise ValueError(f"softmax labels must have shape ({B},), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= K:
        raise ValueError(f"softmax labels must be integers in [0, {K - 1}]")
    shifted = logits - logits.max(axis=1, keepdims=True)  # z - max z: same softmax, no overflow
    log_z = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))  # (B, 1)
    log_p = shifted - log_z  # log p = z - logsumexp(z)   (B, K)
    loss = float(-np.sum(log_p[np.arange(B), y]) / B)
    p = np.exp(log_p)
    onehot = np.zeros_like(p)
    onehot[np.arange(B), y] = 1.0
    return loss, (p - onehot) / B, p


def backward(
    params: Params, cache: ForwardCache, dlogits: np.ndarray, activation: str = "tanh"
) -> Params:
    """Backpropagation: gradients (dW_l, db_l) for every layer, given dloss/dlogits (B, K).

    delta_L = dloss/dz_L;  dW_l = a_{l-1}^T delta_l;  db_l = sum_rows delta_l;
    delta_{l-1} = (delta_l W_l^T) * act'(z_{l-1}).
    """
    grads: Params = [None] * len(params)  # type: ignore[list-item]
    delta = dlogits  # dloss/dz_L    (B, K)
    for l in range(len(params) - 1, -1, -1):
        W, _ = params[l]
        a_prev = cache.activations[l]  # a_{l-1}   (B, F_in)
        grads[l] = (a_prev.T @ delta, delta.sum(axis=0))  # dW = a^T delta (F_in, F_out); db (F_out,)
        if l > 0:
            da_prev = delta @ W.T  # dloss/da_{l-1}   (B, F_in)
            z_prev = cache.pre_activations[l - 1]
            delta = da_prev * activation_derivative(z_prev, a_prev, activation)  # delta_{l-1}
    return grads


def l2_penalty(params: Params, l2: float) -> float:
    """(l2 / 2) * sum_l ||W_l||_F^2 over weights only; its gradient is l2 * W_l."""
    return 0.5 * l2 * float(sum(np.sum(W * W) for W, _ in params))


def loss_and_gradients(
    params: Params,
    x: np.ndarray,
    y: np.ndarray,
    *,
    activation: str = "tanh",
    loss: str = "bce",
    l2: float = 0.0,
) -> LossAndGradients:
    """Forward, loss (+ L2), backward in one call. x (B, F); y (B,). Returns loss, grads, probs."""
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0, got {l2}")
    cache = forward(params, x, activation)
    if loss == "bce":
        data_loss, dlogits, probs = bce_loss(cache.logits, y)
    elif loss == "softmax":
        data_loss, dlogits, probs = softmax_ce_loss(cache.logits, y)
    else:
        raise ValueError(f"unknown loss {loss!r}; choose one of {LOSSES}")
    grads = backward(params, cache, dlogits, activation)
    if l2 > 0:
        grads = [(dW + l2 * W, db) for (dW, db), (W, _) in zip(grads, params)]  # d/dW (l2/2)||W||^2
    return LossAndGradients(data_loss + l2_penalty(params, l2), grads, probs)


def sgd_step(params: Params, grads: Params, lr: float) -> Params:
    """Plain gradient descent: theta <- theta - lr * grad. Returns new arrays; inputs are unchanged."""
    if lr <= 0:
        raise ValueError(f"learning rate must be > 0, got {lr}")
    return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]


def predict(params: Params, x: np.ndarray, *, activation: str = "tanh", loss: str = "bce") -> np.ndarray:
    """Class predictions (B,): p > 1/2 for bce, argmax for softmax."""
    logits = forward(params, x, activation).logits
    if loss == "bce":
        return (logits[:, 0] > 0).astype(int)  # sigma(z) > 1/2  <=>  z > 0
    if loss == "softmax":
        return logits.argmax(axis=1)
    raise ValueError(f"unknown loss {loss!r}; choose one of {LOSSES}")


# ---------------------------------------------------------------------------------------------
# toy data and training
# ---------------------------------------------------------------------------------------------


def make_dataset(
    name: str, n: int, rng: np.random.Generator, noise: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D two-class toy set: x (n, 2) float64 and labels y (n,) in {0, 1}.

    xor: uniform in [-1, 1]^2, label = [x_1 x_2 > 0]; moons: two interleaved half circles;
    circles: an inner disc (radius 0.5) and an outer ring (radius 1); spiral: two interleaved arms.
    Gaussian noise of standard deviation ``noise`` is added to the points (not to xor's labels).
    """
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    half = n // 2
    y = np.concatenate([np.zeros(n - half, dtype=int), np.ones(half, dtype=int)])
    if name == "xor":
        x = rng.uniform(-1.0, 1.0, size=(n, 2))
        y = (x[:, 0] * x[:, 1] > 0).astype(int)
    elif name == "moons":
        t = np.pi * rng.uniform(size=n)
        upper = np.stack([np.cos(t), np.sin(t)], axis=1)
        lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
        x = np.where(y[:, None] == 0, upper, lower)
    elif name == "circles":
        t = 2 * np.pi * rng.uniform(size=n)
        radius = np.where(y == 0, 1.0, 0.5)
        x = radius[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1)
    elif name == "spiral":
        r = rng.uniform(0.05, 1.0, size=n)
        t = 3.0 * np.pi * r + np.pi * y
        x = r[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1)
    else:
        raise ValueError(f"unknown dataset {name!r}; choose one of {DATASETS}")
    x = x + noise * rng.standard_normal((n, 2))
    return x, y


class TrainResult(NamedTuple):
    """Final parameters and the loss / accuracy recorded after every step."""

    params: Params
    losses: list[float]
    accuracies: list[float]


def train(
    params: Params,
    x: np.ndarray,
    y: np.ndarray,
    *,
    steps: int,
    lr: float,
    activation: str = "tanh",
    loss: str = "bce",
    l2: float = 0.0,
) -> TrainResult:
    """Full-batch gradient descent for ``steps`` steps. Deterministic: no randomness inside."""
    losses, accuracies = [], []
    for _ in range(steps):
        out = loss_and_gradients(params, x, y, activation=activation, loss=loss, l2=l2)
        pred = (out.probs[:, 0] > 0.5).astype(int) if loss == "bce" else out.probs.argmax(axis=1)
        losses.append(out.loss)
        accuracies.append(float(np.mean(pred == y)))
        params = sgd_step(params, out.grads, lr)
    return TrainResult(params, losses, accuracies)


def demo(dataset: str = "moons", steps: int = 2000, seed: int = 0) -> TrainResult:
    """Train a 2-16-16-1 tanh MLP on a generated 2-D dataset and print loss and accuracy."""
    rng = np.random.default_rng(seed)
    x, y = make_dataset(dataset, 200, rng, noise=0.1)
    x_test, y_test = make_dataset(dataset, 1000, rng, noise=0.1)
    params = init_mlp([2, 16, 16, 1], rng, "tanh")
    result = train(params, x, y, steps=steps, lr=0.5, activation="tanh", loss="bce", l2=1e-4)
    print(f"2-16-16-1 tanh MLP on {dataset!r}: 200 training points, full-batch SGD, lr 0.5, l2 1e-4")
    for step in sorted({0, steps // 10, steps // 4, steps // 2, steps - 1}):
        loss, acc = result.losses[step], result.accuracies[step]
        print(f"  step {step:5d}  loss {loss:.4f}  train accuracy {acc:.3f}")
    test_acc = float(np.mean(predict(result.params, x_test) == y_test))
    print(f"  test accuracy on 1000 fresh points: {test_acc:.3f}")
    return result
