"""Megatron column/row-parallel layers, MLP, attention and block against the unsharded GPT modules.

Every rank builds the same unsharded module (same seed), shards it, and runs forward and backward;
the test compares each rank's outputs, input gradient and weight-gradient shards with the unsharded
module run here, in float64.
"""

import pytest
import torch
import torch.distributed as dist
from torch import nn

from mlatlas.distributed.launch import spawn
from mlatlas.distributed.tensor_parallel import (
    ColumnParallelLinear,
    ParallelBlock,
    ParallelMLP,
    RowParallelLinear,
)
from mlatlas.transformers.gpt import Block, GPTConfig
from mlatlas.verification import verifies

TOL = 1e-10  # float64
HERE = __file__
CONFIG = GPTConfig(n_embd=16, n_head=4, n_layer=1, dropout=0.0)


def modules():
    torch.manual_seed(0)
    return {
        "column": nn.Linear(16, 12).double(),
        "row": nn.Linear(12, 16).double(),
        "block": Block(CONFIG).double(),
    }


def inputs():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 5, 16, generator=g, dtype=torch.float64)
    return x, torch.randn(2, 5, 16, generator=g, dtype=torch.float64)  # input, upstream gradient


def run(module, x, upstream):
    x = x.clone().requires_grad_()
    out = module(x)
    (out * upstream[..., : out.shape[-1]]).sum().backward()
    grads = {n: p.grad.detach().clone() for n, p in module.named_parameters()}
    return out.detach(), x.grad, grads


def tp_worker(group) -> dict:
    full = modules()
    x, upstream = inputs()
    results = {
        "column": run(ColumnParallelLinear(full["column"], group, gather_output=True), x, upstream),
        "row": run(RowParallelLinear(full["row"], group, input_is_parallel=False), x[..., :12], upstream),
        "mlp": run(ParallelMLP(full["block"].mlp, group), x, upstream),
        "block": run(ParallelBlock(full["block"], group), x, upstream),
    }
    errors = {}
    try:
        ColumnParallelLinear(nn.Linear(4, 3), group)
    except ValueError as e:
        errors["odd"] = str(e)
    return {"results": results, "errors": errors, "rank": dist.get_rank(group)}


@pytest.fixture(scope="module")
def ranks():
    return spawn(f"{HERE}:tp_worker", 2)


def shard_of(full_grad: torch.Tensor, name: str, kind: str, rank: int, world: int = 2) -> torch.Tensor:
    """The slice of the unsharded gradient that rank `rank` holds for parameter `name`."""
    column = kind == "column" or any(k in name for k in ("c_fc", "q_proj", "k_proj", "v_proj"))
    row = kind == "row" or any(k in name for k in ("c_proj", "out_proj"))
    if column:  # weight rows and bias split
        return full_grad.chunk(world, dim=0)[rank]
    if row and name.endswith("weight"):  # weight columns split, bias replicated
        return full_grad.chunk(world, dim=1)[rank]
    return full_grad  # replicated: LayerNorms, the row-parallel bias


@verifies(
    "tensor-parallel",
    against="unsharded layer",
    tol=TOL,
    note="float64, 2 gloo processes: column- and row-parallel linear, Megatron MLP, attention and GPT "
    "block; outputs, input gradients and every weight-gradient shard",
)
@pytest.mark.parametrize("kind", ["column", "row", "mlp", "block"])
def test_parallel_equals_unsharded(ranks, kind):
    full = modules()
    module = {"column": full["column"], "row": full["row"], "mlp": full["block"].mlp, "block": full["block"]}
    x, upstream = inputs()
    if kind == "row":
        x = x[..., :12]
    out, x_grad, grads = run(module[kind], x, upstream)
    for r in ranks:
        p_out, p_x_grad, p_grads = r["results"][kind]
        torch.testing.assert_close(p_out, out, rtol=TOL, atol=TOL)
        torch.testing.assert_close(p_x_grad, x_grad, rtol=TOL, atol=TOL)
        assert p_grads, "no parameters were sharded"
        for name, g in p_grads.items():
            full_name = name
            expected = shard_of(grads[full_name], full_name, kind, r["rank"])
            torch.testing.assert_close(g, expected, rtol=TOL, atol=TOL, msg=f"{kind}: {name}")


def test_each_rank_holds_half_the_matrices(ranks):
    col = ranks[0]["results"]["block"][2]
    assert col["attn.q_proj.weight"].shape == (8, 16)  # 2 of 4 heads, head width 4
    assert col["mlp.c_fc.weight"].shape == (32, 16)  # 4C/P = 64/2 rows
    assert col["mlp.c_proj.weight"].shape == (16, 32)
    assert col["ln_1.weight"].shape == (16,)  # replicated


def test_indivisible_width_says_what_to_do(ranks):
    assert "does not split over 2 ranks" in ranks[0]["errors"]["odd"]
