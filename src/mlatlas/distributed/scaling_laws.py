"""Scaling laws: fit L(N, D) on a grid of our own tiny GPT runs, and compute-optimal arithmetic.

Papers: Jared Kaplan, Sam McCandlish, Tom Henighan, Tom B. Brown, Benjamin Chess, Rewon Child, Scott
Gray, Alec Radford, Jeffrey Wu, Dario Amodei (2020), "Scaling Laws for Neural Language Models",
arXiv:2001.08361; Jordan Hoffmann, Sebastian Borgeaud, Arthur Mensch, Elena Buchatskaya, Trevor Cai,
Eliza Rutherford, Diego de Las Casas, Lisa Anne Hendricks, Johannes Welbl, Aidan Clark, et al.
(2022), "Training Compute-Optimal Large Language Models", arXiv:2203.15556 (Chinchilla).

Train models of N parameters on D tokens and the final loss follows L(N, D) = E + A/N^α + B/D^β
(Hoffmann et al. eq. 2). With compute C ≈ 6ND, minimising L gives N_opt ∝ C^(β/(α+β)) and
D_opt ∝ C^(α/(α+β)) (their eq. 4). The grid here is tiny and character-level: the point is the
method, and why its exponents need not be the papers'.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares, minimize_scalar

RUNS = Path(__file__).parent / "data" / "scaling_runs.json"
WIDTHS = (16, 32, 64, 96)  # C; 2 layers each
STEPS = (60, 120, 240, 480)  # × 16 sequences × 32 tokens per step
TOKENS_PER_STEP = 16 * 32


@dataclass(frozen=True)
class ScalingFit:
    """L(N, D) = E + A / N^alpha + B / D^beta."""

    E: float
    A: float
    alpha: float
    B: float
    beta: float

    def loss(self, n, d):
        return self.E + self.A / np.power(n, self.alpha) + self.B / np.power(d, self.beta)


HOFFMANN = ScalingFit(E=1.69, A=406.4, alpha=0.34, B=410.7, beta=0.28)  # their approach 3 (eq. 10)
KAPLAN_ALPHA_N, KAPLAN_ALPHA_D = 0.076, 0.095  # L(N) ∝ N^−0.076, L(D) ∝ D^−0.095 (Kaplan eqs. 1.1, 1.2)


def fit_scaling_law(n, d, loss, *, seed: int = 0, starts: int = 8) -> ScalingFit:
    """Least squares on log L with a soft-L1 (Huber-like) loss, from many random starts.

    Parametrised as E = e^e, A = e^a, B = e^b so that all three stay positive; Hoffmann et al. fit
    the same form with a Huber loss on log L and L-BFGS from a grid of starts (section 3.3).
    """
    n, d, loss = (np.asarray(v, dtype=float) for v in (n, d, loss))
    if not (len(n) == len(d) == len(loss)) or len(n) < 5:
        raise ValueError(f"need at least 5 runs with N, D and loss each; got {len(n)}, {len(d)}, {len(loss)}")

    def residual(theta):
        e, a, alpha, b, beta = theta
        pred = np.exp(e) + np.exp(a - alpha * np.log(n)) + np.exp(b - beta * np.log(d))
        return np.log(pred) - np.log(loss)

    rng = np.random.default_rng(seed)
    best = None
    for _ in range(starts):
        theta0 = [np.log(loss.min()) + rng.uniform(-1.5, 0), rng.uniform(0, 8), rng.uniform(0.05, 1.0),
                  rng.uniform(0, 8), rng.uniform(0.05, 1.0)]  # fmt: skip
        result = least_squares(residual, theta0, loss="soft_l1", f_scale=1e-2, bounds=(
            [-10, -10, 0.0, -10, 0.0], [10, 30, 3.0, 30, 3.0]))  # fmt: skip
        if best is None or result.cost < best.cost:
            best = result
    e, a, alpha, b, beta = best.x
    return ScalingFit(float(np.exp(e)), float(np.exp(a)), float(alpha), float(np.exp(b)), float(beta))


def compute_optimal(c: float, fit: ScalingFit) -> tuple[float, float]:
    """(N_opt, D_opt) minimising L(N, C / 6N) — Hoffmann et al. eq. 4:

    N_opt = G (C/6)^(β/(α+β)),  D_opt = (C/6)^(α/(α+β)) / G,  G = (α A / (β B))^(1/(α+β))
    """
    a, b = fit.beta / (fit.alpha + fit.beta), fit.alpha / (fit.alpha + fit.beta)
    g = (fit.alpha * fit.A / (fit.beta * fit.B)) ** (1 / (fit.alpha + fit.beta))
    return g * (c / 6) ** a, (c / 6) ** b / g


def compute_optimal_numeric(c: float, fit: ScalingFit) -> tuple[float, float]:
    """The same by direct minimisation over log N (to check the closed form)."""
    result = minimize_scalar(lambda log_n: fit.loss(np.exp(log_n), c / (6 * np.exp(log_n))),
                             bounds=(0, np.log(c)), method="bounded", options={"xatol": 1e-10})  # fmt: skip
    n = float(np.exp(result.x))
    return n, c / (6 * n)


# ---------------------------------------------------------------------------------------------------
# The grid of runs


def non_embedding_parameters(width: int, n_layer: int = 2) -> int:
    """Kaplan's N: parameters outside the token and position embeddings (and the tied head)."""
    from mlatlas.transformers.gpt import GPT, GPTConfig

    model = GPT(
        GPTConfig(vocab_size=30, block_size=32, n_layer=n_layer, n_head=max(1, width // 16), n_embd=width)
    )
    return model.num_parameters() - model.wte.weight.numel() - model.wpe.weight.numel()


def run_grid() -> list[dict]:
    """Train every (width, steps) pair once on the generated corpus; record N, D, held-out loss."""
    import torch

    from mlatlas.transformers.corpus import make_corpus
    from mlatlas.transformers.gpt import GPTConfig
    from mlatlas.transformers.gpt_and_in_context_learning import TrainConfig, train_gpt

    torch.set_num_threads(1)
    text = make_corpus(np.random.default_rng(0), num_lines=20_000, lookup_fraction=0.0)
    runs = []
    for width in WIDTHS:
        for steps in STEPS:
            config = GPTConfig(
                vocab_size=30, block_size=32, n_layer=2, n_head=max(1, width // 16), n_embd=width
            )
            warmup = max(1, steps // 10)
            train = TrainConfig(steps=steps, batch_size=16, warmup_steps=warmup, eval_every=steps,
                                eval_batches=8, max_seconds=1e9)  # fmt: skip
            t0 = time.perf_counter()
            result = train_gpt(config, train, text)
            runs.append({
                "width": width, "steps": steps, "N": non_embedding_parameters(width),
                "D": steps * TOKENS_PER_STEP, "loss": result.history[-1]["val_loss"],
                "seconds": time.perf_counter() - t0,
            })  # fmt: skip
            print(f"C={width:3d} N={runs[-1]['N']:7,d} D={runs[-1]['D']:7,d}: loss {runs[-1]['loss']:.4f}")
    return runs


def load_runs() -> list[dict]:
    return json.loads(RUNS.read_text())["runs"]


def fit_cached() -> ScalingFit:
    runs = load_runs()
    return fit_scaling_law([r["N"] for r in runs], [r["D"] for r in runs], [r["loss"] for r in runs])


def demo() -> None:
    """`mlatlas run scaling-laws`: fit the cached grid (add --rerun to train it again, --save to cache)."""
    if "--rerun" in sys.argv or not RUNS.exists():
        runs = run_grid()
        if "--save" in sys.argv:
            RUNS.write_text(json.dumps({"runs": runs}, indent=1) + "\n")
            print(f"wrote {RUNS}")
    else:
        runs = load_runs()
    fit = fit_scaling_law([r["N"] for r in runs], [r["D"] for r in runs], [r["loss"] for r in runs])
    print(f"fit: {asdict(fit)}")
    a = fit.beta / (fit.alpha + fit.beta)
    print(f"ours:     alpha {fit.alpha:.3f}, beta {fit.beta:.3f}, N_opt ∝ C^{a:.2f}")
    h = HOFFMANN
    print(f"Hoffmann: alpha {h.alpha:.3f}, beta {h.beta:.3f}, N_opt ∝ C^{h.beta / (h.alpha + h.beta):.2f}")
    print(f"Kaplan:   alpha_N {KAPLAN_ALPHA_N}, alpha_D {KAPLAN_ALPHA_D}, N_opt ∝ C^0.73")
    for c in (1e18, 1e21, 1e24):
        n, d = compute_optimal(c, h)
        print(f"Hoffmann's fit at C = {c:.0e} FLOPs: N_opt {n:.3g}, D_opt {d:.3g}", end="")
        print(f" ({d / n:.1f} tokens per parameter)")
