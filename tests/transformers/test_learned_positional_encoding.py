"""Learned positional table: shapes, which rows get gradients, and the no-extrapolation error."""

import pytest
import torch

from mlatlas.transformers.learned_positional_encoding import LearnedPositionalEncoding


def test_adds_one_row_per_position_and_broadcasts_over_batch():
    torch.manual_seed(0)
    pe = LearnedPositionalEncoding(16, 8, dtype=torch.float64)
    x = torch.zeros(3, 5, 8, dtype=torch.float64)
    y = pe(x)
    assert y.shape == (3, 5, 8)
    torch.testing.assert_close(y[1], pe.table.weight[:5])
    torch.testing.assert_close(pe(x, offset=4)[0], pe.table.weight[4:9])


def test_gradient_reaches_only_the_used_rows():
    pe = LearnedPositionalEncoding(16, 8)
    pe(torch.randn(2, 5, 8), offset=3).sum().backward()
    grad_rows = pe.table.weight.grad.abs().sum(-1) > 0
    assert grad_rows.nonzero().flatten().tolist() == [3, 4, 5, 6, 7]
    torch.testing.assert_close(pe.table.weight.grad[3], torch.full((8,), 2.0))  # two batch rows


def test_init_scale():
    torch.manual_seed(0)
    std = LearnedPositionalEncoding(1024, 64).table.weight.std().item()
    assert abs(std - 0.02) < 0.002


def test_cannot_extrapolate_beyond_table():
    pe = LearnedPositionalEncoding(8, 4)
    with pytest.raises(ValueError, match="cannot extrapolate"):
        pe(torch.zeros(1, 9, 4))
    with pytest.raises(ValueError, match="cannot extrapolate"):
        pe(torch.zeros(1, 2, 4), offset=7)
    with pytest.raises(ValueError, match="positive"):
        LearnedPositionalEncoding(0, 4)
