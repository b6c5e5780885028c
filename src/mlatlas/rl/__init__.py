"""Reinforcement learning from Markov decision processes to PPO (the `rl` book)."""
