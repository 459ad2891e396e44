"""The orders service's domain: partners and sales orders, standard library and kernel only."""
