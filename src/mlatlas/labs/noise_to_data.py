"""Noise to data: the trained networks and the two samplers behind the noise-to-data lab.

Papers: Lipman et al. (2023), "Flow Matching for Generative Modeling", arXiv:2210.02747 (the
velocity field, integrated with Euler steps); Ho, Jain, Abbeel (2020), "Denoising Diffusion
Probabilistic Models", arXiv:2006.11239 (ε-prediction and the ancestral step, eq. 11);
Nichol & Dhariwal (2021), "Improved Denoising Diffusion Probabilistic Models", arXiv:2102.09672
(§4: sampling a T-step model with fewer steps by respacing its schedule).
For each 2-D target (two moons, two rings, the letters of a word) the package trains three small
``TimeMLP``s — a flow-matching velocity, an OT-coupled one, and a DDPM noise predictor — and exports
them for the browser, where the same samplers run from the same seeded noise (``LabRandom``).

Respacing (Nichol & Dhariwal §4): keep S of the T steps, τ_{S-1} > … > τ_0, and use the schedule
    ᾱ'_i = ᾱ_{τ_i},   β'_i = 1 - ᾱ'_i / ᾱ'_{i-1}   (β'_0 = 1 - ᾱ'_0)
with the network still told the original step τ_i. Each step is then the ancestral step of Ho et al.
(eq. 11 with σ² = β̃, eq. 7) on the respaced schedule; with S = T it is the original sampler.
We keep τ_k = ⌊T (S - k) / S⌋ - 1 for k = 0..S-1 (the "trailing" spacing of Lin, Liu, Li & Yang, 2024,
arXiv:2305.08891, with a floor for the rounding, exact in integers in Python and JavaScript alike),
so that even one step starts from pure noise at τ = T-1.
Shape legend: B batch (particles), F features (2), S sampling steps.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from mlatlas.generative.ddpm import NoiseSchedule, ddpm_step, linear_schedule, network_time, train_ddpm
from mlatlas.generative.distances import energy_distance
from mlatlas.generative.flow_matching import euler
from mlatlas.generative.networks import TimeMLP, TimeMLPConfig
from mlatlas.generative.ot_flow_matching import train_ot_flow
from mlatlas.generative.toy_data import two_moons
from mlatlas.labs.rng import LabRandom

LAB_DIR = Path(__file__).resolve().parents[3] / "content" / "labs" / "noise-to-data"
WORD = "ML"  # the letters of the third target
TARGETS = ("moons", "rings", "word")
KINDS = ("flow", "ot_flow", "ddpm")  # per target: velocity v(x, t) with independent and with OT
# pairs (same batches, times, noise and initial weights), and the DDPM noise predictor ε(x_t, t)
CONFIG = TimeMLPConfig(features=2, hidden=48, layers=3, time_frequencies=8)
TRAIN_POINTS = 4000
TRAIN_STEPS = 3000
LEARNING_RATE = 1e-2  # at 2e-3 these small nets are still blurry after 3000 steps
REFERENCE_POINTS = 400  # held-out target points shipped with the weights (drawn faintly, and the
# reference of the energy distance the lab reports)
SEEDS = {"moons": 11, "rings": 12, "word": 13}

# ------------------------------------------------------------------ targets

# Stroke polylines of the letters, in letter units (height 1); each letter is placed by its x offset.
_LETTERS = {
    "M": [[(0.0, 0.0), (0.0, 1.0), (0.5, 0.4), (1.0, 1.0), (1.0, 0.0)]],
    "L": [[(0.0, 1.0), (0.0, 0.0), (0.75, 0.0)]],
}
_LETTER_WIDTH = {"M": 1.0, "L": 0.75}
_LETTER_GAP = 0.45
_WORD_SCALE = 1.8  # letter units -> data units (the word spans about ±1.9 by ±0.9)


def _segments(word: str) -> np.ndarray:
    """(K, 4) segments (x0, y0, x1, y1) of the word's strokes, centred at the origin, data units."""
    segs, x = [], 0.0
    for ch in word:
        if ch not in _LETTERS:
            raise ValueError(f"no strokes for letter {ch!r}; known letters: {''.join(_LETTERS)}")
        for line in _LETTERS[ch]:
            for (a, b), (c, d) in zip(line, line[1:]):
                segs.append((a + x, b, c + x, d))
        x += _LETTER_WIDTH[ch] + _LETTER_GAP
    s = np.array(segs, dtype=np.float64)
    s[:, [0, 2]] -= (x - _LETTER_GAP) / 2
    s[:, [1, 3]] -= 0.5
    return s * _WORD_SCALE


def letters(n: int, generator: torch.Generator, word: str = WORD, noise: float = 0.06) -> Tensor:
    """n points spread uniformly along the strokes of ``word``, plus N(0, noise²) jitter; (n, 2) float32."""
    segs = torch.from_numpy(_segments(word))
    lengths = (segs[:, 2:] - segs[:, :2]).norm(dim=1)
    k = torch.multinomial(lengths / lengths.sum(), n, replacement=True, generator=generator)  # (n,)
    u = torch.rand(n, 1, generator=generator, dtype=torch.float64)
    x = segs[k, :2] + u * (segs[k, 2:] - segs[k, :2])
    x = x + noise * torch.randn(n, 2, generator=generator, dtype=torch.float64)
    return x.to(torch.float32)


def rings(
    n: int, generator: torch.Generator, radii: tuple[float, float] = (0.8, 1.8), noise: float = 0.06
) -> Tensor:
    """Two concentric circles (half the points each, as scikit-learn's make_circles); (n, 2) float32."""
    theta = 2 * math.pi * torch.rand(n, generator=generator, dtype=torch.float64)
    r = torch.where(torch.arange(n) < n // 2, radii[1], radii[0]).to(torch.float64)
    x = torch.stack([r * theta.cos(), r * theta.sin()], dim=1)
    x = x + noise * torch.randn(n, 2, generator=generator, dtype=torch.float64)
    return x[torch.randperm(n, generator=generator)].to(torch.float32)


def target_points(target: str, n: int, generator: torch.Generator) -> Tensor:
    """n points (n, 2) float32 of one of ``TARGETS``."""
    if target == "moons":
        return two_moons(n, generator)
    if target == "rings":
        return rings(n, generator)
    if target == "word":
        return letters(n, generator)
    raise ValueError(f"target must be one of {TARGETS}, got {target!r}")


# ------------------------------------------------------------------ samplers


def trailing_timesteps(num_train_steps: int, num_steps: int) -> list[int]:
    """S steps in descending order, the first always T-1: ⌊T (S - k) / S⌋ - 1 for k = 0..S-1."""
    if not 1 <= num_steps <= num_train_steps:
        raise ValueError(f"num_steps must be in [1, {num_train_steps}], got {num_steps}")
    return [num_train_steps * (num_steps - k) // num_steps - 1 for k in range(num_steps)]


def respaced_schedule(schedule: NoiseSchedule, timesteps: list[int]) -> NoiseSchedule:
    """The schedule of the kept steps (ascending τ): ᾱ'_i = ᾱ_{τ_i}, β'_i = 1 - ᾱ'_i / ᾱ'_{i-1}."""
    tau = torch.tensor(sorted(timesteps))
    alpha_bar = schedule.alpha_bar[tau]
    prev = torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar[:-1]])
    alphas = alpha_bar / prev
    return NoiseSchedule(1 - alphas, alphas, alpha_bar)


@torch.no_grad()
def ddpm_path(
    model: nn.Module, schedule: NoiseSchedule, num_steps: int, num_points: int, seed: int
) -> Tensor:
    """Ancestral sampling with ``num_steps`` respaced steps; noise from ``LabRandom(seed)`` in the lab's
    order (x_T first, then one (B, 2) draw per step but the last); returns the path (S + 1, B, 2)."""
    rng = LabRandom(seed)
    dtype = next(model.parameters()).dtype
    taus = trailing_timesteps(schedule.num_steps, num_steps)  # descending
    short = respaced_schedule(schedule, taus)
    x = torch.from_numpy(rng.standard_normal((num_points, 2))).to(dtype)
    path = [x]
    for i in range(num_steps - 1, -1, -1):  # index into the respaced schedule
        tau = torch.full((num_points,), taus[num_steps - 1 - i])
        eps_hat = model(x, network_time(schedule, tau).to(dtype))
        z = torch.from_numpy(rng.standard_normal((num_points, 2))).to(dtype) if i > 0 else None
        x = ddpm_step(short, eps_hat, i, x, z)
        path.append(x)
    return torch.stack(path)


@torch.no_grad()
def flow_path(model: nn.Module, num_steps: int, num_points: int, seed: int) -> Tensor:
    """Euler integration of the velocity from x_0 ~ LabRandom(seed) (the same x_0 as ``ddpm_path``'s
    first draw); returns the path (S + 1, B, 2)."""
    dtype = next(model.parameters()).dtype
    x0 = torch.from_numpy(LabRandom(seed).standard_normal((num_points, 2))).to(dtype)
    v = lambda x, t: model(x, t)  # noqa: E731  (model already in the path's dtype)
    return euler(v, x0, num_steps, return_path=True)


def path_straightness(path: Tensor) -> float:
    """Liu et al.'s straightness of an Euler path (S + 1, B, F): mean over steps and particles of
    |(x_1 - x_0) - v_k|², v_k = S (x_{k+1} - x_k); as ``flow_matching.straightness``."""
    num_steps = path.shape[0] - 1
    chord = path[-1] - path[0]
    steps = (path[1:] - path[:-1]) * num_steps
    return float(((steps - chord) ** 2).sum(-1).mean())


def nearest_distance(x: Tensor, ref: Tensor) -> float:
    """Mean over the points x (B, F) of the distance to the nearest reference point (N, F): how far the
    particles are from the target's shape (0 when every particle sits on a target point). Unlike the
    energy distance it ignores coverage: a cloud piled on one target point scores 0."""
    return float(
        torch.cdist(x.double(), ref.double(), compute_mode="donot_use_mm_for_euclid_dist")
        .min(1)
        .values.mean()
    )


# ------------------------------------------------------------------ training and export


def train_target(target: str, steps: int = TRAIN_STEPS) -> dict[str, nn.Module]:
    """Train the networks of one target (seeded; a few seconds each on one core)."""
    seed = SEEDS[target]
    data = target_points(target, TRAIN_POINTS, torch.Generator().manual_seed(seed))
    nets = {}
    for kind, coupling in (("flow", "independent"), ("ot_flow", "ot")):
        torch.manual_seed(seed)  # the same initial weights for both couplings
        nets[kind] = train_ot_flow(
            data,
            steps,
            torch.Generator().manual_seed(seed + 100),
            CONFIG.hidden,
            LEARNING_RATE,
            coupling=coupling,
        )
    torch.manual_seed(seed + 1)
    nets["ddpm"], _ = train_ddpm(
        data, steps, torch.Generator().manual_seed(seed + 200), hidden=CONFIG.hidden, lr=LEARNING_RATE
    )
    return nets


def reference_points(target: str) -> Tensor:
    """The held-out points shipped with the lab (a different seed from the training data)."""
    return target_points(target, REFERENCE_POINTS, torch.Generator().manual_seed(SEEDS[target] + 1000))


def export(nets: dict[str, dict[str, nn.Module]], directory: Path | str = LAB_DIR) -> Path:
    """Write ``model.json`` (config, schedule, tensor tables) and one ``<target>.bin`` per target
    (little-endian float16: every network's parameters, then the reference points).

    float16 halves the download (three 5.7k-parameter networks are 34 KB per target instead of 69 KB,
    inside the lab's 150 KB page budget); the shipped networks *are* the rounded ones: ``load_exported``
    and the lab both read these float16 numbers, and the tests measure those networks."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    schedule = linear_schedule()
    meta = {
        "config": asdict(CONFIG),
        "kinds": list(KINDS),
        "word": WORD,
        "dtype": "float16-le",
        "schedule": {"num_steps": schedule.num_steps, "beta_start": 1e-4, "beta_end": 0.02},
        "reference_points": REFERENCE_POINTS,
        "targets": {},
    }
    for target, by_kind in nets.items():
        chunks, tensors, offset = [], {}, 0
        for kind in KINDS:
            tensors[kind] = []
            for name, p in by_kind[kind].state_dict().items():
                a = p.detach().to(torch.float32).numpy().astype("<f2")
                tensors[kind].append({"name": name, "shape": list(a.shape), "offset": offset})
                chunks.append(a.tobytes())
                offset += a.size
        ref = reference_points(target).numpy().astype("<f2")
        chunks.append(ref.tobytes())
        (directory / f"{target}.bin").write_bytes(b"".join(chunks))
        meta["targets"][target] = {"file": f"{target}.bin", "tensors": tensors, "reference_offset": offset}
    (directory / "model.json").write_text(json.dumps(meta, separators=(",", ":")) + "\n")
    return directory


def load_exported(
    target: str, directory: Path | str = LAB_DIR, dtype: torch.dtype = torch.float64
) -> tuple[dict[str, nn.Module], Tensor]:
    """The exported networks of ``target`` (cast to ``dtype``) and its reference points (N, 2)."""
    directory = Path(directory)
    meta = json.loads((directory / "model.json").read_text())
    if target not in meta["targets"]:
        raise ValueError(f"no exported target {target!r}; exported: {sorted(meta['targets'])}")
    entry = meta["targets"][target]
    flat = np.frombuffer((directory / entry["file"]).read_bytes(), dtype="<f2").astype(np.float64)
    nets = {}
    for kind, table in entry["tensors"].items():
        state = {}
        for t in table:
            size = math.prod(t["shape"])
            state[t["name"]] = torch.from_numpy(
                flat[t["offset"] : t["offset"] + size].reshape(t["shape"]).copy()
            )
        net = TimeMLP(TimeMLPConfig(**meta["config"]))
        net.load_state_dict(state)
        nets[kind] = net.to(dtype).eval()
    ref = flat[entry["reference_offset"] : entry["reference_offset"] + 2 * meta["reference_points"]]
    return nets, torch.from_numpy(ref.reshape(-1, 2).copy()).to(dtype)


def lab_readouts(
    target: str, num_steps: int, points: int = 500, seed: int = 1, ot: bool = False
) -> dict[str, float]:
    """What the lab prints after a run with these settings (its defaults: 500 particles, seed 1): the
    energy distance and the mean nearest-point distance to the shipped reference points of the noise,
    of the flow's and of DDPM's final particles, and the flow path's straightness."""
    nets, ref = load_exported(target)
    flow = flow_path(nets["ot_flow" if ot else "flow"], num_steps, points, seed)
    ddpm = ddpm_path(nets["ddpm"], linear_schedule(dtype=torch.float64), num_steps, points, seed)
    return {
        "noise": energy_distance(flow[0], ref),
        "flow": energy_distance(flow[-1], ref),
        "ddpm": energy_distance(ddpm[-1], ref),
        "straightness": path_straightness(flow),
        "noise_nearest": nearest_distance(flow[0], ref),
        "flow_nearest": nearest_distance(flow[-1], ref),
        "ddpm_nearest": nearest_distance(ddpm[-1], ref),
    }


def page_numbers() -> dict[str, float]:
    """The numbers the lab page quotes: two moons at the lab's default settings, keyed
    ``<sampler>_<steps>`` (energy distances) and ``straightness_<coupling>`` (20 steps)."""
    out: dict[str, float] = {}
    for steps in (2, 5, 20, 200):
        r, r_ot = lab_readouts("moons", steps), lab_readouts("moons", steps, ot=True)
        out.update({f"flow_{steps}": r["flow"], f"ot_{steps}": r_ot["flow"], f"ddpm_{steps}": r["ddpm"]})
        out["noise"] = r["noise"]
        if steps == 20:
            out["straightness_independent"], out["straightness_ot"] = r["straightness"], r_ot["straightness"]
    return out


def demo(export_dir: Path | str | None = None) -> dict:
    """Train every target's networks (about 50 s of one CPU core per target: three networks of 3000
    steps), export them (to a temporary folder unless told otherwise), say whether the export is
    byte-identical to the weights the lab ships, and print each sampler's energy distance at a few
    step counts.

    To refresh the lab: ``python -m mlatlas.labs.noise_to_data --export`` and then
    ``python -m mlatlas.labs.golden noise-to-data``.
    """
    import tempfile

    torch.set_num_threads(1)
    shipped = {t: (LAB_DIR / f"{t}.bin").read_bytes() for t in TARGETS if (LAB_DIR / f"{t}.bin").exists()}
    nets = {target: train_target(target) for target in TARGETS}
    export_dir = (
        Path(export_dir) if export_dir is not None else Path(tempfile.mkdtemp(prefix="noise-to-data-"))
    )
    export(nets, export_dir)
    print(f"exported to {export_dir}")
    same = {t: shipped.get(t) == (export_dir / f"{t}.bin").read_bytes() for t in TARGETS}
    for target, identical in same.items():
        print(f"{target}: {'identical to' if identical else 'differs from'} the weights the lab ships")
    report = {}
    for target in TARGETS:
        for steps in (2, 5, 20, 200):
            nets_t, ref = load_exported(target, export_dir)
            schedule = linear_schedule(dtype=torch.float64)
            d = [energy_distance(flow_path(nets_t[k], steps, 500, 1)[-1], ref) for k in ("flow", "ot_flow")]
            d.append(energy_distance(ddpm_path(nets_t["ddpm"], schedule, steps, 500, 1)[-1], ref))
            report[(target, steps)] = d
            print(
                f"{target:6s} {steps:4d} steps: energy distance flow matching {d[0]:.4f}, "
                f"OT flow matching {d[1]:.4f}, DDPM {d[2]:.4f}"
            )
    return {"export_dir": str(export_dir), "identical": same, "energy": report}


if __name__ == "__main__":
    import sys

    demo(export_dir=LAB_DIR if "--export" in sys.argv[1:] else None)
