"""SSMs: convolution = recurrence (S4D); parallel = sequential scan; Mamba vs transformers MambaModel."""

import torch
import transformers

from mlatlas.deep_learning.state_space_models import (
    Mamba,
    MambaConfig,
    discretize_zoh,
    parallel_scan,
    selective_scan_parallel,
    selective_scan_sequential,
    ssm_convolution,
    ssm_kernel,
    ssm_recurrent,
)
from mlatlas.verification import verifies

TOL = 1e-10  # float64
TOL32 = 1e-5  # float32: transformers' scan casts B and the input to float32 inside (.float())


@verifies(
    "state-space-models",
    against="recurrent form",
    tol=TOL,
    note="float64, S4D convolution (FFT) vs recurrence",
)
def test_s4d_convolution_equals_recurrence():
    g = torch.Generator().manual_seed(0)
    n, T = 8, 40
    a = -torch.exp(torch.randn(n, generator=g, dtype=torch.float64))  # negative real diagonal
    b, c = torch.randn(n, generator=g, dtype=torch.float64), torch.randn(n, generator=g, dtype=torch.float64)
    a_bar, b_bar = discretize_zoh(a, b, delta=0.1)
    x = torch.randn(3, T, generator=g, dtype=torch.float64)
    torch.testing.assert_close(
        ssm_convolution(x, ssm_kernel(a_bar, b_bar, c, T)),
        ssm_recurrent(x, a_bar, b_bar, c),
        rtol=TOL,
        atol=TOL,
    )


def selective_inputs(seed=0, b=2, d=3, t=13, n=4):
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)
    return (
        r(b, d, t),
        torch.nn.functional.softplus(r(b, d, t)),
        -torch.exp(r(d, n)),
        r(b, t, n),
        r(b, t, n),
        r(d),
    )


@verifies(
    "state-space-models",
    against="sequential scan",
    tol=TOL,
    note="float64, Hillis-Steele scan; gradients too",
)
def test_parallel_scan_equals_sequential_scan():
    for seed, t in [(0, 13), (1, 1), (2, 32)]:  # lengths that are and are not powers of two
        inputs = [x.requires_grad_() for x in selective_inputs(seed, t=t)]
        seq, par = selective_scan_sequential(*inputs), selective_scan_parallel(*inputs)
        torch.testing.assert_close(par, seq, rtol=TOL, atol=TOL)
        g1 = torch.autograd.grad(seq.sum(), inputs, allow_unused=True, materialize_grads=True)
        g2 = torch.autograd.grad(par.sum(), inputs, allow_unused=True, materialize_grads=True)  # T = 1: no A
        for x, y in zip(g1, g2):
            torch.testing.assert_close(x, y, rtol=TOL, atol=TOL)


def test_parallel_scan_on_a_plain_recurrence():
    a, b = torch.rand(10, dtype=torch.float64), torch.randn(10, dtype=torch.float64)
    h, expected = torch.zeros((), dtype=torch.float64), []
    for t in range(10):
        h = a[t] * h + b[t]
        expected.append(h)
    torch.testing.assert_close(parallel_scan(a, b, dim=0), torch.stack(expected), rtol=TOL, atol=TOL)


@verifies(
    "state-space-models",
    against="transformers MambaModel (slow path)",
    tol=TOL32,
    note="float32, shared weights (the state dict loads as is), 2 layers; hidden states and input gradients",
)
def test_mamba_matches_transformers():
    cfg = dict(vocab_size=50, hidden_size=16, state_size=4, intermediate_size=32, conv_kernel=4,
               time_step_rank=2, num_hidden_layers=2, layer_norm_epsilon=1e-5)  # fmt: skip
    torch.manual_seed(0)
    ref = transformers.MambaModel(transformers.MambaConfig(**cfg, use_bias=False, use_conv_bias=True)).eval()
    with torch.no_grad():  # make the norms' gains matter
        for name, p in ref.named_parameters():
            if name.endswith("norm.weight") or name.endswith("norm_f.weight"):
                p.uniform_(0.5, 1.5)
    ours = Mamba(MambaConfig(**cfg)).eval()
    missing = ours.load_state_dict(ref.state_dict(), strict=True)
    assert not missing.missing_keys and not missing.unexpected_keys
    ids = torch.randint(0, 50, (2, 11), generator=torch.Generator().manual_seed(1))
    expected = ref(ids).last_hidden_state
    torch.testing.assert_close(ours(ids), expected, rtol=TOL32, atol=TOL32)
    e1 = ours.embeddings(ids).detach().requires_grad_()
    e2 = e1.detach().clone().requires_grad_()
    h1 = e1
    for layer in ours.layers:
        h1 = layer(h1)
    h2 = ref(inputs_embeds=e2).last_hidden_state
    (ours.norm_f(h1).sum()).backward()
    h2.sum().backward()
    torch.testing.assert_close(e1.grad, e2.grad, rtol=1e-4, atol=1e-4)  # float32 backward through 2 scans


def test_the_pages_kernel_reach():
    n = 16  # the figure's SSM: S4D-real A_n = -(n + 1), B = 1, C = 1 / N, kernel normalised to K_0
    a, b, c = (
        -torch.arange(1, n + 1, dtype=torch.float64),
        torch.ones(n, dtype=torch.float64),
        torch.full((n,), 1 / n),
    )
    reach = {}
    for delta in (0.3, 0.03, 0.003):
        kernel = ssm_kernel(*discretize_zoh(a, b, delta), c.double(), 200)
        reach[delta] = kernel / kernel[0]
    assert reach[0.3][10] < 0.01  # alt: near zero within about ten steps
    assert reach[0.03][30] > 0.04 and reach[0.03][100] < 0.01  # alt: within about a hundred
    assert 0.06 < reach[0.003][199] < 0.1  # alt: still about 0.08 at lag 200
