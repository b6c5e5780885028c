"""NT-Xent against hand-computed cases; augmentations; the linear-probe claims of the simclr page."""

import math

import pytest
import torch

from mlatlas.architectures.contrastive import nt_xent
from mlatlas.architectures.simclr import augment, probe_experiment, random_resized_crop, train_simclr
from mlatlas.verification import verifies

TOL = 1e-12  # float64


@verifies(
    "simclr",
    against="hand formula",
    tol=TOL,
    note="float64: a 2-image case worked out on paper, and a loop over the 2B views of eq. 1",
)
def test_nt_xent_by_hand():
    z_a = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    z_b = torch.tensor([[2.0, 0.0], [-1.0, 0.0]], dtype=torch.float64)  # lengths do not matter: cosines
    # tau = 0.5, so s = 2 cos; views 0..3 = (1,0), (0,1), (1,0), (-1,0); twins 0<->2, 1<->3
    l0 = -2 + math.log(math.exp(0) + math.exp(2) + math.exp(-2))  # view 0: twin cos 1, others 0 and -1
    l1 = math.log(3.0)  # view 1: every other view is orthogonal to it
    l3 = math.log(1 + 2 * math.exp(-2))  # view 3: twin orthogonal, the others opposite
    expected = (2 * l0 + l1 + l3) / 4  # view 2 is view 0's mirror
    torch.testing.assert_close(
        nt_xent(z_a, z_b, 0.5), torch.tensor(expected, dtype=torch.float64), rtol=TOL, atol=TOL
    )
    g = torch.Generator().manual_seed(0)
    a, b = (
        torch.randn(5, 3, generator=g, dtype=torch.float64),
        torch.randn(5, 3, generator=g, dtype=torch.float64),
    )
    z = torch.nn.functional.normalize(torch.cat([a, b]), dim=1)
    total = 0.0
    for k in range(10):  # l(k, twin) = -log exp(s_k,twin / tau) / sum_{l != k} exp(s_kl / tau)
        twin = (k + 5) % 10
        denom = sum(math.exp(float(z[k] @ z[j]) / 0.3) for j in range(10) if j != k)
        total += -float(z[k] @ z[twin]) / 0.3 + math.log(denom)
    torch.testing.assert_close(
        nt_xent(a, b, 0.3), torch.tensor(total / 10, dtype=torch.float64), rtol=TOL, atol=TOL
    )


def test_nt_xent_is_symmetric_in_the_views_and_rejects_bad_input():
    g = torch.Generator().manual_seed(1)
    a, b = (
        torch.randn(4, 3, generator=g, dtype=torch.float64),
        torch.randn(4, 3, generator=g, dtype=torch.float64),
    )
    torch.testing.assert_close(nt_xent(a, b, 0.5), nt_xent(b, a, 0.5), rtol=TOL, atol=TOL)
    with pytest.raises(ValueError, match="temperature must be positive"):
        nt_xent(a, b, 0.0)
    with pytest.raises(ValueError, match="both be"):
        nt_xent(a, b[:3], 0.5)


def test_augmentations_keep_shape_and_are_seeded():
    x = torch.rand(6, 1, 8, 8)
    v1 = augment(x, torch.Generator().manual_seed(3))
    v2 = augment(x, torch.Generator().manual_seed(3))
    assert v1.shape == x.shape
    torch.testing.assert_close(v1, v2, rtol=0, atol=0)
    # the crop with min_side = S is the identity (bilinear resize to the same size)
    torch.testing.assert_close(random_resized_crop(x, torch.Generator(), min_side=8), x)
    with pytest.raises(ValueError, match="min_side"):
        random_resized_crop(x, torch.Generator(), min_side=9)


@verifies(
    "simclr",
    against="linear probe on raw pixels",
    tol="SimCLR >= raw + 0.03 with 5 labels per class",
    note="30 epochs, seed 0, 360 held-out digits; page: 86.4% vs 81.4% (5 labels), 96.4% vs 95.6% (all)",
)
def test_simclr_features_beat_raw_pixels_with_few_labels():
    model, losses = train_simclr()
    assert losses[-1] < losses[0] - 0.5  # NT-Xent falls during training (about 6.1 -> 5.2)
    few, full = probe_experiment(model)
    assert few.labels_per_class == 5 and full.labels_per_class is None
    assert abs(few.raw_pixels - 0.814) < 0.005 and abs(full.raw_pixels - 0.956) < 0.005  # deterministic probe
    assert 0.84 <= few.simclr <= 0.89, few  # page: 86.4% (seed 0); margin for platform differences
    assert few.simclr >= few.raw_pixels + 0.03
    assert few.random_encoder < few.raw_pixels  # an untrained encoder loses information
    assert 0.73 <= few.random_encoder <= 0.78, few  # page: 75.6% (seed 0)
    assert 0.955 <= full.simclr <= 0.975, full  # page: 96.4%, within a few images of raw pixels
