"""The JSON API, /api/v1/.  Bearer tokens only; errors are JSON naming the field."""
from saas.api.core import api_blueprint, tenant_api
from saas.api import companies, users, spec, hms_years, hms_risks, hms_actions, hms_evidence, certification, surveys, certificate_documents, billing, daily, schemes, audits, complaints, persons, person_submissions, jobs  # noqa: F401  (registers the routes)

__all__ = ["api_blueprint", "tenant_api"]
