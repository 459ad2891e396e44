"""The orders service's use cases: handlers behind the ports they need."""
