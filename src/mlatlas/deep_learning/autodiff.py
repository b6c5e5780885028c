"""Automatic differentiation: a reverse-mode engine on scalars, then on arrays.

Paper: Baydin, Pearlmutter, Radul, Siskind (2018), "Automatic Differentiation in Machine Learning:
a Survey", JMLR 18(153), arXiv:1502.05767; Griewank & Walther (2008), "Evaluating Derivatives".
Every operation records its inputs and how to push a gradient back to them; one backward sweep
in reverse topological order then gives the derivative of the output with respect to every node.

Reverse mode (the chain rule summed over paths, Baydin et al. section 3.2)::

    v_bar_i = sum_{j : i -> j} v_bar_j * d v_j / d v_i,     v_bar_out = 1

On arrays, ``d v_j / d v_i`` is a Jacobian that is never built: each op supplies its
vector-Jacobian product (VJP) ``g -> g^T J``, e.g. for ``C = A @ B``: ``A_bar = C_bar B^T`` and
``B_bar = A^T C_bar``. Broadcasting in the forward pass becomes a sum in the backward pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np


def topological_order(root, parents: Callable = lambda node: node.parents) -> list:
    """Every node reachable from ``root``, each listed after all of its parents (inputs).

    An iterative depth-first post-order, so deep graphs do not hit Python's recursion limit.
    A node shared by several consumers appears once: its gradient is summed before it is used.
    """
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)  # all parents are already in ``order``
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in parents(node) if id(p) not in visited)
    return order


# ----------------------------------------------------------------------------------------------
# Scalars
# ----------------------------------------------------------------------------------------------


class Value:
    """A scalar that remembers how it was computed: its parents and d(self)/d(parent) for each."""

    __slots__ = ("data", "grad", "parents", "local_grads", "op")

    def __init__(self, data: float, parents: tuple = (), local_grads: tuple = (), op: str = ""):
        self.data = float(data)
        self.grad = 0.0  # d output / d self, filled in by backward()
        self.parents = parents
        self.local_grads = local_grads  # d self / d parent, one number per parent
        self.op = op

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    # binary operations: the local derivative of each input is known when the output is made
    def __add__(self, other) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0), "+")  # d(a+b)/da = d/db = 1

    def __mul__(self, other) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data), "*")  # b, a

    def __pow__(self, exponent: float) -> Value:
        if isinstance(exponent, Value):
            raise TypeError(
                "only constant exponents: write (a.log() * b).exp() for a ** b with both variable"
            )
        return Value(self.data**exponent, (self,), (exponent * self.data ** (exponent - 1),), f"**{exponent}")

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other) -> Value:
        return self + (-other)

    def __truediv__(self, other) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return self * other**-1.0

    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other) -> Value:
        return (-self) + other

    def __rtruediv__(self, other) -> Value:
        return Value(other) / self

    # unary operations
    def exp(self) -> Value:
        e = math.exp(self.data)
        return Value(e, (self,), (e,), "exp")  # d e^x / dx = e^x

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log of {self.data:g}: the input must be > 0 (add a softplus or clamp first)")
        return Value(math.log(self.data), (self,), (1.0 / self.data,), "log")  # 1 / x

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,), "tanh")  # 1 - tanh^2

    def sigmoid(self) -> Value:
        s = 0.5 * (1.0 + math.tanh(0.5 * self.data))  # = 1 / (1 + e^-x), without overflow
        return Value(s, (self,), (s * (1.0 - s),), "sigmoid")  # s (1 - s)

    def relu(self) -> Value:
        return Value(max(self.data, 0.0), (self,), (float(self.data > 0),), "relu")  # 0 at 0, as torch

    def backward(self) -> None:
        """Fill ``.grad`` of every node this value depends on with d self / d node (eq. above).

        Gradients accumulate, as in PyTorch: build a fresh graph (or zero the grads) before a
        second call.
        """
        self.grad = 1.0  # v_bar_out = 1
        for node in reversed(topological_order(self)):  # consumers before their inputs
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * node.grad  # v_bar_i += v_bar_j * d v_j / d v_i


# ----------------------------------------------------------------------------------------------
# Arrays
# ----------------------------------------------------------------------------------------------


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``: the VJP of NumPy broadcasting from ``shape`` to grad.shape."""
    while grad.ndim > len(shape):  # dimensions broadcasting added in front
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):  # dimensions of size 1 that were stretched
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class Array:
    """A float64 array node: its parents and, for each, a VJP mapping the output grad to theirs."""

    __array_ufunc__ = None  # so ndarray + Array defers to Array.__radd__

    def __init__(self, data, parents: tuple = (), vjps: tuple = (), op: str = ""):
        self.data = np.asarray(data, dtype=np.float64)
        self.grad: np.ndarray | None = None
        self.parents = parents
        self.vjps = vjps  # vjps[k](g) = g^T (d self / d parents[k]), shaped like parents[k]
        self.op = op

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def __repr__(self) -> str:
        return f"Array(shape={self.shape}, op={self.op!r})"

    @staticmethod
    def lift(x) -> Array:
        return x if isinstance(x, Array) else Array(x)

    # elementwise binary operations with broadcasting
    def __add__(self, other) -> Array:
        other = Array.lift(other)
        a, b = self.shape, other.shape
        return Array(
            self.data + other.data,
            (self, other),
            (lambda g: unbroadcast(g, a), lambda g: unbroadcast(g, b)),
            "+",
        )

    def __mul__(self, other) -> Array:
        other = Array.lift(other)
        x, y = self.data, other.data
        return Array(
            x * y,
            (self, other),
            (lambda g: unbroadcast(g * y, x.shape), lambda g: unbroadcast(g * x, y.shape)),  # g*y, g*x
            "*",
        )

    def __truediv__(self, other) -> Array:
        other = Array.lift(other)
        x, y = self.data, other.data
        return Array(
            x / y,
            (self, other),
            (lambda g: unbroadcast(g / y, x.shape), lambda g: unbroadcast(-g * x / y**2, y.shape)),
            "/",
        )

    def __neg__(self) -> Array:
        return Array(-self.data, (self,), (lambda g: -g,), "neg")

    def __sub__(self, other) -> Array:
        return self + (-Array.lift(other))

    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other) -> Array:
        return Array.lift(other) - self

    def __rtruediv__(self, other) -> Array:
        return Array.lift(other) / self

    def __pow__(self, exponent: float) -> Array:
        x = self.data
        return Array(x**exponent, (self,), (lambda g: g * exponent * x ** (exponent - 1),), f"**{exponent}")

    def __matmul__(self, other) -> Array:
        """C = A @ B for A (..., n, k), B (..., k, m): A_bar = C_bar B^T, B_bar = A^T C_bar."""
        other = Array.lift(other)
        A, B = self.data, other.data
        if A.ndim < 2 or B.ndim < 2:
            raise ValueError(f"matmul needs arrays of at least 2 dimensions, got {A.shape} @ {B.shape}")
        return Array(
            A @ B,
            (self, other),
            (
                lambda g: unbroadcast(g @ B.swapaxes(-1, -2), A.shape),  # C_bar B^T
                lambda g: unbroadcast(A.swapaxes(-1, -2) @ g, B.shape),  # A^T C_bar
            ),
            "@",
        )

    # elementwise unary operations
    def exp(self) -> Array:
        e = np.exp(self.data)
        return Array(e, (self,), (lambda g: g * e,), "exp")

    def log(self) -> Array:
        x = self.data
        if np.any(x <= 0):
            raise ValueError("log of an array with entries <= 0: shift or clamp the input first")
        return Array(np.log(x), (self,), (lambda g: g / x,), "log")

    def tanh(self) -> Array:
        t = np.tanh(self.data)
        return Array(t, (self,), (lambda g: g * (1.0 - t * t),), "tanh")

    def relu(self) -> Array:
        x = self.data
        return Array(np.maximum(x, 0.0), (self,), (lambda g: g * (x > 0),), "relu")

    # shape operations
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Array:
        shape = self.shape

        def vjp(g: np.ndarray) -> np.ndarray:
            if axis is not None and not keepdims:  # put back the summed axes, then broadcast
                g = np.expand_dims(g, axis)
            return np.broadcast_to(g, shape).copy()  # each input entry gets the grad of its sum

        return Array(self.data.sum(axis=axis, keepdims=keepdims), (self,), (vjp,), "sum")

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Array:
        count = self.data.size / np.asarray(self.data.sum(axis=axis, keepdims=keepdims)).size
        return self.sum(axis, keepdims) * (1.0 / count)

    def reshape(self, *shape: int) -> Array:
        old = self.shape
        return Array(self.data.reshape(*shape), (self,), (lambda g: g.reshape(old),), "reshape")

    @property
    def T(self) -> Array:
        return Array(self.data.T, (self,), (lambda g: g.T,), "T")

    def backward(self, grad: np.ndarray | None = None) -> None:
        """Set ``.grad`` of every node reachable from self to d(sum(self * grad))/d node.

        ``grad`` defaults to 1 for a one-element output (a loss). Gradients accumulate.
        """
        if grad is None:
            if self.data.size != 1:
                raise ValueError(f"backward() on an output of shape {self.shape}: pass grad= of that shape")
            grad = np.ones_like(self.data)
        grad = np.asarray(grad, dtype=np.float64)
        if grad.shape != self.shape:
            raise ValueError(f"grad has shape {grad.shape} but the output has shape {self.shape}")
        self.grad = grad
        for node in reversed(topological_order(self)):
            if node.grad is None:
                continue  # nothing flows back through this node
            for parent, vjp in zip(node.parents, node.vjps):
                contribution = vjp(node.grad)  # g^T J, shaped like the parent
                parent.grad = contribution if parent.grad is None else parent.grad + contribution


def log_softmax(z: Array, axis: int = -1) -> Array:
    """z - logsumexp(z), with the max subtracted as a constant: it shifts z and cancels exactly."""
    m = z.data.max(axis=axis, keepdims=True)  # a constant (no parents): no gradient needed
    return z - ((z - m).exp().sum(axis=axis, keepdims=True).log() + m)


def cross_entropy(logits: Array, labels: np.ndarray) -> Array:
    """Mean of -log softmax(z)_y over the batch; logits (B, K), integer labels (B,)."""
    B, K = logits.shape
    onehot = np.eye(K)[np.asarray(labels)]  # (B, K)
    return -(log_softmax(logits) * onehot).sum() * (1.0 / B)


# ----------------------------------------------------------------------------------------------
# An MLP on the array engine (the demo, and a check against hand-written backprop)
# ----------------------------------------------------------------------------------------------


def mlp_loss(params: Iterable[tuple[Array, Array]], x: np.ndarray, y: np.ndarray) -> Array:
    """Softmax cross-entropy of a tanh MLP, the same network as the neural-networks chapter."""
    h = Array(x)  # (B, F)
    params = list(params)
    for l, (W, b) in enumerate(params):
        h = h @ W + b  # z_l = a_{l-1} W_l + b_l     (B, F_out)
        if l < len(params) - 1:
            h = h.tanh()
    return cross_entropy(h, y)


class TrainResult(NamedTuple):
    losses: list[float]
    accuracy: float


def demo(steps: int = 500, lr: float = 0.5, seed: int = 0) -> TrainResult:
    """Train a 2-16-16-2 tanh MLP on two moons with gradients from the array engine."""
    from mlatlas.foundations.neural_networks import init_mlp, make_dataset

    rng = np.random.default_rng(seed)
    x, y = make_dataset("moons", 200, rng)
    params = [(Array(W), Array(b)) for W, b in init_mlp([2, 16, 16, 2], rng)]
    losses = []
    for step in range(steps):
        loss = mlp_loss(params, x, y)
        loss.backward()
        losses.append(float(loss.data))
        params = [(Array(W.data - lr * W.grad), Array(b.data - lr * b.grad)) for W, b in params]
        if step % 100 == 0:
            print(f"step {step:4d}  loss {losses[-1]:.4f}")
    h = x
    for l, (W, b) in enumerate(params):
        h = h @ W.data + b.data
        h = np.tanh(h) if l < len(params) - 1 else h
    accuracy = float(np.mean(h.argmax(axis=1) == y))
    print(f"final loss {losses[-1]:.4f}, training accuracy {accuracy:.1%}")
    return TrainResult(losses, accuracy)
