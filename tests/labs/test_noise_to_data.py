"""The noise-to-data lab's package side: targets, the respaced DDPM sampler against diffusers, the export
round trip, and what the lab page says about the shipped networks (measured on those networks)."""

from __future__ import annotations

import json

import pytest
import torch
from diffusers import DDPMScheduler

from mlatlas.generative.ddpm import ddim_step, ddpm_step, linear_schedule
from mlatlas.generative.distances import energy_distance, fitted_gaussian_samples
from mlatlas.generative.networks import TimeMLP
from mlatlas.labs import noise_to_data as n2d
from mlatlas.verification import verifies

TOL64 = 1e-10  # float64 on both sides, same schedule and noise: only the order of operations differs


def float64_schedule():
    return linear_schedule(dtype=torch.float64)


def test_trailing_timesteps():
    T = 1000
    for S in (1, 3, 7, 20, 333, 1000):
        taus = n2d.trailing_timesteps(T, S)
        assert (
            taus[0] == T - 1 and len(set(taus)) == S and taus == sorted(taus, reverse=True) and taus[-1] >= 0
        )
    assert n2d.trailing_timesteps(T, T) == list(range(T - 1, -1, -1))
    with pytest.raises(ValueError, match="num_steps"):
        n2d.trailing_timesteps(T, 0)


@verifies(
    "noise-to-data",
    against="diffusers DDPMScheduler",
    tol=TOL64,
    note="float64; trailing timesteps and every respaced ancestral step for S = 4 and 20 (same noise)",
)
def test_respaced_sampler_matches_diffusers():
    ours = float64_schedule()
    for S in (4, 20):  # S divides T: diffusers' rounding and our floor agree
        ref = DDPMScheduler(
            num_train_timesteps=1000, beta_schedule="linear", clip_sample=False, timestep_spacing="trailing"
        )
        ref.betas = ours.betas
        ref.alphas = ours.alphas
        ref.alphas_cumprod = ours.alpha_bar
        ref.one = torch.tensor(1.0, dtype=torch.float64)
        ref.set_timesteps(S)
        taus = n2d.trailing_timesteps(1000, S)
        assert ref.timesteps.tolist() == taus
        short = n2d.respaced_schedule(ours, taus)
        g = torch.Generator().manual_seed(S)
        x = torch.randn(16, 2, generator=g, dtype=torch.float64)
        for k, tau in enumerate(taus):
            eps_hat = torch.randn(16, 2, generator=g, dtype=torch.float64)
            expected = ref.step(eps_hat, tau, x, generator=torch.Generator().manual_seed(k)).prev_sample
            z = torch.randn(16, 2, generator=torch.Generator().manual_seed(k), dtype=torch.float64)
            got = ddpm_step(short, eps_hat, S - 1 - k, x, z)
            # the last step: we return the mean; diffusers adds sqrt(max(β̃, 1e-20)) z = 1e-10 z (β̃ = 0 there)
            tol = TOL64 if k < S - 1 else 1e-9
            torch.testing.assert_close(got, expected, rtol=tol, atol=tol)
            x = expected


@verifies(
    "noise-to-data",
    against="mlatlas.generative.ddpm.ddim_step (η = 1)",
    tol=1e-12,
    note="float64; a respaced ancestral step is DDIM's step with η = 1 between the same two steps",
)
def test_respaced_step_is_ddim_with_eta_one():
    schedule = float64_schedule()
    taus = n2d.trailing_timesteps(1000, 7)
    short = n2d.respaced_schedule(schedule, taus)
    g = torch.Generator().manual_seed(0)
    for k, tau in enumerate(taus):
        x, eps_hat, z = (torch.randn(8, 2, generator=g, dtype=torch.float64) for _ in range(3))
        i = len(taus) - 1 - k
        prev = taus[k + 1] if k + 1 < len(taus) else -1
        torch.testing.assert_close(
            ddpm_step(short, eps_hat, i, x, z if i > 0 else None),
            ddim_step(schedule, eps_hat, tau, prev, x, eta=1.0, z=z),
            rtol=1e-12,
            atol=1e-12,
        )


def test_all_steps_respaced_is_the_original_schedule():
    """S = T keeps every step: the respaced schedule is Ho et al.'s own, so the lab's sampler is theirs."""
    schedule = float64_schedule()
    short = n2d.respaced_schedule(schedule, n2d.trailing_timesteps(1000, 1000))
    torch.testing.assert_close(short.alpha_bar, schedule.alpha_bar, rtol=0, atol=0)
    torch.testing.assert_close(short.betas, schedule.betas, rtol=1e-12, atol=1e-15)


def test_targets_are_seeded_and_shaped():
    for target in n2d.TARGETS:
        a = n2d.target_points(target, 300, torch.Generator().manual_seed(0))
        b = n2d.target_points(target, 300, torch.Generator().manual_seed(0))
        assert a.shape == (300, 2) and a.dtype == torch.float32 and torch.equal(a, b)
        assert a.abs().max() < 2.6  # inside the lab's view [-3, 3]^2
    r = n2d.rings(2000, torch.Generator().manual_seed(1)).double().norm(dim=1)
    assert abs((r < 1.3).double().mean().item() - 0.5) < 1e-12  # half the points on each ring
    with pytest.raises(ValueError, match="target"):
        n2d.target_points("spiral", 10, torch.Generator())
    with pytest.raises(ValueError, match="no strokes"):
        n2d.letters(10, torch.Generator(), word="Q")


def test_export_round_trip_is_float16_exact(tmp_path):
    torch.manual_seed(3)
    nets = {"moons": {kind: TimeMLP(n2d.CONFIG) for kind in n2d.KINDS}}
    n2d.export(nets, tmp_path)
    loaded, ref = n2d.load_exported("moons", tmp_path, dtype=torch.float32)
    for kind in n2d.KINDS:
        for (name, p), q in zip(nets["moons"][kind].state_dict().items(), loaded[kind].state_dict().values()):
            torch.testing.assert_close(q, p.half().float(), rtol=0, atol=0, msg=name)
    torch.testing.assert_close(ref, n2d.reference_points("moons").half().float(), rtol=0, atol=0)
    numel = sum(p.numel() for net in nets["moons"].values() for p in net.state_dict().values())
    assert (tmp_path / "moons.bin").stat().st_size == 2 * (numel + 2 * n2d.REFERENCE_POINTS)
    with pytest.raises(ValueError, match="no exported target"):
        n2d.load_exported("rings", tmp_path)


@pytest.mark.parametrize("target", n2d.TARGETS)
def test_shipped_networks_beat_a_fitted_gaussian(target):
    """With enough steps (100) every sampler's particles are closer to 2000 fresh target points (energy
    distance, 2000 particles) than 2000 samples of a Gaussian fitted to the training data. With the
    lab's few hundred points the energy distance moves by ±0.05 from seed to seed, too much to rank."""
    data = n2d.target_points(target, n2d.TRAIN_POINTS, torch.Generator().manual_seed(n2d.SEEDS[target]))
    held_out = n2d.target_points(target, 2000, torch.Generator().manual_seed(5000)).double()
    g = torch.Generator().manual_seed(0)
    gaussian = energy_distance(fitted_gaussian_samples(data.double(), 2000, g), held_out)
    nets, _ = n2d.load_exported(target)
    flow = n2d.flow_path(nets["flow"], 100, 2000, seed=3)[-1]
    ot = n2d.flow_path(nets["ot_flow"], 100, 2000, seed=3)[-1]
    ddpm = n2d.ddpm_path(nets["ddpm"], float64_schedule(), 100, 2000, seed=3)[-1]
    distances = [energy_distance(x, held_out) for x in (flow, ot, ddpm)]
    # the small DDPM networks are the weakest (on the rings only 8% better than the Gaussian)
    assert max(distances[:2]) < 0.8 * gaussian and distances[2] < gaussian, (distances, gaussian)


def test_nearest_distance_matches_a_kd_tree():
    from scipy.spatial import cKDTree

    g = torch.Generator().manual_seed(0)
    x, ref = (
        torch.randn(200, 2, generator=g, dtype=torch.float64),
        torch.randn(150, 2, generator=g, dtype=torch.float64),
    )
    expected = cKDTree(ref.numpy()).query(x.numpy())[0].mean()
    assert abs(n2d.nearest_distance(x, ref) - expected) < 1e-12
    assert n2d.nearest_distance(ref, ref) == 0.0


def test_what_the_lab_page_says():
    """noise-to-data.md, measured on the shipped networks at the lab's defaults (500 particles, seed 1)."""
    p = n2d.page_numbers()  # two moons, the table of the page
    assert p["flow_5"] < p["ddpm_5"]  # at 5 steps the flow is ahead of DDPM
    assert p["flow_2"] > p["flow_20"] + 0.1  # at 2 steps the independent flow fails too
    assert p["ot_2"] < 1.1 * p["ot_20"] and p["ot_2"] < p["flow_2"] and p["ot_2"] < p["ddpm_2"]
    assert p["straightness_ot"] < 0.05 * p["straightness_independent"]  # "almost straight"
    assert p["noise"] < p["ddpm_5"]  # the noise already scores well on the energy distance
    for target in n2d.TARGETS:
        nets, ref = n2d.load_exported(target)
        flow = n2d.flow_path(nets["flow"], 1, 500, 1)[-1]
        ot = n2d.flow_path(nets["ot_flow"], 1, 500, 1)[-1]
        ddpm = n2d.ddpm_path(nets["ddpm"], float64_schedule(), 1, 500, 1)[-1]
        assert flow.std(0).max() < 0.15 and flow.mean(0).norm() < 0.5  # one step: a clump at the mean
        assert (ddpm.abs() > 3).any(1).double().mean() > 0.5  # most of DDPM's particles leave the view
        assert n2d.nearest_distance(ot, ref) < 0.6 * n2d.nearest_distance(flow, ref)  # OT: one step draws it
        # "even one step draws its outline": within 1.75x of twenty OT steps' nearest-point distance
        ot_20 = n2d.flow_path(nets["ot_flow"], 20, 500, 1)[-1]
        assert n2d.nearest_distance(ot, ref) < 1.75 * n2d.nearest_distance(ot_20, ref)
        r5 = n2d.lab_readouts(target, 5)
        assert r5["flow_nearest"] <= r5["ddpm_nearest"] and r5["ddpm_nearest"] < 0.8 * r5["noise_nearest"]
        if target in ("moons", "rings"):  # "on the moons and rings even the starting noise scores well"
            assert r5["noise"] < r5["ddpm"]
    # "at the default 20 steps both clouds find the target" (two moons; measured 0.054 and 0.097 vs 0.31)
    r20 = n2d.lab_readouts("moons", 20)
    assert max(r20["flow_nearest"], r20["ddpm_nearest"]) < 0.5 * r20["noise_nearest"]


def test_what_the_page_says_about_the_shipped_files():
    """'three hidden layers of 48 SiLU units, eight sine-cosine pairs', 'float16 (about 35 KB per target)',
    '400 held-out target points'."""
    meta = json.loads((n2d.LAB_DIR / "model.json").read_text())
    assert meta["config"] == {"features": 2, "hidden": 48, "layers": 3, "time_frequencies": 8}
    assert meta["dtype"] == "float16-le" and meta["reference_points"] == 400
    assert sorted(meta["targets"]) == sorted(n2d.TARGETS) and meta["kinds"] == ["flow", "ot_flow", "ddpm"]
    for target in n2d.TARGETS:
        assert 34_000 < (n2d.LAB_DIR / f"{target}.bin").stat().st_size < 36_000
