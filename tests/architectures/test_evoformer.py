"""Evoformer: shapes, the transpose relations of the triangle updates, equivariance to permutations."""

import pytest
import torch

from mlatlas.architectures.evoformer import (
    EvoformerBlock,
    EvoformerConfig,
    OuterProductMean,
    TriangleAttention,
    TriangleMultiplication,
)
from mlatlas.verification import verifies

TOL = 1e-10  # float64


def inputs(s=5, n=7, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(s, n, 32, generator=g, dtype=torch.float64),
        torch.randn(n, n, 16, generator=g, dtype=torch.float64),
    )


@verifies(
    "evoformer",
    against="transpose identity",
    tol=TOL,
    note="float64: incoming(z) = outgoing(z^T with a, b swapped)^T; ending(z) = starting(z^T)^T",
)
def test_incoming_is_outgoing_on_the_transpose():
    torch.manual_seed(0)
    _, z = inputs()
    incoming = TriangleMultiplication(16, 8, "incoming").double()
    outgoing = TriangleMultiplication(16, 8, "outgoing").double()
    state = incoming.state_dict()
    swap = {"a.": "b.", "b.": "a.", "a_gate.": "b_gate.", "b_gate.": "a_gate."}
    outgoing.load_state_dict(
        {
            (swap[k.split(".")[0] + "."] + k.split(".", 1)[1]) if k.split(".")[0] + "." in swap else k: v
            for k, v in state.items()
        }
    )
    torch.testing.assert_close(incoming(z), outgoing(z.transpose(0, 1)).transpose(0, 1), rtol=TOL, atol=TOL)
    # and the two directions are genuinely different updates
    same_weights = TriangleMultiplication(16, 8, "outgoing").double()
    same_weights.load_state_dict(state)
    assert (same_weights(z) - incoming(z)).abs().max() > 1e-3
    start = TriangleAttention(16, 2, "starting").double()
    end = TriangleAttention(16, 2, "ending").double()
    end.load_state_dict(start.state_dict())
    torch.testing.assert_close(end(z), start(z.transpose(0, 1)).transpose(0, 1), rtol=TOL, atol=TOL)


@verifies(
    "evoformer",
    against="permutation equivariance",
    tol=TOL,
    note="float64: permuting residues permutes m's columns and both axes of z; permuting sequences "
    "permutes m's rows and leaves z unchanged",
)
def test_block_is_equivariant_to_residue_and_sequence_order():
    torch.manual_seed(0)
    block = EvoformerBlock(EvoformerConfig()).double().eval()
    m, z = inputs()
    m1, z1 = block(m, z)
    assert m1.shape == (5, 7, 32) and z1.shape == (7, 7, 16)
    p = torch.randperm(7, generator=torch.Generator().manual_seed(1))
    m2, z2 = block(m[:, p], z[p][:, p])
    torch.testing.assert_close(m2, m1[:, p], rtol=TOL, atol=TOL)
    torch.testing.assert_close(z2, z1[p][:, p], rtol=TOL, atol=TOL)
    q = torch.randperm(5, generator=torch.Generator().manual_seed(2))
    m3, z3 = block(m[q], z)
    torch.testing.assert_close(m3, m1[q], rtol=TOL, atol=TOL)
    torch.testing.assert_close(z3, z1, rtol=TOL, atol=TOL)


def test_outer_product_mean_by_hand():
    torch.manual_seed(0)
    opm = OuterProductMean(32, 16, c=3).double()
    m, _ = inputs(s=4, n=3)
    h = opm.norm(m)
    a, b = opm.a(h), opm.b(h)
    for i, j in [(0, 0), (0, 2), (2, 1)]:
        mean_outer = sum(torch.outer(a[s, i], b[s, j]) for s in range(4)) / 4  # (c, c)
        torch.testing.assert_close(opm(m)[i, j], opm.out(mean_outer.flatten()), rtol=TOL, atol=TOL)


def test_bad_inputs_say_what_to_do():
    block = EvoformerBlock(EvoformerConfig()).double()
    m, z = inputs()
    with pytest.raises(ValueError, match="same N"):
        block(m[:, :6], z)
    with pytest.raises(ValueError, match="direction"):
        TriangleMultiplication(16, 8, "sideways")
    with pytest.raises(ValueError, match="node"):
        TriangleAttention(16, 2, "middle")
