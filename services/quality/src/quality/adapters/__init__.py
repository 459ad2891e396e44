"""The quality service's adapters: its tables and repository, its events, the catalog and stock as it asks them."""
