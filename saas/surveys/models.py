"""Survey models (being built)."""
