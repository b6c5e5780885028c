"""Figures for the sinusoidal positional encoding chapter."""

from __future__ import annotations

from mlatlas.plotting import new_figure
from mlatlas.transformers.sinusoidal_positional_encoding import sinusoidal_positional_encoding


def encoding_and_similarity():
    """The (position x feature) table, and the dot product between positions that depends only on offset."""
    pe = sinusoidal_positional_encoding(100, 64)
    fig, (a, b) = new_figure(1, 2, width=8.4, height=3.2)
    im = a.imshow(pe.T.numpy(), aspect="auto", cmap="coolwarm", vmin=-1, vmax=1, origin="lower")
    a.set_xlabel("position p")
    a.set_ylabel("feature (sin/cos pairs)")
    a.set_title("PE[p, :]: fast at the bottom, slow at the top")
    fig.colorbar(im, ax=a, shrink=0.8)
    sim = (pe @ pe.T).numpy()
    im2 = b.imshow(sim, cmap="viridis", origin="lower")
    b.set_xlabel("position q")
    b.set_ylabel("position p")
    b.set_title("PE[p] · PE[q] depends on p − q only")
    fig.colorbar(im2, ax=b, shrink=0.8)
    return fig
