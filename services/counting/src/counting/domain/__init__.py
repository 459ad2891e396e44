"""The counting service's model. Standard library and invariant_kernel.errors/decimals/codes/units only."""
