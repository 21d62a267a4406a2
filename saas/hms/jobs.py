"""Jobs of the HMS work: rendering the written reports of mappings.

Each job takes ids, re-reads state and returns early when its work is done (see services.reports).
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from saas.jobs import job


@job
def generate_mapping_report(session: Session, mapping_id: int, version: int, user_id: int | None = None) -> int | None:
    """Render report ``version`` of a physical mapping to PDF and keep it as evidence."""
    from saas.hms.services.reports import generate_physical_report

    return generate_physical_report(session, mapping_id, version, user_id)


@job
def generate_psychosocial_report(session: Session, psy_mapping_id: int, version: int, user_id: int | None = None) -> int | None:
    """Render report ``version`` of a psychosocial mapping to PDF and keep it as evidence."""
    from saas.hms.services.reports import generate_psychosocial_report as generate

    return generate(session, psy_mapping_id, version, user_id)
