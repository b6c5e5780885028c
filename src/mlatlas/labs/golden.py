"""Golden vectors: what the package computes, written down for the labs' JavaScript cores.

Run ``python -m mlatlas.labs.golden`` to (re)write ``tests/js/golden/*.json``; ``--check`` only
compares. ``node --test tests/js`` then checks each JS core against these numbers, and
``tests/labs/test_golden.py`` fails when a committed file is stale (the package changed but the
goldens were not regenerated). Every input is generated here from ``LabRandom``, so the JS tests
can also check that they rebuild the same inputs from the same seeds.

Sources: ``mlatlas.foundations.neural_networks`` (MLP), ``mlatlas.foundations.optimizers`` and
``.surfaces`` (trajectories), ``mlatlas.transport`` (exact OT, log-domain Sinkhorn, McCann),
``mlatlas.transformers.toy_attention_model`` (forward pass of the exported weights) and
``mlatlas.stochastic.brownian_motion`` (paths from the shared generator) and
``mlatlas.labs.noise_to_data`` (the exported generative networks and both samplers).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mlatlas.labs.rng import LabRandom

GOLDEN_DIR = Path(__file__).resolve().parents[3] / "tests" / "js" / "golden"


def _list(a) -> list:
    return np.asarray(a, dtype=np.float64).reshape(-1).tolist()


def golden_rng() -> dict:
    """First normals and uniforms of a few seeds, including the largest seed and odd-sized calls."""
    cases = []
    for seed in (0, 1, 42, 2**32 - 1):
        rng = LabRandom(seed)
        first = rng.standard_normal(7)  # odd: the next call starts mid-pair
        second = rng.standard_normal((2, 3))
        normals = _list(first) + _list(second)
        cases.append({"seed": seed, "normals": normals, "uniform": _list(rng.uniform(5))})
    return {"cases": cases}


def golden_mlp() -> dict:
    """MLP init (from LabRandom), loss, gradients and a few SGD steps for each activation."""
    from mlatlas.foundations import neural_networks as nn

    cases = []
    for seed, activation, sizes, l2 in [
        (3, "tanh", [2, 5, 4, 1], 0.0),
        (4, "relu", [2, 6, 1], 1e-2),
        (5, "sigmoid", [2, 3, 3, 1], 1e-3),
        (6, "linear", [2, 4, 1], 0.0),
    ]:
        rng = LabRandom(seed)
        params = nn.init_mlp(sizes, rng, activation)
        x = rng.standard_normal((9, 2))  # (B, F)
        y = (x[:, 0] * x[:, 1] > 0).astype(int)  # xor labels
        out = nn.loss_and_gradients(params, x, y, activation=activation, loss="bce", l2=l2)
        trained = nn.train(params, x, y, steps=5, lr=0.3, activation=activation, loss="bce", l2=l2)
        cases.append({
            "seed": seed, "activation": activation, "sizes": sizes, "l2": l2, "lr": 0.3, "steps": 5,
            "x": _list(x), "y": y.tolist(),
            "init": [{"W": _list(W), "b": _list(b)} for W, b in params],
            "loss": out.loss, "probs": _list(out.probs),
            "grads": [{"dW": _list(dW), "db": _list(db)} for dW, db in out.grads],
            "train_losses": trained.losses,
            "final": [{"W": _list(W), "b": _list(b)} for W, b in trained.params],
        })
    return {"cases": cases}


def golden_optimizers() -> dict:
    """40-step trajectories of every optimiser on every surface, float64."""
    from mlatlas.foundations.optimizers import trajectory_on_surface
    from mlatlas.foundations.surfaces import SURFACES

    lrs = {"quadratic": (0.03, 0.1), "rosenbrock": (0.001, 0.05), "himmelblau": (0.01, 0.1),
           "saddle": (0.05, 0.05), "rastrigin": (0.002, 0.05)}  # (SGD family, RMSProp/Adam)
    cases = []
    for surface in SURFACES:
        for optimizer in ("sgd", "momentum", "nesterov", "rmsprop", "adam"):
            lr = lrs[surface][optimizer in ("rmsprop", "adam")]
            extra = {"momentum": 0.8} if optimizer in ("momentum", "nesterov") else {}
            traj = trajectory_on_surface(optimizer, surface, 40, lr=lr, **extra)
            cases.append({"surface": surface, "optimizer": optimizer, "lr": lr, "steps": 40, **extra,
                          "start": list(SURFACES[surface].start),
                          "xs": traj.xs.tolist(), "losses": _list(traj.losses)})
    return {"cases": cases}


def golden_ot() -> dict:
    """Exact plans, log-domain Sinkhorn after a fixed number of iterations, McCann at t = 0.3."""
    from mlatlas.transport.displacement_interpolation import displacement_interpolation
    from mlatlas.transport.optimal_transport import exact_transport, squared_euclidean_cost
    from mlatlas.transport.sinkhorn import sinkhorn_log

    cases = []
    for seed, n, m in [(10, 5, 4), (11, 8, 8), (12, 12, 7)]:
        rng = LabRandom(seed)
        x = rng.standard_normal((n, 2))
        y = rng.standard_normal((m, 2)) + 0.5
        a, b = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
        C = squared_euclidean_cost(x, y)
        exact = exact_transport(a, b, C)
        sink = []
        for eps, iters in [(1.0, 50), (0.1, 200), (0.01, 300), (1e-3, 100)]:
            res = sinkhorn_log(a, b, C, eps, num_iters=iters, tol=0.0)
            sink.append({"eps": eps, "iters": iters, "plan": _list(res.plan), "cost": res.cost,
                         "f": _list(res.f), "g": _list(res.g)})
        disp = displacement_interpolation(x, y, exact.plan, 0.3)
        cases.append({"seed": seed, "n": n, "m": m, "x": _list(x), "y": _list(y), "cost_matrix": _list(C),
                      "exact_plan": _list(exact.plan), "exact_cost": exact.cost, "sinkhorn": sink,
                      "mccann_t": 0.3, "mccann_points": _list(disp.points),
                      "mccann_mass": _list(disp.weights)})
    return {"cases": cases}


def golden_attention() -> dict:
    """Logits and every attention map of the exported toy model, run in float64."""
    import torch

    from mlatlas.transformers.toy_attention_model import LAB_DIR, decode, encode, load_exported

    model = load_exported(LAB_DIR, dtype=torch.float64)
    cases = []
    with torch.no_grad():
        for text, causal, temperature in [("hello", False, 1.0), ("abc123", False, 1.0), ("z", False, 1.0),
                                          ("reverseme", True, 1.0), ("attention123", False, 0.5),
                                          ("q7q7", False, 3.0)]:
            ids = encode(text)
            logits, maps = model(torch.tensor([ids]), causal=causal, temperature=temperature)
            cases.append({"text": text, "ids": ids, "causal": causal, "temperature": temperature,
                          "logits": _list(logits[0]), "output": decode(logits[0].argmax(-1).tolist()),
                          "attention": [[_list(m[0, h]) for h in range(m.shape[1])] for m in maps]})
    return {"cases": cases}


def golden_brownian() -> dict:
    """Brownian and geometric Brownian paths (and quadratic variation) from LabRandom seeds."""
    from mlatlas.stochastic import brownian_motion as bm

    cases = []
    for seed, P, S, t_max in [(0, 3, 8, 1.0), (123, 2, 17, 2.5)]:
        arith = bm.brownian_motion(LabRandom(seed), P, S, t_max, drift=0.5, sigma=1.5, x0=1.0)
        geo = bm.geometric_brownian_motion(LabRandom(seed), P, S, t_max, mu=0.1, sigma=0.4, s0=2.0)
        cases.append({"seed": seed, "num_paths": P, "num_steps": S, "t_max": t_max,
                      "arithmetic": {"drift": 0.5, "sigma": 1.5, "x0": 1.0, "t": _list(arith.t),
                                     "x": _list(arith.x), "w": _list(arith.w),
                                     "qv": _list(bm.quadratic_variation(arith.x))},
                      "geometric": {"mu": 0.1, "sigma": 0.4, "s0": 2.0, "x": _list(geo.x)}})
    return {"cases": cases}


def golden_noise_to_data() -> dict:
    """Network outputs and whole sampler trajectories (Euler flow matching with and without OT pairs,
    respaced DDPM ancestral steps) of the exported noise-to-data networks, float64, LabRandom noise."""
    import torch

    from mlatlas.generative.ddpm import linear_schedule
    from mlatlas.generative.distances import energy_distance
    from mlatlas.labs import noise_to_data as n2d

    schedule = linear_schedule(dtype=torch.float64)
    short = n2d.respaced_schedule(schedule, n2d.trailing_timesteps(schedule.num_steps, 7))
    out = {"schedule": {"alpha_bar": _list(schedule.alpha_bar[[0, 1, 499, 500, 998, 999]]),
                        "index": [0, 1, 499, 500, 998, 999],
                        "timesteps": {str(s): n2d.trailing_timesteps(1000, s) for s in (1, 3, 7, 1000)},
                        "respaced_7": {"betas": _list(short.betas), "alpha_bar": _list(short.alpha_bar)}},
           "cases": []}
    rng = LabRandom(99)
    xs = rng.standard_normal((5, 2))
    for target in ("moons", "word"):
        nets, ref = n2d.load_exported(target)
        case = {"target": target, "x": _list(xs), "forward": {}, "flow": [], "ddpm": []}
        with torch.no_grad():
            for kind, net in nets.items():
                for t in (0.0, 0.37, 1.0):
                    out_t = net(torch.from_numpy(xs), torch.tensor(t, dtype=torch.float64))
                    case["forward"].setdefault(kind, []).append({"t": t, "out": _list(out_t)})
        for kind in ("flow", "ot_flow"):
            for steps, seed in ((1, 5), (3, 6), (8, 7)):
                path = n2d.flow_path(nets[kind], steps, 6, seed)
                case["flow"].append({"kind": kind, "steps": steps, "points": 6, "seed": seed,
                                     "path": _list(path), "straightness": n2d.path_straightness(path)})
        for steps, seed in ((1, 5), (4, 6), (10, 7)):
            path = n2d.ddpm_path(nets["ddpm"], schedule, steps, 6, seed)
            case["ddpm"].append({"steps": steps, "points": 6, "seed": seed, "path": _list(path),
                                 "energy": energy_distance(path[-1], ref[:50]),
                                 "nearest": n2d.nearest_distance(path[-1], ref)})
        case["reference_head"] = _list(ref[:4])
        out["cases"].append(case)
    return out


GOLDENS: dict[str, Callable[[], dict]] = {
    "rng": golden_rng,
    "mlp": golden_mlp,
    "optimizers": golden_optimizers,
    "ot": golden_ot,
    "attention": golden_attention,
    "brownian": golden_brownian,
    "noise-to-data": golden_noise_to_data,
}


def build(name: str) -> dict:
    """The golden data for one lab core, with its source noted."""
    return {"source": f"mlatlas.labs.golden:{GOLDENS[name].__name__}", **GOLDENS[name]()}


def first_difference(fresh, committed, rtol: float = 1e-12, where: str = "$") -> str | None:
    """Where two golden structures differ beyond ``rtol`` (floats) or at all (everything else)."""
    if isinstance(fresh, dict):
        if not isinstance(committed, dict) or fresh.keys() != committed.keys():
            return f"{where}: keys differ"
        for k in fresh:
            if (d := first_difference(fresh[k], committed[k], rtol, f"{where}.{k}")) is not None:
                return d
        return None
    if isinstance(fresh, list):
        if not isinstance(committed, list) or len(fresh) != len(committed):
            return f"{where}: lengths differ"
        for i, (a, b) in enumerate(zip(fresh, committed)):
            if (d := first_difference(a, b, rtol, f"{where}[{i}]")) is not None:
                return d
        return None
    if isinstance(fresh, float) and isinstance(committed, int | float) and not isinstance(committed, bool):
        ok = math.isclose(fresh, committed, rel_tol=rtol, abs_tol=1e-300)
        return None if ok else f"{where}: {fresh!r} != {committed!r}"
    return None if fresh == committed else f"{where}: {fresh!r} != {committed!r}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=GOLDEN_DIR)
    parser.add_argument("--check", action="store_true", help="compare with the files instead of writing")
    parser.add_argument("names", nargs="*", default=list(GOLDENS))
    args = parser.parse_args(argv)
    stale = []
    for name in args.names:
        path = args.out / f"{name}.json"
        text = json.dumps(build(name), indent=None, separators=(",", ":"), allow_nan=False) + "\n"
        if args.check:  # numbers may move in the last bits (BLAS order, refactors): compare to 1e-12
            committed = json.loads(path.read_text()) if path.exists() else None
            diff = "missing" if committed is None else first_difference(json.loads(text), committed)
            if diff is not None:
                print(f"{name}: {diff}", file=sys.stderr)
                stale.append(name)
        else:
            args.out.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path} ({len(text) / 1024:.1f} KiB)")
    if stale:
        print(f"stale goldens: {stale}; run python -m mlatlas.labs.golden", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
