"""GAE against a hand-computed case and the explicit sum; PPO's clipped objective; a short PPO run."""

import numpy as np
import pytest
import torch

from mlatlas.rl.ppo import PPOConfig, clipped_surrogate, evaluate, gae, train_ppo
from mlatlas.verification import verifies

TOL = 1e-12  # float64

GAMMA, LAM = 0.9, 0.8
REWARDS = [1.0, 0.0, 2.0]
VALUES = [0.5, 1.0, 0.2]  # V(s_0), V(s_1), V(s_2)
NEXT_VALUES = [1.0, 0.2, 0.4]  # V(s_1), V(s_2), V(s_3)


def column(values):
    return torch.tensor(values, dtype=torch.float64)[:, None]  # (T, B=1)


def hand_case(terminated, done):
    return gae(
        column(REWARDS), column(VALUES), column(NEXT_VALUES), column(terminated), column(done), GAMMA, LAM
    ).advantages[:, 0]


@verifies(
    "actor-critic-and-ppo",
    against="hand-computed GAE",
    tol=TOL,
    note="float64; three steps with gamma 0.9, lambda 0.8: no boundary, a termination, a truncation",
)
def test_gae_hand_computed():
    # deltas: 1 + 0.9 * 1.0 - 0.5 = 1.4;  0 + 0.9 * 0.2 - 1.0 = -0.82;  2 + 0.9 * 0.4 - 0.2 = 2.16
    # A_2 = 2.16;  A_1 = -0.82 + 0.72 * 2.16 = 0.7352;  A_0 = 1.4 + 0.72 * 0.7352 = 1.929344
    expected = torch.tensor([1.929344, 0.7352, 2.16], dtype=torch.float64)
    torch.testing.assert_close(hand_case([0, 0, 0], [0, 0, 0]), expected, rtol=0, atol=TOL)
    # terminated at step 1: delta_1 = 0 - 1.0 = -1.0 (no bootstrap) and A_1 ignores step 2's episode
    expected = torch.tensor([1.4 + 0.72 * -1.0, -1.0, 2.16], dtype=torch.float64)
    torch.testing.assert_close(hand_case([0, 1, 0], [0, 1, 0]), expected, rtol=0, atol=TOL)
    # truncated at step 1: still bootstraps from V(s_2) = 0.2, but the sum stops at the boundary
    expected = torch.tensor([1.4 + 0.72 * -0.82, -0.82, 2.16], dtype=torch.float64)
    torch.testing.assert_close(hand_case([0, 0, 0], [0, 1, 0]), expected, rtol=0, atol=TOL)


def random_rollout(seed, T=12, B=3):
    g = torch.Generator().manual_seed(seed)
    rewards, values, next_values = (torch.randn(T, B, generator=g, dtype=torch.float64) for _ in range(3))
    done = (torch.rand(T, B, generator=g) < 0.2).double()
    terminated = done * (torch.rand(T, B, generator=g) < 0.5).double()  # some ends are truncations
    return rewards, values, next_values, terminated, done


@verifies(
    "actor-critic-and-ppo",
    against="GAE reference formula",
    tol=TOL,
    note="float64; A_t = sum_l (gamma lambda)^l delta_{t+l} up to the episode boundary, explicit loops",
)
@pytest.mark.parametrize("seed", range(3))
def test_gae_matches_the_explicit_sum(seed):
    rewards, values, next_values, terminated, done = random_rollout(seed)
    ours = gae(rewards, values, next_values, terminated, done, GAMMA, LAM).advantages
    delta = rewards + GAMMA * next_values * (1 - terminated) - values
    T, B = rewards.shape
    expected = torch.zeros(T, B, dtype=torch.float64)
    for b in range(B):
        for t in range(T):
            for k in range(t, T):
                expected[t, b] += (GAMMA * LAM) ** (k - t) * delta[k, b]
                if done[k, b]:
                    break  # the episode ended at step k
    torch.testing.assert_close(ours, expected, rtol=0, atol=TOL)


def test_gae_limits_lambda_zero_and_one():
    T = 6
    g = torch.Generator().manual_seed(0)
    rewards = torch.randn(T, 1, generator=g, dtype=torch.float64)
    v = torch.randn(T + 1, 1, generator=g, dtype=torch.float64)  # V(s_0) .. V(s_T), one episode
    zeros = torch.zeros(T, 1, dtype=torch.float64)
    one_step = gae(rewards, v[:-1], v[1:], zeros, zeros, GAMMA, 0.0).advantages
    torch.testing.assert_close(
        one_step, rewards + GAMMA * v[1:] - v[:-1], rtol=0, atol=TOL
    )  # lambda 0: delta
    mc = gae(rewards, v[:-1], v[1:], zeros, zeros, GAMMA, 1.0).returns  # lambda 1: the discounted return
    for t in range(T):
        ret = sum(GAMMA ** (k - t) * rewards[k] for k in range(t, T)) + GAMMA ** (T - t) * v[T]
        torch.testing.assert_close(mc[t], ret, rtol=0, atol=TOL)


def test_clipped_surrogate_by_hand_and_its_gradient():
    ratio = torch.tensor([0.5, 1.0, 1.1, 1.5, 0.5, 1.5], dtype=torch.float64)
    adv = torch.tensor([1.0, 1.0, 1.0, 1.0, -1.0, -1.0], dtype=torch.float64)
    log_prob = ratio.log().requires_grad_(True)
    loss = clipped_surrogate(log_prob, torch.zeros(6, dtype=torch.float64), adv, clip=0.2)
    # min(rho A, clip(rho) A): 0.5, 1.0, 1.1, 1.2 (clipped), -0.8 (clipped), -1.5
    expected = torch.tensor([0.5, 1.0, 1.1, 1.2, -0.8, -1.5], dtype=torch.float64).mean()
    torch.testing.assert_close(loss, expected, rtol=0, atol=TOL)
    (grad,) = torch.autograd.grad(loss, log_prob)
    # d(rho A)/d log pi = rho A / 6 where the unclipped term is the minimum, 0 where the clip is active
    torch.testing.assert_close(
        grad, torch.tensor([0.5, 1.0, 1.1, 0.0, 0.0, -1.5], dtype=torch.float64) / 6, rtol=0, atol=TOL
    )


def test_bad_gae_input_is_rejected():
    x = torch.zeros(3, 2)
    with pytest.raises(ValueError, match="must be in"):
        gae(x, x, x, x, x, 0.9, 1.5)
    with pytest.raises(ValueError, match="must all have shape"):
        gae(x, x[:2], x, x, x, 0.9, 0.9)


def test_a_short_ppo_run_improves_cartpole():
    config = PPOConfig(target_return=None, max_updates=12, seed=0)  # 6,144 steps, about 2 s of CPU
    result = train_ppo(config)
    returns = np.array([r for _, r in result.episode_returns])
    assert result.steps == 12 * 512
    first, last = returns[:10].mean(), returns[-10:].mean()
    assert last > 2 * first  # seed 0: the sampled episodes go from 16.6 to 45.5 steps on average
    assert (round(first, 1), round(last, 1)) == (16.6, 45.5)  # quoted on the page


@pytest.mark.slow
def test_the_demo_run_quoted_on_the_page():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the demo runs it
    try:
        result = train_ppo(PPOConfig(seed=0))  # about 10 s of CPU: the page's printed run
    finally:
        torch.set_num_threads(threads)
    assert result.steps == 25_600
    assert [(s, round(r, 1)) for s, r in result.evaluations] == [
        (5120, 146.2), (10240, 139.3), (15360, 447.9), (20480, 403.5), (25600, 488.8)
    ]
    returns = evaluate(result.model, PPOConfig(), 20, seed=0)
    assert (round(returns.mean(), 1), returns.min(), returns.max()) == (489.4, 317, 500)
