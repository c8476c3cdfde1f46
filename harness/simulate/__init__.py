"""Stimuli from provider states: synthetic, correlated messages that put a supplier into a state."""
