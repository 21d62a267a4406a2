"""The tenant admin's scheme editor: a new scheme from the built-in library, a draft version whose settings
and requirement catalogue are edited, and publishing the draft as the scheme's next version.

A draft is a ``SchemeVersion`` with ``published_at`` None: nothing reads it but this editor (every reader
takes ``services.current_version``, the newest *published* one).  A published version is never changed:
these services refuse it (``VersionPublished``) and ``saas.schemes.models`` refuses it again at flush.
A scheme made from the library starts inactive with a draft version 1; publishing it makes it usable.
Scopes (fagområder) belong to the scheme, not to a version (competences and certificates point at them):
they are added, renamed and retired at once and never deleted.
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.db import utcnow
from saas.schemas import FieldErrors
from saas.schemes.library import BUILTIN
from saas.schemes.models import Requirement, Scheme, SchemeScope, SchemeVersion, VersionPublished
from saas.schemes.services import SchemeNotFound, current_version, get_scheme, requirements_of, scopes_of
from saas.schemes.settings import SchemeSettings, SettingsError

CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


__all__ = ["VersionPublished", "create_from_library", "start_draft", "save_settings", "add_requirement",
           "update_requirement", "remove_requirement", "publish_draft", "discard_draft", "add_scope", "update_scope",
           "draft_page", "library_choices"]


def library_choices() -> list[tuple[str, str]]:
    """The built-in library as (code, name), for the "new scheme" form."""
    return [(b.code, b.name) for b in BUILTIN]


def _text(data: dict, name: str, max_length: int, errors: dict, *, required: bool = True) -> str:
    value = (data.get(name) or "").strip()
    if required and not value:
        errors[name] = _l("Feltet må fylles ut.")
    elif len(value) > max_length:
        errors[name] = _l("Kan ikke være lengre enn %(n)s tegn.", n=max_length)
    return value


def create_from_library(session: Session, actor, data: dict) -> Scheme:
    """A new scheme of the tenant copied from a built-in one (settings, catalogue, scopes) with its own code
    and name; inactive, with a draft version 1 to adjust before it is published.  Raises FieldErrors."""
    errors: dict = {}
    source = next((b for b in BUILTIN if b.code == data.get("library_code")), None)
    if source is None:
        errors["library_code"] = _l("Velg en ordning fra biblioteket.")
    name = _text(data, "name", 200, errors)
    code = (data.get("code") or "").strip().lower()
    if not CODE.match(code):
        errors["code"] = _l("Bruk 2–40 små bokstaver (a–z), tall og bindestrek.")
    elif session.scalar(select(Scheme.id).where(Scheme.code == code)) is not None:
        errors["code"] = _l("Koden er allerede i bruk.")
    if errors:
        raise FieldErrors(errors)
    scheme = Scheme(kind=source.kind, code=code, name=name, description=source.description, active=False,
                    builtin=False)
    session.add(scheme)
    session.flush()
    draft = SchemeVersion(scheme_id=scheme.id, number=1, published_at=None, settings=source.settings.to_document(),
                          note=f"Fra biblioteket: {source.name}", created_by=getattr(actor, "id", None))
    session.add(draft)
    session.flush()
    session.add_all([Requirement(version_id=draft.id, clause=r.clause, title=r.title, text=r.text, section=r.section,
                                 position=i) for i, r in enumerate(source.requirements)])
    session.add_all([SchemeScope(scheme_id=scheme.id, code=c, name=n, position=i)
                     for i, (c, n) in enumerate(source.scopes)])
    session.flush()
    record(session, actor, "scheme.created", scheme, f"{name} ({source.code})")
    return scheme


# -- drafts ------------------------------------------------------------------------------------------

def draft_of(session: Session, scheme_id: int) -> SchemeVersion | None:
    return session.scalar(select(SchemeVersion).where(SchemeVersion.scheme_id == scheme_id,
                                                      SchemeVersion.published_at.is_(None))
                          .order_by(SchemeVersion.number.desc()).limit(1))


def _next_number(session: Session, scheme_id: int) -> int:
    return (session.scalar(select(func.max(SchemeVersion.number)).where(SchemeVersion.scheme_id == scheme_id)) or 0) + 1


def start_draft(session: Session, actor, scheme_id: int) -> SchemeVersion:
    """The scheme's draft: the one being edited, or a new copy of the current version (settings and
    catalogue).  Raises SchemeNotFound."""
    scheme = get_scheme(session, scheme_id)
    draft = draft_of(session, scheme.id)
    if draft is not None:
        return draft
    current = current_version(session, scheme)
    draft = SchemeVersion(scheme_id=scheme.id, number=_next_number(session, scheme.id), published_at=None,
                          settings=dict(current.settings), note="", created_by=getattr(actor, "id", None))
    session.add(draft)
    session.flush()
    session.add_all([Requirement(version_id=draft.id, clause=r.clause, title=r.title, text=r.text, section=r.section,
                                 position=i) for i, r in enumerate(requirements_of(session, current.id))])
    session.flush()
    record(session, actor, "scheme.draft_started", scheme, f"utkast til versjon {draft.number}")
    return draft


def _draft(session: Session, scheme_id: int) -> SchemeVersion:
    get_scheme(session, scheme_id)
    draft = draft_of(session, scheme_id)
    if draft is None:
        raise SchemeNotFound(scheme_id)
    return draft


def validate_settings(document: dict) -> dict:
    """The settings document checked and normalised; FieldErrors names the setting (its dotted path)."""
    try:
        return SchemeSettings.from_document(document).to_document()
    except SettingsError as error:
        message = error.message[:1].upper() + error.message[1:] + "."
        raise FieldErrors({error.field: message}) from None


def save_settings(session: Session, actor, scheme_id: int, document: dict, note: str = "") -> SchemeVersion:
    """Replace the draft's settings (validated) and its change note.  Raises SchemeNotFound (no draft),
    FieldErrors."""
    draft = _draft(session, scheme_id)
    draft.settings = validate_settings(document)
    draft.note = (note or "").strip()[:2000]
    session.flush()
    return draft


def _requirement_fields(data: dict) -> dict:
    errors: dict = {}
    out = dict(clause=_text(data, "clause", 40, errors), title=_text(data, "title", 300, errors),
               text=_text(data, "text", 20000, errors, required=False),
               section=_text(data, "section", 120, errors, required=False))
    if errors:
        raise FieldErrors(errors)
    return out


def _clause_taken(session: Session, draft: SchemeVersion, clause: str, but: int | None = None) -> bool:
    query = select(Requirement.id).where(Requirement.version_id == draft.id, Requirement.clause == clause)
    if but is not None:
        query = query.where(Requirement.id != but)
    return session.scalar(query) is not None


def add_requirement(session: Session, scheme_id: int, data: dict) -> Requirement:
    """Add a requirement (clause id, title; text only where it is law) at the end of the draft's catalogue.
    Raises SchemeNotFound, FieldErrors."""
    draft = _draft(session, scheme_id)
    values = _requirement_fields(data)
    if _clause_taken(session, draft, values["clause"]):
        raise FieldErrors({"clause": _l("Kravreferansen finnes allerede i katalogen.")})
    position = session.scalar(select(func.max(Requirement.position)).where(Requirement.version_id == draft.id))
    requirement = Requirement(version_id=draft.id, position=(position or 0) + 1, **values)
    session.add(requirement)
    session.flush()
    return requirement


def _requirement(session: Session, scheme_id: int, requirement_id: int) -> tuple[SchemeVersion, Requirement]:
    get_scheme(session, scheme_id)
    requirement = session.get(Requirement, requirement_id)
    version = session.get(SchemeVersion, requirement.version_id) if requirement else None
    if version is None or version.scheme_id != scheme_id:
        raise SchemeNotFound(requirement_id)
    if version.published_at is not None:
        raise VersionPublished(version.number)
    return version, requirement


def update_requirement(session: Session, scheme_id: int, requirement_id: int, data: dict) -> Requirement:
    """Change a requirement of the draft.  Raises SchemeNotFound, VersionPublished, FieldErrors."""
    draft, requirement = _requirement(session, scheme_id, requirement_id)
    values = _requirement_fields(data)
    if _clause_taken(session, draft, values["clause"], but=requirement.id):
        raise FieldErrors({"clause": _l("Kravreferansen finnes allerede i katalogen.")})
    for key, value in values.items():
        setattr(requirement, key, value)
    session.flush()
    return requirement


def remove_requirement(session: Session, scheme_id: int, requirement_id: int) -> None:
    """Take a requirement out of the draft (published versions keep theirs).  Raises SchemeNotFound,
    VersionPublished."""
    _, requirement = _requirement(session, scheme_id, requirement_id)
    session.delete(requirement)
    session.flush()


def publish_draft(session: Session, actor, scheme_id: int, note: str | None = None) -> SchemeVersion:
    """Publish the draft: from now on new cases, certificates and years are issued under it; whatever was
    issued earlier keeps its version.  The first publication makes a new scheme active.  Raises
    SchemeNotFound (no draft), FieldErrors (settings invalid, empty catalogue)."""
    scheme = get_scheme(session, scheme_id)
    draft = _draft(session, scheme_id)
    draft.settings = validate_settings(draft.settings)
    if not requirements_of(session, draft.id):
        raise FieldErrors({"requirements": _l("Kravkatalogen kan ikke være tom.")})
    if note is not None and note.strip():
        draft.note = note.strip()[:2000]
    newest = session.scalar(select(func.max(SchemeVersion.number)).where(SchemeVersion.scheme_id == scheme.id,
                                                                         SchemeVersion.id != draft.id))
    if newest is not None and newest >= draft.number:  # a version was published through the API meanwhile
        draft.number = newest + 1
    draft.published_at = utcnow()
    draft.created_by = draft.created_by or getattr(actor, "id", None)
    first = not scheme.active and newest is None
    if first:
        scheme.active = True
    session.flush()
    record(session, actor, "scheme.version_published", scheme, f"versjon {draft.number}: {draft.note}"[:500])
    return draft


def discard_draft(session: Session, actor, scheme_id: int) -> None:
    """Throw the draft away (nothing was issued under it).  A new scheme's only draft cannot be discarded.
    Raises SchemeNotFound, FieldErrors."""
    draft = _draft(session, scheme_id)
    if session.scalar(select(SchemeVersion.id).where(SchemeVersion.scheme_id == scheme_id,
                                                     SchemeVersion.published_at.is_not(None)).limit(1)) is None:
        raise FieldErrors({"_schema": _l("Ordningen har ingen publisert versjon; utkastet kan ikke forkastes.")})
    for requirement in requirements_of(session, draft.id):
        session.delete(requirement)
    session.flush()
    session.delete(draft)
    session.flush()
    record(session, actor, "scheme.draft_discarded", get_scheme(session, scheme_id), "")


# -- scopes ------------------------------------------------------------------------------------------

def add_scope(session: Session, actor, scheme_id: int, data: dict) -> SchemeScope:
    """A new fagområde of the scheme (code and name).  Raises SchemeNotFound, FieldErrors."""
    scheme = get_scheme(session, scheme_id)
    errors: dict = {}
    code = _text(data, "code", 40, errors)
    name = _text(data, "name", 200, errors)
    if not errors and session.scalar(select(SchemeScope.id).where(SchemeScope.scheme_id == scheme.id,
                                                                  SchemeScope.code == code)) is not None:
        errors["code"] = _l("Koden er allerede i bruk.")
    if errors:
        raise FieldErrors(errors)
    position = session.scalar(select(func.max(SchemeScope.position)).where(SchemeScope.scheme_id == scheme.id))
    scope = SchemeScope(scheme_id=scheme.id, code=code, name=name, position=(position or 0) + 1, active=True)
    session.add(scope)
    session.flush()
    record(session, actor, "scheme.scope_added", scheme, f"{code} {name}")
    return scope


def update_scope(session: Session, actor, scheme_id: int, scope_id: int, data: dict) -> SchemeScope:
    """Rename a fagområde or retire (``active`` false) / restore it; it is never deleted, since competences
    and issued certificates name it.  Raises SchemeNotFound, FieldErrors."""
    scheme = get_scheme(session, scheme_id)
    scope = session.get(SchemeScope, scope_id)
    if scope is None or scope.scheme_id != scheme.id:
        raise SchemeNotFound(scope_id)
    errors: dict = {}
    scope.name = _text(data, "name", 200, errors)
    if errors:
        raise FieldErrors(errors)
    scope.active = bool(data.get("active", True))
    session.flush()
    record(session, actor, "scheme.scope_changed", scheme, f"{scope.code} {scope.name}"
           + ("" if scope.active else " (tatt ut)"))
    return scope


# -- what the editor shows ---------------------------------------------------------------------------

def draft_page(session: Session, scheme_id: int) -> dict:
    """The scheme with its draft (settings, catalogue) and every scope, as plain data.  Raises
    SchemeNotFound when the scheme has no draft."""
    scheme = get_scheme(session, scheme_id)
    draft = _draft(session, scheme_id)
    return dict(scheme=dict(id=scheme.id, code=scheme.code, name=scheme.name, kind=scheme.kind, active=scheme.active),
                draft=dict(id=draft.id, number=draft.number, note=draft.note, settings=draft.settings),
                requirements=[dict(id=r.id, clause=r.clause, title=r.title, text=r.text, section=r.section)
                              for r in requirements_of(session, draft.id)],
                scopes=[dict(id=s.id, code=s.code, name=s.name, active=s.active)
                        for s in scopes_of(session, scheme.id, active_only=False)])
