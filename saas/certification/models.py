"""Certification models (being built)."""
