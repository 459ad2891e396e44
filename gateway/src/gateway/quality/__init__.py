"""The quality service's part of the graph: inspection plans and the inspection lots that gate stock."""
