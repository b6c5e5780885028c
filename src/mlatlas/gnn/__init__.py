"""gnn implementations of ML Atlas (one concept per module)."""
