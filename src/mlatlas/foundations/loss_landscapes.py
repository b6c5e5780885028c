"""Loss landscapes: 1-D linear interpolation and 2-D filter-normalised slices of a network's loss.

Paper: Goodfellow, Vinyals & Saxe (2014), "Qualitatively characterizing neural network optimization
problems", arXiv:1412.6544 (1-D interpolation); Li, Xu, Taylor, Studer & Goldstein (2018),
"Visualizing the Loss Landscape of Neural Nets", arXiv:1712.09913 (filter normalisation).
A loss over millions of parameters can only be seen through low-dimensional cuts: along the segment
between two parameter vectors, or on a plane spanned by two random directions around a minimum.

Parameters use the layout of ``mlatlas.foundations.neural_networks``: a list of ``(W, b)`` pairs with
W of shape (F_in, F_out), so column j of W is the incoming weights ("filter") of output unit j.
``loss_fn`` is any function of such a list returning a float.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

Params = list[tuple[np.ndarray, np.ndarray]]
LossFn = Callable[[Params], float]


class LossCurve(NamedTuple):
    """alphas (A,) and the loss at each point of the path (A,)."""

    alphas: np.ndarray
    losses: np.ndarray


class LossSurface(NamedTuple):
    """alphas (A,), betas (Bt,) and losses (Bt, A): losses[i, j] = L(center + alphas[j] d1 + betas[i] d2)."""

    alphas: np.ndarray
    betas: np.ndarray
    losses: np.ndarray


def _check_same_shapes(a: Params, b: Params, what: str) -> None:
    if len(a) != len(b) or any(Wa.shape != Wb.shape or ba.shape != bb.shape
                               for (Wa, ba), (Wb, bb) in zip(a, b)):
        raise ValueError(f"{what}: parameter lists must have the same layers and shapes")


def combine(center: Params, directions: Sequence[Params], coefficients: Sequence[float]) -> Params:
    """theta = center + sum_k c_k d_k, layer by layer. Returns new arrays."""
    for d in directions:
        _check_same_shapes(center, d, "combine")
    out = []
    for layer, (W, b) in enumerate(center):
        W_new = W + sum(c * d[layer][0] for c, d in zip(coefficients, directions))
        b_new = b + sum(c * d[layer][1] for c, d in zip(coefficients, directions))
        out.append((np.asarray(W_new, dtype=np.float64), np.asarray(b_new, dtype=np.float64)))
    return out


def difference(a: Params, b: Params) -> Params:
    """b - a, the direction from a to b."""
    _check_same_shapes(a, b, "difference")
    return [(Wb - Wa, bb - ba) for (Wa, ba), (Wb, bb) in zip(a, b)]


def linear_path(loss_fn: LossFn, start: Params, end: Params, alphas: np.ndarray) -> LossCurve:
    """L((1 - alpha) theta_0 + alpha theta_1) for each alpha: 0 is ``start``, 1 is ``end``.

    Alphas outside [0, 1] extrapolate along the same line (Goodfellow et al., 2014).
    """
    d = difference(start, end)  # theta_1 - theta_0
    alphas = np.asarray(alphas, dtype=np.float64)
    # theta_0 + alpha (theta_1 - theta_0) for each alpha
    losses = np.array([loss_fn(combine(start, [d], [a])) for a in alphas])
    return LossCurve(alphas, losses)


def random_direction(params: Params, rng: np.random.Generator) -> Params:
    """A Gaussian direction with the shapes of ``params``: every entry N(0, 1), drawn W then b per layer."""
    return [(rng.standard_normal(W.shape), rng.standard_normal(b.shape)) for W, b in params]


def filter_normalize(direction: Params, params: Params) -> Params:
    """Rescale each filter of ``direction`` to the norm of the matching filter of ``params``:
    d_j <- d_j / ||d_j|| * ||theta_j||, for every column j of every W (Li et al., 2018, Sec. 4).

    Bias directions are set to zero, as Li et al.'s released code does by default for biases and
    batch-norm parameters (``ignore='biasbn'``). A slice drawn this way does not change when a ReLU
    network is rescaled by c > 0 (a layer's weights and biases times c, the next weights over c).
    """
    _check_same_shapes(direction, params, "filter_normalize")
    out = []
    for (dW, db), (W, _) in zip(direction, params):
        d_norm = np.linalg.norm(dW, axis=0, keepdims=True)  # ||d_j|| per output unit   (1, F_out)
        w_norm = np.linalg.norm(W, axis=0, keepdims=True)  # ||theta_j||   (1, F_out)
        scale = np.divide(w_norm, d_norm, out=np.zeros_like(d_norm), where=d_norm > 0)
        out.append((dW * scale, np.zeros_like(db)))  # filter-wise rescale; biases not moved
    return out


def slice_2d(
    loss_fn: LossFn, center: Params, d1: Params, d2: Params, alphas: np.ndarray, betas: np.ndarray
) -> LossSurface:
    """L(center + alpha d1 + beta d2) on the grid alphas x betas; losses (len(betas), len(alphas))."""
    alphas, betas = np.asarray(alphas, dtype=np.float64), np.asarray(betas, dtype=np.float64)
    losses = np.array([[loss_fn(combine(center, [d1, d2], [a, b])) for a in alphas] for b in betas])
    return LossSurface(alphas, betas, losses)


def flatten(params: Params) -> np.ndarray:
    """All parameters as one vector (W then b, layer by layer, row-major)."""
    return np.concatenate([np.concatenate([W.ravel(), b.ravel()]) for W, b in params])


def unflatten(vector: np.ndarray, like: Params) -> Params:
    """Inverse of ``flatten``: cut a vector back into the shapes of ``like``."""
    vector = np.asarray(vector, dtype=np.float64)
    size = sum(W.size + b.size for W, b in like)
    if vector.shape != (size,):
        raise ValueError(f"vector has shape {vector.shape} but the parameters hold {size} numbers")
    out, k = [], 0
    for W, b in like:
        W_new = vector[k:k + W.size].reshape(W.shape)
        k += W.size
        b_new = vector[k:k + b.size].reshape(b.shape)
        k += b.size
        out.append((W_new, b_new))
    return out
