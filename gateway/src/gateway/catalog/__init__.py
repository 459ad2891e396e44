"""The catalog service's part of the graph: items, units, barcodes and BOMs."""
