"""Figures for the generative chapters (each draws in a few seconds, training tiny seeded models)."""
