"""The orders service's part of the graph: customers, suppliers and sales orders."""
