"""Plain factory functions for tests: each creates, flushes and returns."""
from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from saas.clients.models import ClientCompany, ContactPerson, SubUnit
from saas.norway import generate_valid_org_numbers
from saas.tenancy import bind_tenant
from saas.tenants import services
from saas.tenants.models import Tenant

PASSWORD = "correct-horse-battery"
_org_numbers = generate_valid_org_numbers(8101, 200_000)
_counter = itertools.count(1)


def org_number() -> str:
    return next(_org_numbers)


def make_tenant(session: Session, slug: str | None = None, **fields) -> Tenant:
    n = next(_counter)
    slug = slug or f"tenant-{n}"
    data = dict(slug=slug, name=f"Tilbyder {slug}", org_number=org_number(), address="Gata 1", postcode="0150",
                city="Oslo", contact_email=f"post@{slug}.example.no", signatory_name="Signe Signatar", signatory_title="Daglig leder")
    data.update(fields)
    tenant = services.create_tenant(session, data)
    bind_tenant(session, tenant.id)
    return tenant


def make_user(session: Session, tenant: Tenant | None, roles=("consultant",), email: str | None = None, **fields):
    n = next(_counter)
    if tenant is not None:
        bind_tenant(session, tenant.id)
    return services.create_user(
        session, tenant.id if tenant else None, email or f"user{n}@example.no", fields.pop("name", f"Bruker {n}"),
        list(roles), password=fields.pop("password", PASSWORD), is_operator=tenant is None, **fields,
    )


def make_company(session: Session, tenant: Tenant, **fields) -> ClientCompany:
    bind_tenant(session, tenant.id)
    n = next(_counter)
    data = dict(name=f"Kunde {n} AS", org_number=org_number(), org_form="AS", address=f"Veien {n}", postcode="3616",
                city="Kongsberg", employee_count=12)
    data.update(fields)
    company = ClientCompany(**data)
    session.add(company)
    session.flush()
    return company


def make_sub_unit(session: Session, company: ClientCompany, **fields) -> SubUnit:
    unit = SubUnit(company_id=company.id, tenant_id=company.tenant_id, name=fields.pop("name", "Avdeling lager"), **fields)
    session.add(unit)
    session.flush()
    return unit


def make_contact(session: Session, company: ClientCompany, user=None, **fields) -> ContactPerson:
    contact = ContactPerson(company_id=company.id, tenant_id=company.tenant_id, name=fields.pop("name", "Kari Kontakt"),
                            email=fields.pop("email", user.email if user else "kontakt@example.no"),
                            user_id=user.id if user else None, **fields)
    session.add(contact)
    session.flush()
    return contact


def give_bank_account(session: Session, account: str = "15031234562") -> None:
    """The bound tenant's invoice settings with a bank account: invoices are refused without one."""
    from saas.billing.models import BillingSettings

    session.add(BillingSettings(org_form="AS", bank_account=account, invoice_text=""))
    session.flush()


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    """A small, valid PNG (correct chunk checksums: uploads verify them)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()
