"""The demo has a § 8-1 training company in its second surveillance year and an NS 9600-5 service
company with an open nonconformity."""
from datetime import date

from sqlalchemy import select

from saas.audits.models import AuditCase
from saas.audits.services import overview
from saas.certification import programme
from saas.certification.audit_demo import SERVICE, TRAINING
from saas.clients.models import ClientCompany
from saas.demo import load_demo
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import Tenant


def test_the_demo_audit_clients(app, db):
    with app.test_request_context():
        assert load_demo(db)
        with platform_access(db):  # the tenants table is platform-level under row-level security
            tenant = db.scalar(select(Tenant).where(Tenant.slug == "bedriftstjenesten"))
        bind_tenant(db, tenant.id)
        from saas.scheduler import today_in_oslo

        page = programme.programme(db, today_in_oslo())
        training = next(r for r in page["rows"] if r["company_name"] == TRAINING)
        assert training["surveillance_done"] == 1 and training["next_state"] in ("open", "due_soon")
        assert training["state"] == "active" and training["surveillance_total"] == 3
        service = db.scalar(select(ClientCompany).where(ClientCompany.name == SERVICE))
        case = db.scalar(select(AuditCase).where(AuditCase.company_id == service.id))
        assert overview.where_it_stands(case)[:2] == ("corrective_actions", "client")
        assert [f.grade for f in case.findings if f.closed_on is None] == ["minor"]
