"""Figure functions used by the engine's fixture sites (imported by module name at build time)."""

from mlatlas.plotting import new_figure


def line():
    fig, ax = new_figure(width=4, height=2.5)
    ax.plot([0, 1, 2, 3], [0, 1, 4, 9], label="x²")
    ax.set_xlabel("x")
    ax.legend()
    return fig


def svg_text():
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" width="80" height="80">'
        '<circle cx="5" cy="5" r="4"/></svg>'
    )


def broken():
    raise RuntimeError("the data file is missing")


def dies():
    """A figure whose worker process dies (as a crash in native code would)."""
    import os

    os._exit(3)


def numbers():
    """A value function: several numbers computed at once, picked by key on the page."""
    import math

    return {"pi": math.pi, "tiny": 1.5e-12, "count": 12345}


def scalar():
    import numpy as np

    return np.float64(0.1) + np.float64(0.2)


def demo_nproc(nproc: int = 1):
    print(f"demo ran with nproc={nproc}")
