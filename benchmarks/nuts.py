"""NUTS on eight schools (non-centred): ours (NumPy, float64) vs NumPyro's NUTS (JAX, float64).

Run by hand (not a test):  .venv/bin/python benchmarks/nuts.py [--repeats 3]

Both samplers run 4 chains x 1000 draws after 1000 warm-up iterations, one chain after another on
one process, on the same model: mu ~ N(0, 5^2), tau ~ HalfCauchy(5), eta_j ~ N(0, 1),
y_j ~ N(mu + tau eta_j, sigma_j^2). For each run we compute, with our own ESS (bulk, rank-normalised,
checked against ArviZ in the tests), the smallest and the mean ESS over mu, tau and theta_1..8, and
divide by

* gradient evaluations: leapfrog steps of the sampling phase (NumPyro's ``num_steps`` field), and
* seconds of CPU time (``time.process_time``, all threads of the process) for the whole run, warm-up
  included. CPU time rather than wall time because the development machine is shared: wall time there
  measures the neighbours. Wall time is printed too.

NumPyro compiles its sampler with JAX on first use; its first run includes that compilation, later
runs reuse it, so we print both. Runs alternate between the two samplers so machine load hits both;
we print medians over ``--repeats`` seeds and the ratios ours / NumPyro (> 1 means ours is better).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from mlatlas.probabilistic.diagnostics import ess
from mlatlas.probabilistic.mcmc import sample_eight_schools
from mlatlas.probabilistic.targets import EIGHT_SCHOOLS_SIGMA, EIGHT_SCHOOLS_Y

WARMUP, DRAWS, CHAINS = 1000, 1000, 4


def ess_summary(draws: np.ndarray) -> tuple[float, float]:
    """(min, mean) bulk ESS over the 10 constrained quantities of draws (chains, draws, 10)."""
    values = [ess(draws[:, :, j]) for j in range(draws.shape[-1])]
    return min(values), float(np.mean(values))


def run_ours(seed: int) -> dict:
    start, cpu = time.perf_counter(), time.process_time()
    result, draws = sample_eight_schools(np.random.default_rng(seed), WARMUP, DRAWS, CHAINS)
    seconds, wall = time.process_time() - cpu, time.perf_counter() - start
    lo, mean = ess_summary(draws)
    return dict(
        wall=wall,
        seconds=seconds,
        grads=int(result.n_steps.sum()),
        ess_min=lo,
        ess_mean=mean,
        divergences=int(result.diverging.sum()),
    )


def make_numpyro():
    import jax

    jax.config.update("jax_enable_x64", True)
    import numpyro
    import numpyro.distributions as dist
    from numpyro.infer import MCMC, NUTS

    def model():
        mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
        tau = numpyro.sample("tau", dist.HalfCauchy(5.0))
        with numpyro.plate("J", 8):
            eta = numpyro.sample("eta", dist.Normal(0.0, 1.0))
            numpyro.sample("obs", dist.Normal(mu + tau * eta, EIGHT_SCHOOLS_SIGMA), obs=EIGHT_SCHOOLS_Y)

    mcmc = MCMC(
        NUTS(model),
        num_warmup=WARMUP,
        num_samples=DRAWS,
        num_chains=CHAINS,
        chain_method="sequential",
        progress_bar=False,
    )

    def run(seed: int) -> dict:
        start, cpu = time.perf_counter(), time.process_time()
        mcmc.run(jax.random.PRNGKey(seed), extra_fields=("num_steps", "diverging"))
        s = {k: np.asarray(v, dtype=np.float64) for k, v in mcmc.get_samples(group_by_chain=True).items()}
        seconds, wall = time.process_time() - cpu, time.perf_counter() - start
        extra = mcmc.get_extra_fields()
        theta = s["mu"][..., None] + s["tau"][..., None] * s["eta"]
        draws = np.concatenate([s["mu"][..., None], s["tau"][..., None], theta], axis=-1)
        lo, mean = ess_summary(draws)
        return dict(
            wall=wall,
            seconds=seconds,
            grads=int(np.sum(extra["num_steps"])),
            ess_min=lo,
            ess_mean=mean,
            divergences=int(np.sum(extra["diverging"])),
        )

    return run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    numpyro_run = make_numpyro()
    first = numpyro_run(100)  # includes JAX compilation
    print(f"NumPyro first run (with compilation): {first['seconds']:.1f} s CPU, {first['wall']:.1f} s wall")
    ours, theirs = [], []
    for seed in range(args.repeats):
        ours.append(run_ours(seed))
        theirs.append(numpyro_run(seed))
    print(
        f"eight schools, {CHAINS} chains x {DRAWS} draws after {WARMUP} warm-up; "
        f"medians over {args.repeats} seeds"
    )
    header = f"{'':>10}{'wall s':>8}{'CPU s':>8}{'grads':>9}{'min ESS':>9}{'mean ESS':>10}{'div':>5}"
    header += f"{'minESS/grad':>13}{'minESS/CPU s':>14}"
    print(header)
    rows = {}
    for name, runs in (("ours", ours), ("NumPyro", theirs)):
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        med["per_grad"] = statistics.median(r["ess_min"] / r["grads"] for r in runs)
        med["per_s"] = statistics.median(r["ess_min"] / r["seconds"] for r in runs)
        med["mean_per_grad"] = statistics.median(r["ess_mean"] / r["grads"] for r in runs)
        med["mean_per_s"] = statistics.median(r["ess_mean"] / r["seconds"] for r in runs)
        rows[name] = med
        print(
            f"{name:>10}{med['wall']:>8.1f}{med['seconds']:>8.1f}{med['grads']:>9.0f}{med['ess_min']:>9.0f}{med['ess_mean']:>10.0f}"
            f"{med['divergences']:>5.0f}{med['per_grad']:>13.4f}{med['per_s']:>14.0f}"
        )
    a, b = rows["ours"], rows["NumPyro"]
    print(
        f"ratio ours / NumPyro: ESS per gradient {a['per_grad'] / b['per_grad']:.2f} (min ESS), "
        f"{a['mean_per_grad'] / b['mean_per_grad']:.2f} (mean ESS); target 0.8-1.25"
    )
    print(
        f"ratio ours / NumPyro: ESS per CPU second {a['per_s'] / b['per_s']:.2f} (min ESS), "
        f"{a['mean_per_s'] / b['mean_per_s']:.2f} (mean ESS), NumPyro compiled; target >= 0.25"
    )
    with_compile = a["per_s"] / (first["ess_min"] / first["seconds"])
    print(f"ratio ours / NumPyro's first run (compilation included): ESS per CPU second {with_compile:.2f}")


if __name__ == "__main__":
    main()
