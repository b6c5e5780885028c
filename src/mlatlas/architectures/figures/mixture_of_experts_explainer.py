"""Figures for the mixture-of-experts-explainer page: the Transformers book's SparseMoE, traced."""

from __future__ import annotations

import torch

from mlatlas.architectures.figures.flow import Node, flow_diagram
from mlatlas.architectures.figures.flow import shape_text as s
from mlatlas.transformers.mixture_of_experts import MoEConfig, SparseMoE


@torch.no_grad()
def data_flow():
    """One SparseMoE layer (E = 8, k = 2) on a batch of 2 x 6 tokens, with the shapes of each step."""
    torch.manual_seed(0)
    cfg = MoEConfig(d_model=16, hidden_dim=32, num_experts=8, top_k=2)
    moe = SparseMoE(cfg).eval()
    x = torch.randn(2, 6, 16)
    out = moe(x)
    r = out.routing
    counts = torch.bincount(r.experts.flatten(), minlength=cfg.num_experts).tolist()
    n = x.shape[0] * x.shape[1]
    nodes = [
        Node("x", 3.0, 4.6, f"hidden states x {s(x)} → tokens {s((n, cfg.d_model))}", 7),
        Node("router", 3.0, 3.75, f"router logits x W_g {s(r.logits)}", 4),
        Node("topk", 3.0, 2.9, f"top-{cfg.top_k}: experts {s(r.experts)}, gates {s(r.weights)}", 4),
        Node(
            "experts",
            3.0,
            1.95,
            "experts run on the tokens that chose them\n"
            + "tokens per expert: "
            + ", ".join(str(c) for c in counts),
            0,
        ),
        Node("out", 3.0, 0.9, f"Σ gate · expert(x), back to {s(out.output)}", 2),
    ]
    edges = [("x", "router"), ("router", "topk"), ("topk", "experts"), ("experts", "out")]
    return flow_diagram(nodes, edges, width=6.0, height=5.0)
