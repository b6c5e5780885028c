"""Sparse features give the same layers and models as dense ones; sparse dropout is inverted dropout."""

import pytest
import torch

from mlatlas.gnn.gat import GAT, GATModelConfig
from mlatlas.gnn.gcn import GCN, GCNModelConfig
from mlatlas.gnn.graphsage import GraphSAGE, SAGEModelConfig
from mlatlas.gnn.sparse_features import feature_dropout, linear, to_sparse_features

TOL = 1e-10  # float64


def bag_of_words(n=30, f=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, f, generator=g, dtype=torch.float64) < 0.1).double()


@pytest.mark.parametrize("kind", ["gcn", "gat", "sage"])
def test_models_agree_on_dense_and_sparse_features(kind):
    x = bag_of_words()
    edge_index = torch.randint(0, 30, (2, 80), generator=torch.Generator().manual_seed(1))
    torch.manual_seed(0)
    model = (
        {
            "gcn": lambda: GCN(GCNModelConfig(40, 8, 3)),
            "gat": lambda: GAT(GATModelConfig(40, 4, 3, heads=2)),
            "sage": lambda: GraphSAGE(SAGEModelConfig(40, 8, 3)),
        }[kind]()
        .double()
        .eval()
    )
    dense = model(x, edge_index)
    sparse = model(to_sparse_features(x), edge_index)
    torch.testing.assert_close(sparse, dense, rtol=TOL, atol=TOL)
    g = torch.randn_like(dense)
    grads_dense = torch.autograd.grad((dense * g).sum(), list(model.parameters()))
    grads_sparse = torch.autograd.grad((sparse * g).sum(), list(model.parameters()))
    for a, b in zip(grads_sparse, grads_dense):
        torch.testing.assert_close(a, b, rtol=TOL, atol=TOL)


def test_sparse_dropout_keeps_zeros_and_the_mean():
    x = bag_of_words(200, 200)
    torch.manual_seed(0)
    dropped = feature_dropout(to_sparse_features(x), 0.5, training=True).to_dense()
    assert (dropped[x == 0] == 0).all()  # zeros stay zeros
    kept = dropped[x != 0]
    assert set(kept.unique().tolist()) <= {0.0, 2.0}  # dropped or scaled by 1 / (1 - p)
    frac = (kept > 0).double().mean().item()
    n = kept.numel()
    assert abs(frac - 0.5) < 4 * (0.25 / n) ** 0.5  # binomial: 4 standard deviations
    assert feature_dropout(to_sparse_features(x), 0.5, training=False).to_dense().equal(x)


def test_linear_dispatch_and_bad_p():
    x = bag_of_words()
    w = torch.randn(5, 40, dtype=torch.float64)
    b = torch.randn(5, dtype=torch.float64)
    torch.testing.assert_close(linear(to_sparse_features(x), w, b), x @ w.T + b, rtol=TOL, atol=TOL)
    with pytest.raises(ValueError, match="dropout probability"):
        feature_dropout(to_sparse_features(x), 1.0, training=True)


def test_dense_input_dropout_draws_only_where_nonzero():
    x = bag_of_words(200, 200)
    torch.manual_seed(0)
    dropped = feature_dropout(x, 0.25, training=True)
    assert (dropped[x == 0] == 0).all()
    kept = dropped[x != 0]
    assert set(kept.unique().tolist()) <= {0.0, 1.0 / 0.75}
    frac = (kept > 0).double().mean().item()
    assert abs(frac - 0.75) < 4 * (0.75 * 0.25 / kept.numel()) ** 0.5  # binomial: 4 standard deviations
    h = torch.randn(50, 8, dtype=torch.float64, requires_grad=True)  # inside the network: plain dropout
    out = feature_dropout(h, 0.5, training=True)
    out.sum().backward()
    torch.testing.assert_close(h.grad, (out != 0).double() * 2.0)
