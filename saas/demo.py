"""Demo data: two providers with staff, client companies, sub-units and contacts.  Idempotent."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.certification.demo import load_demo_work
from saas.certification.documents import request_missing
from saas.clients.models import ClientCompany, ContactPerson, SubUnit
from saas.norway import generate_valid_org_numbers
from saas.tenancy import bind_tenant, platform_access
from saas.tenants import services
from saas.tenants.models import Tenant, User

DEMO_PASSWORD = "hms-demo-2026"
OPERATOR_EMAIL = "drift@hms-sertifikat.no"

PROVIDERS = [
    {
        "tenant": dict(slug="bedriftstjenesten", name="Bedriftstjenesten AS", org_number="974760673",
                       address="Storgata 12", postcode="3611", city="Kongsberg", contact_email="post@bedriftstjenesten.no",
                       signatory_name="Randi Berg", signatory_title="Daglig leder", primary_color="#1f4e79", accent_color="#c8a44d"),
        "staff": [
            ("admin@bedriftstjenesten.no", "Randi Berg", ["admin", "reviewer"]),
            ("kari@bedriftstjenesten.no", "Kari Nordmann", ["consultant"]),
            ("ola@bedriftstjenesten.no", "Ola Hansen", ["consultant"]),
            ("siri@bedriftstjenesten.no", "Siri Lund", ["reviewer"]),
        ],
        "org_prefix": 9105,
        "companies": [
            ("Kongsberg Mek. Verksted AS", "AS", "Kirkegårdsveien 4", "3616", "Kongsberg", "25.620", 38, True, True),
            ("Lågen Rør og Varme AS", "AS", "Numedalsveien 88", "3618", "Kongsberg", "43.221", 14, True, False),
            ("Sølvbyen Regnskap AS", "AS", "Kirkegata 1", "3616", "Kongsberg", "69.201", 7, False, True),
            ("Jondal Bygg AS", "AS", "Industriveien 7", "3614", "Kongsberg", "41.200", 26, True, False),
            ("Fjellheim Barnehage SA", "SA", "Fjellheimveien 3", "3612", "Kongsberg", "88.911", 18, False, True),
            ("Notodden Transport AS", "AS", "Heddalsvegen 40", "3674", "Notodden", "49.410", 31, True, True),
            ("Hvittingfoss Sag ANS", "ANS", "Sagbruksveien 2", "3646", "Hvittingfoss", "16.100", 9, False, False),
            ("Skrim Tannlegesenter AS", "AS", "Myntgata 5", "3616", "Kongsberg", "86.230", 6, False, True),
            ("Meheia Elektro AS", "AS", "Meheiaveien 21", "3614", "Kongsberg", "43.210", 22, True, False),
            ("Kongsgårdmoen Renhold AS", "AS", "Kongsgårdmoen 9", "3612", "Kongsberg", "81.210", 45, True, True),
            ("Saggrenda Gartneri DA", "DA", "Saggrendveien 60", "3619", "Kongsberg", "01.130", 5, True, False),
            ("Numedal Kafé og Catering AS", "AS", "Torget 2", "3615", "Kongsberg", "56.101", 12, False, False),
        ],
    },
    {
        "tenant": dict(slug="arbeidsmiljopartner", name="Arbeidsmiljøpartner Vest AS", org_number="123456785",
                       address="Strandkaien 30", postcode="5013", city="Bergen", contact_email="post@amp-vest.no",
                       signatory_name="Hallvard Moe", signatory_title="Fagsjef HMS", primary_color="#2d6a4f", accent_color="#b08968"),
        "staff": [
            ("admin@amp-vest.no", "Hallvard Moe", ["admin", "reviewer"]),
            ("ingrid@amp-vest.no", "Ingrid Haugen", ["consultant"]),
        ],
        "org_prefix": 9207,
        "persons": "drivers",
        "companies": [
            ("Bryggen Fiskemottak AS", "AS", "Bryggen 14", "5003", "Bergen", "10.200", 27, True, True),
            ("Fana Tannhelse AS", "AS", "Fanaveien 100", "5244", "Fana", "86.230", 8, False, False),
            ("Laksevåg Verft AS", "AS", "Damsgårdsveien 200", "5162", "Laksevåg", "30.110", 64, True, True),
        ],
    },
]


def load_demo(session: Session) -> bool:
    """Create the demo providers unless they exist.  Returns True when something was created."""
    with platform_access(session):
        if session.scalar(select(Tenant.id).where(Tenant.slug == "bedriftstjenesten")):
            return False
        if not session.scalar(select(User.id).where(User.email == OPERATOR_EMAIL)):
            services.create_user(session, None, OPERATOR_EMAIL, "Plattformdrift", [], password=DEMO_PASSWORD, is_operator=True)
    for provider in PROVIDERS:
        _load_provider(session, provider)
    bind_tenant(session, None)
    return True


def _load_audit_demo(session: Session, tenant: Tenant, users: list[User]) -> None:
    """A § 8-1 training company in its second surveillance year and an NS 9600-5 company with an open
    nonconformity (saas.certification.audit_demo).  Ola audits (no HMS ties to them), Siri decides."""
    from saas.certification.audit_demo import load_audit_demo
    from saas.scheduler import today_in_oslo

    by_email = {u.email: u for u in users}
    staff = dict(lead=by_email["ola@bedriftstjenesten.no"], auditor=by_email["kari@bedriftstjenesten.no"],
                 reviewer=by_email["siri@bedriftstjenesten.no"], admin=by_email["admin@bedriftstjenesten.no"])
    load_audit_demo(session, tenant, staff, today_in_oslo(), DEMO_PASSWORD)


def _load_provider(session: Session, provider: dict) -> None:
    from saas.tenants.schemas import TenantSchema

    tenant = services.create_tenant(session, TenantSchema().load(provider["tenant"]))
    bind_tenant(session, tenant.id)
    users = [services.create_user(session, tenant.id, email, name, roles, password=DEMO_PASSWORD)
             for email, name, roles in provider["staff"]]
    consultants = [u for u in users if "consultant" in {r.value for r in u.roles}]
    numbers = generate_valid_org_numbers(provider["org_prefix"], len(provider["companies"]))
    domain = provider["tenant"]["contact_email"].split("@")[1]
    for index, (row, org_number) in enumerate(zip(provider["companies"], numbers)):
        name, form, address, postcode, city, nace, employees, outside, follow_up = row
        company = ClientCompany(
            name=name, org_number=org_number, org_form=form, address=address, postcode=postcode, city=city,
            industry_code=nace, employee_count=employees, works_off_premises=outside,
            follow_up_agreement=follow_up, follow_up_from=date(2025, 1, 1) if follow_up else None,
            consultant_id=consultants[index % len(consultants)].id,
        )
        if employees >= 20:
            company.sub_units = [
                SubUnit(name=f"{name.split()[0]} avd. lager", address=f"{address}B, {postcode} {city}", responsible="Lagerleder"),
                SubUnit(name=f"{name.split()[0]} avd. verksted", address=f"Nedre vei {index + 2}, {postcode} {city}", responsible="Verkstedleder"),
            ]
        slug = "".join(ch for ch in name.lower().split()[0] if ch.isalpha())
        company.contacts = [ContactPerson(name=f"Kontakt {name.split()[0]}", email=f"hms@{slug}.example.no", phone="+47 900 00 0%02d" % index, title="Daglig leder")]
        session.add(company)
        if index < 3:
            session.flush()
            email = f"kunde{index + 1}@{domain}"
            login = services.create_user(session, tenant.id, email, company.contacts[0].name, ["client"], password=DEMO_PASSWORD)
            company.contacts[0].user_id, company.contacts[0].email = login.id, email
    session.flush()
    load_demo_work(session, tenant)
    if provider["tenant"]["slug"] == "bedriftstjenesten":
        _load_audit_demo(session, tenant, users)
    from saas.i18n import today_in_oslo
    from saas.persons.demo import load_person_demo

    load_person_demo(session, tenant, today_in_oslo(), provider.get("persons", "kompetansebevis"))
    request_missing(session)  # the framed PDFs of the demo certificates
