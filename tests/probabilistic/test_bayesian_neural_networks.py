"""Bayesian neural networks: ECE against scikit-learn's calibration_curve, the Bayes-by-backprop KL against
torch.distributions, and the chapter's measured predictive spreads and calibration on two toy tasks."""

import numpy as np
import pytest
import torch
from sklearn.calibration import calibration_curve

from mlatlas.probabilistic.bayesian_neural_networks import (
    MLP,
    BayesLinear,
    MLPConfig,
    calibration_experiment,
    expected_calibration_error,
    fit_all,
    gap_regression_data,
    negative_log_likelihood,
    predict_samples,
    predictive_regression,
)
from mlatlas.verification import verifies

TOL = 1e-12  # float64 bookkeeping
TOL32 = 1e-5  # float32 parameters


@verifies(
    "bayesian-neural-networks",
    against="sklearn calibration_curve",
    tol=TOL,
    note="float64; ECE equals the bin-count-weighted gap between scikit-learn's per-bin accuracy and "
    "confidence (10 uniform bins, top-class confidence), on random 3-class predictions",
)
def test_ece_matches_sklearn_calibration_curve():
    rng = np.random.default_rng(0)
    logits = 2.0 * rng.standard_normal((500, 3))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = rng.integers(0, 3, 500)
    confidence, correct = probs.max(1), (probs.argmax(1) == labels).astype(float)
    accuracy_b, confidence_b = calibration_curve(correct, confidence, n_bins=10, strategy="uniform")
    bins = np.searchsorted(np.linspace(0, 1, 11)[1:-1], confidence)  # scikit-learn's bin assignment
    counts = np.bincount(bins, minlength=10)
    weights = counts[counts > 0] / len(labels)  # calibration_curve returns the non-empty bins in order
    expected = float(np.sum(weights * np.abs(accuracy_b - confidence_b)))
    np.testing.assert_allclose(expected_calibration_error(probs, labels), expected, rtol=TOL, atol=TOL)
    perfect = np.eye(3)[labels]  # one-hot and right: confidence 1, accuracy 1
    assert expected_calibration_error(perfect, labels) == 0.0


@verifies(
    "bayesian-neural-networks",
    against="torch.distributions.kl_divergence",
    tol=TOL32,
    note="float32; Bayes-by-backprop KL of the factorised Gaussian weights to the N(0, s0^2) prior",
)
def test_bayes_linear_kl_matches_torch():
    torch.manual_seed(0)
    layer = BayesLinear(3, 4, prior_sd=0.7)
    with torch.no_grad():
        layer.weight_rho.normal_()
        layer.bias_mu.normal_()
    ref = sum(
        torch.distributions.kl_divergence(
            torch.distributions.Normal(mu, torch.nn.functional.softplus(rho)),
            torch.distributions.Normal(0.0, 0.7),
        ).sum()
        for mu, rho in ((layer.weight_mu, layer.weight_rho), (layer.bias_mu, layer.bias_rho))
    )
    torch.testing.assert_close(layer.kl(), ref, rtol=TOL32, atol=TOL32)


def test_dropout_off_is_deterministic_and_mc_dropout_varies():
    torch.manual_seed(0)
    x = torch.randn(5, 2)
    plain = MLP(MLPConfig(2, 8, 1))
    assert predict_samples([plain], x, 10).shape == (1, 5, 1)  # a deterministic net: one pass
    dropout = MLP(MLPConfig(2, 8, 1, dropout=0.5))
    out = predict_samples([dropout], x, 10)
    assert out.shape == (10, 5, 1) and out.std(0).min() > 0
    torch.testing.assert_close(dropout(x, sample=False), MLP.forward(dropout, x, sample=False))


@pytest.fixture(scope="module")
def gap_models():
    torch.set_num_threads(1)
    x, y = gap_regression_data(0)
    return x, y, fit_all(x, y, "regression", seed=0)


@pytest.fixture(scope="module")
def regression(gap_models):
    _, _, models = gap_models
    inside, gap = torch.linspace(-4, -1.5, 50)[:, None], torch.linspace(-1, 1, 50)[:, None]
    return {
        name: (
            predictive_regression(ms, inside, 0.1).sd.mean(),
            predictive_regression(ms, gap, 0.1).sd.mean(),
        )
        for name, ms in models.items()
    }


def test_gap_regression_spreads(regression):
    """The page's numbers (seed 0): mean predictive sd where the data are and in the gap."""
    got = np.array(
        [regression[k] for k in ("plain network", "Bayes by backprop", "MC dropout", "deep ensemble")]
    )
    expected = [[0.100, 0.100], [0.174, 0.108], [0.170, 0.155], [0.104, 0.387]]
    np.testing.assert_allclose(got, expected, atol=5e-4)
    ensemble_in, ensemble_gap = regression["deep ensemble"]
    assert ensemble_gap > 3 * ensemble_in  # the ensemble's members disagree where there is no data
    bbb_in, bbb_gap = regression["Bayes by backprop"]
    assert bbb_gap < bbb_in  # mean-field VI does not widen "in between" the clusters


def test_bayes_by_backprop_kl_outweighs_the_likelihood(gap_models):
    """The page: after training on the 40 gap points, the KL over 1,153 weights is still larger than the
    negative log-likelihood (about 437 against 332 nats, seed 0), so the fit relaxes towards the prior."""
    x, y, models = gap_models
    bbb = models["Bayes by backprop"][0]
    torch.manual_seed(0)
    with torch.no_grad():
        nll = np.mean([float(negative_log_likelihood(bbb(x), y, "regression", 0.1)) for _ in range(50)])
        kl = float(bbb.kl())
    assert sum(p.numel() for p in bbb.parameters()) == 2 * 1153  # a mean and a rho per weight and bias
    assert kl > 1.1 * nll


@verifies(
    "bayesian-neural-networks",
    against="calibration on a toy task",
    tol="3 decimals",
    note="two moons (noise 0.3, 200 training / 2000 test points, seed 0): test accuracy and 10-bin ECE of "
    "a plain network, Bayes by backprop, MC dropout and a 4-member deep ensemble, as quoted on the page",
)
def test_calibration_on_moons():
    torch.set_num_threads(1)
    results = calibration_experiment(seed=0)
    got = np.array([[r.accuracy, r.ece] for r in results.values()])
    expected = [[0.890, 0.066], [0.851, 0.048], [0.892, 0.046], [0.891, 0.059]]
    np.testing.assert_allclose(got, expected, atol=5e-4)


def test_bad_task_says_what_to_fix():
    with pytest.raises(ValueError, match="task must be 'regression' or 'classification'"):
        negative_log_likelihood(torch.zeros(2, 1), torch.zeros(2), "ranking", 0.1)
