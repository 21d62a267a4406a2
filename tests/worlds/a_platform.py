"""Tenants, users, tokens, companies, audit events, tasks."""
from datetime import timedelta

from saas.audit.services import record
from saas.auth import create_api_token, create_one_time_token
from saas.jobs import BackgroundTask
from tests import factories


def populate(session, base):
    tenant, key = base["tenant"], base["key"]
    admin = factories.make_user(session, tenant, roles=("admin", "consultant", "reviewer"), email=f"admin-{key}@example.no", name=f"Admin {key.upper()} Hemmelig")
    consultant = factories.make_user(session, tenant, roles=("consultant",), email=f"consultant-{key}@example.no")
    reviewer = factories.make_user(session, tenant, roles=("reviewer",), email=f"reviewer-{key}@example.no")
    client_user = factories.make_user(session, tenant, roles=("client",), email=f"client-{key}@example.no")
    company = factories.make_company(session, tenant, name=f"Kunde {key.upper()} Hemmelig AS", consultant_id=consultant.id)
    other = factories.make_company(session, tenant, name=f"Annen kunde {key.upper()} AS")
    sub_unit = factories.make_sub_unit(session, company, name=f"Avdeling {key.upper()} Hemmelig")
    contact = factories.make_contact(session, company, user=client_user, name=f"Kontakt {key.upper()} Hemmelig")
    token_row, token = create_api_token(session, admin, "test")
    create_one_time_token(session, consultant, "invite", timedelta(days=1))
    record(session, admin, "test.event", company, f"Hendelse {key.upper()} Hemmelig")
    task = BackgroundTask(kind="test", created_by=admin.id)
    session.add(task)
    session.flush()
    return dict(admin=admin, consultant=consultant, reviewer=reviewer, client=client_user, company=company,
                other_company=other, sub_unit=sub_unit, contact=contact, api_token=token, token_row=token_row, task=task)
