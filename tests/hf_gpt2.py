"""Our GPT's weights copied into transformers' GPT2LMHeadModel (shared by the GPT and decoding tests)."""

import torch
from transformers import GPT2LMHeadModel

from mlatlas.transformers.gpt import GPT


def copy_gpt_into_gpt2(ours: GPT, ref: GPT2LMHeadModel) -> None:
    """GPT-2 stores linear maps as Conv1D with weight (in, out) and q, k, v fused in c_attn."""
    t = ref.transformer
    with torch.no_grad():
        t.wte.weight.copy_(ours.wte.weight)
        t.wpe.weight.copy_(ours.wpe.weight)
        t.ln_f.weight.copy_(ours.ln_f.weight)
        t.ln_f.bias.copy_(ours.ln_f.bias)
        for b, h in zip(ours.blocks, t.h):
            for mine, theirs in ((b.ln_1, h.ln_1), (b.ln_2, h.ln_2)):
                theirs.weight.copy_(mine.weight)
                theirs.bias.copy_(mine.bias)
            a = b.attn
            h.attn.c_attn.weight.copy_(torch.cat([a.q_proj.weight, a.k_proj.weight, a.v_proj.weight]).T)
            h.attn.c_attn.bias.copy_(torch.cat([a.q_proj.bias, a.k_proj.bias, a.v_proj.bias]))
            h.attn.c_proj.weight.copy_(a.out_proj.weight.T)
            h.attn.c_proj.bias.copy_(a.out_proj.bias)
            h.mlp.c_fc.weight.copy_(b.mlp.c_fc.weight.T)
            h.mlp.c_fc.bias.copy_(b.mlp.c_fc.bias)
            h.mlp.c_proj.weight.copy_(b.mlp.c_proj.weight.T)
            h.mlp.c_proj.bias.copy_(b.mlp.c_proj.bias)
    assert ref.lm_head.weight.data_ptr() == t.wte.weight.data_ptr()  # tied in theirs too
