"""What the PDF report of a closed survey shows: plain data made from the stored, k-suppressed report."""
from __future__ import annotations

from sqlalchemy.orm import Session

from saas.surveys.models import Survey
from saas.surveys.services.results import results_view
from saas.surveys.services.surveys import summary
from saas.tenants.models import Tenant
from saas.tenants.services import branding


def report_pdf_context(session: Session, tenant: Tenant, survey: Survey) -> dict:
    company = survey.year.company
    return dict(
        tenant=branding(tenant),
        survey=summary(session, tenant, survey),
        company=dict(name=company.name, org_number=company.org_number, address=company.address,
                     postcode=company.postcode, city=company.city),
        results=results_view(survey, with_charts=True),
    )
