"""Figures for the reinforcement-learning book."""
