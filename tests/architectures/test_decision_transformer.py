"""Decision Transformer: the model vs transformers' DecisionTransformerModel (weights loaded both ways),
causality, returns to go, and a tiny trained model reaching the returns it is asked for."""

import inspect

import numpy as np
import pytest
import torch
from hf_weights import gpt2_state_to_ours
from matplotlib.figure import Figure
from transformers import DecisionTransformerConfig as HFConfig
from transformers import DecisionTransformerModel

from mlatlas.architectures.decision_transformer import (
    AltitudeTask,
    DecisionTransformer,
    DecisionTransformerConfig,
    Trajectories,
    interleave,
    returns_to_go,
    small_run,
    train,
    train_and_ask,
)
from mlatlas.architectures.figures import decision_transformer as figures
from mlatlas.verification import verifies

TOL64 = 1e-10  # float64
TOL32 = 1e-5  # float32
MARGIN = 1.0  # |mean achieved − asked| for every asked return the task can reach


def hf_config(activation: str, action_tanh: bool) -> HFConfig:
    return HFConfig(
        state_dim=3,
        act_dim=2,
        hidden_size=16,
        n_layer=2,
        n_head=2,
        max_ep_len=30,
        action_tanh=action_tanh,
        activation_function=activation,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        bos_token_id=0,  # its default 50256 lies outside the unused one-word vocabulary
        eos_token_id=0,
    )


def ours_config(activation: str, action_tanh: bool) -> DecisionTransformerConfig:
    return DecisionTransformerConfig(
        state_dim=3,
        act_dim=2,
        n_embd=16,
        n_layer=2,
        n_head=2,
        max_ep_len=30,
        context=6,
        action_tanh=action_tanh,
        activation=activation,
    )


def hf_to_ours(state: dict) -> dict:
    """Rename transformers' keys to ours. Its GPT-2 encoder adds wpe[0] to every token (it is called
    with position_ids = 0; the paper's Gym code removes the position table): fold that constant into
    embed_ln's bias, which it follows directly."""
    out = {k: v for k, v in state.items() if not k.startswith("encoder.")}
    out.update(
        {
            k: v
            for k, v in gpt2_state_to_ours(state, "encoder.", "").items()
            if k not in ("wte.weight", "wpe.weight") and not k.endswith("attn.bias")
        }
    )
    out["embed_ln.bias"] = state["embed_ln.bias"] + state["encoder.wpe.weight"][0]
    return out


def ours_to_hf(state: dict, ref_state: dict) -> dict:
    """The inverse renaming: fuse q, k, v into GPT-2's transposed c_attn; the position table is zero."""
    out = dict(ref_state)
    for key, value in state.items():
        if key.startswith("ln_f."):
            out["encoder." + key] = value
            continue
        if not key.startswith("blocks."):
            out[key] = value
            continue
        k = "encoder.h." + key[len("blocks.") :]
        if ".attn.q_proj." in k:
            kind = k.rsplit(".", 1)[1]
            parts = [state[key.replace("q_proj", p)] for p in ("q_proj", "k_proj", "v_proj")]
            fused = torch.cat(parts, dim=0)
            out[k.replace("q_proj", "c_attn")] = fused.T if kind == "weight" else fused
        elif ".attn.k_proj." in k or ".attn.v_proj." in k:
            continue
        elif ".attn.out_proj." in k:
            out[k.replace("out_proj", "c_proj")] = value.T if k.endswith("weight") else value
        elif ".mlp.c_" in k and k.endswith("weight"):
            out[k] = value.T
        else:
            out[k] = value
    out["encoder.wpe.weight"] = torch.zeros_like(ref_state["encoder.wpe.weight"])
    return out


def random_batch(dtype, B=3, T=6, seed=1):
    g = torch.Generator().manual_seed(seed)
    states = torch.randn(B, T, 3, generator=g, dtype=dtype)
    actions = torch.rand(B, T, 2, generator=g, dtype=dtype) * 2 - 1
    rtg = torch.randn(B, T, 1, generator=g, dtype=dtype)
    start = torch.randint(0, 30 - T, (B, 1), generator=g)
    return states, actions, rtg, start + torch.arange(T)  # timesteps (B, T), a window of each episode


def assert_same_predictions(ours, ref, batch, tol):
    states, actions, rtg, timesteps = batch
    got = ours(states, actions, rtg, timesteps)
    want = ref(states=states, actions=actions, returns_to_go=rtg, timesteps=timesteps, return_dict=True)
    for name in ("state_preds", "action_preds", "return_preds"):
        torch.testing.assert_close(getattr(got, name), getattr(want, name), rtol=tol, atol=tol)
    return got, want


@verifies(
    "decision-transformer",
    against="transformers DecisionTransformerModel",
    tol=TOL64,
    note="float64, its random weights loaded into ours: state, action and return predictions, and gradients",
)
def test_matches_transformers_hf_weights_into_ours():
    torch.manual_seed(0)
    ref = DecisionTransformerModel(hf_config("relu", True)).double().eval()
    with torch.no_grad():  # norms start at gain 1, bias 0 and wpe[0] is small: make every term count
        for name, p in ref.named_parameters():
            if "ln" in name or "wpe" in name:
                p.add_(0.1 * torch.randn_like(p))
    ours = DecisionTransformer(ours_config("relu", True)).double().eval()
    missing, unexpected = ours.load_state_dict(hf_to_ours(ref.state_dict()), strict=True)
    assert not missing and not unexpected
    got, want = assert_same_predictions(ours, ref, random_batch(torch.float64), TOL64)
    (got.action_preds.sum() + got.return_preds.pow(2).sum()).backward()
    (want.action_preds.sum() + want.return_preds.pow(2).sum()).backward()
    torch.testing.assert_close(
        ours.embed_timestep.weight.grad, ref.embed_timestep.weight.grad, rtol=TOL64, atol=TOL64
    )
    torch.testing.assert_close(
        ours.blocks[0].mlp.c_fc.weight.grad, ref.encoder.h[0].mlp.c_fc.weight.grad.T, rtol=TOL64, atol=TOL64
    )


@verifies(
    "decision-transformer",
    against="transformers DecisionTransformerModel",
    tol=TOL32,
    note="float32, our random weights loaded into it (GPT-2's tanh GELU, untanhed actions)",
)
def test_matches_transformers_ours_into_hf():
    torch.manual_seed(1)
    ours = DecisionTransformer(ours_config("gelu", False)).eval()
    ref = DecisionTransformerModel(hf_config("gelu_new", False)).eval()
    ref.load_state_dict(ours_to_hf(ours.state_dict(), ref.state_dict()), strict=True)
    assert_same_predictions(ours, ref, random_batch(torch.float32, seed=2), TOL32)


def test_returns_to_go_and_token_order():
    rewards = torch.tensor([[1.0, 0.0, 2.0, 0.5]])
    expected = [[sum(rewards[0, t:].tolist()) for t in range(4)]]  # R̂_t = Σ_{t' ≥ t} r_t'
    torch.testing.assert_close(returns_to_go(rewards), torch.tensor(expected))
    r, s, a = (torch.full((1, 2, 1), v) for v in (0.0, 1.0, 2.0))
    r[0, 1], s[0, 1], a[0, 1] = 10.0, 11.0, 12.0
    assert interleave(r, s, a)[0, :, 0].tolist() == [0.0, 1.0, 2.0, 10.0, 11.0, 12.0]


def test_causality_and_return_conditioning():
    """a_t is read from s_t's token: it ignores a_t and everything later, and it listens to R̂_t."""
    torch.manual_seed(0)
    model = DecisionTransformer(ours_config("relu", True)).double().eval()
    states, actions, rtg, timesteps = random_batch(torch.float64)
    base = model(states, actions, rtg, timesteps).action_preds
    later_actions = actions.clone()
    later_actions[:, 3:] = 0.0  # a_3, a_4, ... replaced
    later_states = states.clone()
    later_states[:, 4:] += 1.0  # s_4, s_5 changed
    changed = model(later_states, later_actions, rtg, timesteps).action_preds
    torch.testing.assert_close(changed[:, :4], base[:, :4], rtol=TOL64, atol=TOL64)  # steps 0..3 unchanged
    other_rtg = rtg.clone()
    other_rtg[:, 2] += 1.0
    moved = model(states, actions, other_rtg, timesteps).action_preds
    torch.testing.assert_close(moved[:, :2], base[:, :2], rtol=TOL64, atol=TOL64)
    # R̂_2 precedes s_2, so a_2 depends on it (small weights at initialisation: a small change, but far
    # above the 1e-10 round-off of the unchanged steps)
    assert (moved[:, 2] - base[:, 2]).abs().max() > 1e-6


def test_errors_say_what_to_do():
    with pytest.raises(ValueError, match="activation must be"):
        DecisionTransformerConfig(state_dim=1, act_dim=1, activation="swish")
    model = DecisionTransformer(ours_config("relu", True))
    states, actions, rtg, timesteps = random_batch(torch.float32)
    with pytest.raises(ValueError, match="raise max_ep_len"):
        model(states, actions, rtg, timesteps + 30)
    with pytest.raises(ValueError, match="returns_to_go"):
        model(states, actions, rtg[..., 0], timesteps)
    data = Trajectories(np.zeros((2, 4, 3)), np.zeros((2, 4, 2)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="lower context"):
        train(model, data, 1, torch.Generator().manual_seed(0), 1.0)


@verifies(
    "decision-transformer",
    against="the asked return (hold-altitude task)",
    tol=MARGIN,
    note="150 steps, seed 0, 8 episodes per ask: achieved returns increase with the asked ones, each "
    "reachable ask within 1.0; an ask beyond the 18.5 maximum levels off",
)
def test_trained_model_reaches_the_asked_return():
    run = small_run()
    achieved = run.achieved()
    assert np.all(np.diff(achieved) > 0), achieved  # monotone in the asked return
    reachable = np.array(run.asked) <= AltitudeTask().max_return()
    np.testing.assert_allclose(achieved[reachable], np.array(run.asked)[reachable], atol=MARGIN)
    assert run.asked[-1] == 24.0 and 17.0 <= achieved[-1] <= 19.0  # out of reach: levels off near max
    assert np.mean(run.losses[-30:]) < 0.8 * np.mean(run.losses[:10])  # it learned something


def test_page_setup_numbers():
    """The setup the page states: 20 steps, climb 0.25, best return 18.5; two layers of width 32, K = 10,
    150 steps of 32 windows on 500 episodes, 8 per ask; the demo trains 1,000 steps on 2,000 episodes."""
    task = AltitudeTask()
    assert (task.horizon, task.climb, task.max_return()) == (20, 0.25, 18.5)
    run = small_run()
    cfg = run.model.cfg
    assert (cfg.n_layer, cfg.n_embd, cfg.context) == (2, 32, 10)
    assert len(run.losses) == 150 and len(run.data_returns) == 500
    assert all(len(r.returns) == 8 for r in run.rollouts) and len(run.asked) == 7
    defaults = inspect.signature(train_and_ask).parameters
    assert (defaults["steps"].default, defaults["episodes"].default) == (1000, 2000)
    assert "batch_size=32" in inspect.getsource(small_run.__wrapped__)


def test_figures_draw():
    assert isinstance(figures.data_flow(), Figure)
    assert isinstance(figures.asked_vs_achieved(), Figure)
