"""Probabilistic machine learning: conjugate Bayes, Gaussian processes, MCMC, variational inference and
Bayesian neural networks, each written from scratch in NumPy/PyTorch and checked against a reference."""
