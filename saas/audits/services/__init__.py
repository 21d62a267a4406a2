"""The audit process as services: each function does one step's work for one actor and flushes; the
request or job boundary commits.  Raises NotFound (404), Refused (422: not allowed now, with the
reason in bokmål) or FieldErrors (422: bad input, by field)."""
from __future__ import annotations


class NotFound(LookupError):
    pass


class Refused(Exception):
    """The step is not allowed now, or not for this person (the message says why)."""
