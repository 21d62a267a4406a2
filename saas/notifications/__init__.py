"""Notifications: in-app messages for the events people wait on, counts in the menu, and an optional daily
e-mail digest.  A top floor like billing: it listens to the audit log and to failed jobs (see services), so
no feature below has to know it exists."""
from __future__ import annotations

from saas.notifications import services as _services

_services.subscribe()
