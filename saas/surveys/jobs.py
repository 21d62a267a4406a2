"""Survey jobs (being built)."""
