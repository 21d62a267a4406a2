"""Editing a person scheme's requirement matrix and practice minimums on a draft version.

A draft is a ``SchemeVersion`` without ``published_at``: nothing reads it but this editor (enrolments,
approvals and validity read published versions only).  Publishing takes the scheme's current published
settings and puts the draft's matrix and minimums into them, so a period changed meanwhile on the
scheme page is kept, not overwritten.  What was issued keeps its own version (see register_state).

Field names of errors are the editor's field names: ``matrix.<row>.category``, ``matrix.<row>.extra_km``,
``matrix.<row>.needs.<activity>``, ``practice.<minimum>``, ``matrix`` for the matrix as a whole.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.db import utcnow
from saas.persons.requirements import ACTIVITIES
from saas.persons.services import catalogue
from saas.persons.settings import PersonSchemeSettings, PersonSettingsError, PracticeRules
from saas.schemas import FieldErrors
from saas.schemes import services as schemes
from saas.schemes.models import Requirement, Scheme, SchemeVersion

NEEDS = ("required", "unless_documented", "not_required")
PRACTICE = tuple(PracticeRules.__dataclass_fields__)


def draft_of(session: Session, scheme: Scheme) -> SchemeVersion | None:
    """The scheme's draft version, if one is being edited."""
    return session.scalar(select(SchemeVersion).where(SchemeVersion.scheme_id == scheme.id,
                                                      SchemeVersion.published_at.is_(None))
                          .order_by(SchemeVersion.number.desc()).limit(1))


def start_draft(session: Session, user, scheme: Scheme) -> SchemeVersion:
    """The draft of ``scheme``, started from its current version when there is none."""
    draft = draft_of(session, scheme)
    if draft is not None:
        return draft
    _require_admin(user)
    current, _settings = catalogue.current(session, scheme)
    number = session.scalar(select(func.max(SchemeVersion.number)).where(SchemeVersion.scheme_id == scheme.id)) or 0
    draft = SchemeVersion(scheme_id=scheme.id, number=number + 1, published_at=None, settings=current.settings,
                          note="Utkast: kravmatrise og minstekrav", created_by=user.id)
    session.add(draft)
    session.flush()
    record(session, user, "person_scheme.draft_started", scheme, f"utkast til versjon {draft.number}")
    return draft


def draft_data(version: SchemeVersion) -> dict:
    """Plain data of a version's matrix and minimums, as the editor shows and the API returns them."""
    settings = catalogue.person_settings(version)
    document = settings.to_document()
    return dict(version=version.number, published=version.published_at is not None,
                matrix=document["matrix"], practice=document["practice"])


def update_draft(session: Session, user, scheme: Scheme, matrix: list[dict], practice: dict) -> SchemeVersion:
    """Replace the draft's matrix rows (``category``, ``needs`` {activity: need}, ``extra_km``) and the
    practice minimums given.  Raises FieldErrors naming the editor field (nothing is saved then)."""
    _require_admin(user)
    base = draft_of(session, scheme) or catalogue.current(session, scheme)[0]  # the draft is started once valid
    errors: dict[str, str] = {}
    rows = []
    seen: dict[str, int] = {}
    for i, row in enumerate(matrix):
        category = str(row.get("category") or "").strip()
        if not category:
            errors[f"matrix.{i}.category"] = _("Skriv kategorien.")
        elif len(category) > 60:
            errors[f"matrix.{i}.category"] = _("Kan ikke være lengre enn %(max)s tegn.", max=60)
        elif category in seen:
            errors[f"matrix.{i}.category"] = _("Kategorien står allerede i rad %(n)s.", n=seen[category] + 1)
        else:
            seen[category] = i
        needs = {}
        for activity, need in (row.get("needs") or {}).items():
            if activity not in ACTIVITIES:
                errors[f"matrix.{i}.needs.{activity}"] = _("Ukjent aktivitet.")
            elif need not in NEEDS:
                errors[f"matrix.{i}.needs.{activity}"] = _("Ugyldig valg.")
            elif need != "not_required":
                needs[activity] = need
        extra_km = _integer(row.get("extra_km", 0))
        if extra_km is None:
            errors[f"matrix.{i}.extra_km"] = _("Må være et heltall ≥ 0.")
        rows.append(dict(category=category, needs=needs, extra_km=extra_km or 0))
    if not rows:
        errors["matrix"] = _("Matrisen må ha minst én kandidatkategori.")
    current = catalogue.person_settings(base).to_document()
    minimums = dict(current["practice"])
    for name, raw in (practice or {}).items():
        if name not in PRACTICE:
            errors[f"practice.{name}"] = _("Ukjent minstekrav.")
            continue
        whole = isinstance(getattr(PracticeRules(), name), int)
        value = _integer(raw) if whole else _number(raw)
        if value is None:
            errors[f"practice.{name}"] = _("Må være et heltall ≥ 0.") if whole else _("Må være et tall ≥ 0.")
        else:
            minimums[name] = value
    if not errors and minimums["daily_cap_hours"] > 24:
        errors["practice.daily_cap_hours"] = _("Må være mellom 0 og 24.")
    if errors:
        raise FieldErrors(errors)
    document = {**current, "matrix": rows, "practice": minimums}
    try:
        PersonSchemeSettings.from_document(document)
    except PersonSettingsError as error:  # kept as a backstop; the checks above name the field first
        raise FieldErrors({error.field.removeprefix("person."): error.message}) from None
    draft = start_draft(session, user, scheme)
    full = draft.parsed.to_document()
    full["extra"] = {**full.get("extra", {}), "person": document}
    draft.settings = full
    session.flush()
    record(session, user, "person_scheme.draft_edited", scheme, f"utkast til versjon {draft.number}")
    return draft


def publish_draft(session: Session, user, scheme: Scheme) -> SchemeVersion:
    """Publish the draft's matrix and minimums on top of the current published settings.  Returns the
    published version; raises FieldErrors when there is no draft."""
    _require_admin(user)
    draft = draft_of(session, scheme)
    if draft is None:
        raise FieldErrors({"draft": _("Det finnes ikke noe utkast å publisere.")})
    current, current_settings = catalogue.current(session, scheme)
    edited = catalogue.person_settings(draft).to_document()
    person = {**current_settings.to_document(), "matrix": edited["matrix"], "practice": edited["practice"]}
    full = current.parsed.to_document()
    full["extra"] = {**full.get("extra", {}), "person": person}
    if draft.number > current.number:
        draft.settings = full
        draft.published_at = utcnow()
        draft.note = "Endret kravmatrise og minstekrav"
        session.flush()
        published = draft
    else:  # a version was published after the draft was started: publish on top of it
        _delete(session, draft)
        published = schemes.publish_version(session, scheme, full, note="Endret kravmatrise og minstekrav",
                                            actor_id=user.id)
    record(session, user, "person_scheme.matrix_published", scheme, f"versjon {published.number}")
    return published


def discard_draft(session: Session, user, scheme: Scheme) -> None:
    _require_admin(user)
    draft = draft_of(session, scheme)
    if draft is not None:
        _delete(session, draft)
        record(session, user, "person_scheme.draft_discarded", scheme, f"utkast {draft.number}")


def _delete(session: Session, draft: SchemeVersion) -> None:
    for requirement in session.scalars(select(Requirement).where(Requirement.version_id == draft.id)):
        session.delete(requirement)
    session.flush()
    session.delete(draft)
    session.flush()


def _require_admin(user) -> None:
    from saas.tenants.models import Role

    if not user.has_role(Role.ADMIN):
        raise FieldErrors({"user": _("Bare administrator kan endre kravmatrisen.")})


def _integer(raw) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        raw = raw.strip() or "0"
        if not raw.isdigit() or len(raw) > 9:
            return None
        return int(raw)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return raw if isinstance(raw, int) and 0 <= raw < 10**9 else None


def _number(raw) -> float | int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        try:
            raw = float(raw.strip().replace(",", ".") or "0")
        except ValueError:
            return None
    if not isinstance(raw, (int, float)) or raw != raw or not 0 <= raw < 10**6:
        return None
    return int(raw) if float(raw).is_integer() else raw
