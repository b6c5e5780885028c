"""Figures for the modern transformer anatomy chapter."""

from __future__ import annotations

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.modern_transformer_anatomy import DecoderConfig, ModernDecoder


def parameters_by_component():
    """Where the parameters of a small Llama-style model sit, counted from our module."""
    cfg = DecoderConfig(
        vocab_size=32000,
        d_model=512,
        num_layers=8,
        num_heads=8,
        num_key_value_heads=2,
        intermediate_size=1376,
        max_positions=1024,
    )
    model = ModernDecoder(cfg)
    groups = {"embeddings": 0, "attention (GQA)": 0, "SwiGLU MLP": 0, "RMSNorm gains": 0, "LM head": 0}
    for name, p in model.named_parameters():
        key = (
            "embeddings"
            if "embed" in name
            else "LM head"
            if "lm_head" in name
            else "attention (GQA)"
            if "self_attn" in name
            else "SwiGLU MLP"
            if "mlp" in name
            else "RMSNorm gains"
        )
        groups[key] += p.numel()
    fig, ax = new_figure(width=6.4, height=2.8)
    names = list(groups)
    values = [groups[n] / 1e6 for n in names]
    ax.barh(names, values, color=PALETTE[: len(names)])
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:.2f} M", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("parameters (millions): C = 512, 8 layers, 8 query / 2 KV heads, V = 32000")
    return fig
