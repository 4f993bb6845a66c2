"""Reinforcement learning of the residual (PPO)."""
