"""Person certification services: people, catalogue, training, register, revocation, employer view."""


class NotFound(LookupError):
    """No such object for this user (another tenant's, or a client contact's non-employee)."""
