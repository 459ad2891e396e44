"""The quality service's domain: sampling, inspection plans and inspection lots, standard library and kernel only."""
