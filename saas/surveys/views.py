"""Survey pages: blueprints are listed in BLUEPRINTS (being built)."""
BLUEPRINTS: tuple = ()
