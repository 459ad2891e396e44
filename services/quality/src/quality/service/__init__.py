"""The quality service's handlers, behind the ports they need."""
