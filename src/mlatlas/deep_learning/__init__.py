"""deep_learning implementations of ML Atlas (one concept per module)."""
