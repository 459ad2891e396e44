"""Invariant orders service: customers and suppliers, and sales orders that promise only what exists."""
