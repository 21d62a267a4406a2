"""Public verification and register (being built)."""
BLUEPRINTS: tuple = ()
