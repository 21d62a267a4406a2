"""Certification services: facts from the records, proposals and decisions, certificates, the yearly run.

Services raise ``FieldErrors`` (bad input, 422), ``NotFound`` (404), ``Refused`` (the rules or the
tenant's policy say no, 422) and ``Conflict`` (someone else got there first, 409).  Their messages are
bokmål for the person who tried.
"""
from __future__ import annotations

from saas.clients.services import NotFound  # one NotFound for every feature's views

__all__ = ["NotFound", "Refused", "Conflict"]


class Refused(Exception):
    """The action is not allowed for this year or this person; ``str(error)`` says why."""


class Conflict(Refused):
    """Another person's change got there first (already decided, already issued)."""
