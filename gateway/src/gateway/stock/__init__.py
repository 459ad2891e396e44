"""The stock service's part of the graph: warehouses, the movement ledger, balances and reservations."""
