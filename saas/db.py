"""Engine, sessions and the declarative base.  The only module where raw SQL may live.

One session per request or job: the boundary commits once (``commit_boundary``) and rolls back on
error.  Work that must wait for the commit (jobs, e-mail) is registered with ``after_commit``.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections import namedtuple
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable, Iterator

from sqlalchemy import (DateTime, Integer, MetaData, any_, cast, create_engine, event, exc, func, inspect, literal, null,
                        select, text, type_coerce, union_all)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.elements import Label
from sqlalchemy.types import NullType, TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use saas.db.utcnow()")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def make_engine(url: str, *, statement_timeout: float | None = None, connect_timeout: float | None = None,
                busy_timeout: float = 30.0, **kwargs: Any) -> Engine:
    """The engine for ``url``.  On PostgreSQL ``connect_timeout`` bounds opening a connection (a server that
    accepts and never answers) and ``statement_timeout`` every statement, in seconds; on SQLite
    ``busy_timeout`` is how long a writer waits for the lock."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": busy_timeout})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # Let SQLAlchemy, not the driver, decide when transactions begin, so SAVEPOINT works.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            cursor.close()
            # SQLite's own lower() folds ASCII only: "Ærlig AS" was not found by "ærlig".  Python's folds every
            # letter, as PostgreSQL's does.  No index of the embedded database is built on lower().
            dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):
            # A request that will write takes the write lock at BEGIN: a deferred transaction that reads
            # first and writes later gets "database is locked" at once when another writer got there first.
            immediate = connection.get_execution_options().get("sqlite_begin") == "IMMEDIATE"
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
            connection.info[_SQLITE_ONLY_READ] = not immediate

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _sqlite_end(connection):
            connection.info.pop(_SQLITE_ONLY_READ, None)

        event.listen(engine, "before_cursor_execute", _sqlite_first_write)
        return engine
    ping_after_idle = kwargs.pop("ping_after_idle", PING_AFTER_IDLE)
    if url.startswith("postgresql"):
        connect_args = dict(kwargs.pop("connect_args", {}))
        if connect_timeout:
            connect_args.setdefault("connect_timeout", max(1, round(connect_timeout)))
        options = [connect_args.get("options", "")]
        if statement_timeout:
            options.append(f"-c statement_timeout={int(statement_timeout * 1000)}")
        # psycopg prepares a statement on its fifth run, and PostgreSQL may then keep one generic plan for
        # it instead of planning every run again (planning a page's statements cost it more PostgreSQL CPU
        # than running them: bench/pages.py, the year page 6.4x the floor with a plan per run, 5.2x without).
        # A generic plan is blind to an id array's length, though: ``ids_in`` asks for a plan per run in a
        # transaction that passes a long one (``plan_with_values``).
        options.append("-c plan_cache_mode=auto")
        connect_args["options"] = " ".join(o for o in options if o)
        connect_args.setdefault("cursor_factory", _described_when_read_cursor())
        kwargs["connect_args"] = connect_args
        convert_long_statements_once()
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine, ping_after_idle)
    return engine


@lru_cache(maxsize=None)
def _described_when_read_cursor():
    """psycopg's cursor whose ``description`` is built when it is read, not when it is asked for.

    SQLAlchemy asks every result for its cursor's description but, for a statement it compiled before (every
    statement here), reads only whether there is one: its result columns are cached with the compiled
    statement.  psycopg builds a ``Column`` of each field for every ask (a name decoded, a type looked up):
    on the consultant home, whose reads together are 40 columns wide, 7 % of the page's CPU went on
    descriptions nobody read (issue 16).  ``tests/integration/test_described_cursor.py`` holds the two
    descriptions equal."""
    from collections.abc import Sequence
    from types import SimpleNamespace

    import psycopg
    from psycopg.pq import ExecStatus

    with_rows = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, getattr(ExecStatus, "TUPLES_CHUNK", ExecStatus.TUPLES_OK))

    class Description(Sequence):
        """The description of one result; its columns made on the first read."""

        __slots__ = ("_cursor", "_result", "_columns")

        def __init__(self, cursor, result):
            self._cursor, self._result, self._columns = cursor, result, None

        def __len__(self):
            return self._result.nfields

        def __getitem__(self, index):
            if self._columns is None:
                # What psycopg's Column reads of its cursor, with this result (the cursor may have moved on).
                cursor = self._cursor
                source = SimpleNamespace(pgresult=self._result, _encoding=cursor._encoding, adapters=cursor.adapters)
                self._columns = [psycopg.Column(source, i) for i in range(self._result.nfields)]
            return self._columns[index]

        def __eq__(self, other):
            return list(self) == list(other)

        def __repr__(self):
            return repr(list(self))

    class DescribedWhenRead(psycopg.Cursor):
        @property
        def description(self):
            result = self.pgresult
            if result and (result.nfields or result.status in with_rows):
                return Description(self, result)
            return None

    return DescribedWhenRead


# psycopg turns a statement's %(name)s placeholders into $n once per statement text and keeps the result, but only
# for texts up to 4 KiB with at most 50 parameters (psycopg/_queries.py: ORMs generate long one-off texts).  This
# product builds its statements once, so there are few texts, and the long ones are its hottest: the year page's
# reads put together are 20 KiB with 78 parameters, converted again on every request (0.34 ms), the consultant
# home's 9 KiB (0.12 ms), the register's 4.5 KiB (0.07 ms).  Up to these limits they are converted once per
# process; psycopg's cache keeps 128 texts, so a one-off long text cannot pile up.
LONG_STATEMENT_BYTES = 32 * 1024
LONG_STATEMENT_PARAMETERS = 200


def convert_long_statements_once() -> None:
    """Raise psycopg's limits (module settings of psycopg 3.2-3.3; tests/integration/test_long_statements.py
    fails if a later psycopg no longer caches this way, and nothing else changes then)."""
    from psycopg import _queries

    if hasattr(_queries, "MAX_CACHED_STATEMENT_LENGTH") and hasattr(_queries, "MAX_CACHED_STATEMENT_PARAMS"):
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, LONG_STATEMENT_BYTES)
        _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, LONG_STATEMENT_PARAMETERS)


# A pooled connection is pinged (one round trip) before use only when it lay unused this long: a connection
# handed from request to request under load is alive (SQLAlchemy's pool_pre_ping would ping before every
# request, a round trip as dear as one of the page's queries), while one that slept through a database
# restart or an idle timeout is found dead and replaced before the request sees it.
PING_AFTER_IDLE = 10.0


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record):
        record.info["saas.checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy):
        since = record.info.get("saas.checked_in_at")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool throws this connection away and opens another
            raise exc.DisconnectionError(f"pooled connection is gone: {error}") from error


_SQLITE_ONLY_READ = "saas.sqlite_only_read"
_SQLITE_READS = ("SELECT", "PRAGMA", "EXPLAIN")
_SQLITE_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _sqlite_first_write(connection, cursor, statement, parameters, context, executemany) -> None:
    """Turn a deferred SQLite transaction that has only read into a writer that queues for the lock.

    A deferred transaction (a GET that marks an API token used, the second transaction of a request that
    committed half-way, a task whose progress bar commits beside it) takes the write lock at its first
    write.  SQLite does not wait for that upgrade (the busy handler runs only for a transaction that
    holds no read snapshot yet): when another connection holds or has just released the lock, the write
    fails at once with "database is locked", whatever busy_timeout says.  So before the first write the
    read snapshot is dropped and the transaction begins again with ``BEGIN IMMEDIATE``, which waits up to
    busy_timeout like every other writer.  Nothing is lost (it has only read) and its later statements
    see what committed meanwhile: the read-committed behaviour PostgreSQL gives the same code.  A
    transaction that opened a savepoint first keeps SQLite's own behaviour (a restart would drop the
    savepoint).  A result still being read on the same connection would be cut short by the restart; the
    product streams no results (no ``yield_per``), so every earlier SELECT has been read in full.
    """
    info = connection.info
    if not info.get(_SQLITE_ONLY_READ):
        return
    head = statement.lstrip()[:8].upper()
    if head.startswith(_SQLITE_READS):
        return
    info[_SQLITE_ONLY_READ] = False
    if not head.startswith(_SQLITE_WRITES):
        return  # a savepoint (or anything else): leave the transaction as it is
    dbapi_connection = connection.connection.dbapi_connection
    dbapi_connection.execute("ROLLBACK")
    try:
        dbapi_connection.execute("BEGIN IMMEDIATE")
    except Exception as error:
        dbapi_connection.execute("BEGIN")  # the transaction SQLAlchemy believes open; the statement fails
        from sqlalchemy.exc import OperationalError

        raise OperationalError("BEGIN IMMEDIATE", None, error) from error


class Database:
    """The engine and the session factory of one application.

    Tests replace ``sessionmaker`` with one bound to an outer transaction (a savepoint per test).
    """

    def __init__(self, url: str, *, secret_key: str = "", refuse_unsafe_role: bool = False, **engine_kwargs: Any):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        if self.engine.dialect.name == "postgresql":
            install_pg_guards(self.engine, scope_proof(secret_key), refuse_unsafe_role)
            defer_begin(self.engine)
        self.sessionmaker = self.make_sessionmaker(self.engine)

    @staticmethod
    def make_sessionmaker(bind, **kwargs: Any) -> sessionmaker:
        from saas.tenancy import TenantSession

        return sessionmaker(bind=bind, class_=TenantSession, expire_on_commit=False, **kwargs)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session_scope(self, write_lock: bool = True) -> Iterator[Session]:
        """A session for a job or a CLI command: commits once at the end, rolls back on error.

        On SQLite ``write_lock`` takes the write lock at BEGIN (see ``_sqlite_begin``); jobs that report
        progress through a second session pass False, or that session would wait for them.
        """
        session = self.sessionmaker()
        if write_lock and self.engine.dialect.name == "sqlite":
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


# -- after-commit work ------------------------------------------------------------------------------

def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's transaction has committed; drop it on rollback."""
    session.info.setdefault("after_commit", []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a released savepoint is not the commit
        return
    callbacks = session.info.pop("after_commit", [])
    for callback in callbacks:
        try:
            callback()
        except Exception:
            # The transaction has committed: whatever fails now must not turn it into an error (the
            # outbox keeps every job, and its sweeper hands it over again).
            logging.getLogger(__name__).exception("after-commit work failed; the commit stands")


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop("after_commit", None)


# -- PostgreSQL: the row-level security scope and the runtime role ------------------------------------

SCOPE_PROOF_INFO = "saas.scope_proof"
_PROOF_LITERAL = "saas.scope_proof_literal"


def scope_proof(secret_key: str) -> str:
    """The application's proof for ``saas_private.enter_scope`` (saas/rls.sql), derived from SECRET_KEY.

    ``saas db upgrade`` stores its SHA-256; a session without it (a leaked DATABASE_URL, an injected
    statement in another transaction) cannot seal a tenant or platform-level scope.
    """
    return hmac.new(secret_key.encode(), b"saas row-level security scope", hashlib.sha256).hexdigest()


def set_pg_tenant_settings(connection, tenant_id: int | None, platform: bool) -> None:
    """Seal the transaction's scope that the RLS policies read (see saas/rls.sql).

    At the start of a transaction the BEGIN that ``defer_begin`` held back travels with it in one round
    trip: a simple-protocol query of two statements, its three values written as literals: the tenant an
    integer or NULL, the flag a boolean, and the proof quoted by psycopg once per connection (it stays the same).
    """
    proof = connection.info.get(SCOPE_PROOF_INFO, "")
    if connection.info.pop(_BEGIN_PENDING, False):
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection.info.transaction_status == _PG_IDLE:
            proof_literal = connection.info.get(_PROOF_LITERAL)
            if proof_literal is None:
                from psycopg.sql import Literal

                proof_literal = connection.info[_PROOF_LITERAL] = Literal(proof).as_string(dbapi_connection)
            tenant = "NULL" if tenant_id is None else str(int(tenant_id))
            connection.exec_driver_sql(f"BEGIN; SELECT saas_private.enter_scope({tenant}, "
                                       f"{'true' if platform else 'false'}, {proof_literal})")
            return
    connection.exec_driver_sql("SELECT saas_private.enter_scope(%(tenant)s::integer, %(platform)s, %(proof)s)",
                               {"tenant": tenant_id, "platform": bool(platform), "proof": proof})


# -- PostgreSQL: BEGIN in the same round trip as the transaction's first statement ----------------------

_BEGIN_PENDING = "saas.begin_pending"
_PG_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE


def defer_begin(engine: Engine) -> None:
    """Let the application, not psycopg, send BEGIN, so that it can share a round trip.

    psycopg opens a transaction with a BEGIN of its own (a round trip) before the first statement.  Here
    the connections run in psycopg's autocommit mode and SQLAlchemy's begin only marks the connection:
    the transaction's first statement, usually the scope seal (``set_pg_tenant_settings``), carries the
    BEGIN with it; any other first statement (a savepoint, a Core connection's query) gets a BEGIN of its
    own just before it, as before.  COMMIT and ROLLBACK are unchanged: psycopg sends them whenever the
    server is in a transaction, autocommit or not (and skips them for a transaction that ran nothing).
    """
    @event.listens_for(engine, "connect")
    def _autocommit(dbapi_connection, record):
        dbapi_connection.autocommit = True

    @event.listens_for(engine, "begin")
    def _mark(connection):
        connection.info[_BEGIN_PENDING] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _unmark(connection):
        connection.info.pop(_BEGIN_PENDING, None)

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_first(connection, cursor, statement, parameters, context, executemany):
        if connection.info.pop(_BEGIN_PENDING, False) and \
                connection.connection.dbapi_connection.info.transaction_status == _PG_IDLE:
            cursor.execute("BEGIN")


class UnsafeDatabaseRole(RuntimeError):
    """The runtime database role could bypass row-level security; production refuses to start."""


def runtime_role_problems(dbapi_connection) -> list[str]:
    """Why the connection's role must not run the product: superuser, BYPASSRLS (its own or a role's it
    can become), or ownership of (or membership in the owner of) a table of the schema."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT current_user, r.rolsuper, r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user")
        user, superuser, bypassrls = cursor.fetchone()
        problems = []
        if superuser:
            problems.append(f"role {user} is a superuser")
        if bypassrls:
            problems.append(f"role {user} has BYPASSRLS")
        cursor.execute(
            "SELECT r.rolname FROM pg_roles r WHERE (r.rolsuper OR r.rolbypassrls) AND r.rolname <> current_user "
            "AND pg_has_role(current_user, r.oid, 'MEMBER') ORDER BY 1")
        problems += [f"role {user} can become {name}, which bypasses row-level security"
                     for (name,) in cursor.fetchall() if not superuser]
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
            "AND pg_has_role(current_user, c.relowner, 'MEMBER') ORDER BY 1")
        owned = [name for (name,) in cursor.fetchall()]
        if owned and not superuser:
            problems.append(f"role {user} owns (or is a member of the owner of) {len(owned)} tables, e.g. {owned[0]}")
        return problems
    finally:
        cursor.close()


def install_pg_guards(engine: Engine, proof: str, refuse_unsafe_role: bool) -> None:
    """Hand every connection the scope proof; in production check the role on the first connection and
    refuse (``UnsafeDatabaseRole``) when it could bypass row-level security."""
    checked: list[bool] = []

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, record):
        record.info[SCOPE_PROOF_INFO] = proof
        if refuse_unsafe_role and not checked:
            problems = runtime_role_problems(dbapi_connection)
            dbapi_connection.rollback()
            if problems:
                raise UnsafeDatabaseRole(
                    "DATABASE_URL må bruke en rolle uten eierskap og uten å kunne omgå radsikkerheten "
                    "(the runtime database role must own nothing and must not bypass row-level security): "
                    + "; ".join(problems) + ". Use the runtime role in DATABASE_URL and the owner role in "
                    "MIGRATION_DATABASE_URL (README: Production).")
            checked.append(True)


def truncate_all(connection, tables: list[str]) -> None:
    """Empty the given tables (live-server and worker tests)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            connection.execute(text(f'DELETE FROM "{table}"'))


# -- the request's session ---------------------------------------------------------------------------

def current_session() -> Session:
    """The session of the current request, created on first use and committed by ``commit_boundary``."""
    from flask import current_app, g

    from flask import request

    if "db_session" not in g:
        session = current_app.extensions["saas.db"].sessionmaker()
        if request.method not in ("GET", "HEAD", "OPTIONS") and session.get_bind().dialect.name == "sqlite":
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        g.db_session = session
    return g.db_session


def init_request_sessions(app) -> None:
    """One commit per request: commit before the response leaves when it is a success, else roll back."""
    from flask import g

    @app.after_request
    def commit_boundary(response):
        session = g.get("db_session")
        if session is None:
            return response
        if response.status_code < 400:
            session.commit()
        else:
            session.rollback()
        return response

    @app.teardown_request
    def close_session(exc):
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def contains_pattern(term: str) -> str:
    """The LIKE pattern for a case-insensitive substring search (``contains``) of ``term``: its wildcards
    and the escape character taken literally, so "50%" or "a_b" find only themselves."""
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(column, pattern) -> Any:
    """``lower(column) LIKE pattern`` with ``contains_pattern``'s escape: on PostgreSQL the trigram indexes on
    ``lower(column)`` serve it (saas/search/models.py); ``pattern`` may be a bind parameter."""
    return func.lower(column).like(pattern, escape="\\")


def ids_in(session: Session, column, ids) -> Any:
    """``column IN ids`` for a list of ids passed in bulk: ONE array parameter on PostgreSQL
    (``column = ANY(%(ids)s::INTEGER[])``, one plan for any number of ids, no 500-placeholder statement to
    build, send and parse) and the usual IN list elsewhere (SQLite has no arrays).  An empty list matches
    nothing on both."""
    values = list(ids)
    if session.get_bind().dialect.name == "postgresql":
        if len(values) > LONG_ID_LIST:
            plan_with_values(session)
        return column == any_(literal(values, ARRAY(column.type)))
    return column.in_(values)


LONG_ID_LIST = 100
_PLANS_WITH_VALUES = "saas.plans_with_values"


def plan_with_values(session: Session) -> None:
    """Plan every statement of this transaction with its parameters' values (PostgreSQL), not with a
    generic plan kept from earlier runs: a generic plan cannot see how long an id array is.  Measured in
    the yearly run's facts (bench/yearly_run.py), generic plans made the action-item lookups 8x slower."""
    if not session.info.get(_PLANS_WITH_VALUES):
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        session.info[_PLANS_WITH_VALUES] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_plans_with_values(session: Session, transaction) -> None:
    # SET LOCAL ends with the transaction (and a rolled-back savepoint undoes it): ask again next time.
    session.info.pop(_PLANS_WITH_VALUES, None)


def named_rows(result) -> list[tuple]:
    """The rows of ``result`` as named tuples, for code that reads many columns of many rows by name: a
    result row's ``row.name`` costs ten times a named tuple's (the row looks the name up on its class first,
    and misses), and a page of 25 rows that reads a dozen columns of each pays that 300 times."""
    make = _row_type(tuple(result.keys()))._make
    return [make(row) for row in result]


@lru_cache(maxsize=256)
def _row_type(keys: tuple[str, ...]):
    return namedtuple("Row", keys, rename=True)


class ReadsTogether:
    """Several small reads sent as one statement: a UNION ALL of their column selects, built once.

    Each part's rows come back tagged with the part's number, its columns placed in typed slots that
    every part shares (a part fills the slots it has no column for with typed NULLs), and are read back as
    named tuples with the part's own column names.  A page that shows a dozen small lists pays one round
    trip and one statement's overhead instead of a dozen.  The parts' binds share one namespace (a name
    used in two parts is one value).  A part with ORDER BY or LIMIT is read as a subquery numbered in its
    order (a compound statement's parts cannot order themselves on SQLite, and a UNION ALL promises no
    order of its rows), and its rows come back in that order; the rows of a part without come in no
    promised order.  The tenant criterion is added to every part as to any ORM statement.
    """

    def __init__(self, parts: dict[str, Any]):
        parts = dict(parts)  # (the ordered ones are replaced by their numbered subqueries below)
        self.names = tuple(parts)
        columns, ordered = {}, set()
        for name, part in parts.items():
            keys = list(part.selected_columns.keys())
            # (Select keeps these private; ORDER BY and LIMIT are what a compound part cannot carry.)
            if part._order_by_clauses or part._limit_clause is not None or part._offset_clause is not None:
                numbered = part.add_columns(func.row_number(type_=Integer).over(order_by=list(part._order_by_clauses))
                                            .label("read_in_order")).subquery()
                part = parts[name] = select(*numbered.c)
                keys.append("read_in_order")
                ordered.add(name)
            columns[name] = [(key, c.element if isinstance(c, Label) else c) for key, c in zip(keys, part.selected_columns)]
        slot_types: list = []  # one type per slot, shared by every part that fills it
        placed: dict[str, list[int]] = {}
        for name, cols in columns.items():
            taken: set[int] = set()
            for key, column in cols:
                if isinstance(column.type, NullType):
                    raise TypeError(f"{name}.{key} has no type: give it one (type_coerce) to read it together")
                slot = next((i for i, t in enumerate(slot_types) if type(t) is type(column.type) and i not in taken), None)
                if slot is None:
                    slot_types.append(column.type)
                    slot = len(slot_types) - 1
                taken.add(slot)
                placed.setdefault(name, []).append(slot)
        statements = []
        for number, (name, part) in enumerate(parts.items()):
            values: list = [cast(null(), t) for t in slot_types]
            for (_key, column), slot in zip(columns[name], placed[name]):
                values[slot] = type_coerce(column, slot_types[slot])  # the first part's types read every row
            statements.append(part.with_only_columns(literal(number, Integer), *values, maintain_column_froms=True))
        self.statement = union_all(*statements)
        self._layouts = []
        for name in self.names:
            keys, slots = [key for key, _ in columns[name]], [s + 1 for s in placed[name]]
            order = slots.pop() if name in ordered else None
            self._layouts.append((_row_type(tuple(keys[:len(slots)]))._make, slots, order))

    def read(self, session: Session, params: dict) -> dict[str, list[tuple]]:
        """Every part's rows (named tuples) by the part's name, from one statement."""
        found: list[list] = [[] for _ in self.names]
        for row in session.execute(self.statement, params):
            found[row[0]].append(row)
        rows = {}
        for name, part_rows, (make, slots, order) in zip(self.names, found, self._layouts):
            if order is not None:
                part_rows.sort(key=lambda row: row[order])
            rows[name] = [make([row[s] for s in slots]) for row in part_rows]
        return rows


def columns_of(model) -> list:
    """Every mapped column of ``model``, for a select of its rows as plain values rather than objects (cheaper
    to load, and readable together with other reads: ``ReadsTogether``)."""
    return [getattr(model, attribute.key) for attribute in inspect(model).column_attrs]
