"""Search what the user may see: companies, certificates, actions, invoices and people.

Matching is a case-insensitive substring (``lower(column) LIKE '%term%'``): on PostgreSQL the trigram GIN
indexes of migration 0008 (pg_trgm on ``lower(...)``) serve it; SQLite scans, which its tenants' sizes allow.
Scoping reuses each feature's own visibility (``visible_companies``, ``visible_invoices``): a client contact
finds only their companies' records and their fellow contacts.
"""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from saas.clients.models import ClientCompany, ContactPerson
from saas.clients.services import visible_company_ids
from saas.db import contains, contains_pattern
from saas.norway import org_number_searched
from saas.tenants.models import User

MIN_LENGTH = 2
PER_KIND = 10
KINDS = ("company", "certificate", "action", "invoice", "person")
KIND_LABELS = {"company": "Kunder", "certificate": "Sertifikater", "action": "Tiltak", "invoice": "Fakturaer",
               "person": "Personer"}


def too_short(q: str) -> bool:
    """Fewer than MIN_LENGTH characters, unless it is a number (an invoice number may be "7")."""
    term = (q or "").strip()
    return len(term) < MIN_LENGTH and not (term.isdigit() and term)


def search(session: Session, user: User, q: str, per_kind: int = PER_KIND) -> dict[str, list[dict]]:
    """Hits by kind (KINDS order), each {"title", "subtitle", "target_type", "target_id"}; empty lists for a
    query shorter than MIN_LENGTH.  Five queries, each limited to ``per_kind`` rows."""
    from saas.billing.services.invoices import visible_invoices
    from saas.billing.models import Invoice
    from saas.certification.models import Certificate
    from saas.hms.models import ActionItem, CertificationYear

    term = " ".join((q or "").split())[:100]
    hits: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    if too_short(term):
        return hits
    pattern = contains_pattern(term)
    digits = term.replace(" ", "")
    org_number = org_number_searched(term)
    companies = visible_company_ids(user.is_staff, user.id)

    company_match = [contains(ClientCompany.name, pattern)]
    if org_number:
        company_match.append(ClientCompany.org_number.startswith(org_number))
    for r in session.execute(select(ClientCompany.id, ClientCompany.name, ClientCompany.org_number, ClientCompany.city)
                             .where(ClientCompany.id.in_(companies), or_(*company_match))
                             .order_by(ClientCompany.name).limit(per_kind)):
        hits["company"].append(dict(title=r.name, subtitle=" · ".join(p for p in (r.org_number, r.city) if p),
                                    target_type="company", target_id=r.id))

    for r in session.execute(select(Certificate.id, Certificate.number, Certificate.cert_class, Certificate.valid_until,
                                    Certificate.state, ClientCompany.name)
                             .join(ClientCompany, ClientCompany.id == Certificate.company_id)
                             .where(Certificate.company_id.in_(companies),
                                    or_(contains(Certificate.number, pattern), contains(ClientCompany.name, pattern)))
                             .order_by(Certificate.valid_until.desc()).limit(per_kind)):
        hits["certificate"].append(dict(title=f"{r.number} · {r.name}", subtitle=f"Klasse {r.cert_class}, gyldig til "
                                        f"{r.valid_until.strftime('%d.%m.%Y')}", target_type="certificate", target_id=r.id))

    for r in session.execute(select(ActionItem.id, ActionItem.title, ActionItem.status, ClientCompany.name, CertificationYear.year)
                             .join(CertificationYear, CertificationYear.id == ActionItem.year_id)
                             .join(ClientCompany, ClientCompany.id == CertificationYear.company_id)
                             .where(ClientCompany.id.in_(companies), contains(ActionItem.title, pattern))
                             .order_by(ActionItem.id.desc()).limit(per_kind)):
        hits["action"].append(dict(title=r.title, subtitle=f"{r.name} {r.year}", target_type="action", target_id=r.id))

    invoices = visible_invoices(user).with_only_columns(Invoice.id)
    invoice_match = [contains(ClientCompany.name, pattern)]
    if digits.isdigit():
        invoice_match += [Invoice.number == int(digits[:9]), Invoice.kid == digits]
    for r in session.execute(select(Invoice.id, Invoice.number, Invoice.issue_date, Invoice.gross_total, ClientCompany.name)
                             .join(ClientCompany, ClientCompany.id == Invoice.company_id)
                             .where(Invoice.id.in_(invoices), or_(*invoice_match))
                             .order_by(Invoice.number.desc()).limit(per_kind)):
        hits["invoice"].append(dict(title=f"Faktura {r.number} · {r.name}", subtitle=r.issue_date.strftime("%d.%m.%Y"),
                                    target_type="invoice", target_id=r.id))

    people = []
    if user.is_staff:
        for r in session.execute(select(User.id, User.name, User.email).where(
                User.active.is_(True), or_(contains(User.name, pattern), contains(User.email, pattern)))
                .order_by(User.name).limit(per_kind)):
            people.append(dict(title=r.name, subtitle=r.email, target_type="user", target_id=r.id))
    for r in session.execute(select(ContactPerson.id, ContactPerson.name, ContactPerson.email, ContactPerson.company_id,
                                    ClientCompany.name.label("company"))
                             .join(ClientCompany, ClientCompany.id == ContactPerson.company_id)
                             .where(ContactPerson.company_id.in_(companies),
                                    or_(contains(ContactPerson.name, pattern), contains(ContactPerson.email, pattern)))
                             .order_by(ContactPerson.name).limit(per_kind)):
        people.append(dict(title=r.name, subtitle=" · ".join(p for p in (r.company, r.email) if p), target_type="company",
                           target_id=r.company_id))
    hits["person"] = people[:per_kind]
    return hits
