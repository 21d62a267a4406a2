"""Person schemes and their competence catalogues; the register settings of the tenant."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.db import utcnow
from saas.persons.library import PersonTemplate, template
from saas.persons.models import PersonCompetence, CompetenceKind, PersonRegisterSettings, RegisterMode
from saas.persons.services import NotFound
from saas.persons.settings import PersonSchemeSettings, PersonSettingsError
from saas.schemas import FieldErrors
from saas.schemes import services as schemes
from saas.schemes.models import Scheme, SchemeKind, SchemeVersion
from saas.schemes.settings import SchemeSettings


def person_schemes(session: Session) -> list[Scheme]:
    return schemes.schemes_for(session, SchemeKind.PERSON)


def get_person_scheme(session: Session, scheme_id: int) -> Scheme:
    scheme = session.scalar(select(Scheme).where(Scheme.id == scheme_id, Scheme.kind == SchemeKind.PERSON.value))
    if scheme is None:
        raise NotFound(scheme_id)
    return scheme


def person_settings(version: SchemeVersion) -> PersonSchemeSettings:
    return PersonSchemeSettings.from_document(version.parsed.extra.get("person"))


def current(session: Session, scheme: Scheme | int) -> tuple[SchemeVersion, PersonSchemeSettings]:
    version = schemes.current_version(session, scheme)
    return version, person_settings(version)


def currents(session: Session, scheme_ids) -> dict[int, tuple[SchemeVersion, PersonSchemeSettings]]:
    """``scheme id → (current version, its settings)``, as ``current`` gives, for many schemes in one query."""
    return {scheme_id: (version, person_settings(version))
            for scheme_id, version in schemes.current_versions(session, scheme_ids).items()}


def create_from_template(session: Session, user, code: str, name: str = "") -> Scheme:
    """A new person scheme of the tenant from a built-in template, with its competence catalogue."""
    try:
        tpl: PersonTemplate = template(code)
    except StopIteration:
        raise FieldErrors({"template": _("Ukjent mal.")}) from None
    scheme_code = tpl.code
    taken = set(session.scalars(select(Scheme.code)))
    suffix = 2
    while scheme_code in taken:
        scheme_code, suffix = f"{tpl.code}-{suffix}", suffix + 1
    scheme = Scheme(kind=SchemeKind.PERSON.value, code=scheme_code, name=(name or tpl.name).strip()[:200],
                    description=tpl.description)
    session.add(scheme)
    session.flush()
    settings = SchemeSettings(validity_months=36, certificate_title=tpl.certificate_title,
                              certificate_fields=("issuer_name", "issued_on", "holder_name", "scopes", "number",
                                                  "signatory"),
                              extra={"person": tpl.person.to_document()})
    schemes.publish_version(session, scheme, settings.to_document(), note="Fra mal", actor_id=user.id,
                            requirements=[])
    for position, (code_, cname, kind, category, seasonal) in enumerate(tpl.competences):
        session.add(PersonCompetence(scheme_id=scheme.id, code=code_, name=cname, kind=kind, line_category=category,
                               seasonal=seasonal, position=position))
    session.flush()
    record(session, user, "person_scheme.created", scheme, scheme.name)
    return scheme


def competences(session: Session, scheme_id: int | None = None, *, active_only: bool = True) -> list[PersonCompetence]:
    query = _competences_query(active_only)
    if scheme_id is not None:
        query = query.where(PersonCompetence.scheme_id == scheme_id)
    return list(session.scalars(query))


def competences_by_scheme(session: Session, scheme_ids, *,
                          active_only: bool = True) -> dict[int, list[PersonCompetence]]:
    """``scheme id → its catalogue`` (in ``competences``' order) for many schemes, in one query."""
    ids = list(scheme_ids)
    out: dict[int, list[PersonCompetence]] = {i: [] for i in ids}
    for competence in session.scalars(_competences_query(active_only).where(PersonCompetence.scheme_id.in_(ids))):
        out[competence.scheme_id].append(competence)
    return out


def _competences_query(active_only: bool):
    query = select(PersonCompetence).order_by(PersonCompetence.scheme_id, PersonCompetence.position, PersonCompetence.code)
    return query.where(PersonCompetence.active.is_(True)) if active_only else query


def get_competence(session: Session, competence_id: int) -> PersonCompetence:
    competence = session.get(PersonCompetence, competence_id)
    if competence is None:
        raise NotFound(competence_id)
    return competence


def add_competence(session: Session, user, scheme: Scheme, data: dict) -> PersonCompetence:
    """Add a catalogue entry; codes are unique within the scheme.  Raises FieldErrors."""
    code = data["code"].strip().upper()
    if session.scalar(select(PersonCompetence.id).where(PersonCompetence.scheme_id == scheme.id, PersonCompetence.code == code)):
        raise FieldErrors({"code": _("Koden finnes allerede i ordningen.")})
    if data.get("kind", "equipment") not in {k.value for k in CompetenceKind}:
        raise FieldErrors({"kind": _("Ugyldig valg.")})
    if data.get("line_category", "") and data.get("kind") != CompetenceKind.LINE.value:
        raise FieldErrors({"line_category": _("Bare strekninger har kategori A, B eller C.")})
    position = len(competences(session, scheme.id, active_only=False))
    competence = PersonCompetence(scheme_id=scheme.id, code=code, name=data["name"].strip(),
                            kind=data.get("kind", "equipment"), line_category=data.get("line_category", "") or "",
                            seasonal=bool(data.get("seasonal")), position=position)
    session.add(competence)
    session.flush()
    record(session, user, "competence.created", competence, f"{code} {competence.name}")
    return competence


def register_settings(session: Session) -> PersonRegisterSettings:
    """The bound tenant's register settings row, created with defaults on first use."""
    row = session.scalar(select(PersonRegisterSettings))
    if row is None:
        row = PersonRegisterSettings()
        session.add(row)
        session.flush()
    return row


def update_register_settings(session: Session, user, data: dict) -> PersonRegisterSettings:
    row = register_settings(session)
    if data.get("mode") not in {m.value for m in RegisterMode}:
        raise FieldErrors({"mode": _("Ugyldig valg.")})
    for key in ("mode", "outside_register", "card_prefix", "issuer_name"):
        if key in data and data[key] is not None:
            setattr(row, key, data[key].strip() if isinstance(data[key], str) else data[key])
    session.flush()
    record(session, user, "person_register.settings", row, row.mode)
    return row


SETTING_GROUPS = {
    "validity": ("periodic_test_months", "seasonal_months", "unused_months", "absence_months",
                 "repetition_after_months", "new_type_training_after_months", "reminder_days"),
    "practice": ("practice_1_hours", "practice_1_shifts", "daily_cap_hours", "practice_2_hours",
                 "practice_2_more_than_shifts", "type_course_min_hours", "type_course_max_participants", "extra_km"),
    "revocation": ("appeal_days", "committee_days", "history_years"),
}


def update_person_settings(session: Session, user, scheme: Scheme, changes: dict) -> SchemeVersion:
    """Publish a new version of the person scheme with changed periods and minimums (``changes`` maps a
    setting name of SETTING_GROUPS to its new number).  What was issued keeps its version.  Raises
    FieldErrors naming the setting."""
    version, settings = current(session, scheme)
    document = settings.to_document()
    for group, names in SETTING_GROUPS.items():
        for name in names:
            if name in changes and changes[name] is not None:
                document[group][name] = changes[name]
    try:
        parsed = PersonSchemeSettings.from_document(document)
    except PersonSettingsError as error:
        raise FieldErrors({error.field.rsplit(".", 1)[-1] if "." in error.field else error.field: error.message}) \
            from None
    except ValueError as error:
        raise FieldErrors({"_schema": str(error)}) from None
    full = version.parsed.to_document()
    full["extra"] = {**full.get("extra", {}), "person": parsed.to_document()}
    new = schemes.publish_version(session, scheme, full, note="Endrede frister og minstekrav", actor_id=user.id)
    record(session, user, "person_scheme.settings", scheme, f"versjon {new.number}")
    return new


def close_register(session: Session, user) -> PersonRegisterSettings:
    """The register closes (§ 8-2): no more issuing or registering; its records are exported whole for
    transfer to another register or to Arbeidstilsynet (``register.transfer_export``)."""
    row = register_settings(session)
    if row.closed_at is None:
        row.closed_at = utcnow()
        session.flush()
        record(session, user, "person_register.closed", row, "")
    return row


def refuse_when_closed(session: Session) -> None:
    if register_settings(session).closed_at is not None:
        raise FieldErrors({"register": _("Registeret er avsluttet. Eksporter det for overføring.")})
