"""Architecture explainers of ML Atlas: the distinctive part of each model, small and verified."""
