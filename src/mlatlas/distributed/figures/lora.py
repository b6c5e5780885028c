"""Fine-tuning curves from the cached run of `mlatlas run lora --save`
(``mlatlas/distributed/data/lora_finetune.json``)."""

from __future__ import annotations

import json

from mlatlas.distributed.lora import RESULTS
from mlatlas.plotting import PALETTE, new_figure


def finetune_curves():
    """Held-out loss on the new text while fine-tuning all parameters vs LoRA adapters only."""
    data = json.loads(RESULTS.read_text())
    fig, ax = new_figure(width=5.6, height=3.6)
    for name, colour in (("full", PALETTE[0]), ("lora", PALETTE[1])):
        run = data[name]
        steps = [25 * i for i in range(len(run["history"]))]
        share = 100 * run["trainable"] / run["total"]
        what = "all parameters" if name == "full" else "LoRA (q, v; r = 2)"
        label = f"{what}: {run['trainable']:,} ({share:.3g}%)"
        ax.plot(steps, run["history"], "o-", color=colour, markersize=3, label=label)
        ax.annotate(f"{run['history'][-1]:.2f}", (steps[-1], run["history"][-1]), textcoords="offset points",
                    xytext=(4, 4), fontsize=8, color=colour)  # fmt: skip
    ax.set_xlabel("fine-tuning steps on the new text")
    ax.set_ylabel("held-out cross-entropy (nats/char)")
    ax.grid(True)
    ax.legend(fontsize=8, title="trained", title_fontsize=8)
    return fig
