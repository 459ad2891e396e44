"""Invariant quality service: inspection plans, inspection lots and their decisions."""
