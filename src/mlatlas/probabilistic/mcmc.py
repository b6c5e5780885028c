"""Markov chain Monte Carlo: Metropolis–Hastings, Hamiltonian Monte Carlo and the No-U-Turn Sampler.

Papers: Metropolis, Rosenbluth, Rosenbluth, Teller, Teller (1953), J. Chem. Phys. 21; Hastings (1970),
Biometrika 57; Duane, Kennedy, Pendleton, Roweth (1987), "Hybrid Monte Carlo", Phys. Lett. B 195;
Neal (2011), "MCMC using Hamiltonian dynamics", arXiv:1206.1901; Hoffman & Gelman (2014), "The
No-U-Turn Sampler", JMLR 15, arXiv:1111.4246; Betancourt (2017), "A Conceptual Introduction to
Hamiltonian Monte Carlo", arXiv:1701.02434.
A chain whose every step leaves the target invariant visits states in proportion to their posterior
probability; HMC makes those steps long by following Hamiltonian dynamics, and NUTS decides how long.

Everything is float64 NumPy with an explicit ``numpy.random.Generator``. A target is a function
q (D,) -> (log p(q), grad log p(q)), known up to a constant. Shape legend: D dimensions.
The mass matrix is diagonal and stored as its inverse ``inv_mass`` (D,): kinetic energy
K(p) = 1/2 p^T M^-1 p, so momenta are drawn from N(0, M).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from mlatlas.probabilistic.diagnostics import ess, rhat
from mlatlas.probabilistic.targets import EIGHT_SCHOOLS_NAMES, eight_schools_constrained, eight_schools_target

LogProbGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]
MAX_DELTA_H = 1000.0  # an energy error this large marks a divergent trajectory (Stan's threshold)


# --------------------------------------------------------------------------------------------
# Metropolis–Hastings
# --------------------------------------------------------------------------------------------


class Chain(NamedTuple):
    """samples (n, D); accept_rate in [0, 1]; energy_error (n,) = H(proposal) - H(start), HMC only."""

    samples: np.ndarray
    accept_rate: float
    energy_error: np.ndarray | None = None


def metropolis_hastings(
    log_prob: Callable[[np.ndarray], float],
    q0: np.ndarray,
    n: int,
    propose: Callable[[np.ndarray, np.random.Generator], tuple[np.ndarray, float]],
    rng: np.random.Generator,
) -> Chain:
    """Propose q' from q with log q(q | q') - log q(q' | q) = ``log_q_ratio``; accept with probability

        min(1, p(q') q(q | q') / (p(q) q(q' | q)))      (Hastings 1970)

    which makes the chain satisfy detailed balance p(q) T(q -> q') = p(q') T(q' -> q).
    ``propose(q, rng) -> (q', log_q_ratio)``; a symmetric proposal has log_q_ratio = 0 (Metropolis).
    """
    q = np.array(q0, dtype=np.float64)
    logp = log_prob(q)
    samples = np.empty((n,) + q.shape)
    accepted = 0
    for i in range(n):
        q_new, log_q_ratio = propose(q, rng)
        logp_new = log_prob(q_new)
        if math.log(rng.random()) < logp_new - logp + log_q_ratio:  # log of the acceptance ratio
            q, logp, accepted = q_new, logp_new, accepted + 1
        samples[i] = q
    return Chain(samples, accepted / max(n, 1))


def random_walk(
    scale: float | np.ndarray,
) -> Callable[[np.ndarray, np.random.Generator], tuple[np.ndarray, float]]:
    """Gaussian random-walk proposal q' = q + scale * N(0, I): symmetric, so log_q_ratio = 0."""

    def propose(q: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, float]:
        return q + scale * rng.standard_normal(q.shape), 0.0

    return propose


# --------------------------------------------------------------------------------------------
# Hamiltonian dynamics and HMC
# --------------------------------------------------------------------------------------------


def kinetic_energy(p: np.ndarray, inv_mass: np.ndarray) -> float:
    """K(p) = 1/2 p^T M^-1 p for a diagonal mass matrix."""
    return 0.5 * float(p @ (inv_mass * p))


def leapfrog(
    q: np.ndarray,
    p: np.ndarray,
    grad: np.ndarray,
    log_prob_grad: LogProbGrad,
    step_size: float,
    n_steps: int,
    inv_mass: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """``n_steps`` leapfrog steps of H(q, p) = -log p(q) + K(p) (Neal 2011, eqs. 2.28–2.30):

        p <- p + (eps/2) grad log p(q);   q <- q + eps M^-1 p;   p <- p + (eps/2) grad log p(q)

    Returns (q, p, log p(q), grad) at the end; one gradient evaluation per step. The map is
    time-reversible (negate p and it retraces its path) and preserves volume, which is why HMC's
    acceptance ratio needs no Jacobian.
    """
    q, p = q.copy(), p.copy()
    logp = math.nan
    for _ in range(n_steps):
        p += 0.5 * step_size * grad  # half step in momentum
        q += step_size * inv_mass * p  # full step in position
        logp, grad = log_prob_grad(q)
        p += 0.5 * step_size * grad  # half step in momentum
    return q, p, logp, grad


def hmc(
    log_prob_grad: LogProbGrad,
    q0: np.ndarray,
    n: int,
    step_size: float,
    n_steps: int,
    rng: np.random.Generator,
    inv_mass: np.ndarray | None = None,
) -> Chain:
    """Hamiltonian Monte Carlo with a fixed trajectory of ``n_steps`` leapfrog steps (Neal 2011, section 3.2):
    draw p ~ N(0, M), integrate, accept with probability min(1, exp(H(q, p) - H(q', p'))).
    The returned ``energy_error`` H' - H is O(eps^2) for a stable step size."""
    q = np.array(q0, dtype=np.float64)
    inv_mass = np.ones_like(q) if inv_mass is None else np.asarray(inv_mass, dtype=np.float64)
    logp, grad = log_prob_grad(q)
    samples, errors = np.empty((n, q.size)), np.empty(n)
    accepted = 0
    for i in range(n):
        p = rng.standard_normal(q.size) / np.sqrt(inv_mass)  # p ~ N(0, M)
        h0 = -logp + kinetic_energy(p, inv_mass)
        q_new, p_new, logp_new, grad_new = leapfrog(q, p, grad, log_prob_grad, step_size, n_steps, inv_mass)
        errors[i] = -logp_new + kinetic_energy(p_new, inv_mass) - h0  # Delta H
        if math.log(rng.random()) < -errors[i]:  # accept with min(1, e^{-Delta H})
            q, logp, grad, accepted = q_new, logp_new, grad_new, accepted + 1
        samples[i] = q
    return Chain(samples, accepted / max(n, 1), errors)


# --------------------------------------------------------------------------------------------
# NUTS with multinomial sampling (Hoffman & Gelman 2014; Betancourt 2017, appendix A)
# --------------------------------------------------------------------------------------------


class _Tree:
    """A built trajectory segment: its two ends, the state it proposes, and what the U-turn check needs."""

    __slots__ = (
        "q_left", "p_left", "grad_left", "q_right", "p_right", "grad_right",
        "q_prop", "logp_prop", "grad_prop", "log_weight", "rho", "turning", "diverging",
        "sum_accept", "n_steps",
    )  # fmt: skip


def _no_u_turn(p_sharp_left: np.ndarray, p_sharp_right: np.ndarray, rho: np.ndarray) -> bool:
    """Generalised no-U-turn criterion (Betancourt 2017, appendix A): both ends still move along
    rho = sum of momenta over the segment, measured with the velocities p# = M^-1 p."""
    return float(p_sharp_left @ rho) > 0.0 and float(p_sharp_right @ rho) > 0.0


def _merge_turning(left: _Tree, right: _Tree, rho: np.ndarray, inv_mass: np.ndarray) -> bool:
    """U-turn check of the merged segment [left, right] plus Stan's two extra checks across the seam
    (each half extended by the first state of the other), which catch U-turns that straddle it."""
    if not _no_u_turn(inv_mass * left.p_left, inv_mass * right.p_right, rho):
        return True
    if not _no_u_turn(inv_mass * left.p_left, inv_mass * right.p_left, left.rho + right.p_left):
        return True
    return not _no_u_turn(inv_mass * left.p_right, inv_mass * right.p_right, right.rho + left.p_right)


def _build_tree(
    q: np.ndarray,
    p: np.ndarray,
    grad: np.ndarray,
    direction: int,
    depth: int,
    step_size: float,
    h0: float,
    log_prob_grad: LogProbGrad,
    inv_mass: np.ndarray,
    rng: np.random.Generator,
) -> _Tree:
    """Take 2^depth leapfrog steps from (q, p) in ``direction`` and return the segment, with a state
    drawn from it in proportion to exp(-H) (uniform progressive sampling inside the subtree)."""
    if depth == 0:
        q1, p1, logp1, grad1 = leapfrog(q, p, grad, log_prob_grad, direction * step_size, 1, inv_mass)
        h = -logp1 + kinetic_energy(p1, inv_mass)
        if math.isnan(h):
            h = math.inf
        t = _Tree()
        t.q_left = t.q_right = t.q_prop = q1
        t.p_left = t.p_right = t.rho = p1
        t.grad_left = t.grad_right = t.grad_prop = grad1
        t.logp_prop = logp1
        t.log_weight = h0 - h  # log of exp(-H) relative to the start: multinomial weight
        t.turning = False
        t.diverging = h - h0 > MAX_DELTA_H
        t.sum_accept = min(1.0, math.exp(min(h0 - h, 0.0)))  # Metropolis acceptance of this state
        t.n_steps = 1
        return t
    first = _build_tree(q, p, grad, direction, depth - 1, step_size, h0, log_prob_grad, inv_mass, rng)
    if first.turning or first.diverging:
        return first
    if direction > 0:
        start = (first.q_right, first.p_right, first.grad_right)
    else:
        start = (first.q_left, first.p_left, first.grad_left)
    second = _build_tree(*start, direction, depth - 1, step_size, h0, log_prob_grad, inv_mass, rng)
    tree = _Tree()
    tree.n_steps = first.n_steps + second.n_steps
    tree.sum_accept = first.sum_accept + second.sum_accept
    tree.diverging = second.diverging
    if second.turning or second.diverging:
        tree.turning, tree.log_weight = True, first.log_weight  # invalid: the caller discards it
        tree.q_left, tree.p_left, tree.grad_left = first.q_left, first.p_left, first.grad_left
        tree.q_right, tree.p_right, tree.grad_right = first.q_right, first.p_right, first.grad_right
        tree.q_prop, tree.logp_prop, tree.grad_prop, tree.rho = (
            first.q_prop,
            first.logp_prop,
            first.grad_prop,
            first.rho,
        )
        return tree
    tree.log_weight = np.logaddexp(first.log_weight, second.log_weight)
    # uniform progressive sampling: take the second half's proposal with probability w2 / (w1 + w2)
    chosen = second if math.log(rng.random()) < second.log_weight - tree.log_weight else first
    tree.q_prop, tree.logp_prop, tree.grad_prop = chosen.q_prop, chosen.logp_prop, chosen.grad_prop
    left, right = (first, second) if direction > 0 else (second, first)
    tree.q_left, tree.p_left, tree.grad_left = left.q_left, left.p_left, left.grad_left
    tree.q_right, tree.p_right, tree.grad_right = right.q_right, right.p_right, right.grad_right
    tree.rho = first.rho + second.rho
    tree.turning = _merge_turning(left, right, tree.rho, inv_mass)
    return tree


class Transition(NamedTuple):
    """One NUTS draw: the new state, its log density and gradient, and what happened on the way."""

    q: np.ndarray
    logp: float
    grad: np.ndarray
    accept_stat: float  # mean Metropolis acceptance over the trajectory: what dual averaging targets
    n_steps: int  # leapfrog steps = gradient evaluations
    depth: int
    diverging: bool


def nuts_step(
    q: np.ndarray,
    logp: float,
    grad: np.ndarray,
    log_prob_grad: LogProbGrad,
    step_size: float,
    inv_mass: np.ndarray,
    rng: np.random.Generator,
    max_depth: int = 10,
) -> Transition:
    """One NUTS transition: double the trajectory forwards or backwards at random until it makes a
    U-turn, diverges or reaches 2^max_depth steps; each new half is adopted as a whole with
    probability min(1, w_new / w_old) (biased progressive sampling, Betancourt 2017, appendix A), which
    favours states far from the start while keeping exp(-H) invariant."""
    p = rng.standard_normal(q.size) / np.sqrt(inv_mass)  # p ~ N(0, M)
    h0 = -logp + kinetic_energy(p, inv_mass)
    tree = _Tree()
    tree.q_left = tree.q_right = tree.q_prop = q
    tree.p_left = tree.p_right = tree.rho = p
    tree.grad_left = tree.grad_right = tree.grad_prop = grad
    tree.logp_prop, tree.log_weight = logp, 0.0
    sum_accept, n_steps, diverging, depth = 0.0, 0, False, 0
    while depth < max_depth:
        direction = 1 if rng.random() < 0.5 else -1
        if direction > 0:
            start = (tree.q_right, tree.p_right, tree.grad_right)
        else:
            start = (tree.q_left, tree.p_left, tree.grad_left)
        new = _build_tree(*start, direction, depth, step_size, h0, log_prob_grad, inv_mass, rng)
        depth += 1
        sum_accept += new.sum_accept
        n_steps += new.n_steps
        if new.diverging:
            diverging = True
            break
        if new.turning:
            break
        if math.log(rng.random()) < new.log_weight - tree.log_weight:  # biased progressive sampling
            tree.q_prop, tree.logp_prop, tree.grad_prop = new.q_prop, new.logp_prop, new.grad_prop
        left, right = (tree, new) if direction > 0 else (new, tree)
        rho = tree.rho + new.rho
        turning = _merge_turning(left, right, rho, inv_mass)
        merged_left, merged_right = (
            (left.q_left, left.p_left, left.grad_left),
            (right.q_right, right.p_right, right.grad_right),
        )
        tree.q_left, tree.p_left, tree.grad_left = merged_left
        tree.q_right, tree.p_right, tree.grad_right = merged_right
        tree.rho = rho
        tree.log_weight = np.logaddexp(tree.log_weight, new.log_weight)
        if turning:
            break
    return Transition(
        tree.q_prop, tree.logp_prop, tree.grad_prop, sum_accept / n_steps, n_steps, depth, diverging
    )


# --------------------------------------------------------------------------------------------
# Warm-up: dual-averaging step size and a windowed diagonal mass matrix (as in Stan)
# --------------------------------------------------------------------------------------------


class DualAveraging:
    """Nesterov's dual averaging of log step size towards a target acceptance delta
    (Hoffman & Gelman 2014, section 3.2, eq. 6 and Algorithm 5):

        H_m      = (1 - 1/(m + t0)) H_{m-1} + (delta - alpha_m) / (m + t0)
        log eps_m = mu - sqrt(m) / gamma * H_m
        log eps_bar_m = m^-kappa log eps_m + (1 - m^-kappa) log eps_bar_{m-1}
    """

    def __init__(
        self,
        step_size: float,
        target: float = 0.8,
        gamma: float = 0.05,
        t0: float = 10.0,
        kappa: float = 0.75,
    ):
        self.target, self.gamma, self.t0, self.kappa = target, gamma, t0, kappa
        self.restart(step_size)

    def restart(self, step_size: float) -> None:
        self.mu = math.log(10.0 * step_size)  # shrink towards 10x the initial guess (the paper's choice)
        self.m, self.h_bar, self.log_eps_bar = 0, 0.0, 0.0

    def update(self, accept_stat: float) -> float:
        """Feed one iteration's acceptance statistic; return the step size to use next."""
        self.m += 1
        w = 1.0 / (self.m + self.t0)
        self.h_bar = (1.0 - w) * self.h_bar + w * (self.target - accept_stat)
        log_eps = self.mu - math.sqrt(self.m) / self.gamma * self.h_bar
        eta = self.m**-self.kappa
        self.log_eps_bar = eta * log_eps + (1.0 - eta) * self.log_eps_bar
        return math.exp(log_eps)

    @property
    def final_step_size(self) -> float:
        return math.exp(self.log_eps_bar)


def find_reasonable_step_size(
    q: np.ndarray,
    logp: float,
    grad: np.ndarray,
    log_prob_grad: LogProbGrad,
    inv_mass: np.ndarray,
    rng: np.random.Generator,
    step_size: float = 1.0,
) -> float:
    """Halve or double eps until one leapfrog step's acceptance probability crosses 1/2
    (Hoffman & Gelman 2014, Algorithm 4)."""
    p = rng.standard_normal(q.size) / np.sqrt(inv_mass)
    h0 = -logp + kinetic_energy(p, inv_mass)

    def log_accept(eps: float) -> float:
        _, p1, logp1, _ = leapfrog(q, p, grad, log_prob_grad, eps, 1, inv_mass)
        h = -logp1 + kinetic_energy(p1, inv_mass)
        return h0 - h if math.isfinite(h) else -math.inf

    a = 1.0 if log_accept(step_size) > math.log(0.5) else -1.0
    for _ in range(100):
        if a * log_accept(step_size) <= -a * math.log(2.0):  # (accept)^a <= 2^-a: crossed 1/2
            break
        step_size *= 2.0**a
    return step_size


def adaptation_windows(
    num_warmup: int, init_buffer: int = 75, term_buffer: int = 50, base_window: int = 25
) -> list[tuple[int, int]]:
    """Slow windows [start, end) of warm-up iterations, Stan's schedule: a fast buffer where only the
    step size adapts, slow windows doubling in length that each end with a new mass matrix, then a
    final fast buffer. Warm-ups under 20 iterations adapt the step size only."""
    if num_warmup < 20:
        return []
    if init_buffer + term_buffer + base_window > num_warmup:  # short warm-up: 15% / 75% / 10%
        init_buffer, term_buffer = int(0.15 * num_warmup), int(0.1 * num_warmup)
        base_window = num_warmup - init_buffer - term_buffer
    windows, start, size = [], init_buffer, base_window
    last = num_warmup - term_buffer
    while start < last:
        end = start + size
        if end + 2 * size > last:  # the next window would not fit: stretch this one to the end
            end = last
        windows.append((start, end))
        start, size = end, 2 * size
    return windows


class NUTSResult(NamedTuple):
    """draws (chains, draws, D); per-draw diverging, accept_stat, n_steps, depth (chains, draws);
    step_size (chains,) and inv_mass (chains, D) after warm-up; warmup_steps: gradient evaluations
    spent in warm-up."""

    draws: np.ndarray
    diverging: np.ndarray
    accept_stat: np.ndarray
    n_steps: np.ndarray
    depth: np.ndarray
    step_size: np.ndarray
    inv_mass: np.ndarray
    warmup_steps: int


def nuts(
    log_prob_grad: LogProbGrad,
    q0: np.ndarray,
    num_warmup: int,
    num_draws: int,
    rng: np.random.Generator,
    num_chains: int = 4,
    target_accept: float = 0.8,
    max_depth: int = 10,
) -> NUTSResult:
    """Run ``num_chains`` NUTS chains, each with its own generator spawned from ``rng``, starting from q0
    (D,) or (chains, D). Warm-up adapts the step size by dual averaging throughout and the diagonal
    inverse mass matrix to the regularised sample variance of each slow window:
    M^-1 = n/(n+5) var + 1e-3 * 5/(n+5) (Stan's shrinkage towards 1e-3)."""
    q0 = np.asarray(q0, dtype=np.float64)
    starts = np.broadcast_to(q0, (num_chains, q0.shape[-1]))
    d = starts.shape[1]
    out = {k: [] for k in ("draws", "diverging", "accept", "steps", "depth", "eps", "inv_mass")}
    warmup_steps = 0
    for chain, chain_rng in enumerate(rng.spawn(num_chains)):
        q = starts[chain].copy()
        logp, grad = log_prob_grad(q)
        inv_mass = np.ones(d)
        eps = find_reasonable_step_size(q, logp, grad, log_prob_grad, inv_mass, chain_rng)
        adapter = DualAveraging(eps, target_accept)
        windows, window = adaptation_windows(num_warmup), []
        for i in range(num_warmup):
            t = nuts_step(q, logp, grad, log_prob_grad, eps, inv_mass, chain_rng, max_depth)
            q, logp, grad = t.q, t.logp, t.grad
            warmup_steps += t.n_steps
            eps = adapter.update(t.accept_stat)
            if windows and windows[0][0] <= i < windows[0][1]:
                window.append(q)  # a draw of the current slow window
                if i == windows[0][1] - 1:  # window ends: new mass matrix, restart step-size search
                    n = len(window)
                    var = np.var(np.array(window), axis=0, ddof=1)
                    inv_mass = (n / (n + 5.0)) * var + 1e-3 * (5.0 / (n + 5.0))
                    windows, window = windows[1:], []
                    eps = find_reasonable_step_size(q, logp, grad, log_prob_grad, inv_mass, chain_rng, eps)
                    adapter.restart(eps)
        eps = adapter.final_step_size if num_warmup > 0 else eps
        rows = [nuts_step(q, logp, grad, log_prob_grad, eps, inv_mass, chain_rng, max_depth)]
        for _ in range(num_draws - 1):
            rows.append(
                nuts_step(
                    rows[-1].q,
                    rows[-1].logp,
                    rows[-1].grad,
                    log_prob_grad,
                    eps,
                    inv_mass,
                    chain_rng,
                    max_depth,
                )
            )
        out["draws"].append([r.q for r in rows])
        out["diverging"].append([r.diverging for r in rows])
        out["accept"].append([r.accept_stat for r in rows])
        out["steps"].append([r.n_steps for r in rows])
        out["depth"].append([r.depth for r in rows])
        out["eps"].append(eps)
        out["inv_mass"].append(inv_mass)
    return NUTSResult(
        np.array(out["draws"]),
        np.array(out["diverging"]),
        np.array(out["accept"]),
        np.array(out["steps"]),
        np.array(out["depth"]),
        np.array(out["eps"]),
        np.array(out["inv_mass"]),
        warmup_steps,
    )


# --------------------------------------------------------------------------------------------
# Demo: eight schools
# --------------------------------------------------------------------------------------------


def sample_eight_schools(
    rng: np.random.Generator, num_warmup: int = 1000, num_draws: int = 1000, num_chains: int = 4
) -> tuple[NUTSResult, np.ndarray]:
    """NUTS on non-centred eight schools from q = 0; returns the result and constrained draws
    (chains, draws, 10) in the order mu, tau, theta[0..7]."""
    result = nuts(eight_schools_target(), np.zeros(10), num_warmup, num_draws, rng, num_chains)
    return result, eight_schools_constrained(result.draws)


def demo(seed: int = 0) -> NUTSResult:
    """Sample eight schools with 4 chains x (1000 warm-up + 1000 draws) and print the posterior summary,
    R-hat, bulk ESS and the number of divergent transitions."""
    import time

    start = time.perf_counter()
    result, draws = sample_eight_schools(np.random.default_rng(seed))
    seconds = time.perf_counter() - start
    print(f"eight schools (non-centred), 4 chains x 1000 draws after 1000 warm-up, {seconds:.1f} s")
    print(f"{'':>9}{'mean':>8}{'sd':>8}{'R-hat':>8}{'ESS bulk':>10}")
    for j, name in enumerate(EIGHT_SCHOOLS_NAMES):
        x = draws[:, :, j]
        print(f"{name:>9}{x.mean():>8.2f}{x.std(ddof=1):>8.2f}{rhat(x):>8.3f}{ess(x):>10.0f}")
    print(
        f"divergences: {int(result.diverging.sum())}; step sizes {np.round(result.step_size, 3)}; "
        f"mean leapfrog steps per draw {result.n_steps.mean():.1f}"
    )
    return result
