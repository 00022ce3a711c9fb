"""Simulator of the three feeds: a landing zone for 2024 and its ground truth."""

from penal_hub.simulator.simulate import simulate

__all__ = ["simulate"]
