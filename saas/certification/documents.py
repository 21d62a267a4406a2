"""The framed certificate document: what it shows, how it is rendered and stored, and who sees it.

* ``certificate_data`` builds the plain data the PDF template draws (every field DOMAIN.md "Certificates"
  lists, the class wording of seed 001 and a QR code of the public verification URL).
* ``render_and_store`` renders a certificate once and keeps the PDF with its SHA-256.  It runs in a job
  (``document_jobs``) and is safe to run twice or after a crash: the document row is unique per
  certificate and the file has a key derived from the certificate, so a retry overwrites an orphan
  left by a crashed attempt instead of adding a second file.
* ``verification`` and ``register_page`` are what the public sees: nothing beyond what the
  certificate itself shows, plus its current state.
"""
from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from functools import cache, lru_cache

import segno
from flask import current_app
from sqlalchemy import Date, String, and_, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from saas import storage
from saas.audits import clocks
from saas.certification import kinds, labels
from saas.certification.document_models import CertificateDocument
from saas.certification.models import Certificate, CertificateState
from saas.certification.services.certificates import effective_state, format_number, valid_until_for
from saas.clients.models import ClientCompany
from saas.db import ReadsTogether, contains, contains_pattern
from saas.norway import display_org_number, normalize_org_number, org_number_searched
from saas.pagination import page_params, page_statements, page_total, run_page
from saas.pdf import html_to_pdf, render_html
from saas.schemes.services import settings_of
from saas.tenancy import bind_tenant, bound_tenant, platform_access
from saas.tenants.models import Tenant, User
from saas.tenants.services import branding

# Bumped when templates/pdf/certificate.html changes what it shows; stored with each document.
TEMPLATE_VERSION = "certificate-2026.1"
DURATION = "12 måneder"
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,43}")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")

# The class wording of seed 001 ("Sertifiseringsklasser/-kriterier").
CLASS_WORDING = {
    "A+": dict(title='Klasse «A+» er den høyeste sertifiseringsklasse.',
               text="Virksomheten har utvist betydelig vilje til utbedringer eller opprettholdelse av godt "
                    "arbeidsmiljø, med dokumentert god fokus på både fysisk og psykisk arbeidsmiljø.",
               profile=("Meget god fysisk: kartlegging og handlingsplan",
                        "Meget god psykisk: kartlegging og handlingsplan")),
    "A": dict(title='Klasse «A» er en høy sertifiseringsklasse.',
              text="Virksomheten har utvist betydelig vilje til utbedringer eller opprettholdelse av godt "
                   "arbeidsmiljø, med dokumentert god fokus på både fysisk og psykisk arbeidsmiljø.",
              profile=("Meget god fysisk: kartlegging og handlingsplan", "God psykisk: kartlegging")),
    "B": dict(title='Klasse «B» dokumenterer fokus på arbeidsmiljø.',
              text="Virksomheten har utvist vilje til utbedring eller opprettholdelse av godt arbeidsmiljø.",
              profile=("Meget god fysisk: kartlegging og handlingsplan",)),
}

# What the public is told about a state: its category, never the issuer's internal reason text.
STATE_NOTICES = {
    "active": "Sertifikatet er gyldig.",
    "suspended": "Sertifikatet er suspendert av utstederen og kan ikke brukes mens suspensjonen varer.",
    "withdrawn": "Sertifikatet er trukket tilbake av utstederen og er ikke lenger gyldig.",
    "expired": "Gyldighetsperioden på 12 måneder er utløpt. Sertifikatet er ikke lenger gyldig.",
    "superseded": "Sertifikatet er erstattet av et nyere sertifikat fra samme utsteder.",
}


# -- what the certificate shows --------------------------------------------------------------------

def verification_url(code: str) -> str:
    """The public verification page of ``code``, absolute (the QR code's target).

    Built once per application around a placeholder (a register page shows 25 of them): a code that
    matches CODE_PATTERN needs no quoting in a URL."""
    if not CODE_PATTERN.fullmatch(code or ""):
        return current_app.config["PUBLIC_BASE_URL"] + current_app.url_map.bind("localhost").build(
            "verify.certificate", {"code": code})
    around = current_app.extensions.get("saas.verification_url")
    if around is None:
        path = current_app.url_map.bind("localhost").build("verify.certificate", {"code": _URL_PLACEHOLDER})
        around = current_app.extensions["saas.verification_url"] = path.split(_URL_PLACEHOLDER, 1)
    return current_app.config["PUBLIC_BASE_URL"] + around[0] + code + around[1]


_URL_PLACEHOLDER = "CODE0PLACEHOLDER"


def qr_data_uri(url: str) -> str:
    """A QR code of ``url`` as an SVG data: URI (vector, so it stays sharp in print)."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=0, dark="#111111")


def _issuer(tenant: Tenant) -> dict:
    data = branding(tenant)
    data["org_number_display"] = display_org_number(tenant.org_number)
    for key, default in (("primary_color", "#1f4e79"), ("accent_color", "#c8a44d")):
        if not _COLOR.fullmatch(data[key] or ""):
            data[key] = default  # the colours go into CSS: only a plain #rrggbb is ever written there
    return data


def _class_fields(cert_class: str) -> dict:
    wording = CLASS_WORDING[cert_class]
    return dict(cert_class=cert_class, class_label=labels.class_label(cert_class), class_title=wording["title"],
                class_text=wording["text"], class_profile=list(wording["profile"]))


def _duration(certificate: Certificate) -> str:
    """The validity printed on a certificate: its own scheme version's, e.g. "12 måneder"."""
    return clocks.duration_label(settings_of(certificate.scheme_version).validity_months)


def _company_fields(company: ClientCompany) -> dict:
    return dict(name=company.name, org_number=company.org_number, org_number_display=display_org_number(company.org_number),
                address=company.address, postcode=company.postcode, city=company.city)


def certificate_data(session: Session, certificate_id: int) -> dict | None:
    """Everything the certificate PDF shows, as plain data; None when there is no such certificate."""
    certificate = session.scalar(select(Certificate).where(Certificate.id == certificate_id)
                                 .options(selectinload(Certificate.company).selectinload(ClientCompany.sub_units),
                                          selectinload(Certificate.scheme_version)))
    if certificate is None:
        return None
    issuer = _issuer(session.get(Tenant, certificate.tenant_id))
    if not issuer["signatory_name"]:
        issuer["signatory_name"] = session.scalar(select(User.name).where(User.id == certificate.issued_by)) or ""
    url = verification_url(certificate.verification_code)
    return dict(
        issuer=issuer, company=_company_fields(certificate.company),
        sub_units=[dict(name=u.name, address=u.address, responsible=u.responsible) for u in certificate.company.sub_units],
        certificate=dict(number=certificate.number, year=certificate.year, issued_on=certificate.issued_on,
                         valid_until=certificate.valid_until, duration=_duration(certificate),
                         **_class_fields(certificate.cert_class)),
        verification_url=url, qr_uri=qr_data_uri(url), preview=False,
    )


def sample_data(tenant: Tenant, today: date, cert_class: str = "A") -> dict:
    """The tenant's certificate with made-up company data, for the preview in the settings."""
    url = verification_url("EKSEMPEL-FORHANDSVISNING")
    return dict(
        issuer=_issuer(tenant),
        company=dict(name="Eksempelbedriften Fjellstø AS", org_number="123456785", org_number_display="123 456 785",
                     address="Storgata 12", postcode="3616", city="Kongsberg"),
        sub_units=[dict(name="Avdeling Notodden", address="Sagavegen 3, 3674 Notodden", responsible="Åse Ødegård"),
                   dict(name="Lager Hokksund", address="Nedre Eikervei 7, 3300 Hokksund", responsible="")],
        certificate=dict(number=format_number(tenant, today.year, 42), year=today.year, issued_on=today,
                         valid_until=valid_until_for(today), duration=DURATION, **_class_fields(cert_class)),
        verification_url=url, qr_uri=qr_data_uri(url), preview=True,
    )


def render_certificate(data: dict) -> bytes:
    """The certificate PDF of ``data`` (from certificate_data or sample_data)."""
    return html_to_pdf(render_html("certificate.html", **data))


# -- storing once ------------------------------------------------------------------------------------

def document_key(certificate: Certificate) -> str:
    """The storage key of a certificate's PDF: fixed per certificate, so a retry finds (and overwrites)
    what a crashed attempt left, and unguessable, since it mixes in the verification code."""
    digest = hashlib.sha256(
        f"certificate-document:{certificate.tenant_id}:{certificate.id}:{certificate.verification_code}".encode()
    ).hexdigest()
    return f"{digest[:4]}/{digest[4:36]}.pdf"


def _write_file(key: str, data: bytes) -> None:
    """Write ``data`` under ``key`` in the store (atomically; a retry replaces what a killed writer left)."""
    storage.put(key, data)


def render_and_store(session: Session, certificate_id: int) -> int | None:
    """Render the certificate's PDF and keep it; returns the document id (the existing one when it was
    already rendered), or None when the certificate does not exist.

    The row is flushed before the file is written: the unique certificate_id makes a concurrent render
    wait there and then fail, so only the claimant ever writes the file.  A crash after the write and
    before the commit leaves the file without a row, and the retry overwrites it under the same key.
    """
    existing = session.scalar(select(CertificateDocument.id).where(CertificateDocument.certificate_id == certificate_id))
    if existing is not None:
        return existing
    data = certificate_data(session, certificate_id)
    if data is None:
        return None
    pdf = render_certificate(data)
    certificate = session.scalar(select(Certificate).where(Certificate.id == certificate_id))
    document = CertificateDocument(certificate_id=certificate_id, file_key=document_key(certificate),
                                   sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), template_version=TEMPLATE_VERSION)
    try:
        with session.begin_nested():
            session.add(document)
            session.flush()
    except IntegrityError:  # another render of the same certificate committed first: keep its document
        return session.scalar(select(CertificateDocument.id).where(CertificateDocument.certificate_id == certificate_id))
    _write_file(document.file_key, pdf)
    return document.id


def request_render(session: Session, certificate_id: int, tenant_id: int) -> None:
    """Enqueue the certificate's render after the commit (a no-op while the same job is queued)."""
    from saas.certification.document_jobs import render_certificate_document
    from saas.jobs import enqueue

    enqueue(session, render_certificate_document, certificate_id, tenant_id=tenant_id, job_id=render_job_id(certificate_id))


def render_job_id(certificate_id: int) -> str:
    return f"certificate-pdf-{certificate_id}"


def request_missing(session: Session) -> int:
    """Enqueue renders for the bound tenant's certificates that have no document (e.g. demo data, or
    certificates issued before documents existed); returns how many were asked for."""
    ids = session.scalars(select(Certificate.id).where(Certificate.id.not_in(select(CertificateDocument.certificate_id)))
                          .order_by(Certificate.id)).all()
    for certificate_id in ids:
        request_render(session, certificate_id, bound_tenant(session))
    return len(ids)


# -- downloads ---------------------------------------------------------------------------------------

def document_for(session: Session, certificate_id: int, company_ids) -> tuple[dict | None, bool]:
    """The certificate's stored document for a person who may see ``company_ids`` (a select of ids).

    Returns (document, found): found is False when the certificate does not exist or is not one of the
    person's companies (answer 404); document is None while the PDF is still being rendered.
    """
    row = session.execute(select(Certificate.id, Certificate.number, Certificate.tenant_id).where(
        Certificate.id == certificate_id, Certificate.company_id.in_(company_ids))).first()
    if row is None:
        return None, False
    document = session.scalar(select(CertificateDocument).where(CertificateDocument.certificate_id == certificate_id))
    if document is None:
        return None, True
    return dict(certificate_id=row.id, number=row.number, file_key=document.file_key, sha256=document.sha256,
                size=document.size, template_version=document.template_version, rendered_at=document.rendered_at,
                file_name=f"HMS-sertifikat-{re.sub(r'[^A-Za-z0-9-]+', '-', row.number)}.pdf"), True


# -- what the public sees ----------------------------------------------------------------------------

def _state_since(certificate: Certificate, state: str) -> date:
    if state == CertificateState.EXPIRED.value and certificate.state != state:
        return certificate.valid_until + timedelta(days=1)  # expired by date, before the daily job stored it
    return certificate.issued_on if state == CertificateState.ACTIVE.value else certificate.state_changed_on


def public_certificate(certificate: Certificate, tenant: Tenant, today: date) -> dict:
    """What a buyer may see of a certificate: what it shows, and its state today."""
    state = effective_state(certificate.state, certificate.valid_until, today)
    return dict(
        number=certificate.number, issued_on=certificate.issued_on, valid_until=certificate.valid_until,
        duration=_duration(certificate), **_class_fields(certificate.cert_class),
        company=_company_fields(certificate.company),
        sub_units=[dict(name=u.name, address=u.address) for u in certificate.company.sub_units],
        issuer=dict(name=tenant.name, slug=tenant.slug, org_number=display_org_number(tenant.org_number), address=tenant.address,
                    postcode=tenant.postcode, city=tenant.city),
        state=state, state_label=labels.STATE_LABELS[state], state_badge=labels.STATE_BADGES[state],
        state_since=_state_since(certificate, state), state_notice=STATE_NOTICES[state],
        valid_now=state == CertificateState.ACTIVE.value and certificate.issued_on <= today,
        verification_url=verification_url(certificate.verification_code), verification_code=certificate.verification_code,
    )


def verification(session: Session, code: str, today: date) -> dict | None:
    """The public view of the certificate with verification code ``code``, or None (unknown code).

    The code is looked up across tenants (platform-level: the visitor has no tenant); everything else is
    read with the session bound to the certificate's tenant.
    """
    if not CODE_PATTERN.fullmatch(code or ""):
        return None
    issuer, by_code = _verification_statements()
    with platform_access(session):
        tenant = session.scalar(issuer, {"code": code})
    if tenant is None or not tenant.active:
        return None
    bind_tenant(session, tenant.id)
    certificate = session.scalars(by_code, {"code": code}).unique().first()
    return public_certificate(certificate, tenant, today)


@cache
def _verification_statements() -> tuple:
    # Built once (anyone may ask, as often as the rate limit lets them): the issuer found by the code, then
    # the certificate with its company, the company's sub-units and the scheme version in one statement.
    code = bindparam("code")
    issuer = select(Tenant).join(Certificate, Certificate.tenant_id == Tenant.id).where(Certificate.verification_code == code)
    by_code = (select(Certificate).where(Certificate.verification_code == code)
               .options(joinedload(Certificate.company).joinedload(ClientCompany.sub_units),
                        joinedload(Certificate.scheme_version)))
    return issuer, by_code


def certificate_verification(session: Session, certificate_id: int, company_ids, today: date) -> dict | None:
    """The public view of one of the bound tenant's certificates, for a person who may see ``company_ids``
    (a select of ids); None when it does not exist or is not theirs."""
    certificate = session.scalar(select(Certificate).where(Certificate.id == certificate_id, Certificate.company_id.in_(company_ids))
                                 .options(selectinload(Certificate.company).selectinload(ClientCompany.sub_units),
                                          selectinload(Certificate.scheme_version)))
    if certificate is None:
        return None
    return public_certificate(certificate, session.get(Tenant, certificate.tenant_id), today)


def _listed(today: date):
    """The condition for a certificate being in a public register today: active and within its validity."""
    return and_(Certificate.state == CertificateState.ACTIVE.value, Certificate.issued_on <= today,
                Certificate.valid_until >= today)


def search(session: Session, number: str, org_number: str, today: date) -> list[dict] | None:
    """The public view of each certificate with exactly this number AND this company organisation number
    (numbers are unique per issuer only, so there may be several); None when the organisation number is
    not a valid one.

    Only certificates the public register lists today are found.  Numbers are sequential and organisation
    numbers are public, so a search that also found suspended, withdrawn or expired certificates would let
    anyone walk a company's history; a wrong number, a wrong organisation number and a certificate that is
    no longer listed all give the same empty answer from the same one query.  The state of any certificate
    stays visible through its unguessable verification code (the QR code on the paper)."""
    try:
        digits = normalize_org_number(org_number or "")
    except ValueError:
        return None
    number = (number or "").strip().upper()[:60]
    if not number:
        return []
    with platform_access(session):
        codes = list(session.scalars(
            select(Certificate.verification_code).join(ClientCompany, ClientCompany.id == Certificate.company_id)
            .join(Tenant, Tenant.id == Certificate.tenant_id)
            .where(func.upper(Certificate.number) == number, ClientCompany.org_number == digits, Tenant.active.is_(True),
                   _listed(today))
            .order_by(Certificate.id)))
    return [verification(session, code, today) for code in codes]


def register_page(session: Session, q: str, page: int, per_page: int, today: date) -> tuple[list[dict], int]:
    """One page of the bound tenant's public register: certificates valid today (active, within their
    validity), by company name; ``q`` matches the company name or its organisation number."""
    _, shape, params = _register_query(q, today)
    rows, total = run_page(session, _register_statements(*shape), page, per_page, params)
    return _register_items(rows), total


def register_page_with_kinds(session: Session, q: str, page: int, per_page: int, today: date
                             ) -> tuple[list[dict], int, list[dict]]:
    """``register_page`` and, read in the same statement, the other kinds' live certificates matching ``q``
    (``kinds.register_rows``): the register's first page shows both."""
    q, shape, params = _register_query(q, today)
    params = page_params(page, per_page, params)
    read = _register_reads(*shape).read(session, params)
    total = page_total(session, read["page"], _register_statements(*shape)[1], page, params)
    return _register_items(read["page"]), total, kinds.register_rows_from(read, session, today, q)


@lru_cache(maxsize=4)
def _register_reads(search: bool, by_digits: bool) -> ReadsTogether:
    return ReadsTogether(dict(page=_register_statements(search, by_digits)[0], **kinds.register_parts()))


def _register_query(q: str, today: date) -> tuple[str, tuple[bool, bool], dict]:
    """(the search as used, the statements' shape for ``_register_statements``, their bind parameters)."""
    q = (q or "").strip()[:100]
    digits = org_number_searched(q) or ""
    return q, (bool(q), len(digits) >= 3), dict(today=today, term=contains_pattern(q), digits=digits + "%")


def _register_items(rows) -> list[dict]:
    return [dict(number=c.number, **_class_fields(c.cert_class), issued_on=c.issued_on, valid_until=c.valid_until,
                 company=_company_fields(c), verification_url=verification_url(c.verification_code),
                 verification_code=c.verification_code) for c in rows]


@lru_cache(maxsize=4)
def _register_statements(search: bool, by_digits: bool) -> tuple:
    # Built once per shape and bound per call: the register is the busiest public page, and a statement built
    # per request paid its construction and a fresh cache key.  Columns, not entities: the page shows ten
    # fields of 25 rows.
    query = (select(Certificate.number, Certificate.cert_class, Certificate.issued_on, Certificate.valid_until,
                    Certificate.verification_code, ClientCompany.name, ClientCompany.org_number, ClientCompany.address,
                    ClientCompany.postcode, ClientCompany.city)
             .join(ClientCompany, ClientCompany.id == Certificate.company_id).where(_listed(bindparam("today", type_=Date))))
    if search:
        conditions = [contains(ClientCompany.name, bindparam("term", type_=String))]
        if by_digits:
            conditions.append(ClientCompany.org_number.like(bindparam("digits", type_=String)))
        query = query.where(or_(*conditions))
    return page_statements(query.order_by(func.lower(ClientCompany.name), Certificate.id), query)
