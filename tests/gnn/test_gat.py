"""GAT against torch_geometric's GATConv (multi-head, concat and mean) with shared weights."""

import pytest
import torch
from torch_geometric.nn import GATConv

from mlatlas.gnn.gat import GATConfig, GATLayer
from mlatlas.gnn.node_classification import karate_experiment
from mlatlas.verification import verifies

TOL = 1e-10  # float64


def shared_pair(f_in, f_out, heads, concat, seed=0):
    torch.manual_seed(seed)
    ours = GATLayer(GATConfig(f_in, f_out, heads=heads, concat=concat)).double()
    ref = GATConv(f_in, f_out, heads=heads, concat=concat).double()
    with torch.no_grad():
        ref.bias.normal_()  # PyG initialises the bias to zero; make it count
        ours.lin.weight.copy_(ref.lin.weight)  # (H * D, F)
        ours.att_src.copy_(ref.att_src.view(heads, f_out))  # PyG stores (1, H, D)
        ours.att_dst.copy_(ref.att_dst.view(heads, f_out))
        ours.bias.copy_(ref.bias)
    return ours, ref


@pytest.mark.parametrize("heads,concat", [(1, True), (3, True), (3, False)])
@verifies(
    "gat",
    against="torch_geometric GATConv",
    tol=TOL,
    note="float64, shared weights, 1 and 3 heads, concat and mean; outputs, attention "
    "coefficients and gradients on graphs with self-loops, isolated nodes, multi-edges, karate club",
)
def test_gat_matches_pyg(graph, heads, concat):
    x, edge_index = graph
    ours, ref = shared_pair(x.shape[1], 4, heads, concat)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    out, (edges, alpha) = ours(x1, edge_index, return_attention=True)
    expected, (ref_edges, ref_alpha) = ref(x2, edge_index, return_attention_weights=True)
    torch.testing.assert_close(out, expected, rtol=TOL, atol=TOL)
    torch.testing.assert_close(edges, ref_edges)  # same edge order: loops removed, then one per node
    torch.testing.assert_close(alpha, ref_alpha, rtol=TOL, atol=TOL)
    g = torch.randn_like(out)
    (out * g).sum().backward()
    (expected * g).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=TOL, atol=TOL)
    torch.testing.assert_close(ours.lin.weight.grad, ref.lin.weight.grad, rtol=TOL, atol=TOL)
    torch.testing.assert_close(ours.att_src.grad, ref.att_src.grad.view(heads, 4), rtol=TOL, atol=TOL)
    torch.testing.assert_close(ours.att_dst.grad, ref.att_dst.grad.view(heads, 4), rtol=TOL, atol=TOL)


def test_attention_sums_to_one_over_each_neighbourhood(graph):
    x, edge_index = graph
    ours, _ = shared_pair(x.shape[1], 2, 2, True)
    _, (edges, alpha) = ours(x, edge_index, return_attention=True)
    totals = torch.zeros(x.shape[0], 2, dtype=torch.float64).index_add(0, edges[1], alpha)
    torch.testing.assert_close(totals, torch.ones_like(totals), rtol=TOL, atol=TOL)


def test_gat_rejects_bad_input():
    layer = GATLayer(GATConfig(3, 2, heads=2)).double()
    x = torch.randn(4, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="has node 4 but x has only 4 rows"):
        layer(x, torch.tensor([[0, 4], [1, 2]]))
    with pytest.raises(ValueError, match="dtype torch.long"):
        layer(x, torch.tensor([[0, 1], [1, 2]], dtype=torch.int32))
    with pytest.raises(ValueError, match="shape \\(2, E\\)"):
        layer(x, torch.tensor([[0, 1], [1, 2], [2, 3]]))


def test_gat_learns_the_karate_club_split_from_two_labels():
    result = karate_experiment("gat", seed=0, epochs=100)
    assert result.test_accuracy >= 0.8  # 90.6% (29 / 32) for seed 0; 5-seed mean 90.6%, min 81.2%


TOL32 = 1e-5  # float32


def test_gat_matches_pyg_in_float32(graph):
    x, edge_index = graph
    ours, ref = shared_pair(x.shape[1], 4, 3, True)
    ours, ref, x = ours.float(), ref.float(), x.float()
    torch.testing.assert_close(ours(x, edge_index), ref(x, edge_index), rtol=TOL32, atol=TOL32)
