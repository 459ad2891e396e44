"""The quality service's edges: its gRPC servicer and its event consumers."""
