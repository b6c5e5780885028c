"""Exact discrete optimal transport: the Kantorovich linear program solved by the network simplex.

Paper: Kantorovich, 1942, "On the translocation of masses"; Dantzig, 1951, the transportation
simplex; Peyré & Cuturi, 2019, "Computational Optimal Transport", arXiv:1803.00567, Section 3.5.
Minimise <P, C> over plans P ≥ 0 with row sums a and column sums b. An optimal vertex is a spanning
basis of M + N - 1 cells forming a spanning tree (with zero-mass cells where the plan is
degenerate); the simplex walks from tree to tree, each step lowering the cost or leaving it equal.

``transportation_simplex`` is written as plain float64 loops over a spanning tree (no LP library):
pricing is vectorised, everything else is O(M + N) per pivot. ``exact_transport`` runs the same method
compiled (``network_simplex``: block pricing, strongly feasible tree).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from mlatlas.transport.network_simplex import network_simplex


@dataclass(frozen=True)
class ExactTransport:
    """An optimal plan and its certificate.

    plan: (M, N) with row sums a and column sums b; cost = <plan, C>;
    u: (M,), v: (N,) dual potentials with u_i + v_j ≤ C_ij everywhere, equality on the plan's support,
    so cost = <a, u> + <b, v> (strong duality). basis: the M + N - 1 tree cells (row, col).
    """

    plan: np.ndarray
    cost: float
    u: np.ndarray
    v: np.ndarray
    basis: tuple[tuple[int, int], ...]
    num_iters: int


def squared_euclidean_cost(x: ArrayLike, y: ArrayLike) -> np.ndarray:
    """C_ij = |x_i - y_j|², x: (M, F), y: (N, F) -> (M, N), float64."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x has {x.shape[1]} features but y has {y.shape[1]}; points must share a space")
    diff = x[:, None, :] - y[None, :, :]  # (M, N, F)
    return np.einsum("mnf,mnf->mn", diff, diff)  # (M, N)


def check_marginals(a: ArrayLike, b: ArrayLike, cost: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate (a, b, C) and return float64 copies with b rescaled to a's total mass."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    C = np.asarray(cost, dtype=np.float64)
    if a.ndim != 1 or b.ndim != 1 or a.size == 0 or b.size == 0:
        raise ValueError("a and b must be non-empty 1-D weight vectors")
    if C.shape != (a.size, b.size):
        raise ValueError(f"cost has shape {C.shape} but a, b ask for {(a.size, b.size)}")
    if np.any(a < 0) or np.any(b < 0) or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("a and b must be finite and non-negative")
    if not np.all(np.isfinite(C)):
        raise ValueError("cost contains NaN or infinity; use a large finite cost to forbid a pair")
    total_a, total_b = a.sum(), b.sum()
    if total_a <= 0 or total_b <= 0:
        raise ValueError("a and b must each carry positive mass")
    if abs(total_a - total_b) > 1e-9 * max(total_a, total_b):
        raise ValueError(f"a sums to {total_a} but b sums to {total_b}; normalise both to the same mass")
    return a, b * (total_a / total_b), C


def northwest_corner(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """A first feasible tree: fill cells from the top-left, moving down when a row is used up.

    The staircase from (0, 0) to (M-1, N-1) visits exactly M + N - 1 cells: a spanning tree, some of
    whose cells may carry zero mass (a degenerate but valid basis).
    """
    M, N = a.size, b.size
    plan = np.zeros((M, N))
    supply, demand = a.copy(), b.copy()
    basis = []
    i = j = 0
    while True:
        mass = min(supply[i], demand[j])  # ship as much as both allow
        plan[i, j] = mass
        basis.append((i, j))
        supply[i] -= mass
        demand[j] -= mass
        if i == M - 1 and j == N - 1:
            return plan, basis
        if (supply[i] <= demand[j] and i < M - 1) or j == N - 1:
            i += 1  # row i is exhausted
        else:
            j += 1  # column j is exhausted


def _hang(
    neighbours: list[set[int]],
    start: int,
    parent: list[int],
    depth: list[int],
    pot: np.ndarray,
    C: np.ndarray,
    M: int,
) -> None:
    """(Re)hang the part of the tree below ``start`` (everything reachable without crossing
    ``parent[start]``): set parent, depth and potentials with u_i + v_j = C_ij on tree cells.

    Nodes 0..M-1 are rows, M..M+N-1 are columns; ``pot`` holds u for rows and v for columns.
    Cost O(size of that part): after a pivot only the subtree cut off by the leaving cell moves.
    """
    stack = [start]
    while stack:
        node = stack.pop()
        for other in neighbours[node]:
            if other != parent[node]:
                parent[other], depth[other] = node, depth[node] + 1
                i, j = (node, other - M) if node < M else (other, node - M)
                pot[other] = C[i, j] - pot[node]  # u_i + v_j = C_ij on tree cells
                stack.append(other)


def _cycle(parent: list[int], depth: list[int], start: int, end: int) -> list[int]:
    """Nodes on the tree path from ``start`` to ``end`` (both included)."""
    up, down = [start], [end]
    a, b = start, end
    while depth[a] > depth[b]:
        a = parent[a]
        up.append(a)
    while depth[b] > depth[a]:
        b = parent[b]
        down.append(b)
    while a != b:
        a, b = parent[a], parent[b]
        up.append(a)
        down.append(b)
    return up + down[-2::-1]  # start ... common ancestor ... end


def push_around_cycle(
    plan: np.ndarray, parent: list[int], depth: list[int], i: int, j: int
) -> tuple[float, tuple[int, int]]:
    """The pivot: send as much mass as possible through the entering cell (i, j), in place.

    The new cell closes exactly one cycle with the tree. Along it the cells alternate: the entering
    cell gains θ, the next loses θ, the next gains θ, ..., so every row and column sum stays put.
    θ is the smallest mass on a losing ('-') cell; that cell (the smallest row-major index among
    ties) leaves the tree. Returns (θ, leaving cell). Tree nodes: rows 0..M-1, columns M..M+N-1.
    """
    M, N = plan.shape
    path = _cycle(parent, depth, M + j, i)  # column j ... row i through the tree
    # cells along the path alternate -, +, -, ...; the entering cell (i, j) is +
    cells = [(min(p, q), max(p, q) - M) for p, q in zip(path[:-1], path[1:])]
    minus, plus = cells[0::2], cells[1::2]
    theta = min(plan[c] for c in minus)  # the most mass we can shift
    leaving = min((c for c in minus if plan[c] == theta), key=lambda c: c[0] * N + c[1])
    for c in minus:
        plan[c] -= theta
    for c in plus:
        plan[c] += theta
    plan[i, j] += theta
    plan[leaving] = 0.0
    return theta, leaving


def transportation_simplex(
    a: ArrayLike, b: ArrayLike, cost: ArrayLike, max_iters: int = 100_000, bland_after: int = 1000
) -> ExactTransport:
    """Solve min_P <P, C> s.t. P 1 = a, Pᵀ 1 = b, P ≥ 0 exactly by the transportation simplex.

    The readable version, in plain Python; ``exact_transport`` runs the same method compiled.

    a: (M,), b: (N,) non-negative weights of equal total; cost: (M, N). Each pivot
      1. prices every cell: reduced cost r_ij = C_ij - u_i - v_j (u, v from the tree);
      2. stops if r ≥ 0 (dual feasible, hence optimal); otherwise enters the most negative cell;
      3. pushes θ around the unique cycle the new cell closes, + and - alternately, θ = the smallest
         mass on a '-' cell, which leaves the tree.
    Degenerate pivots (θ = 0) can cycle in theory; after ``bland_after`` of them in a row we switch to
    Bland's smallest-index rule, which provably terminates, until a pivot moves mass again.
    Ties are broken by row-major cell index (i * N + j): the first most-negative cell (of the list)
    enters, the smallest-index blocking cell leaves. Which cells make the list at a tie is up to
    ``np.argpartition``, so a port should expect the same cost, not necessarily the same plan,
    when the optimum is not unique.
    """
    a, b, C = check_marginals(a, b, cost)
    M, N = C.shape
    plan, basis = northwest_corner(a, b)
    index_of = {cell: k for k, cell in enumerate(basis)}  # cell -> slot in ``basis``
    neighbours: list[set[int]] = [set() for _ in range(M + N)]  # the tree's adjacency
    for i, j in basis:
        neighbours[i].add(M + j)
        neighbours[M + j].add(i)
    parent, depth, pot = [-1] * (M + N), [0] * (M + N), np.zeros(M + N)
    _hang(neighbours, 0, parent, depth, pot, C, M)  # root the tree at row 0, u_0 = 0
    tol = 1e-12 * max(1.0, float(np.abs(C).max()))  # reduced costs above -tol count as zero
    num_candidates = max(64, int(np.sqrt(M * N)))  # size of the partial-pricing list
    candidates = np.zeros(0, dtype=np.int64)  # flat indices i * N + j worth re-pricing
    degenerate_run = 0
    for it in range(max_iters):
        u, v = pot[:M], pot[M:]
        entering = None
        if degenerate_run >= bland_after:
            reduced = C - u[:, None] - v[None, :]  # Bland: the first improving cell, row-major
            improving = np.flatnonzero(reduced.ravel() < -tol)
            entering = divmod(int(improving[0]), N) if improving.size else None
        else:
            # partial pricing: re-price only a short list of promising cells; when none of them
            # improves any more, price every cell r_ij = C_ij - u_i - v_j and refill the list
            if candidates.size:
                ci, cj = np.divmod(candidates, N)
                r = C[ci, cj] - u[ci] - v[cj]
                k = int(np.argmin(r))
                if r[k] < -tol:
                    entering = (int(ci[k]), int(cj[k]))
            if entering is None:
                reduced = (C - u[:, None] - v[None, :]).ravel()  # (M * N,)
                if num_candidates < reduced.size:
                    best = np.argpartition(reduced, num_candidates)[:num_candidates]
                else:
                    best = np.arange(reduced.size)
                candidates = np.sort(best[reduced[best] < -tol])  # row-major order for tie-breaks
                if candidates.size:
                    entering = divmod(int(candidates[np.argmin(reduced[candidates])]), N)
        if entering is None:  # no improving cell anywhere: dual feasible, hence optimal
            return ExactTransport(plan, float(np.sum(plan * C)), u.copy(), v.copy(), tuple(basis), it)
        i, j = entering
        theta, leaving = push_around_cycle(plan, parent, depth, i, j)
        slot = index_of.pop(leaving)
        basis[slot] = (i, j)
        index_of[(i, j)] = slot
        degenerate_run = degenerate_run + 1 if theta == 0.0 else 0
        # update the tree: cut the leaving cell, join the entering one, re-hang the cut-off part
        row_node, col_node = leaving[0], M + leaving[1]
        child = row_node if parent[row_node] == col_node else col_node  # root of the cut-off part
        node = M + j
        while depth[node] > depth[child]:  # is column j below the cut?
            node = parent[node]
        inner, outer = (M + j, i) if node == child else (i, M + j)
        neighbours[row_node].discard(col_node)
        neighbours[col_node].discard(row_node)
        neighbours[i].add(M + j)
        neighbours[M + j].add(i)
        parent[inner], depth[inner] = outer, depth[outer] + 1
        pot[inner] = C[i, j] - pot[outer]  # the entering cell now has zero reduced cost
        _hang(neighbours, inner, parent, depth, pot, C, M)
    warnings.warn(
        f"transportation_simplex stopped after max_iters={max_iters} pivots before reaching optimality; "
        "raise max_iters (the plan returned is feasible but may not be optimal)",
        RuntimeWarning,
        stacklevel=2,
    )
    u, v = pot[:M].copy(), pot[M:].copy()
    return ExactTransport(plan, float(np.sum(plan * C)), u, v, tuple(basis), max_iters)


def exact_transport(
    a: ArrayLike, b: ArrayLike, cost: ArrayLike, max_iters: int | None = None
) -> ExactTransport:
    """Solve min_P <P, C> s.t. P 1 = a, Pᵀ 1 = b, P ≥ 0 exactly: the network simplex, compiled.

    a: (M,), b: (N,) non-negative weights of equal total; cost: (M, N). Same method and same kind of
    answer (an optimal vertex with its dual certificate) as ``transportation_simplex``, run by
    ``network_simplex`` with block pricing on a strongly feasible tree; about as fast as POT's
    ``ot.emd`` (``benchmarks/sinkhorn.py``). Columns of zero mass are left out of the solve and
    joined to the tree afterwards by a zero-mass cell of least reduced cost (their v_j is the largest
    that keeps u_i + v_j ≤ C_ij). ``max_iters`` defaults to 50 (M + N)² pivots.
    """
    a, b, C = check_marginals(a, b, cost)
    M, N = C.shape
    keep = np.flatnonzero(b > 0)  # zero-mass columns would start the tree degenerate the wrong way
    tol = 1e-12 * max(1.0, float(np.abs(C).max()))  # reduced costs above -tol count as zero
    if max_iters is None:
        max_iters = 50 * (M + N) ** 2
    parent, flow, pot, pivots, converged = network_simplex(a, b[keep], C[:, keep], max_iters, tol)
    K = keep.size
    plan = np.zeros((M, N))
    u = pot[:M].copy()
    v = np.empty(N)
    v[keep] = pot[M:]
    basis = []
    for node in range(1, M + K):  # the tree cells: each node but the root with its parent
        i, k = (node, parent[node] - M) if node < M else (parent[node], node - M)
        plan[i, keep[k]] = flow[node]
        basis.append((int(i), int(keep[k])))
    for j in np.flatnonzero(b <= 0):  # a zero-mass column joins where its reduced cost is zero
        i = int(np.argmin(C[:, j] - u))
        v[j] = C[i, j] - u[i]
        basis.append((i, int(j)))
    if not converged:
        warnings.warn(
            f"exact_transport stopped after max_iters={max_iters} pivots before reaching optimality; "
            "raise max_iters (the plan returned is feasible but may not be optimal)",
            RuntimeWarning,
            stacklevel=2,
        )
    return ExactTransport(plan, float(np.sum(plan * C)), u, v, tuple(basis), int(pivots))
