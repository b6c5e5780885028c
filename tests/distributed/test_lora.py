"""LoRA on the package's GPT against peft's LoRA with shared weights; merging; a short fine-tune."""

import copy

import numpy as np
import pytest
import torch
from peft import LoraConfig, inject_adapter_in_model

from mlatlas.distributed.lora import (
    LoRALinear,
    add_lora,
    experiment_config,
    fine_tune,
    merge_lora,
    new_text,
    trainable_fraction,
)
from mlatlas.transformers.gpt import GPT, GPTConfig
from mlatlas.verification import verifies

TOL = 1e-10  # float64
R, ALPHA = 2, 4.0


def shared_pair():
    torch.manual_seed(0)
    base = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16)).double()
    ours = add_lora(copy.deepcopy(base), r=R, alpha=ALPHA)
    config = LoraConfig(r=R, lora_alpha=ALPHA, lora_dropout=0.0, target_modules=["q_proj", "v_proj"])
    theirs = inject_adapter_in_model(config, copy.deepcopy(base))
    g = torch.Generator().manual_seed(1)
    ours_layers = [m for m in ours.modules() if isinstance(m, LoRALinear)]
    their_layers = [m for n, m in theirs.named_modules() if n.endswith(("q_proj", "v_proj"))]
    assert len(ours_layers) == len(their_layers) == 4
    with torch.no_grad():
        for a, b in zip(ours_layers, their_layers):
            b.lora_B["default"].weight.copy_(torch.randn(b.lora_B["default"].weight.shape, generator=g))
            a.lora_A.copy_(b.lora_A["default"].weight)  # peft's own random A
            a.lora_B.copy_(b.lora_B["default"].weight)  # non-zero B, so the adapter counts
    return base, ours, theirs


@verifies(
    "lora",
    against="peft LoRA",
    tol=TOL,
    note="float64, our GPT with q/v adapters (r = 2, alpha = 4) and peft's inject_adapter_in_model, "
    "shared A and B: logits, gradients of A and B, and merged weights",
)
def test_lora_matches_peft_forward_gradients_and_merge():
    _, ours, theirs = shared_pair()
    idx = torch.randint(0, 11, (3, 8), generator=torch.Generator().manual_seed(2))
    targets = torch.randint(0, 11, (3, 8), generator=torch.Generator().manual_seed(3))
    logits, loss = ours(idx, targets)
    their_logits, their_loss = theirs(idx, targets)
    torch.testing.assert_close(logits, their_logits, rtol=TOL, atol=TOL)
    loss.backward()
    their_loss.backward()
    ours_layers = [m for m in ours.modules() if isinstance(m, LoRALinear)]
    their_layers = [m for n, m in theirs.named_modules() if n.endswith(("q_proj", "v_proj"))]
    for a, b in zip(ours_layers, their_layers):
        torch.testing.assert_close(a.lora_A.grad, b.lora_A["default"].weight.grad, rtol=TOL, atol=TOL)
        torch.testing.assert_close(a.lora_B.grad, b.lora_B["default"].weight.grad, rtol=TOL, atol=TOL)
        b.merge()  # peft folds B A into the base weight
        torch.testing.assert_close(a.merged().weight, b.base_layer.weight, rtol=TOL, atol=TOL)
    # only the adapters train
    assert {n for n, p in ours.named_parameters() if p.requires_grad} == {
        f"blocks.{i}.attn.{m}.lora_{x}" for i in range(2) for m in ("q_proj", "v_proj") for x in "AB"
    }


def test_merged_model_is_the_same_function_and_b0_is_the_base():
    base, ours, _ = shared_pair()
    idx = torch.randint(0, 11, (2, 8), generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        before = ours(idx)[0]
        merged = merge_lora(copy.deepcopy(ours))
        torch.testing.assert_close(merged(idx)[0], before, rtol=TOL, atol=TOL)
        assert not any(isinstance(m, LoRALinear) for m in merged.modules())
        fresh = add_lora(copy.deepcopy(base), r=R, alpha=ALPHA)  # B = 0: exactly the pretrained model
        torch.testing.assert_close(fresh(idx)[0], base(idx)[0], rtol=0, atol=0)


def test_experiment_trains_about_one_percent():
    model = add_lora(GPT(experiment_config()), r=2, alpha=4.0)
    assert trainable_fraction(model) == pytest.approx(1024 / 107_136, abs=1e-12)
    assert 0.009 < trainable_fraction(model) < 0.01


def test_lora_fine_tune_trains_only_the_adapters():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=30, block_size=16, n_layer=1, n_head=2, n_embd=16))
    frozen = {k: v.clone() for k, v in model.state_dict().items()}
    add_lora(model, r=2, alpha=4.0)
    history = fine_tune(model, new_text(np.random.default_rng(0), 300), steps=50, lr=3e-2)
    assert history[-1] < history[0] - 0.02  # seed 0: 3.41 -> 3.36 (a random, frozen base learns little)
    for name, value in model.state_dict().items():
        key = name.replace(".base.", ".")
        if key in frozen:
            torch.testing.assert_close(value, frozen[key], rtol=0, atol=0)


def test_rank_r_adapter_recovers_a_rank_r_update():
    """A frozen W plus a rank-2 adapter, trained on inputs and outputs of W + ΔW* (rank 2), finds ΔW*."""
    g = torch.Generator().manual_seed(0)
    base = torch.nn.Linear(8, 6, dtype=torch.float64)
    delta = torch.randn(6, 2, generator=g, dtype=torch.float64) @ torch.randn(
        2, 8, generator=g, dtype=torch.float64
    )
    x = torch.randn(256, 8, generator=g, dtype=torch.float64)
    y = base(x).detach() + x @ delta.T
    layer = LoRALinear(base, r=2, alpha=2.0)
    opt = torch.optim.Adam([layer.lora_A, layer.lora_B], lr=5e-2)
    for _ in range(600):
        opt.zero_grad()
        torch.nn.functional.mse_loss(layer(x), y).backward()
        opt.step()
    learned = layer.merged().weight - base.weight
    torch.testing.assert_close(learned, delta, rtol=0, atol=1e-3)  # optimisation, not algebra: 1e-3


def test_bad_rank_and_missing_targets_say_what_to_do():
    with pytest.raises(ValueError, match="rank r=0 must be between 1 and"):
        LoRALinear(torch.nn.Linear(4, 3), r=0)
    with pytest.raises(ValueError, match="no nn.Linear named any of"):
        add_lora(torch.nn.Sequential(torch.nn.Linear(2, 2)), targets=("q_proj",))


def test_saved_run_and_counts_quoted_on_the_page():
    """The page's numbers: 256× fewer parameters for a 4096-wide layer at r = 8; in the saved run
    full fine-tuning ends lower, LoRA closes more than half of full fine-tuning's drop in held-out
    loss, and the merged model's loss equals the adapted one's."""
    import json

    from mlatlas.distributed.lora import RESULTS

    layer = LoRALinear(torch.nn.Linear(4096, 4096, device="meta"), r=8)
    assert layer.base.weight.numel() / (layer.lora_A.numel() + layer.lora_B.numel()) == 256
    saved = json.loads(RESULTS.read_text())
    assert (saved["tune_steps"], saved["lora"]["trainable"], saved["lora"]["total"]) == (200, 1024, 107_136)
    full, lora = saved["full"]["history"], saved["lora"]["history"]
    assert full[0] == lora[0] and full[-1] < lora[-1]
    assert (lora[0] - lora[-1]) / (full[0] - full[-1]) > 0.5  # 0.62 in the committed run
    assert saved["lora"]["merged_history_end"] == pytest.approx(lora[-1], abs=1e-5)
