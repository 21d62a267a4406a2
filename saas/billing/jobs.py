"""Billing jobs (being built)."""
