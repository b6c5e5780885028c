"""Build-time figures of the Architecture explainers series."""
