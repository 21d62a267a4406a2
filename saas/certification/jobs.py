"""Certification jobs (being built)."""
