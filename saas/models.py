"""Imports every model module so the mapper registry (and Alembic) sees all tables."""
from saas.tenants.models import ApiToken, OneTimeToken, OutboxMessage, Tenant, User, UserRole, UserSession  # noqa: F401
from saas.clients.models import ClientCompany, ContactPerson, SubUnit  # noqa: F401
from saas.audit.models import AuditEvent  # noqa: F401
from saas.jobs import BackgroundTask  # noqa: F401
from saas.outbox import OutboxJob  # noqa: F401
from saas.schemes.models import *  # noqa: F401,F403
from saas.hms.models import *  # noqa: F401,F403
from saas.audits.models import *  # noqa: F401,F403
from saas.audits import archive  # noqa: F401  (the archive's delete guard)
from saas.certification.models import *  # noqa: F401,F403
from saas.surveys.models import *  # noqa: F401,F403
from saas.certification.document_models import *  # noqa: F401,F403
from saas.certification.scheme_models import *  # noqa: F401,F403
from saas.certification.complaint_models import *  # noqa: F401,F403
from saas.billing.models import *  # noqa: F401,F403
from saas.notifications.models import *  # noqa: F401,F403
from saas.calendar.models import *  # noqa: F401,F403
from saas.search.models import *  # noqa: F401,F403
from saas.persons.models import *  # noqa: F401,F403
