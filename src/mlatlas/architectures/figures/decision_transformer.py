"""Figures for the decision-transformer page."""

from __future__ import annotations

import numpy as np
import torch

from mlatlas.architectures.decision_transformer import (
    AltitudeTask,
    DecisionTransformer,
    DecisionTransformerConfig,
    interleave,
    small_run,
)
from mlatlas.architectures.figures.flow import Node, flow_diagram
from mlatlas.architectures.figures.flow import shape_text as s
from mlatlas.plotting import INK, PALETTE, new_figure


@torch.no_grad()
def data_flow():
    """Returns to go, states, actions and timesteps to one interleaved causal sequence and back, with
    the shapes of a forward pass of the altitude model on 4 windows of K = 10 steps."""
    torch.manual_seed(0)
    cfg = DecisionTransformerConfig(state_dim=1, act_dim=1, max_ep_len=20)
    model = DecisionTransformer(cfg).eval()
    B, T = 4, cfg.context
    states, actions, rtg = torch.rand(B, T, 1), torch.rand(B, T, 1), torch.rand(B, T, 1)
    timesteps = torch.arange(T).expand(B, -1)
    time = model.embed_timestep(timesteps)  # (B, T, C)
    tokens = interleave(model.embed_return(rtg), model.embed_state(states), model.embed_action(actions))
    out = model(states, actions, rtg, timesteps)
    C = cfg.n_embd
    nodes = [
        Node("r", 1.0, 5.0, f"$\\hat R$ {s(rtg)}\nLinear", 3),
        Node("s", 2.75, 5.0, f"$s$ {s(states)}\nLinear", 0),
        Node("a", 4.5, 5.0, f"$a$ {s(actions)}\nLinear", 2),
        Node("t", 6.1, 5.0, f"$t$ {s(timesteps)}\ntable {s(time)}", 7),
        Node(
            "seq",
            3.5,
            3.85,
            f"each + its step's time vector, interleaved\n"
            f"$\\hat R_1\\, s_1\\, a_1\\, \\hat R_2\\, s_2\\, a_2 \\dots$  LayerNorm {s(tokens)}",
            4,
        ),
        Node(
            "gpt",
            3.5,
            2.7,
            f"causal GPT blocks ×{cfg.n_layer} (ReLU MLP)\ntoken $i$ sees tokens $\\leq i$",
            1,
        ),
        Node("split", 3.5, 1.65, f"final LayerNorm, regroup {s((B, T, 3, C))}", 7),
        Node("act", 1.8, 0.55, f"$s_t$ tokens → $a_t$ {s(out.action_preds)}", 0),
        Node("next", 5.2, 0.55, f"$a_t$ tokens → $s_{{t+1}}$, $\\hat R_{{t+1}}$ {s(out.return_preds)}", 2),
    ]
    edges = [
        ("r", "seq"),
        ("s", "seq"),
        ("a", "seq"),
        ("t", "seq"),
        ("seq", "gpt"),
        ("gpt", "split"),
        ("split", "act"),
        ("split", "next"),
    ]
    return flow_diagram(nodes, edges, width=7.0, height=5.6, fontsize=9.0)


def asked_vs_achieved():
    """The small trained model asked for seven returns: its altitude paths, and achieved vs asked."""
    run = small_run()
    task = AltitudeTask()
    fig, (top, bottom) = new_figure(2, 1, width=6.0, height=6.6)
    steps = np.arange(1, task.horizon + 1)
    for i, (g, r) in enumerate(zip(run.asked, run.rollouts)):
        top.plot(steps, r.altitudes.mean(0), color=PALETTE[i % len(PALETTE)], lw=1.8, label=f"{g:g}")
    top.set_xlabel("step $t$")
    top.set_ylabel("altitude (= reward)")
    top.set_title("mean path for each asked return")
    top.set_xticks([1, 5, 10, 15, 20])
    top.legend(title="asked", fontsize=8, title_fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    achieved = run.achieved()
    spread = np.array([r.returns.std() for r in run.rollouts])
    top_return = task.max_return()
    line = np.array([0.0, max(run.asked)])
    bottom.plot(line, line, ls="--", color=INK, lw=1.0, label="achieved = asked")
    bottom.axhline(top_return, ls=":", color=PALETTE[7], lw=1.4, label=f"full throttle ({top_return:g})")
    bottom.errorbar(run.asked, achieved, yerr=spread, fmt="o", color=PALETTE[0], capsize=3, label="achieved")
    bottom.set_xlabel("asked return $\\hat R_1$")
    bottom.set_ylabel("achieved return")
    bottom.legend(fontsize=8, loc="upper left")
    return fig
