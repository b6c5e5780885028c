"""Build-time figures for the Probabilistic ML book."""
