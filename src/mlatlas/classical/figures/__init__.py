"""Figures for the classical machine-learning book."""
