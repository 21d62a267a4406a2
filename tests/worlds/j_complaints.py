"""A complaint about the tenant's certificate."""
from datetime import date

from saas.certification.complaint_models import Complaint


def populate(session, base):
    key = base["key"].upper()
    complaint = Complaint(kind="complaint", company_id=base["company"].id, certificate_ref=f"{key}-2026-0001",
                          from_public=True, from_name=f"Klager {key} Hemmelig", from_email="klager@example.no",
                          text=f"Klage {key} Hemmelig", received_on=date(2026, 5, 1))
    session.add(complaint)
    session.flush()
    return dict(complaint=complaint)
