"""The orders service's gRPC API and event consumers."""
