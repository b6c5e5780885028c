"""The GPipe and 1F1B schedules as they ran, drawn from the event log that
`mlatlas run pipeline-parallel --nproc 4 --save` cached in
``mlatlas/distributed/data/pipeline_schedule.json``."""

from __future__ import annotations

import json

from mlatlas.distributed.pipeline_parallel import TIMELINE, bubble_formula
from mlatlas.plotting import PALETTE, new_figure


def schedule_timeline():
    """One panel per schedule: per stage, each forward (light) and backward (dark) box, numbered."""
    data = json.loads(TIMELINE.read_text())
    p, m = data["stages"], data["micro"]
    fig, axes = new_figure(2, 1, width=6.4, height=5.4, sharex=True)
    for ax, (name, title) in zip(axes, (("gpipe", "GPipe"), ("1f1b", "1F1B"))):
        run = data[name]
        for stage, events in enumerate(run["events"]):
            for kind, micro, start, end in events:
                colour = PALETTE[0] if kind == "F" else PALETTE[1]
                ax.barh(stage, 1e3 * (end - start), left=1e3 * start, height=0.8, color=colour,
                        edgecolor="white", linewidth=0.6)  # fmt: skip
                ax.text(1e3 * (start + end) / 2, stage, str(micro), ha="center", va="center", fontsize=7,
                        color="white")  # fmt: skip
        ax.set_yticks(range(p), [f"stage {s}" for s in range(p)])
        ax.invert_yaxis()
        ax.set_title(
            f"{title}: bubble {run['bubble']:.2f} (formula {bubble_formula(p, m):.2f}); "
            f"held at peak {', '.join(map(str, run['peaks']))}",
            fontsize=9,
        )
    axes[1].set_xlabel("milliseconds since the step began")
    handles = [axes[0].barh(0, 0, color=PALETTE[0]), axes[0].barh(0, 0, color=PALETTE[1])]
    axes[0].legend(handles, ["forward", "backward"], fontsize=8, loc="lower right")
    return fig
