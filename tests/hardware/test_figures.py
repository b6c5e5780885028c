"""Every Hardware & Compute figure function returns a matplotlib Figure."""

import pytest
from matplotlib.figure import Figure

from mlatlas.hardware.figures import gpus_and_accelerators, mixed_precision, roofline


@pytest.mark.parametrize("fn", [roofline.roofline_plot, gpus_and_accelerators.compute_vs_bandwidth,
                                mixed_precision.fp16_underflow, mixed_precision.loss_scale_history])
def test_figures_return_figures(fn):
    assert isinstance(fn(), Figure)
