"""Engine, sessions and the declarative base.  The only module where raw SQL may live.

One session per request or job: the boundary commits once (``commit_boundary``) and rolls back on
error.  Work that must wait for the commit (jobs, e-mail) is registered with ``after_commit``.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from sqlalchemy import DateTime, MetaData, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

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

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):
            # A request that will write takes the write lock at BEGIN: a deferred transaction that reads
            # first and writes later gets "database is locked" at once when another writer got there first.
            immediate = connection.get_execution_options().get("sqlite_begin") == "IMMEDIATE"
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if url.startswith("postgresql"):
        connect_args = dict(kwargs.pop("connect_args", {}))
        if connect_timeout:
            connect_args.setdefault("connect_timeout", max(1, round(connect_timeout)))
        if statement_timeout:
            connect_args.setdefault("options", f"-c statement_timeout={int(statement_timeout * 1000)}")
        kwargs["connect_args"] = connect_args
    return create_engine(url, **kwargs)


class Database:
    """The engine and the session factory of one application.

    Tests replace ``sessionmaker`` with one bound to an outer transaction (a savepoint per test).
    """

    def __init__(self, url: str, **engine_kwargs: Any):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
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
        callback()


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop("after_commit", None)


# -- PostgreSQL session settings used by row-level security ----------------------------------------

def set_pg_tenant_settings(connection, tenant_id: int | None, platform: bool) -> None:
    """Transaction-local settings that the RLS policies read (see migrations)."""
    connection.execute(
        text("SELECT set_config('app.tenant_id', :tenant, true), set_config('app.platform', :platform, true)"),
        {"tenant": "" if tenant_id is None else str(tenant_id), "platform": "on" if platform else "off"},
    )


def pg_role_bypasses_rls(connection) -> bool:
    row = connection.execute(
        text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
    ).scalar()
    return bool(row)


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
