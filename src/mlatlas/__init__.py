"""ML Atlas: from-scratch machine-learning implementations, each verified against an independent
reference, and the engine that publishes them as a static learning site."""

__version__ = "0.1.0"
