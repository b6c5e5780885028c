"""Efficiency and distributed training on torch.distributed (one concept per module)."""
