"""Ties that follow from HMS work: a consultant who did a company's HMS work is tied to it.

Registered with saas.schemes.impartiality.TIE_SOURCES (see saas/hms/__init__.py).  Sources: the
company's own consultant (ongoing), and each certification year's consultant and opener (the year's
calendar dates).
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.clients.models import ClientCompany
from saas.hms.models import CertificationYear
from saas.schemes.impartiality import Tie


def hms_ties(session: Session, company_id: int, user_ids: Iterable[int] | None) -> list[Tie]:
    wanted = None if user_ids is None else set(user_ids)
    found: list[Tie] = []

    def add(user_id, from_on, to_on, note):
        if user_id is not None and (wanted is None or user_id in wanted):
            found.append(Tie(user_id, company_id, "consulted", from_on, to_on, "hms", note))

    company = session.execute(select(ClientCompany.consultant_id, ClientCompany.created_at)
                              .where(ClientCompany.id == company_id)).first()
    if company is not None:
        add(company.consultant_id, company.created_at.date(), None, "Bedriftens HMS-rådgiver")
    for row in session.execute(select(CertificationYear.year, CertificationYear.consultant_id, CertificationYear.opened_by)
                               .where(CertificationYear.company_id == company_id)):
        for user_id in {row.consultant_id, row.opened_by}:
            add(user_id, date(row.year, 1, 1), date(row.year, 12, 31), f"HMS-arbeid i {row.year}")
    return found
