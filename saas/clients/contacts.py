"""Giving a client company's contact person a login (role: client contact)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.clients.models import ContactPerson
from saas.schemas import FieldErrors
from saas.tenants import services
from saas.tenants.models import Role, Tenant, User


def invite_contact(session: Session, tenant: Tenant, actor: User, contact: ContactPerson) -> User:
    """Link the contact to a client-contact login (existing in this tenant, or new and invited)."""
    if not contact.email:
        raise FieldErrors({"email": "Kontaktpersonen må ha en e-postadresse for å få innlogging."})
    user = session.scalar(select(User).where(func.lower(User.email) == contact.email.lower()))
    if user is None:
        if services.email_taken(session, contact.email):
            raise FieldErrors({"email": "E-postadressen brukes allerede av en annen konto."})
        user = services.create_user(session, tenant.id, contact.email, contact.name, [Role.CLIENT.value])
        services.send_invitation(session, tenant, user)
    elif not user.has_role(Role.CLIENT):
        services.set_roles(session, user, [r.value for r in user.roles] + [Role.CLIENT.value])
    already = session.scalar(select(ContactPerson.id).where(ContactPerson.company_id == contact.company_id,
                                                            ContactPerson.user_id == user.id, ContactPerson.id != contact.id))
    if already is not None:  # one login is one contact of a company (a unique constraint backs this)
        raise FieldErrors({"email": "Denne personen er allerede kontaktperson med innlogging hos kunden."})
    contact.user_id = user.id
    record(session, actor, "contact.invited", contact, contact.email)
    return user
