"""Certificate documents (being built)."""
