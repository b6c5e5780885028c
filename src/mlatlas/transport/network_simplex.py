"""Network simplex for exact optimal transport: the transportation simplex's pivots, compiled.

Paper: Kelly & O'Neill, 1991, "The minimum cost flow problem and the network simplex solution method";
Ahuja, Magnanti & Orlin, 1993, "Network Flows", Chapter 11; Cunningham, 1976, "A network simplex
method" (Math. Programming 11); Bonneel, van de Panne, Paris & Heidrich, 2011, "Displacement
interpolation using Lagrangian mass transport" (the LEMON-derived solver behind POT's ``ot.emd``).
``transportation_simplex`` in ``optimal_transport`` is the readable version of the same walk from
spanning tree to spanning tree; here the tree lives in flat arrays and the loop is compiled by numba,
so a pivot costs microseconds instead of milliseconds.

The tree has M + N nodes (rows 0..M-1, columns M..M+N-1) and is rooted at row 0:

    parent[v]   the node above v (-1 at the root)
    flow[v]     the mass on the tree cell that joins v to parent[v]
    depth[v]    edges from the root;   pot[v]: u_i for a row, v_j for a column (u_0 = 0)
    first_child[v], next_sibling[v], prev_sibling[v]: the children as a doubly linked list

Pricing is block search (as in LEMON and POT): scan cells in blocks of about sqrt(M N), cyclically
from where the last scan stopped, and enter the most negative reduced cost r_ij = C_ij - u_i - v_j of
the first block that has one. The tree stays *strongly feasible* (Cunningham, 1976): every zero-mass
tree cell hangs a row below a column, so some mass could be sent from any node up to the root. The
leaving cell is the last blocking cell met walking the cycle from its apex in the entering cell's
direction, which keeps that property, so degenerate pivots cannot cycle (no Bland fallback needed).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def _solve(a, b, C, max_iters, tol):
    """North-west corner, then pivots until no r_ij < -tol: price, find the cycle's apex, push θ,
    swap the leaving cell for the entering one and re-hang the cut-off subtree."""
    M, N = a.size, b.size
    n = M + N
    parent = np.full(n, -1, np.int64)
    flow = np.zeros(n)
    # north-west corner, rooted at row 0 (ties move down: zero-mass cells hang a row below a column)
    supply, demand = a.copy(), b.copy()
    i = 0
    j = 0
    parent[M] = 0  # column 0 hangs below row 0 through cell (0, 0)
    last = M  # the node whose tree cell is the current staircase cell (i, j)
    while True:
        mass = min(supply[i], demand[j])
        flow[last] = mass
        supply[i] -= mass
        demand[j] -= mass
        if i == M - 1 and j == N - 1:
            break
        if (supply[i] <= demand[j] and i < M - 1) or j == N - 1:
            i += 1  # row i is used up: row i + 1 joins below column j via cell (i + 1, j)
            parent[i] = M + j
            last = i
        else:
            j += 1  # column j is full: column j + 1 joins below row i via cell (i, j + 1)
            parent[M + j] = i
            last = M + j
    # children lists, depth and potentials (u_i + v_j = C_ij on tree cells)
    first_child = np.full(n, -1, np.int64)
    next_sibling = np.full(n, -1, np.int64)
    prev_sibling = np.full(n, -1, np.int64)
    for v in range(1, n):  # every node but the root (row 0) joined the staircase below another
        _link(v, parent[v], first_child, next_sibling, prev_sibling)
    depth = np.zeros(n, np.int64)
    pot = np.zeros(n)
    stack = np.empty(n, np.int64)
    _rehang(0, M, C, parent, depth, pot, first_child, next_sibling, stack)

    block = max(min(int(np.sqrt(M * N)), M * N), 1)
    next_cell = 0
    total = M * N
    iters = 0
    while iters < max_iters:
        # block search pricing: the most negative r_ij of the first block that has one
        best = -tol
        enter = -1
        count = 0
        cell = next_cell
        ci = cell // N
        cj = cell - ci * N
        for _ in range(total):
            r = C[ci, cj] - pot[ci] - pot[M + cj]
            if r < best:
                best = r
                enter = cell
            count += 1
            cell += 1
            cj += 1
            if cj == N:
                cj = 0
                ci += 1
                if ci == M:
                    ci = 0
                    cell = 0
            if count == block:
                if enter >= 0:
                    break
                count = 0
        if enter < 0:
            return parent, flow, pot, iters, True  # every r_ij ≥ -tol: optimal
        next_cell = cell
        k = enter // N
        l_node = M + (enter - k * N)
        # the apex (join) of the cycle closed by the entering cell (k, l)
        x, y = k, l_node
        while x != y:
            if depth[x] > depth[y]:
                x = parent[x]
            elif depth[y] > depth[x]:
                y = parent[y]
            else:
                x = parent[x]
                y = parent[y]
        join = x
        # θ and the leaving cell: the last blocking cell walking the cycle from the apex,
        # apex -> ... -> row k -> (entering) -> column l -> ... -> apex.
        # On the row side a cell loses mass when its child is a row; on the column side, a column.
        theta = np.inf
        out = -1
        side = 0
        x = k
        while x != join:
            if x < M and flow[x] < theta:  # strict: the one nearest k is met last
                theta = flow[x]
                out = x
                side = 1
            x = parent[x]
        x = l_node
        while x != join:
            if x >= M and flow[x] <= theta:  # non-strict: the one nearest the apex is met last
                theta = flow[x]
                out = x
                side = 2
            x = parent[x]
        # push θ around the cycle
        x = k
        while x != join:
            flow[x] += -theta if x < M else theta
            x = parent[x]
        x = l_node
        while x != join:
            flow[x] += -theta if x >= M else theta
            x = parent[x]
        # re-hang the part cut off by the leaving cell below the other end of the entering cell
        inner, outer = (k, l_node) if side == 1 else (l_node, k)
        carried = theta  # mass on the entering cell
        child = inner
        new_parent = outer
        while True:
            old_parent = parent[child]
            old_flow = flow[child]
            _unlink(child, old_parent, first_child, next_sibling, prev_sibling)
            parent[child] = new_parent
            flow[child] = carried
            _link(child, new_parent, first_child, next_sibling, prev_sibling)
            if child == out:
                break
            new_parent, carried, child = child, old_flow, old_parent
        depth[inner] = depth[outer] + 1
        if inner < M:
            pot[inner] = C[inner, outer - M] - pot[outer]
        else:
            pot[inner] = C[outer, inner - M] - pot[outer]
        _rehang(inner, M, C, parent, depth, pot, first_child, next_sibling, stack)
        iters += 1
    return parent, flow, pot, iters, False


@numba.njit(cache=True)
def _link(v, p, first_child, next_sibling, prev_sibling):
    head = first_child[p]
    next_sibling[v] = head
    prev_sibling[v] = -1
    if head >= 0:
        prev_sibling[head] = v
    first_child[p] = v


@numba.njit(cache=True)
def _unlink(v, p, first_child, next_sibling, prev_sibling):
    nxt, prv = next_sibling[v], prev_sibling[v]
    if prv >= 0:
        next_sibling[prv] = nxt
    else:
        first_child[p] = nxt
    if nxt >= 0:
        prev_sibling[nxt] = prv


@numba.njit(cache=True)
def _rehang(start, M, C, parent, depth, pot, first_child, next_sibling, stack):
    """Depth and potentials of everything below ``start`` (whose own are set), from the parents."""
    top = 0
    stack[top] = start
    top += 1
    while top > 0:
        top -= 1
        node = stack[top]
        child = first_child[node]
        while child >= 0:
            depth[child] = depth[node] + 1
            if child < M:
                pot[child] = C[child, node - M] - pot[node]  # u_i = C_ij - v_j
            else:
                pot[child] = C[node, child - M] - pot[node]  # v_j = C_ij - u_i
            stack[top] = child
            top += 1
            child = next_sibling[child]


def network_simplex(
    a: np.ndarray, b: np.ndarray, C: np.ndarray, max_iters: int, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, bool]:
    """Run the compiled solver on validated float64 inputs with positive column masses.

    a: (M,), b: (N,) with equal totals, b > 0; C: (M, N). Returns (parent, flow, pot, pivots,
    converged): the optimal tree on M + N nodes as described in the module docstring.
    """
    C = np.ascontiguousarray(C, dtype=np.float64)
    return _solve(a, b, C, int(max_iters), float(tol))
