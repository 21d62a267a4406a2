"""Services of the HMS work, one module per area."""
