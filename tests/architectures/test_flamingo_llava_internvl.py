"""LLaVA vs transformers' LlavaForConditionalGeneration; Flamingo's zero gates; InternVL's tiling."""

import pytest
import torch
from hf_weights import gpt2_state_to_ours, load_renamed
from test_clip import RULES as CLIP_RULES
from transformers import CLIPVisionConfig, GPT2Config, LlavaConfig, LlavaForConditionalGeneration

from mlatlas.architectures.clip import CLIPConfig
from mlatlas.architectures.flamingo import FlamingoLM, PerceiverResampler
from mlatlas.architectures.internvl import candidate_grids, closest_grid, tile_image
from mlatlas.architectures.llava import LLaVA, LLaVAConfig
from mlatlas.transformers.gpt import GPT, GPTConfig
from mlatlas.verification import verifies

TOL = 1e-10  # float64
V, IMAGE = 30, 29  # vocabulary, and the <image> placeholder id


def shared_llava():
    vision = dict(
        hidden_size=32,
        intermediate_size=128,
        num_hidden_layers=3,
        num_attention_heads=4,
        image_size=8,
        patch_size=2,
        num_channels=1,
        hidden_act="gelu",
        layer_norm_eps=1e-5,
    )
    text = dict(
        vocab_size=V,
        n_positions=40,
        n_layer=2,
        n_head=2,
        n_embd=24,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        activation_function="gelu_new",
        layer_norm_epsilon=1e-5,
        tie_word_embeddings=False,
        bos_token_id=0,
        eos_token_id=0,
    )
    hf_cfg = LlavaConfig(
        vision_config=CLIPVisionConfig(**vision),
        text_config=GPT2Config(**text),
        image_token_id=IMAGE,
        projector_hidden_act="gelu",
        vision_feature_layer=-2,
        vision_feature_select_strategy="default",
    )
    torch.manual_seed(0)
    ref = LlavaForConditionalGeneration._from_config(hf_cfg, attn_implementation="sdpa").double().eval()
    ours = LLaVA(LLaVAConfig(CLIPConfig(vision_layers=3), GPTConfig(V, 40, 2, 2, 24), IMAGE)).double().eval()
    state = ref.state_dict()
    with torch.no_grad():
        ref.lm_head.weight.copy_(state["model.language_model.wte.weight"])  # ours ties the head to wte
    vision_state = {
        k.replace("model.vision_tower.", "vision_model."): v for k, v in state.items() if "vision_tower" in k
    }
    load_renamed(
        ours.vision_tower,
        vision_state,
        CLIP_RULES + [(r"^image_tower\.", "")],
        reshape={"patch_embedding.weight": (32, 4)},
        skip=(r".*position_ids",),
    )
    lm = gpt2_state_to_ours(state, "model.language_model.", "")
    lm = {k: v for k, v in lm.items() if not k.endswith(".attn.bias")}
    missing, unexpected = ours.language_model.load_state_dict(lm, strict=False)
    assert not unexpected and missing == ["lm_head.weight"], (missing, unexpected)  # lm_head is wte, tied
    proj = {
        "0.weight": "linear_1.weight",
        "0.bias": "linear_1.bias",
        "2.weight": "linear_2.weight",
        "2.bias": "linear_2.bias",
    }
    ours.projector.load_state_dict({k: state[f"model.multi_modal_projector.{v}"] for k, v in proj.items()})
    return ours, ref


@verifies(
    "flamingo-llava-internvl",
    against="transformers LlavaForConditionalGeneration",
    tol=TOL,
    note="float64, shared weights (CLIP vision tower, GPT-2 language model): logits of spliced prompts",
)
def test_llava_matches_transformers():
    ours, ref = shared_llava()
    g = torch.Generator().manual_seed(1)
    images = torch.rand(2, 1, 8, 8, generator=g, dtype=torch.float64)
    ids = torch.randint(0, IMAGE, (2, 22), generator=g)
    ids[0, 2:18] = IMAGE  # 16 patch tokens per image, at different offsets in the two prompts
    ids[1, 5:21] = IMAGE
    with torch.no_grad():
        ours_logits = ours(images, ids)
        ref_logits = ref(input_ids=ids, pixel_values=images).logits
    torch.testing.assert_close(ours_logits, ref_logits, rtol=TOL, atol=TOL)
    with pytest.raises(ValueError, match="placeholders"):
        ours(images, ids[:, :20])


def test_llava_text_positions_are_untouched_by_splicing():
    ours, _ = shared_llava()
    ids = torch.randint(0, IMAGE, (1, 20))
    ids[0, 3:19] = IMAGE
    z = ours.image_tokens(torch.rand(1, 1, 8, 8, dtype=torch.float64))
    x = ours.splice(ids, z)
    keep = ids != IMAGE
    torch.testing.assert_close(x[keep], ours.language_model.wte(ids)[keep])
    torch.testing.assert_close(x[~keep], z[0])


@verifies(
    "flamingo-llava-internvl",
    against="the frozen language model",
    tol=0.0,
    note="tanh gates at 0: FlamingoLM's logits equal the GPT's exactly, whatever the cross-attention weights",
)
def test_flamingo_zero_gates_leave_the_language_model_unchanged():
    torch.manual_seed(0)
    lm = GPT(GPTConfig(vocab_size=V, block_size=16, n_layer=2, n_head=2, n_embd=24)).double().eval()
    model = FlamingoLM(lm, num_heads=2).double().eval()
    ids = torch.randint(0, V, (3, 10))
    visual = torch.randn(3, 5, 24, dtype=torch.float64)
    expected = lm(ids)[0]
    torch.testing.assert_close(model(ids, visual), expected, rtol=0, atol=0)
    # the gates are what decide: opened, the images change the output
    with torch.no_grad():
        model.xattn[0].attn_gate.fill_(0.5)
    assert (model(ids, visual) - expected).abs().max() > 1e-3
    with torch.no_grad():
        model.xattn[0].attn_gate.zero_()
    # at 0 only the gates receive gradient (d tanh/da = 1); the language model is frozen
    model(ids, visual).sum().backward()
    assert model.xattn[0].attn_gate.grad.abs().item() > 0
    assert model.xattn[0].attn.q_proj.weight.grad.abs().max().item() == 0.0
    assert all(p.grad is None for p in lm.parameters())


def test_perceiver_resampler_outputs_r_tokens_for_any_input():
    torch.manual_seed(0)
    resampler = PerceiverResampler(width=16, num_heads=2, num_latents=4).double().eval()
    for frames, n in [(1, 9), (3, 16), (2, 50)]:
        assert resampler(torch.randn(2, frames, n, 16, dtype=torch.float64)).shape == (2, 4, 16)
    x = torch.randn(1, 2, 9, 16, dtype=torch.float64)
    perm = torch.randperm(9)
    torch.testing.assert_close(
        resampler(x[:, :, perm]), resampler(x), rtol=1e-12, atol=1e-12
    )  # a set, not a grid
    with pytest.raises(ValueError, match="max_frames"):
        resampler(torch.randn(1, 9, 2, 16, dtype=torch.float64))


@verifies(
    "flamingo-llava-internvl",
    against="InternVL dynamic_preprocess rule (hand cases)",
    tol=0,
    note="grids, tie-break by area, tiles and tokens for square, 4:3, 5:1 and 2:1 images",
)
def test_internvl_tiling_hand_cases():
    assert len(candidate_grids()) == 35 and candidate_grids()[0] == (1, 1)
    assert tile_image(448, 448) == tile_image(300, 300)  # one tile, no thumbnail: 256 tokens
    assert tile_image(448, 448).tokens == 256 and tile_image(448, 448).tiles == 1
    t = tile_image(800, 600)  # 4:3 exactly: a 4 x 3 grid, 12 tiles + thumbnail
    assert t.grid == (4, 3) and t.tiles == 13 and t.tokens == 3328
    assert tile_image(1000, 200).grid == (5, 1) and tile_image(1000, 200).tokens == 1536
    assert closest_grid(600, 300) == (2, 1)  # 2:1 ties with 4 x 2; too few pixels to deserve 8 tiles
    assert closest_grid(1400, 700) == (4, 2)  # 980,000 px > half of 8 tiles (802,816 px)
    with pytest.raises(ValueError, match="positive"):
        closest_grid(0, 10)
