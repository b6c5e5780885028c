"""Bayesian neural networks: Bayes by backprop, MC dropout and deep ensembles, with calibration.

Papers: Blundell, Cornebise, Kavukcuoglu, Wierstra (2015), "Weight Uncertainty in Neural Networks",
arXiv:1505.05424; Gal & Ghahramani (2016), "Dropout as a Bayesian Approximation", arXiv:1506.02142;
Lakshminarayanan, Pritzel, Blundell (2017), "Simple and Scalable Predictive Uncertainty Estimation
using Deep Ensembles", arXiv:1612.01474; Guo, Pleiss, Sun, Weinberger (2017), "On Calibration of
Modern Neural Networks", arXiv:1706.04599.
Three cheap ways to give a network a predictive distribution instead of a point: learn a Gaussian
over every weight, keep dropout on at test time, or train several networks from different seeds.

Departures from the papers, to keep one small code path: Bayes by backprop uses a single Gaussian
prior (closed-form KL) instead of the paper's scale mixture; MC dropout is trained without the L2 weight
decay that stands for the prior in Gal & Ghahramani's derivation; ensemble members are trained on the
plain loss, without the paper's learned variance head and adversarial examples. All training uses
``mlatlas.foundations.optimizers.adam_step`` and, for classifiers, ``mlatlas.foundations.cross_entropy``.
Shapes: B batch, F features, K classes, S Monte Carlo samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from mlatlas.foundations.cross_entropy import cross_entropy
from mlatlas.foundations.optimizers import adam_init, adam_step

# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


@dataclass
class MLPConfig:
    in_features: int = 1
    hidden: int = 50
    out_features: int = 1
    dropout: float = 0.0  # probability of dropping a hidden unit (MC dropout keeps it on at test time)


class MLP(nn.Module):
    """Two ReLU hidden layers; dropout after each when ``sample`` is true (training, or MC dropout)."""

    def __init__(self, config: MLPConfig):
        super().__init__()
        self.config = config
        self.fc1 = nn.Linear(config.in_features, config.hidden)
        self.fc2 = nn.Linear(config.hidden, config.hidden)
        self.out = nn.Linear(config.hidden, config.out_features)

    def forward(self, x: Tensor, sample: bool = False) -> Tensor:
        """x (B, F) -> (B, out)."""
        p = self.config.dropout
        h = nn.functional.dropout(torch.relu(self.fc1(x)), p, training=sample and p > 0)  # (B, hidden)
        h = nn.functional.dropout(torch.relu(self.fc2(h)), p, training=sample and p > 0)
        return self.out(h)


class BayesLinear(nn.Module):
    """A linear layer with a factorised Gaussian posterior over every weight and bias (Blundell et al. 2015):
    w = mu + softplus(rho) * eps, eps ~ N(0, 1), sampled afresh on every forward pass."""

    def __init__(self, in_features: int, out_features: int, prior_sd: float = 1.0):
        super().__init__()
        bound = 1.0 / math.sqrt(in_features)
        self.weight_mu = nn.Parameter(torch.empty(out_features, in_features).uniform_(-bound, bound))
        self.bias_mu = nn.Parameter(torch.zeros(out_features))
        rho0 = math.log(math.expm1(1e-2))  # softplus(rho0) = 0.01: start nearly deterministic
        self.weight_rho = nn.Parameter(torch.full((out_features, in_features), rho0))
        self.bias_rho = nn.Parameter(torch.full((out_features,), rho0))
        self.prior_sd = prior_sd

    def forward(self, x: Tensor) -> Tensor:
        w_sd, b_sd = nn.functional.softplus(self.weight_rho), nn.functional.softplus(self.bias_rho)
        w = self.weight_mu + w_sd * torch.randn_like(w_sd)  # reparameterised weight sample
        b = self.bias_mu + b_sd * torch.randn_like(b_sd)
        return x @ w.T + b

    def kl(self) -> Tensor:
        """KL(q || N(0, prior_sd^2)) summed over parameters:
        sum log(s0 / s) + (s^2 + mu^2) / (2 s0^2) - 1/2."""
        total = torch.zeros(())
        s0 = self.prior_sd
        for mu, rho in ((self.weight_mu, self.weight_rho), (self.bias_mu, self.bias_rho)):
            s = nn.functional.softplus(rho)
            total = total + (math.log(s0) - torch.log(s) + (s**2 + mu**2) / (2 * s0**2) - 0.5).sum()
        return total


class BayesMLP(nn.Module):
    """The MLP's architecture with BayesLinear layers."""

    def __init__(self, config: MLPConfig, prior_sd: float = 1.0):
        super().__init__()
        self.config = config
        self.fc1 = BayesLinear(config.in_features, config.hidden, prior_sd)
        self.fc2 = BayesLinear(config.hidden, config.hidden, prior_sd)
        self.out = BayesLinear(config.hidden, config.out_features, prior_sd)

    def forward(self, x: Tensor, sample: bool = True) -> Tensor:
        return self.out(torch.relu(self.fc2(torch.relu(self.fc1(x)))))

    def kl(self) -> Tensor:
        return self.fc1.kl() + self.fc2.kl() + self.out.kl()


# --------------------------------------------------------------------------------------------
# Training and prediction
# --------------------------------------------------------------------------------------------


def negative_log_likelihood(out: Tensor, y: Tensor, task: str, noise_sd: float) -> Tensor:
    """Summed over the batch: Gaussian with known noise sd for "regression", softmax cross-entropy for
    "classification" (the atlas's cross_entropy)."""
    if task == "regression":
        return 0.5 * (((out[:, 0] - y) / noise_sd) ** 2).sum() + y.numel() * math.log(
            noise_sd * math.sqrt(2 * math.pi)
        )
    if task == "classification":
        return cross_entropy(out, y, reduction="sum")
    raise ValueError(f"task must be 'regression' or 'classification', got {task!r}")


def train(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    task: str,
    steps: int,
    lr: float = 1e-2,
    noise_sd: float = 0.1,
    weight_decay: float = 0.0,
) -> list[float]:
    """Full-batch Adam on the negative log-likelihood (plus the KL for a BayesMLP: the negative ELBO,
    Blundell et al.'s cost F(D, theta)) using the atlas's adam_step. Dropout is on while training.
    Returns the losses."""
    params = [p for p in model.parameters()]
    states = [adam_init(p.detach()) for p in params]
    losses = []
    for _ in range(steps):
        out = model(x, sample=True)
        loss = negative_log_likelihood(out, y, task, noise_sd)
        if isinstance(model, BayesMLP):
            loss = loss + model.kl()  # -ELBO = E_q[-log p(D | w)] + KL(q || prior), one sample of w
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for i, (p, g) in enumerate(zip(params, grads, strict=True)):
                new, states[i] = adam_step(p.detach(), g, states[i], lr=lr, weight_decay=weight_decay)
                p.copy_(new)
        losses.append(float(loss.detach()))
    return losses


def predict_samples(models: list[nn.Module], x: Tensor, samples: int) -> Tensor:
    """Outputs (S, B, out): for one deterministic network, S = 1; for a BayesMLP or an MC-dropout network,
    ``samples`` stochastic passes; for an ensemble (several models), one pass of each member."""
    outs = []
    with torch.no_grad():
        for m in models:
            stochastic = isinstance(m, BayesMLP) or (isinstance(m, MLP) and m.config.dropout > 0)
            for _ in range(samples if stochastic else 1):
                outs.append(m(x, sample=stochastic))
    return torch.stack(outs)


class RegressionPrediction(NamedTuple):
    """Predictive mean and sd (B,): sd^2 = noise^2 + variance of the sampled means."""

    mean: np.ndarray
    sd: np.ndarray


def predictive_regression(
    models: list[nn.Module], x: Tensor, noise_sd: float, samples: int = 100
) -> RegressionPrediction:
    means = predict_samples(models, x, samples)[..., 0]  # (S, B)
    var = means.var(dim=0, unbiased=False) if means.shape[0] > 1 else torch.zeros(means.shape[1])
    return RegressionPrediction(means.mean(0).numpy(), torch.sqrt(var + noise_sd**2).numpy())


def predictive_probs(models: list[nn.Module], x: Tensor, samples: int = 100) -> np.ndarray:
    """Class probabilities (B, K) averaged over samples / members: the Bayesian model average."""
    return torch.softmax(predict_samples(models, x, samples), dim=-1).mean(0).numpy()


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """ECE = sum_b (n_b / n) |accuracy_b - confidence_b| over equal-width bins of the top-class
    confidence (Guo et al. 2017, eq. 3). probs (B, K), labels (B,)."""
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)  # bin (lo, hi]
    ece = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(ece)


# --------------------------------------------------------------------------------------------
# The two toy tasks
# --------------------------------------------------------------------------------------------


def gap_regression_data(seed: int = 0, n: int = 40) -> tuple[Tensor, Tensor]:
    """x in [-4, -1.5] and [1.5, 4] (nothing in between), y = sin(1.5 x) + N(0, 0.1^2): (n, 1), (n,)."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.uniform(-4, -1.5, n // 2), rng.uniform(1.5, 4, n - n // 2)])
    y = np.sin(1.5 * x) + 0.1 * rng.standard_normal(n)
    return torch.tensor(x, dtype=torch.float32)[:, None], torch.tensor(y, dtype=torch.float32)


def fit_all(
    x: Tensor, y: Tensor, task: str, seed: int = 0, steps: int = 400, members: int = 4, hidden: int = 32
) -> dict[str, list[nn.Module]]:
    """Train the four models of the chapter on (x, y) with Adam (lr 0.02): a plain network, Bayes by
    backprop, MC dropout (p = 0.1) and a deep ensemble of ``members`` plain networks from different
    seeds (the plain network is its first member)."""
    out = 1 if task == "regression" else int(y.max()) + 1
    config = MLPConfig(in_features=x.shape[1], hidden=hidden, out_features=out)
    ensemble = []
    for k in range(members):
        torch.manual_seed(seed + k)
        member = MLP(config)
        train(member, x, y, task, steps, lr=0.02)
        ensemble.append(member)
    torch.manual_seed(seed + 100)
    bbb = BayesMLP(config, prior_sd=1.0)
    train(bbb, x, y, task, steps, lr=0.02)
    dropout = MLP(MLPConfig(x.shape[1], hidden, out, dropout=0.1))
    train(dropout, x, y, task, steps, lr=0.02)
    return {
        "plain network": ensemble[:1],
        "Bayes by backprop": [bbb],
        "MC dropout": [dropout],
        "deep ensemble": ensemble,
    }


def moons_data(
    seed: int = 0, n_train: int = 200, n_test: int = 2000
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Two interleaved half-moons with noise 0.3 (scikit-learn's generator): train and test splits."""
    from sklearn.datasets import make_moons

    x, y = make_moons(n_train + n_test, noise=0.3, random_state=seed)
    x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


class CalibrationResult(NamedTuple):
    accuracy: float
    ece: float


def calibration_experiment(seed: int = 0, steps: int = 400) -> dict[str, CalibrationResult]:
    """Train the four models on 200 noisy moons and report test accuracy and 10-bin ECE on 2000 points."""
    x, y, x_test, y_test = moons_data(seed)
    models = fit_all(x, y, "classification", seed, steps)
    results = {}
    for name, ms in models.items():
        probs = predictive_probs(ms, x_test)
        labels = y_test.numpy()
        results[name] = CalibrationResult(
            float((probs.argmax(1) == labels).mean()), expected_calibration_error(probs, labels)
        )
    return results


def demo(seed: int = 0) -> dict[str, CalibrationResult]:
    """Print each method's predictive sd inside and outside the data on the gap regression, and its
    accuracy and calibration error on the moons classifier."""
    torch.set_num_threads(1)
    x, y = gap_regression_data(seed)
    models = fit_all(x, y, "regression", seed)
    inside, gap = torch.linspace(-4, -1.5, 50)[:, None], torch.linspace(-1, 1, 50)[:, None]
    print("gap regression: mean predictive sd where the data are / in the gap (noise sd 0.1)")
    for name, ms in models.items():
        a, b = predictive_regression(ms, inside, 0.1).sd.mean(), predictive_regression(ms, gap, 0.1).sd.mean()
        print(f"  {name:<18} {a:.3f} / {b:.3f}")
    results = calibration_experiment(seed)
    print("moons classifier (200 training points, 2000 test points): accuracy, ECE (10 bins)")
    for name, r in results.items():
        print(f"  {name:<18} {r.accuracy:.3f}  {r.ece:.3f}")
    return results
