"""Billing pages (being built)."""
BLUEPRINTS: tuple = ()
