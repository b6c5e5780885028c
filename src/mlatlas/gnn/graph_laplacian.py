"""The graph Laplacian and spectral clustering.

Papers: Fiedler (1973), "Algebraic connectivity of graphs", Czechoslovak Math. J. 23(2);
Shi, Malik (2000), "Normalized Cuts and Image Segmentation", IEEE TPAMI 22(8);
von Luxburg (2007), "A Tutorial on Spectral Clustering", arXiv:0711.0189.
L = D - A measures how much a signal on the nodes changes across edges; its eigenvectors are the
graph's "frequencies", and the slowest non-constant one (the Fiedler vector) cuts the graph in two.

All functions take a dense symmetric adjacency ``a`` of shape (N, N) (an undirected graph).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor


def _check_symmetric(a: Tensor) -> None:
    if a.dim() != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"adjacency must be square (N, N), got {tuple(a.shape)}")
    if not torch.allclose(a, a.T):
        raise ValueError("the Laplacian here is for undirected graphs: symmetrise a with (a + a.T) / 2")


def laplacian(a: Tensor) -> Tensor:
    """Combinatorial Laplacian L = D - A, with D_ii = sum_j A_ij. (N, N)."""
    _check_symmetric(a)
    return torch.diag(a.sum(dim=1)) - a


def normalized_laplacian(a: Tensor) -> Tensor:
    """Symmetric normalised Laplacian L_sym = D^-1/2 (D - A) D^-1/2 = I - D^-1/2 A D^-1/2.

    For an isolated node (d_i = 0) the row and column are zero, as in networkx.
    """
    d = a.sum(dim=1)  # (N,)
    d_inv_sqrt = torch.where(d > 0, d.rsqrt(), torch.zeros_like(d))
    return d_inv_sqrt[:, None] * laplacian(a) * d_inv_sqrt[None, :]  # D^-1/2 L D^-1/2


def random_walk_laplacian(a: Tensor) -> Tensor:
    """L_rw = D^-1 L = I - D^-1 A (rows of isolated nodes are zero). Same spectrum as L_sym."""
    d = a.sum(dim=1)
    d_inv = torch.where(d > 0, 1.0 / d, torch.zeros_like(d))
    return d_inv[:, None] * laplacian(a)


def dirichlet_energy(a: Tensor, f: Tensor) -> Tensor:
    """f^T L f = 1/2 sum_{i,j} A_ij (f_i - f_j)^2: how much the signal f (N,) varies across edges."""
    diff = f[:, None] - f[None, :]  # (N, N)
    return 0.5 * (a * diff**2).sum()


class SpectralSplit(NamedTuple):
    """Result of a two-way spectral cut."""

    labels: Tensor  # (N,) in {0, 1}
    fiedler: Tensor  # (N,) the eigenvector that was thresholded
    eigenvalues: Tensor  # (N,) ascending spectrum of the Laplacian used


def spectral_bipartition(a: Tensor, normalized: bool = True) -> SpectralSplit:
    """Split a connected graph in two by the sign of the Fiedler vector.

    The second-smallest eigenvector of L relaxes the ratio cut; of L_rw (solved here through L_sym,
    v = D^-1/2 u) it relaxes the normalised cut (Shi & Malik 2000). Sign convention: node 0 is in part 0.
    """
    lap = normalized_laplacian(a) if normalized else laplacian(a)
    eigenvalues, eigenvectors = torch.linalg.eigh(lap)  # ascending, (N,), (N, N)
    u = eigenvectors[:, 1]  # the Fiedler vector
    if normalized:
        u = u * a.sum(dim=1).clamp(min=1e-300).rsqrt()  # generalised eigenvector of L v = lambda D v
    if u[0] > 0:
        u = -u  # eigenvectors have no sign; fix it so node 0 lands in part 0
    return SpectralSplit(labels=(u > 0).long(), fiedler=u, eigenvalues=eigenvalues)
