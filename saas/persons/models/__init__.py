"""Person certification models (seed 002, seed 003 § 8-2)."""
from saas.persons.models.people import (  # noqa: F401
    Person, PersonDocument, PersonRegisterSettings, PersonSigningKey, RegisterMode,
)
