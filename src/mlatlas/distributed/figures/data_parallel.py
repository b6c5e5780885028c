"""The bucketed all-reduce timeline, drawn from the event log that `mlatlas run data-parallel --save`
cached in ``mlatlas/distributed/data/data_parallel_timeline.json`` (one backward pass, every rank)."""

from __future__ import annotations

import json

from mlatlas.distributed.data_parallel import TIMELINE
from mlatlas.plotting import PALETTE, new_figure


def bucket_timeline():
    """Per rank: when each bucket's gradients were computed, and when its all-reduce ran."""
    data = json.loads(TIMELINE.read_text())
    world, sizes = data["world"], data["bucket_numel"]
    fig, ax = new_figure(width=5.6, height=1.2 + 1.1 * world)
    labels, y = [], 0
    for rank in reversed(range(world)):
        events = data["events"][rank]
        for lane, (start_kind, end_kind) in enumerate((("launch", "done"), ("ready", "ready"))):
            for b in range(len(sizes)):
                starts = [t for kind, i, t in events if kind == start_kind and i == b]
                ends = [t for kind, i, t in events if kind == end_kind and i == b]
                # a lane does one thing at a time: a bucket starts when it is ready *and* the
                # previous one is finished (backward: its last gradient; gloo: its all-reduce done)
                prev = [t for kind, i, t in events if kind == end_kind and i == b - 1]
                starts = [max(starts + prev)] if start_kind == "launch" else [max(prev, default=0.0)]
                t0, t1 = 1e3 * min(starts), 1e3 * max(ends)
                # two all-reduces that finish together may report out of order (in the cached log,
                # rank 1's bucket 3 at 106.61 ms, bucket 2 at 106.70): a bar never starts after it ends
                t0 = min(t0, t1)
                ax.barh(y + lane, t1 - t0, left=t0, height=0.7, color=PALETTE[b % len(PALETTE)])
        labels += [f"rank {rank} all-reduce", f"rank {rank} backward"]
        y += 2
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("milliseconds since the forward pass returned")
    handles = [ax.barh(0, 0, color=PALETTE[b]) for b in range(len(sizes))]
    ax.legend(handles, [f"bucket {b}: {n:,} grads" for b, n in enumerate(sizes)], fontsize=7,
              loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=2)  # fmt: skip
    return fig
