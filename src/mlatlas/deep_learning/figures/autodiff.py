"""Figures for the autodiff chapter: a neuron's graph with its gradients; finite-difference error."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from mlatlas.deep_learning.autodiff import Value, topological_order
from mlatlas.plotting import PALETTE, new_figure


def neuron() -> tuple[Value, dict[str, Value]]:
    """y = tanh(w1 x1 + w2 x2 + b), with backward() already run; returns y and its named leaves."""
    leaves = {"x1": Value(2.0), "w1": Value(-3.0), "x2": Value(0.5), "w2": Value(1.0), "b": Value(4.0)}
    y = (leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"]).tanh()
    y.backward()
    return y, leaves


def neuron_graph():
    """The computation graph of one tanh neuron, each node showing its value and its gradient."""
    y, leaves = neuron()
    names = {id(v): k for k, v in leaves.items()}
    order = topological_order(y)
    depth: dict[int, int] = {}
    for node in order:  # longest path from a leaf: parents come first in the order
        depth[id(node)] = 1 + max((depth[id(p)] for p in node.parents), default=-1)
    columns: dict[int, list[Value]] = {}
    for node in order:
        columns.setdefault(depth[id(node)], []).append(node)
    pos = {}
    for d, nodes in columns.items():
        for i, node in enumerate(nodes):
            pos[id(node)] = (d, (len(nodes) - 1) / 2 - i)
    fig, ax = new_figure(width=8.0, height=5.0)
    for node in order:
        for parent in node.parents:
            (x0, y0), (x1, y1) = pos[id(parent)], pos[id(node)]
            ax.annotate(
                "", (x1 - 0.33, y1), (x0 + 0.33, y0), arrowprops={"arrowstyle": "->", "color": PALETTE[7]}
            )
    for node in order:
        x, yy = pos[id(node)]
        label = names.get(id(node), node.op)
        leaf = not node.parents
        ax.text(
            x,
            yy,
            f"{label}\n{node.data:.3g}\ngrad {node.grad:.3g}",
            ha="center",
            va="center",
            fontsize=10,
            bbox={"boxstyle": "round", "fc": "none", "ec": PALETTE[0] if leaf else PALETTE[1], "lw": 1.5},
        )
    ax.set_xlim(-0.5, max(columns) + 0.5)
    ax.set_ylim(-2.6, 2.6)
    ax.axis("off")
    ax.set_title("y = tanh(x1·w1 + x2·w2 + b): values forward, gradients backward")
    return fig


def f(x: Value | float):
    """The test function of the error figure: x e^{tanh x}."""
    if isinstance(x, Value):
        return x * x.tanh().exp()
    return x * math.exp(math.tanh(x))


def f_prime(x: float) -> float:
    """Its derivative by hand: e^{tanh x} (1 + x (1 - tanh^2 x))."""
    t = math.tanh(x)
    return math.exp(t) * (1.0 + x * (1.0 - t * t))


class DerivativeErrors(NamedTuple):
    steps: np.ndarray  # h
    forward: np.ndarray  # |(f(x+h) - f(x)) / h - f'(x)|
    central: np.ndarray  # |(f(x+h) - f(x-h)) / 2h - f'(x)|
    autodiff: float  # |reverse-mode gradient - f'(x)|


def derivative_errors(x: float = 0.7) -> DerivativeErrors:
    """Errors of forward and central differences over step sizes, and of the reverse-mode engine."""
    steps = np.logspace(-14, -1, 53)
    exact = f_prime(x)
    forward = np.array([abs((f(x + h) - f(x)) / h - exact) for h in steps])
    central = np.array([abs((f(x + h) - f(x - h)) / (2 * h) - exact) for h in steps])
    v = Value(x)
    f(v).backward()
    return DerivativeErrors(steps, forward, central, abs(v.grad - exact))


def finite_difference_error():
    """Error of finite differences against the step h (a V: truncation right, rounding left)."""
    e = derivative_errors()
    floor = 1e-17  # an exact zero has no place on a log axis
    fig, ax = new_figure(width=6.4, height=3.8)
    ax.loglog(e.steps, np.maximum(e.forward, floor), "o-", ms=3, label="forward difference")
    ax.loglog(e.steps, np.maximum(e.central, floor), "s-", ms=3, label="central difference")
    label = f"reverse mode: error {e.autodiff:.1g}" + (" (drawn at 1e-17)" if e.autodiff < floor else "")
    ax.axhline(max(e.autodiff, floor), color=PALETTE[2], ls="--", label=label)
    ax.set_xlabel("step h")
    ax.set_ylabel("|error| of f′(0.7)")
    ax.set_ylim(floor / 2, 1)
    ax.grid(True, which="major")
    ax.legend(loc="lower left", fontsize=9)
    ax.set_title("f(x) = x·exp(tanh x): no step h is exact")
    return fig
