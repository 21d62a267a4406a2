"""Certificates of the audit-based schemes: issue on an approved case, sanctions (§ 7.11: increased
surveillance, scope reduction, suspension, withdrawal, with reasons), a new certificate that supersedes
the old after a change of scope, expiry, and what /verify and the public register show.

States are the HMS-sertifikat's (active, suspended, withdrawn, expired, superseded); "reduced" is shown
from ``scope_reduced``.  A certificate past ``valid_until`` reads as expired at once.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, selectinload

from saas.audit.services import record
from saas.audits import clocks
from saas.audits.models import AuditCase
from saas.certification import labels
from saas.certification.scheme_models import SchemeCertificate, SchemeCertificateEvent
from saas.certification.services.certificates import effective_state, format_number, next_sequence
from saas.clients.models import ClientCompany, SubUnit
from saas.schemas import FieldErrors
from saas.db import columns_of
from saas.norway import org_number_searched
from saas.schemes.models import Scheme, SchemeScope, SchemeVersion
from saas.schemes.services import settings_of
from saas.schemes.settings import SchemeSettings
from saas.tenants.models import Tenant, User

ACTIVE, SUSPENDED, WITHDRAWN, EXPIRED, SUPERSEDED = "active", "suspended", "withdrawn", "expired", "superseded"
LIVE = (ACTIVE, SUSPENDED)
SANCTIONS = {
    "suspend": ((ACTIVE,), SUSPENDED, "Suspendert"),
    "withdraw": ((ACTIVE, SUSPENDED), WITHDRAWN, "Trukket tilbake"),
    "reinstate": ((SUSPENDED,), ACTIVE, "Gjeninnsatt"),
    "increase_surveillance": ((ACTIVE, SUSPENDED), None, "Økt overvåkning"),
}
MARKETING_NOTICE = ("Et suspendert eller tilbaketrukket sertifikat kan ikke brukes i markedsføring, heller ikke "
                    "sertifiseringsorganets logo. Ved redusert omfang kan det ikke reklameres for fagområdene "
                    "som er tatt ut.")


class CertificateNotFound(LookupError):
    pass


class SanctionRefused(Exception):
    pass


def _event(session, certificate, action, to_state, reason, on, by):
    session.add(SchemeCertificateEvent(certificate_id=certificate.id, action=action, from_state=certificate.state,
                                       to_state=to_state, reason=reason, on=on, by_user_id=by))


def _snapshot(session: Session, case: AuditCase, scope_ids: list[int]) -> tuple[dict, list, list]:
    company = session.get(ClientCompany, case.company_id)
    scopes = {s.id: s for s in session.scalars(select(SchemeScope).where(SchemeScope.scheme_id == case.scheme_id))}
    units = {u.id: u for u in session.scalars(select(SubUnit).where(SubUnit.company_id == company.id))}
    holder = dict(name=company.name, org_number=company.org_number, address=company.address,
                  postcode=company.postcode, city=company.city)
    scope_list = [dict(id=i, code=scopes[i].code, name=scopes[i].name) for i in scope_ids if i in scopes]
    sub_units = [dict(name=units[u["sub_unit_id"]].name, address=units[u["sub_unit_id"]].address,
                      responsible=units[u["sub_unit_id"]].responsible,
                      scopes=[scopes[i].name for i in u.get("scope_ids", []) if i in scopes and i in scope_ids])
                 for u in case.sub_units if u["sub_unit_id"] in units]
    return holder, scope_list, sub_units


def issue_for_case(session: Session, case: AuditCase, actor: User, today: date) -> SchemeCertificate | None:
    """audits hook: an approved initial, recertification or change case gets a certificate (a change or
    recertification supersedes the one it concerns); an approved surveillance keeps the certificate."""
    if case.kind in ("surveillance", "extraordinary"):
        return None
    tenant = session.get(Tenant, case.tenant_id)
    settings = settings_of(case.scheme_version)
    previous = session.get(SchemeCertificate, case.certificate_id) if case.certificate_id else None
    if case.kind == "change" and previous is not None:
        # The cycle goes on: the new certificate keeps the old one's expiry.
        valid_until, cycle_start = previous.valid_until, previous.cycle_started_on
    else:
        valid_until, cycle_start = clocks.validity_end(today, settings.validity_months), today
        if previous is not None and previous.valid_until >= today:  # recertified before expiry: continuous
            valid_until = clocks.validity_end(previous.valid_until + timedelta(days=1), settings.validity_months)
    holder, scopes, sub_units = _snapshot(session, case, case.scope_ids)
    seq = next_sequence(session)
    certificate = SchemeCertificate(
        company_id=case.company_id, scheme_id=case.scheme_id, scheme_version_id=case.scheme_version_id,
        case_id=case.id, number=format_number(tenant, today.year, seq), sequence=seq, issued_on=today,
        valid_until=valid_until, cycle_started_on=cycle_start, state=ACTIVE, state_changed_on=today, holder=holder,
        scopes=scopes, sub_units=sub_units, signatory=tenant.signatory_name or actor.name,
        supersedes_id=previous.id if previous else None, issued_by=actor.id,
        scope_reduced=bool(previous and (previous.scope_reduced or
                                         not {s["id"] for s in previous.scopes} <= set(case.scope_ids))))
    session.add(certificate)
    session.flush()
    _event(session, certificate, "issued", ACTIVE, f"Utstedt etter beslutning i sak {case.id}.", today, actor.id)
    certificate.state = ACTIVE
    if previous is not None and previous.state in LIVE:
        _event(session, previous, "superseded", SUPERSEDED, f"Erstattet av sertifikat {certificate.number}.", today,
               actor.id)
        previous.state, previous.state_changed_on = SUPERSEDED, today
    record(session, actor, "scheme_certificate.issued", certificate, certificate.number, case_id=case.id)
    _render_later(session, certificate)
    return certificate


def _render_later(session: Session, certificate: SchemeCertificate) -> None:
    from saas.certification.scheme_documents import request_render

    request_render(session, certificate)


def get(session: Session, certificate_id: int) -> SchemeCertificate:
    certificate = session.get(SchemeCertificate, certificate_id)
    if certificate is None:
        raise CertificateNotFound(certificate_id)
    return certificate


def sanction(session: Session, actor: User, certificate_id: int, action: str, reason: str, today: date) -> SchemeCertificate:
    """Suspend, withdraw, reinstate or increase surveillance, with a reason; effective at once (the
    public verification shows it on the next request).  Raises FieldErrors, SanctionRefused."""
    if action not in SANCTIONS:
        raise FieldErrors({"action": "Ugyldig tiltak."})
    if len((reason or "").strip()) < 5:
        raise FieldErrors({"reason": "Skriv begrunnelsen."})
    certificate = session.scalar(select(SchemeCertificate).where(SchemeCertificate.id == certificate_id).with_for_update())
    if certificate is None:
        raise CertificateNotFound(certificate_id)
    allowed, to_state, label = SANCTIONS[action]
    current = effective_state(certificate.state, certificate.valid_until, today)
    if current not in allowed:
        raise SanctionRefused(f"Sertifikatet er {labels.STATE_LABELS[current].lower()}; «{label}» er ikke mulig.")
    if action == "increase_surveillance":
        certificate.increased_surveillance = True
        _event(session, certificate, action, certificate.state, reason.strip(), today, actor.id)
    else:
        _event(session, certificate, action, to_state, reason.strip(), today, actor.id)
        certificate.state, certificate.state_changed_on = to_state, today
    record(session, actor, f"scheme_certificate.{action}", certificate, f"{certificate.number}: {reason}"[:500])
    _inform(session, certificate, label, reason.strip())
    return certificate


def _inform(session: Session, certificate: SchemeCertificate, label: str, reason: str) -> None:
    """§ 7.11: the company (its contacts) is told of a sanction; the public sees it on /verify at once."""
    from saas.clients.models import ContactPerson
    from saas.mail import send_mail

    tenant = session.get(Tenant, certificate.tenant_id)
    for email in session.scalars(select(ContactPerson.email).where(ContactPerson.company_id == certificate.company_id,
                                                                   ContactPerson.email != "")):
        send_mail(session, email, f"Sertifikat {certificate.number}: {label.lower()}", "scheme_sanction",
                  tenant_id=tenant.id, tenant_name=tenant.name, number=certificate.number, label=label, reason=reason,
                  notice=MARKETING_NOTICE)


def reduce_scope(session: Session, actor: User, certificate_id: int, keep_scope_ids: list[int], reason: str,
                 today: date) -> SchemeCertificate:
    """A sanction or the company's own wish: a new certificate with fewer fagområder supersedes the old
    (same expiry); the register shows it as reduced.  Raises FieldErrors, SanctionRefused."""
    old = get(session, certificate_id)
    if effective_state(old.state, old.valid_until, today) not in LIVE:
        raise SanctionRefused("Bare et gyldig eller suspendert sertifikat kan få redusert omfang.")
    current = [s["id"] for s in old.scopes]
    keep = [i for i in current if i in set(keep_scope_ids)]
    if not keep or len(keep) == len(current):
        raise FieldErrors({"scope_ids": "Velg fagområdene som beholdes (minst ett, færre enn i dag)."})
    if len((reason or "").strip()) < 5:
        raise FieldErrors({"reason": "Skriv begrunnelsen."})
    case = session.get(AuditCase, old.case_id)
    holder, scopes, sub_units = _snapshot(session, case, keep)
    tenant = session.get(Tenant, old.tenant_id)
    seq = next_sequence(session)
    new = SchemeCertificate(
        company_id=old.company_id, scheme_id=old.scheme_id, scheme_version_id=old.scheme_version_id, case_id=old.case_id,
        number=format_number(tenant, today.year, seq), sequence=seq, issued_on=today, valid_until=old.valid_until,
        cycle_started_on=old.cycle_started_on, state=old.state, state_changed_on=today, holder=old.holder,
        scopes=scopes, sub_units=[dict(u, scopes=[n for n in u["scopes"] if n in {s["name"] for s in scopes}])
                                  for u in old.sub_units],
        signatory=old.signatory, supersedes_id=old.id, scope_reduced=True,
        increased_surveillance=old.increased_surveillance, issued_by=actor.id)
    session.add(new)
    session.flush()
    removed = ", ".join(s["name"] for s in old.scopes if s["id"] not in keep)
    _event(session, new, "scope_reduced", new.state, f"Redusert omfang (tatt ut: {removed}). {reason.strip()}", today,
           actor.id)
    _event(session, old, "superseded", SUPERSEDED, f"Erstattet av {new.number} med redusert omfang.", today, actor.id)
    old.state, old.state_changed_on = SUPERSEDED, today
    record(session, actor, "scheme_certificate.scope_reduced", new, f"{old.number} → {new.number}: {removed}")
    _render_later(session, new)
    return new


WITHDRAWAL_NOTICE = "withdrawal_notice"
WITHDRAWN_AFTER_NOTICE = ("Sertifiseringen er trukket tilbake: søknad om resertifisering kom ikke innen fristen i "
                          "varselet om tilbaketrekking.")


def withdrawal_notices(session: Session, certificate_ids=None) -> dict[int, date]:
    """When notice of withdrawal was given, per certificate (one query, for the programme)."""
    query = (select(SchemeCertificateEvent.certificate_id, SchemeCertificateEvent.on)
             .where(SchemeCertificateEvent.action == WITHDRAWAL_NOTICE))
    if certificate_ids is not None:
        query = query.where(SchemeCertificateEvent.certificate_id.in_(list(certificate_ids)))
    return {row.certificate_id: row.on for row in session.execute(query)}


def give_withdrawal_notice(session: Session, certificate_id: int, today: date) -> bool:
    """The daily job records that notice of withdrawal was given today (step 11: no recertification applied
    for by the deadline); the notice's own deadline runs from it.  Once per certificate; True when given now."""
    if certificate_id in withdrawal_notices(session, [certificate_id]):
        return False
    certificate = get(session, certificate_id)
    _event(session, certificate, WITHDRAWAL_NOTICE, certificate.state,
           "Varsel om tilbaketrekking: søknad om resertifisering er ikke mottatt innen fristen.", today, None)
    record(session, None, "scheme_certificate.withdrawal_notice", certificate, certificate.number)
    return True


def withdraw_after_notice(session: Session, certificate_id: int, today: date) -> SchemeCertificate | None:
    """The daily job carries out a notice of withdrawal whose deadline has passed: the certificate is
    withdrawn at once (the register and /verify show it on the next request), the company is told, the
    audit log has it.  Exactly once: a certificate no longer active or suspended is left alone (the row is
    locked, so two runs cannot both withdraw it).  Returns the certificate when it was withdrawn now."""
    certificate = session.scalar(select(SchemeCertificate).where(SchemeCertificate.id == certificate_id)
                                 .with_for_update())
    if certificate is None or effective_state(certificate.state, certificate.valid_until, today) not in LIVE:
        return None
    _event(session, certificate, "withdraw", WITHDRAWN, WITHDRAWN_AFTER_NOTICE, today, None)
    certificate.state, certificate.state_changed_on = WITHDRAWN, today
    record(session, None, "scheme_certificate.withdraw", certificate,
           f"{certificate.number}: {WITHDRAWN_AFTER_NOTICE}"[:500], automatic=True)
    _inform(session, certificate, SANCTIONS["withdraw"][2], WITHDRAWN_AFTER_NOTICE)
    return certificate


def expire_due(session: Session, today: date) -> int:
    due = session.scalars(select(SchemeCertificate).where(SchemeCertificate.state.in_(LIVE),
                                                          SchemeCertificate.valid_until < today)).all()
    for c in due:
        _event(session, c, "expired", EXPIRED, "Gyldighetsperioden er utløpt.", c.valid_until + timedelta(days=1), None)
        c.state, c.state_changed_on = EXPIRED, c.valid_until + timedelta(days=1)
    return len(due)


# -- what people see ---------------------------------------------------------------------------------

def certificate_dict(c: SchemeCertificate, today: date) -> dict:
    return _certificate_fields(c, c.scheme.name, settings_of(c.scheme_version), today)


def _certificate_fields(c, scheme_name: str, settings: SchemeSettings, today: date) -> dict:
    # ``c``: a certificate, or a row with its columns (the register's).
    state = effective_state(c.state, c.valid_until, today)
    return dict(id=c.id, number=c.number, company_id=c.company_id, scheme_id=c.scheme_id, scheme_name=scheme_name,
                certificate_title=settings.certificate_title, case_id=c.case_id, holder=c.holder, scopes=c.scopes,
                sub_units=c.sub_units, issued_on=c.issued_on, valid_until=c.valid_until,
                duration=clocks.duration_label(settings.validity_months), state=state,
                state_label=labels.STATE_LABELS[state], state_badge=labels.STATE_BADGES[state],
                scope_reduced=c.scope_reduced, increased_surveillance=c.increased_surveillance,
                supersedes_id=c.supersedes_id, signatory=c.signatory, verification_code=c.verification_code,
                valid_now=state == ACTIVE and c.issued_on <= today,
                marketing_notice=MARKETING_NOTICE if state in (SUSPENDED, WITHDRAWN) or c.scope_reduced else "")


def detail(session: Session, certificate_id: int, today: date) -> dict:
    c = session.scalar(select(SchemeCertificate).where(SchemeCertificate.id == certificate_id)
                       .options(selectinload(SchemeCertificate.events), selectinload(SchemeCertificate.scheme),
                                selectinload(SchemeCertificate.scheme_version)))
    if c is None:
        raise CertificateNotFound(certificate_id)
    data = certificate_dict(c, today)
    users = {u.id: u.name for u in session.scalars(select(User).where(
        User.id.in_({e.by_user_id for e in c.events if e.by_user_id})))}
    data["events"] = [dict(action=e.action, to_state=e.to_state, reason=e.reason, on=e.on,
                           by=users.get(e.by_user_id, "Systemet")) for e in c.events]
    data["actions"] = [a for a, (allowed, _, _) in SANCTIONS.items() if data["state"] in allowed]
    data["superseded_by"] = session.scalar(select(SchemeCertificate.id).where(SchemeCertificate.supersedes_id == c.id))
    return data


def public_view(c: SchemeCertificate, tenant: Tenant, today: date) -> dict:
    """What a buyer may see: scheme, scope, sub-units and the live state, with the marketing notice."""
    data = certificate_dict(c, today)
    data.pop("case_id")
    data["issuer"] = dict(name=tenant.name, slug=tenant.slug, address=tenant.address, postcode=tenant.postcode,
                          city=tenant.city)
    data["kind"] = "scheme"
    return data


def by_verification_code(session: Session, code: str) -> SchemeCertificate | None:
    return session.scalar(select(SchemeCertificate).where(SchemeCertificate.verification_code == code)
                          .options(selectinload(SchemeCertificate.scheme), selectinload(SchemeCertificate.scheme_version)))


def register_rows(session: Session, today: date, q: str = "") -> list[dict]:
    """The bound tenant's live scheme certificates (active or suspended, within validity) for the register."""
    return register_from(session.execute(register_part(), {"today": today}).all(), today, q)


@cache
def register_part() -> Select:
    # Built once, bound with ``today``: columns with the scheme's name and the version's settings joined (the
    # public register reads it together with its own page: saas.certification.kinds).
    return (select(*columns_of(SchemeCertificate), Scheme.name.label("scheme_name"),
                   SchemeVersion.settings.label("version_settings"))
            .join(Scheme, Scheme.id == SchemeCertificate.scheme_id)
            .join(SchemeVersion, SchemeVersion.id == SchemeCertificate.scheme_version_id)
            .where(SchemeCertificate.state.in_(LIVE), SchemeCertificate.valid_until >= bindparam("today")))


def register_from(rows, today: date, q: str = "") -> list[dict]:
    """``register_rows`` from the rows of ``register_part``: those matching ``q`` (holder's name or
    organisation number), by holder."""
    settings: dict[int, SchemeSettings] = {}  # each version's settings parsed once

    def settings_for(row) -> SchemeSettings:
        if row.scheme_version_id not in settings:
            settings[row.scheme_version_id] = SchemeSettings.from_document(row.version_settings)
        return settings[row.scheme_version_id]

    rows = [_certificate_fields(r, r.scheme_name, settings_for(r), today) for r in rows]
    q = (q or "").strip().lower()
    if q:
        digits = org_number_searched(q)
        rows = [r for r in rows if q in r["holder"]["name"].lower()
                or (digits and r["holder"]["org_number"].startswith(digits))]
    # By holder, then by id: the part is read without an ORDER BY of its own (saas.db.ReadsTogether), and a holder
    # with several certificates lists them in the order they were issued, as before.
    return sorted(rows, key=lambda r: (r["holder"]["name"].lower(), r["id"]))


def for_companies(session: Session, company_ids, today: date) -> list[dict]:
    """The certificates of the companies ``company_ids`` (ids, or a select of them), newest first, in a
    fixed number of statements."""
    return [certificate_dict(c, today) for c in session.scalars(
        select(SchemeCertificate).where(SchemeCertificate.company_id.in_(company_ids))
        .options(selectinload(SchemeCertificate.scheme), selectinload(SchemeCertificate.scheme_version))
        .order_by(SchemeCertificate.id.desc()))]


def verification(session: Session, code: str, today: date) -> dict | None:
    """The public view of the scheme certificate with this verification code, or None.  Looked up across
    tenants (the visitor has none), then read with the session bound to the certificate's tenant."""
    from saas.certification.documents import CODE_PATTERN
    from saas.tenancy import bind_tenant, platform_access

    if not CODE_PATTERN.fullmatch(code or ""):
        return None
    with platform_access(session):
        tenant_id = session.scalar(select(SchemeCertificate.tenant_id).where(SchemeCertificate.verification_code == code))
        tenant = session.get(Tenant, tenant_id) if tenant_id is not None else None
    if tenant is None or not tenant.active:
        return None
    bind_tenant(session, tenant_id)
    return public_view(by_verification_code(session, code), tenant, today)


