"""Certificate document jobs (being built)."""
