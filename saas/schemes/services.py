"""Schemes: the library seeded per tenant, the current version, and publishing new versions.

Every function works on the session's bound tenant (saas.tenancy adds the tenant to each query).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from saas.db import utcnow
from saas.schemas import FieldErrors
from saas.schemes.library import BUILTIN, HMS_CODE, BuiltinScheme
from saas.schemes.models import Requirement, Scheme, SchemeKind, SchemeScope, SchemeVersion
from saas.schemes.settings import SchemeSettings, SettingsError


class SchemeNotFound(LookupError):
    """No such scheme (or version) for the bound tenant."""


# -- the library -----------------------------------------------------------------------------------

def seed_library(session: Session, tenant_id: int | None = None) -> list[Scheme]:
    """Add the built-in schemes the bound tenant does not have yet (by code); returns the new ones.

    Idempotent: a tenant's own edits to a built-in scheme are never overwritten.  ``tenant_id`` stamps
    the rows when they are made under platform access (a new tenant).
    """
    existing = set(session.scalars(select(Scheme.code).where(*_tenant_where(Scheme, tenant_id))))
    created = [_create_builtin(session, b, tenant_id) for b in BUILTIN if b.code not in existing]
    session.flush()
    return created


def _tenant_where(model, tenant_id: int | None):
    return (model.tenant_id == tenant_id,) if tenant_id is not None else ()


def _create_builtin(session: Session, b: BuiltinScheme, tenant_id: int | None) -> Scheme:
    stamp = {"tenant_id": tenant_id} if tenant_id is not None else {}
    scheme = Scheme(kind=b.kind, code=b.code, name=b.name, description=b.description, active=True, builtin=True,
                    **stamp)
    session.add(scheme)
    session.flush()
    version = SchemeVersion(scheme_id=scheme.id, number=1, published_at=utcnow(), settings=b.settings.to_document(),
                            note="Innebygd versjon", **stamp)
    session.add(version)
    session.flush()
    session.add_all([Requirement(version_id=version.id, clause=r.clause, title=r.title, text=r.text,
                                 section=r.section, position=i, **stamp) for i, r in enumerate(b.requirements)])
    session.add_all([SchemeScope(scheme_id=scheme.id, code=code, name=name, position=i, **stamp)
                     for i, (code, name) in enumerate(b.scopes)])
    return scheme


# -- reading ---------------------------------------------------------------------------------------

def schemes_for(session: Session, kind: SchemeKind | str | None = None, *, active_only: bool = True) -> list[Scheme]:
    """The bound tenant's schemes (of one kind when given), by name."""
    query = select(Scheme).order_by(Scheme.kind, Scheme.name)
    if kind is not None:
        query = query.where(Scheme.kind == SchemeKind(kind).value)
    if active_only:
        query = query.where(Scheme.active.is_(True))
    return list(session.scalars(query))


def get_scheme(session: Session, scheme_id: int) -> Scheme:
    scheme = session.get(Scheme, scheme_id)
    if scheme is None:
        raise SchemeNotFound(scheme_id)
    return scheme


def scheme_by_code(session: Session, code: str) -> Scheme:
    scheme = session.scalar(select(Scheme).where(Scheme.code == code))
    if scheme is None:
        raise SchemeNotFound(code)
    return scheme


def current_version(session: Session, scheme: Scheme | int) -> SchemeVersion:
    """The newest published version of a scheme: what new certificates and cases are issued under.
    Raises SchemeNotFound when the scheme has none."""
    scheme_id = scheme if isinstance(scheme, int) else scheme.id
    version = session.scalar(select(SchemeVersion).where(SchemeVersion.scheme_id == scheme_id,
                                                         SchemeVersion.published_at.is_not(None))
                             .order_by(SchemeVersion.number.desc()).limit(1))
    if version is None:
        raise SchemeNotFound(scheme_id)
    return version


def current_versions(session: Session, scheme_ids) -> dict[int, SchemeVersion]:
    """The current version of each of many schemes, in one query (for lists)."""
    newest = (select(SchemeVersion.scheme_id, func.max(SchemeVersion.number).label("n"))
              .where(SchemeVersion.scheme_id.in_(list(scheme_ids)), SchemeVersion.published_at.is_not(None))
              .group_by(SchemeVersion.scheme_id).subquery())
    rows = session.scalars(select(SchemeVersion).join(
        newest, (newest.c.scheme_id == SchemeVersion.scheme_id) & (newest.c.n == SchemeVersion.number)))
    return {v.scheme_id: v for v in rows}


def hms_version(session: Session) -> SchemeVersion:
    """The current version of the tenant's HMS-sertifikat, seeding the library if the tenant has none."""
    scheme = session.scalar(select(Scheme).where(Scheme.code == HMS_CODE))
    if scheme is None:
        seed_library(session)
        scheme = scheme_by_code(session, HMS_CODE)
    return current_version(session, scheme)


def settings_of(version: SchemeVersion) -> SchemeSettings:
    """The typed settings of a version (validated when written, so this does not fail on stored rows).
    Parsed once per loaded version: a published version's settings never change."""
    cached = version.__dict__.get("_parsed_settings")
    if cached is None or cached[0] is not version.settings:
        cached = (version.settings, SchemeSettings.from_document(version.settings))
        version.__dict__["_parsed_settings"] = cached
    return cached[1]


def requirements_of(session: Session, version_id: int) -> list[Requirement]:
    return list(session.scalars(select(Requirement).where(Requirement.version_id == version_id)
                                .order_by(Requirement.position, Requirement.id)))


def scopes_of(session: Session, scheme_id: int, *, active_only: bool = True) -> list[SchemeScope]:
    return list(session.scalars(_scopes_query(active_only).where(SchemeScope.scheme_id == scheme_id)))


def scopes_by_scheme(session: Session, scheme_ids, *, active_only: bool = True) -> dict[int, list[SchemeScope]]:
    """``scheme id → its scopes`` (in ``scopes_of``'s order) for many schemes, in one query."""
    ids = list(scheme_ids)
    out: dict[int, list[SchemeScope]] = {i: [] for i in ids}
    for scope in session.scalars(_scopes_query(active_only).where(SchemeScope.scheme_id.in_(ids))):
        out[scope.scheme_id].append(scope)
    return out


def _scopes_query(active_only: bool):
    query = select(SchemeScope).order_by(SchemeScope.position, SchemeScope.id)
    return query.where(SchemeScope.active.is_(True)) if active_only else query


def scheme_overview(session: Session) -> list[dict]:
    """Every scheme of the tenant with its current version's key settings, as plain data."""
    schemes = list(session.scalars(select(Scheme).order_by(Scheme.kind, Scheme.name)
                                   .options(selectinload(Scheme.scopes))))
    versions = current_versions(session, [s.id for s in schemes])
    out = []
    for s in schemes:
        v = versions.get(s.id)
        settings = settings_of(v) if v else None
        out.append(dict(id=s.id, code=s.code, kind=s.kind, name=s.name, active=s.active, builtin=s.builtin,
                        version=v.number if v else None, version_id=v.id if v else None,
                        validity_months=settings.validity_months if settings else None,
                        surveillance=settings.surveillance.mode if settings else None,
                        scopes=[dict(code=sc.code, name=sc.name) for sc in s.scopes if sc.active]))
    return out


# -- writing ---------------------------------------------------------------------------------------

def publish_version(session: Session, scheme: Scheme, settings_document: dict, *, note: str = "",
                    actor_id: int | None = None, requirements: list[dict] | None = None) -> SchemeVersion:
    """Publish a new version of ``scheme`` with these settings; the requirement catalogue is copied from
    the current version unless ``requirements`` (dicts of clause, title, text, section) is given.

    Everything issued earlier keeps its own version.  Raises FieldErrors naming the bad setting.
    """
    try:
        settings = SchemeSettings.from_document(settings_document)
    except SettingsError as error:
        raise FieldErrors({error.field: error.message}) from None
    # The catalogue comes from the newest published version; the number follows every version, a draft
    # being edited in the scheme editor included (it is renumbered when it is published).
    previous = session.scalar(select(SchemeVersion).where(SchemeVersion.scheme_id == scheme.id,
                                                          SchemeVersion.published_at.is_not(None))
                              .order_by(SchemeVersion.number.desc()).limit(1))
    highest = session.scalar(select(func.max(SchemeVersion.number)).where(SchemeVersion.scheme_id == scheme.id))
    version = SchemeVersion(scheme_id=scheme.id, number=(highest or 0) + 1,
                            published_at=utcnow(), settings=settings.to_document(), note=note.strip(),
                            created_by=actor_id)
    session.add(version)
    session.flush()
    if requirements is None:
        source = requirements_of(session, previous.id) if previous else []
        requirements = [dict(clause=r.clause, title=r.title, text=r.text, section=r.section) for r in source]
    clauses = [r["clause"] for r in requirements]
    if len(set(clauses)) != len(clauses):
        raise FieldErrors({"requirements": _l("Hvert krav må ha sin egen kravreferanse.")})
    session.add_all([Requirement(version_id=version.id, clause=r["clause"], title=r["title"], text=r.get("text", ""),
                                 section=r.get("section", ""), position=i) for i, r in enumerate(requirements)])
    session.flush()
    return version


def scheme_detail(session: Session, scheme_id: int) -> dict:
    """One scheme with its current settings, catalogue, scopes and version history (a new scheme not yet
    published shows its draft), and the number of the draft being edited, if any.  Raises SchemeNotFound."""
    scheme = get_scheme(session, scheme_id)
    versions = session.scalars(select(SchemeVersion).where(SchemeVersion.scheme_id == scheme.id)
                               .order_by(SchemeVersion.number.desc())).all()
    draft = next((v for v in versions if v.published_at is None), None)
    version = next((v for v in versions if v.published_at is not None), None) or draft
    if version is None:
        raise SchemeNotFound(scheme_id)
    overview = next(s for s in scheme_overview(session) if s["id"] == scheme.id)
    return dict(overview, settings=version.settings, settings_typed=settings_of(version),
                shown_version=version.number, published=version.published_at is not None,
                draft_version=draft.number if draft else None,
                requirements=[dict(id=r.id, clause=r.clause, title=r.title, text=r.text, section=r.section)
                              for r in requirements_of(session, version.id)],
                versions=[dict(number=v.number, published_at=v.published_at.isoformat() if v.published_at else None,
                               note=v.note) for v in versions],
                description=scheme.description)
