"""Figures for the evoformer page."""

from __future__ import annotations

import torch

from mlatlas.architectures.evoformer import EvoformerBlock, EvoformerConfig
from mlatlas.architectures.figures.flow import Node, flow_diagram
from mlatlas.architectures.figures.flow import shape_text as s


@torch.no_grad()
def data_flow():
    """One Evoformer block on 5 sequences of 7 residues: the MSA stack, the outer product, the pair stack."""
    torch.manual_seed(0)
    cfg = EvoformerConfig()
    block = EvoformerBlock(cfg).eval()
    m, z = torch.randn(5, 7, cfg.c_m), torch.randn(7, 7, cfg.c_z)
    bias = block.row.pair_bias(block.row.norm_z(z)).permute(2, 0, 1)
    opm = block.outer(m)
    m_out, z_out = block(m, z)
    nodes = [
        Node("m", 1.8, 4.5, f"MSA m {s(m)}", 0),
        Node("row", 1.8, 3.5, f"row attention + pair bias\n(heads, N, N) = {s(bias)}", 0),
        Node("col", 1.8, 2.5, "column attention\n(over sequences)", 0),
        Node("mt", 1.8, 1.5, f"transition → m {s(m_out)}", 0),
        Node("z", 5.4, 4.5, f"pair z {s(z)}", 1),
        Node("opm", 5.4, 3.5, f"+ outer-product mean {s(opm)}", 2),
        Node("tm", 5.4, 2.5, "+ triangle multiplication\noutgoing, then incoming", 1),
        Node("ta", 5.4, 1.5, "+ triangle attention\nstarting, then ending node", 1),
        Node("zt", 5.4, 0.5, f"transition → z {s(z_out)}", 1),
    ]
    edges = [
        ("m", "row"),
        ("row", "col"),
        ("col", "mt"),
        ("z", "row", ""),
        ("mt", "opm"),
        ("z", "opm"),
        ("opm", "tm"),
        ("tm", "ta"),
        ("ta", "zt"),
    ]
    return flow_diagram(nodes, edges, width=7.4, height=5.0)
