"""Tenant isolation: THE one place it lives.

* ``TenantOwned`` marks a model as belonging to one tenant (a provider).
* Every ORM select, update and delete gets ``tenant_id = <bound tenant>`` added (loads, joins, lazy
  loads, bulk statements), through a session event, so no view ever filters by tenant by hand.
* The flush stamps new rows with the bound tenant and refuses writes to another tenant's rows.
* With no tenant bound, a query that touches tenant data fails closed (``TenantNotBound``).
* ``platform_access(session)`` is the one explicit, greppable bypass, for platform-level work
  (login lookups, the operator's pages, jobs that fan out over tenants, migrations).
* On PostgreSQL the same rule is enforced a second time by row-level security (FORCE).  The scope kept in
  step here (the bound tenant, platform access or neither) is *sealed* for the transaction by
  ``saas_private.enter_scope`` (saas/rls.sql), never set as a bare setting: see ``platform_access``.
"""
from __future__ import annotations

import weakref
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import ForeignKey, Integer, event
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, with_loader_criteria

from saas.db import Base, set_pg_tenant_settings


class TenantNotBound(RuntimeError):
    """A query touched tenant-owned data while no tenant was bound to the session."""


class CrossTenantWrite(RuntimeError):
    """A flush tried to write a row that belongs to another tenant than the bound one."""


class TenantOwned:
    """Mixin for every model that belongs to one tenant."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True, nullable=False)


class TenantSession(Session):
    """A session whose ``get()`` also refuses identity-map hits of another tenant's rows."""

    def get(self, entity, ident, **kwargs):
        obj = super().get(entity, ident, **kwargs)
        if isinstance(obj, TenantOwned) and not is_platform(self):
            tenant_id = bound_tenant(self)
            if tenant_id is None:
                raise TenantNotBound("No tenant is bound to this session; refusing to load tenant-owned data.")
            if obj.tenant_id != tenant_id:
                return None
        return obj


def tenant_models() -> list[type]:
    """Every mapped tenant-owned model (the cross-tenant tests enumerate these)."""
    return sorted(
        (m.class_ for m in Base.registry.mappers if issubclass(m.class_, TenantOwned)),
        key=lambda cls: cls.__name__,
    )


def tenant_tables() -> list[str]:
    return [cls.__table__.name for cls in tenant_models()]


def bound_tenant(session: Session) -> int | None:
    return session.info.get("tenant_id")


def is_platform(session: Session) -> bool:
    return session.info.get("platform", 0) > 0


def bind_tenant(session: Session, tenant_id: int | None) -> None:
    """Bind the session to one tenant for the rest of its life (request or job)."""
    session.info["tenant_id"] = tenant_id


def each_bound(session: Session, tenant_ids) -> Iterator[int]:
    """Bind each of ``tenant_ids`` in turn (platform-level jobs that loop over the tenants).  A tenant's
    changes are flushed before the next one is bound, since the flush stamps rows with the bound tenant;
    the session is left unbound."""
    try:
        for tenant_id in tenant_ids:
            bind_tenant(session, tenant_id)
            yield tenant_id
            session.flush()
    finally:
        bind_tenant(session, None)


@contextmanager
def platform_access(session: Session) -> Iterator[Session]:
    """The one bypass of tenant scoping.  Use only for platform-level work.

    On PostgreSQL this does not rest on a setting any session could ``SET app.platform = 'on'``: the
    runtime role's policies believe a scope only when it carries a seal that ``saas_private.enter_scope``
    wrote, and that function writes one only for a caller who presents the application's proof (derived
    from SECRET_KEY; the database keeps just its hash, in a table the runtime role cannot read).  The seal
    covers this backend and this transaction, so a seal read by an injected statement is worthless in any
    other transaction, and a leaked DATABASE_URL alone reads nothing.  The scope stays in the request's own
    transaction (no second connection), so work done under platform access commits or rolls back with it.
    """
    session.info["platform"] = session.info.get("platform", 0) + 1
    try:
        yield session
        # Changes made with platform access are written while it lasts (RLS would hide them afterwards).
        if session.new or session.dirty or session.deleted:
            session.flush()
    finally:
        session.info["platform"] -= 1


# -- the scope sealed in PostgreSQL -----------------------------------------------------------------
# One enter_scope() when a transaction begins, and again only before a statement or flush that runs with
# another tenant or platform flag than the one sealed last: binding a tenant or entering and leaving
# platform access costs nothing until the database is asked something.  Everything that goes through the
# session (session.execute, ORM loads, lazy loads, flushes) is covered; SQL sent straight to
# ``session.connection()`` is not, so call ``_ensure_sealed(session)`` first (saas/db.py is the only place
# for raw SQL anyway).

_SEALED = "pg_sealed_scope"
_NOT_POSTGRES = "not postgresql"


def _scope(session: Session) -> tuple[int | None, bool]:
    return bound_tenant(session), is_platform(session)


def _sync_database_settings(session: Session) -> None:
    """Seal the session's scope in its transaction now (tests whose requests share one connection)."""
    if not session.in_transaction():
        return  # the transaction that begins next seals its scope (after_begin)
    if session.get_bind().dialect.name != "postgresql":
        session.info[_SEALED] = _NOT_POSTGRES
        return
    set_pg_tenant_settings(session.connection(), *_scope(session))
    session.info[_SEALED] = _scope(session)


def sealed_connection(session: Session):
    """The session's connection with the session's current scope (tenant or platform) sealed in the
    database first: for SQL sent straight to the connection, which the session's own hooks do not see."""
    _ensure_sealed(session)
    return session.connection()


def _ensure_sealed(session: Session) -> None:
    sealed = session.info.get(_SEALED)
    if sealed is not _NOT_POSTGRES and sealed != _scope(session):
        _sync_database_settings(session)


@event.listens_for(Session, "after_begin")
def _settings_on_begin(session: Session, transaction, connection) -> None:
    if connection.dialect.name != "postgresql":
        session.info[_SEALED] = _NOT_POSTGRES
        return
    if transaction.nested and session.info.get(_SEALED) == _scope(session):
        return  # a SAVEPOINT starts with the settings of its transaction, sealed for this very scope
    set_pg_tenant_settings(connection, *_scope(session))
    session.info[_SEALED] = _scope(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_seal(session: Session, transaction) -> None:
    # A committed transaction takes its settings with it; a rolled-back savepoint restores the ones from
    # before it, which need not be what was sealed last.  Either way: seal again before the next statement.
    session.info.pop(_SEALED, None)


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state) -> None:
    session = state.session
    _ensure_sealed(session)
    if is_platform(session) or state.is_column_load:
        return
    if not _touches_tenant_data(state):
        return
    if state.is_insert:
        raise CrossTenantWrite("Bulk INSERT of tenant-owned rows is allowed only under platform_access().")
    tenant_id = bound_tenant(session)
    if tenant_id is None:
        raise TenantNotBound("No tenant is bound to this session; refusing to query tenant-owned data.")
    state.statement = _scoped(state.statement, tenant_id)


# Whether a SELECT touches tenant-owned data, per statement object.  Its entities come from a compile state of
# the whole statement (``all_mappers``), which costs more than running a small statement built once; a statement
# never changes, and for a SELECT nothing else enters the answer.
_SELECT_TOUCHES: "weakref.WeakKeyDictionary[object, bool]" = weakref.WeakKeyDictionary()


def _touches_tenant_data(state) -> bool:
    """Whether the statement loads or changes a tenant-owned entity, or names a tenant table anywhere."""
    if not state.is_select:
        return _touches(state)
    try:
        touched = _SELECT_TOUCHES.get(state.statement)
        if touched is None:
            touched = _SELECT_TOUCHES[state.statement] = _touches(state)
    except TypeError:  # not weakly referenceable: work it out every time
        return _touches(state)
    return touched


def _touches(state) -> bool:
    return any(issubclass(m.class_, TenantOwned) for m in state.all_mappers) or _names_tenant_table(state.statement)


_CRITERIA: dict[int, object] = {}
# Statements built once and run many times (module-level, lru_cache'd) get their tenant-scoped copy once per
# tenant: a fresh copy on every run would make SQLAlchemy compute its cache key again (12-50 µs a statement).
_SCOPED: "weakref.WeakKeyDictionary[object, dict[int, object]]" = weakref.WeakKeyDictionary()


def _scoped(statement, tenant_id: int):
    """``statement`` with the tenant's loader criteria, the same object every time for the same statement."""
    try:
        per_tenant = _SCOPED.get(statement)
        if per_tenant is None:
            per_tenant = _SCOPED[statement] = {}
    except TypeError:  # not weakly referenceable: scope it afresh
        return statement.options(_tenant_criteria(tenant_id))
    scoped = per_tenant.get(tenant_id)
    if scoped is None:
        if len(per_tenant) >= 1_000:
            per_tenant.clear()
        scoped = per_tenant[tenant_id] = statement.options(_tenant_criteria(tenant_id))
    return scoped


# Statements run by ``run_built``: compiled once per process, with and without the tenant's criteria.
_BUILT: "weakref.WeakKeyDictionary[object, dict[bool, object]]" = weakref.WeakKeyDictionary()  # platform? -> compiled
_TENANT_BIND = "saas_tenant"


def run_built(session: Session, statement, params: dict):
    """Run ``statement``, built once (at import or by ``functools.cache``), on PostgreSQL straight on the
    session's sealed connection, and return its Core result.  For the hottest statements, where SQLAlchemy's
    ORM execution (the compiled cache's key for a big statement, the ORM's result set-up and row processing)
    costs more Python than PostgreSQL spends running them: 0.2 ms of a survey submit's 1.9 (issue 16).
    Elsewhere (the embedded SQLite, whose dates SQLAlchemy converts) it runs through the session as usual.

    Tenant isolation is the ORM path's: the statement is compiled once with the tenant's loader criteria
    (``tenant_id = :saas_tenant`` on every tenant-owned entity: the same SQL for every tenant) and each run
    binds the session's tenant; with no tenant bound it fails closed, under ``platform_access`` it runs
    without criteria.  The compiled text and bind processors are SQLAlchemy's own, and the engine's events
    see the statement like any other (it is counted).  Refused, because nothing here would do it: a statement
    that needs Python-side column defaults (``onupdate=`` a function) or reads a column whose type converts
    what the driver returns (``UTCDateTime``)."""
    platform = is_platform(session)
    tenant_id = bound_tenant(session)
    if tenant_id is None and not platform:
        raise TenantNotBound("No tenant is bound to this session; refusing to query tenant-owned data.")
    connection = sealed_connection(session)
    dialect = connection.dialect
    if dialect.name != "postgresql":
        return session.execute(statement, params)
    built = _BUILT.get(statement)
    if built is None:
        built = _BUILT[statement] = {}
    compiled = built.get(platform)
    if compiled is None:
        compiled = built[platform] = _compile_built(statement, None if platform else tenant_id, dialect)
    binds = compiled.construct_params(params)
    if not platform and _TENANT_BIND in binds:
        binds[_TENANT_BIND] = tenant_id
    for name, process in compiled._bind_processors.items():
        if name in binds:
            binds[name] = process(binds[name])
    return connection.exec_driver_sql(compiled.string, binds)


def _compile_built(statement, tenant_id: int | None, dialect):
    compiled = (statement if tenant_id is None else _scoped(statement, tenant_id)).compile(dialect=dialect)
    if tenant_id is not None and _TENANT_BIND not in compiled.binds and _names_tenant_table(statement):
        raise TenantNotBound("The tenant's criteria did not reach this statement.")
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise TypeError("run_built does not compute Python-side column defaults: set those columns in the statement")
    converted = [name for name, _, _, type_ in compiled._result_columns if type_._cached_result_processor(dialect, None)]
    if converted:
        raise TypeError(f"run_built returns what the driver reads, and these columns' types convert it: {converted}")
    return compiled


def _tenant_criteria(tenant_id: int):
    """The loader criteria ``tenant_id = <tenant>`` for every tenant-owned entity, made once per tenant and
    reused: building the option analyses its lambda and calls it (a third of a small ORM statement's
    cost), while a reused option object yields the same cache key and bound value every time."""
    option = _CRITERIA.get(tenant_id)
    if option is None:
        if len(_CRITERIA) >= 10_000:
            _CRITERIA.clear()
        value = _TenantValue(_TENANT_BIND, tenant_id, type_=Integer)
        option = _CRITERIA[tenant_id] = with_loader_criteria(
            TenantOwned, lambda cls: cls.tenant_id == value, include_aliases=True)
    return option


class _TenantValue(BindParameter):
    """The bound tenant in the loader criteria: one object, never copied with annotations.  Each entity a
    statement names gets the criterion, and SQLAlchemy annotates the criterion's bind for each; the copies hash
    alike, so relating them to a cached statement's parameters compared them with ``==``: a SQL expression
    built and thrown away, five to nine times per statement.  A bind needs no annotations."""

    inherit_cache = True

    def _annotate(self, values):
        return self

    def _with_annotations(self, values):
        return self


def _names_tenant_table(statement) -> bool:
    """Tenant tables used only inside a subquery or ``select_from`` carry no mapper of their own."""
    from sqlalchemy.sql.util import find_tables

    tables = {t.name for t in find_tables(statement, include_aliases=True, include_joins=True, include_selects=True)
              if hasattr(t, "name")}
    return bool(tables & _tenant_table_names())


_TENANT_TABLES: frozenset[str] | None = None


def _tenant_table_names() -> frozenset[str]:
    global _TENANT_TABLES
    if _TENANT_TABLES is None:
        _TENANT_TABLES = frozenset(tenant_tables())
    return _TENANT_TABLES


@event.listens_for(Session, "before_flush")
def _guard_flush(session: Session, flush_context, instances) -> None:
    _ensure_sealed(session)
    platform = is_platform(session)
    tenant_id = bound_tenant(session)
    for obj in session.new:
        if not isinstance(obj, TenantOwned):
            continue
        if obj.tenant_id is None:
            if tenant_id is None:
                if platform and _tenant_optional(obj):
                    continue
                raise TenantNotBound(f"Cannot add {type(obj).__name__} without a bound tenant.")
            obj.tenant_id = tenant_id
        elif not platform and obj.tenant_id != tenant_id:
            raise CrossTenantWrite(f"{type(obj).__name__} belongs to another tenant.")
    if platform:
        return
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, TenantOwned) and obj.tenant_id != tenant_id:
            raise CrossTenantWrite(f"{type(obj).__name__} belongs to another tenant.")


def _tenant_optional(obj) -> bool:
    """Platform operators are users without a tenant."""
    column = type(obj).__table__.columns.get("tenant_id")
    return column is not None and column.nullable
