"""Imports every model module so the mapper registry (and Alembic) sees all tables."""
from saas.tenants.models import ApiToken, OneTimeToken, OutboxMessage, Tenant, User, UserRole  # noqa: F401
from saas.clients.models import ClientCompany, ContactPerson, SubUnit  # noqa: F401
from saas.audit.models import AuditEvent  # noqa: F401
from saas.jobs import BackgroundTask  # noqa: F401
from saas.outbox import OutboxJob  # noqa: F401
from saas.hms.models import *  # noqa: F401,F403
from saas.certification.models import *  # noqa: F401,F403
from saas.surveys.models import *  # noqa: F401,F403
from saas.certification.document_models import *  # noqa: F401,F403
from saas.billing.models import *  # noqa: F401,F403
