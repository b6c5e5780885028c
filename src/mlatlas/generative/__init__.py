"""generative implementations of ML Atlas (one concept per module).

Shared pieces: ``toy_data`` (data sets with known densities and scores), ``networks`` (the one small
time-conditioned MLP every diffusion/score/flow chapter trains), ``training`` (the one training loop)
and ``distances`` (the sample-quality number every demo prints).
"""
