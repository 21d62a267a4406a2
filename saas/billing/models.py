"""Billing models (being built)."""
