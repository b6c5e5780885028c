"""Figures for the Deep Learning book, drawn at build time."""
