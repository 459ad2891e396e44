"""The counting service's model. Standard library and invariant_core.errors/decimals/codes/units only."""
