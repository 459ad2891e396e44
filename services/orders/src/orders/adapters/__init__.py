"""The orders service's adapters: its tables, the catalog's items and stock, as its ports need them."""
