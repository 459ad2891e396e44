"""The counting service's part of the graph: counts from plan to approval, their lines and entries."""
