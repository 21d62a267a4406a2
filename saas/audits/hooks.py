"""What other features hear about audit cases.

``case_approved(session, case, actor, today)`` runs inside the deciding transaction when a case is
approved; saas.certification subscribes to issue (or keep) the certificate.  A subscriber must not
commit; whatever it raises aborts the decision.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session

CASE_APPROVED: list[Callable[..., None]] = []


def case_approved(session: Session, case, actor, today) -> None:
    for subscriber in list(CASE_APPROVED):
        subscriber(session, case, actor, today)
