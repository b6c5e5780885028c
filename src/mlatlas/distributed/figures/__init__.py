"""Figures for the distributed series."""
