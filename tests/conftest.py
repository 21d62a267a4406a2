"""Test setup: a real database (PostgreSQL when reachable, else SQLite) migrated by Alembic once per run,
and a savepoint transaction per test.

SAAS_TEST_DB=postgres|sqlite forces a backend; TEST_PG_ADMIN_URL names a superuser connection used only
to create the test roles and databases.  As in production, migrations run as an owner role
(``PG_OWNER``) and the application connects as a runtime role (``PG_ROLE``) that owns nothing and holds
only the grants ``saas db upgrade`` makes, so PostgreSQL row-level security applies to it.
"""
from __future__ import annotations

import atexit
import os
import re
import socket
from contextlib import contextmanager
from datetime import date, datetime, time, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import IntegrityError, ProgrammingError

from saas.app import create_app
from saas.db import scope_proof
from saas.migrate import upgrade
from saas.tenancy import bind_tenant, platform_access
from tests import factories

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_OWNER = "saas_test_owner"
PG_ROLE = "saas_test_runtime"
SECRET_KEY = "test-secret-key-that-is-long-enough-for-production"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def backend() -> str:
    forced = os.environ.get("SAAS_TEST_DB")
    if forced:
        return forced
    return "postgres" if _reachable("127.0.0.1", 5432) else "sqlite"


BACKEND = backend()
# Each pytest-xdist worker (gw0, gw1, ...) has a Redis database of its own (15, 14, ...): the RQ tests empty
# theirs and run workers on its queues.
_XDIST_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_URL = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{15 - _XDIST_WORKER}")
REDIS_AVAILABLE = _reachable("127.0.0.1", 6379)


# -- the clock -----------------------------------------------------------------------------------------
#
# SAAS_TEST_FROZEN_TIME runs every test at one instant (the clock then ticks on from it): "HH:MM" is that
# time in Oslo on Oslo's date today, anything else an ISO datetime (naive means Oslo time).  scripts/test
# runs the suite once more at 23:30 Oslo time with the machine's zone a day ahead, so a test or product
# line that uses the machine's date or zone instead of Oslo's fails.  Tests whose other processes
# (localstripe, RQ workers in subprocesses) keep the real time are marked ``real_clock`` and not frozen.
OSLO = ZoneInfo("Europe/Oslo")
FROZEN_TIME = os.environ.get("SAAS_TEST_FROZEN_TIME") or None
REAL_CLOCK_FIXTURES = {"localstripe", "quiet_localstripe", "stripe_app", "live_server"}


def frozen_instant(spec: str) -> datetime:
    """The UTC instant that ``SAAS_TEST_FROZEN_TIME`` names (given in UTC, so the machine's zone is kept)."""
    if re.fullmatch(r"\d{1,2}:\d{2}", spec):
        hours, minutes = map(int, spec.split(":"))
        oslo_today = datetime.now(OSLO).date()
        when = datetime.combine(oslo_today, time(hours, minutes), tzinfo=OSLO)
    else:
        when = datetime.fromisoformat(spec)
        if when.tzinfo is None:
            when = when.replace(tzinfo=OSLO)
    return when.astimezone(timezone.utc)


class Clock:
    """The tests' one clock: Oslo's date as the product sees it, and travel to another instant.

    ``clock.travel(when)`` moves the time for the rest of the test (a naive ``when`` is Oslo time; the
    clock ticks on from it unless ``tick=False``).
    """

    def __init__(self):
        self._travels: list = []

    @staticmethod
    def now() -> datetime:
        return datetime.now(timezone.utc)

    @staticmethod
    def today() -> date:
        from saas.i18n import today_in_oslo

        return today_in_oslo()

    def travel(self, when: datetime | date | str, tick: bool = True) -> None:
        if isinstance(when, str):
            when = datetime.fromisoformat(when)
        if isinstance(when, date) and not isinstance(when, datetime):
            when = datetime.combine(when, time(12, 0))
        if when.tzinfo is None:
            when = when.replace(tzinfo=OSLO)
        travel = time_machine.travel(when.timestamp(), tick=tick)  # a number: the machine's zone stays
        travel.start()
        self._travels.append(travel)

    def stop(self) -> None:
        while self._travels:
            self._travels.pop().stop()


@pytest.fixture(autouse=True)
def _frozen_time(request):
    if FROZEN_TIME is None or request.node.get_closest_marker("real_clock"):
        yield
        return
    # A timestamp, not a datetime: time-machine would also set the process's zone to the datetime's.
    with time_machine.travel(frozen_instant(FROZEN_TIME).timestamp(), tick=True):
        yield


@pytest.fixture
def clock():
    """See ``Clock``."""
    clock = Clock()
    yield clock
    clock.stop()


def keeps_today(today: date):
    """An autouse fixture for a module that takes Oslo's date once, when it is imported (``TODAY``, for its
    parametrisations and helpers): should the run cross midnight in Oslo before one of its tests, that test
    runs at noon of the module's day, so the module's "today" is still the product's.
    Use: ``_today = keeps_today(TODAY)`` at the module's top level."""

    @pytest.fixture(autouse=True)
    def _keep_today(request):
        if request.node.get_closest_marker("real_clock"):
            return
        clock = request.getfixturevalue("clock")
        if clock.today() != today:
            clock.travel(today)

    return _keep_today


def pytest_collection_modifyitems(config, items):
    for item in items:
        if REAL_CLOCK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.real_clock)
        if "postgres" in item.keywords and BACKEND != "postgres":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (SAAS_TEST_DB=postgres)"))
        if "redis" in item.keywords and not REDIS_AVAILABLE:
            item.add_marker(pytest.mark.skip(reason="needs Redis on 127.0.0.1:6379"))


def pytest_report_header(config):
    frozen = f"; frozen time: {frozen_instant(FROZEN_TIME).astimezone(OSLO).isoformat()} (Oslo)" if FROZEN_TIME else ""
    return f"database backend: {BACKEND}; redis: {'yes' if REDIS_AVAILABLE else 'no'}{frozen}"


def _ensure_role(conn, role: str) -> None:
    if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar():
        return
    try:
        conn.execute(text(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"))
    except (ProgrammingError, IntegrityError):  # another test process created it a moment ago
        pass


def role_url(url: str, role: str) -> str:
    """``url`` with its user replaced by ``role`` (trust authentication on the test server)."""
    return re.sub(r"//[^@/]+@", f"//{role}@", url)


def owner_url(url: str) -> str:
    """The migration (owner) role's URL of a database made by ``create_database``."""
    return role_url(url, PG_OWNER)


_CREATED: set[str] = set()


def create_database(name: str) -> str:
    """A fresh database migrated as the owner role; returns the application's (runtime role's) URL.

    Every database made here is dropped: by ``drop_database``, or at the latest when the process exits
    (a fixture that failed half-way, a benchmark), so no run leaves one behind.
    """
    if not _CREATED:
        atexit.register(_drop_leftovers)
    if BACKEND == "postgres":
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for role in (PG_OWNER, PG_ROLE):
                _ensure_role(conn, role)
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" OWNER {PG_OWNER}'))
        admin.dispose()
        url = role_url(PG_ADMIN_URL, PG_ROLE).rsplit("/", 1)[0] + f"/{name}"
        _CREATED.add(url)
        upgrade(owner_url(url), runtime_url=url, scope_proof=scope_proof(SECRET_KEY))
    else:
        path = Path(os.environ.get("PYTEST_TMP", "/tmp")) / f"{name}-{os.getpid()}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        _CREATED.add(url)
        upgrade(url)
    return url


def drop_database(url: str) -> None:
    """Remove a database made by ``create_database`` (connections of this process must be disposed)."""
    _CREATED.discard(url)
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def _drop_leftovers() -> None:
    for url in list(_CREATED):
        try:
            drop_database(url)
        except Exception as error:  # the server may be gone at exit; say so rather than fail the exit
            print(f"could not drop test database {url}: {error}")


def app_config(url: str, tmp_path: Path, **extra) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": url,
        "JOBS_MODE": "sync",
        "STORAGE_DIR": str(tmp_path / "files"),
        "PUBLIC_BASE_URL": "http://localhost",
        "SERVER_NAME": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "WTF_CSRF_ENABLED": False,
        "BRREG_URL": "http://127.0.0.1:9/enhetsregisteret/api",
        "BRREG_TIMEOUT": 1.0,
        "PASSWORD_HASHER_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def database_url():
    url = create_database(f"saas_test_{os.getpid()}")
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    os.environ.setdefault("SAAS_ROOT", str(tmp_path_factory.mktemp("root")))
    application = create_app(app_config(database_url, tmp_path_factory.mktemp("storage")))
    from saas.app import limiter

    limiter.enabled = True
    yield application
    application.extensions["saas.db"].engine.dispose()


@pytest.fixture
def db(app):
    """A session inside a transaction that is rolled back after the test (a savepoint per commit)."""
    database = app.extensions["saas.db"]
    connection = database.engine.connect()
    outer = connection.begin()
    original = database.sessionmaker
    database.sessionmaker = database.make_sessionmaker(connection, join_transaction_mode="create_savepoint")
    session = database.sessionmaker()
    if connection.dialect.name == "postgresql":
        from saas.tenancy import _sync_database_settings

        @event.listens_for(session, "do_orm_execute")
        def _reseal_scope(state):
            # Requests in the test run on this same connection and transaction and leave their own row-level
            # security scope sealed on it: seal this session's scope again before each of its statements.
            _sync_database_settings(state.session)

    try:
        yield session
    finally:
        session.close()
        database.sessionmaker = original
        if outer.is_active:
            outer.rollback()
        connection.close()
        from saas.app import limiter

        limiter.reset()


@pytest.fixture
def client(app, db):
    return app.test_client()


@contextmanager
def as_platform(session):
    with platform_access(session):
        yield session


@pytest.fixture
def two_tenants(db):
    """Tenant A and tenant B, each with one of every tenant-owned object (see tests/worlds/): users of
    every role, companies with sub-units and contacts, tokens, ..."""
    from tests.worlds import populate_all

    world = {}
    for key in ("a", "b"):
        tenant = factories.make_tenant(db, slug=f"tenant-{key}", name=f"Tilbyder {key.upper()} AS")
        world[key] = populate_all(db, {"tenant": tenant, "key": key})
    bind_tenant(db, None)
    db.commit()
    return world


@pytest.fixture
def a(db, two_tenants):
    """Tenant A's objects from ``two_tenants``, with the test session bound to tenant A."""
    world = two_tenants["a"]
    bind_tenant(db, world["tenant"].id)
    return world


def login(client, user, password: str = factories.PASSWORD):
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def count_queries(app):
    """Count SQL statements run inside the block: ``with count_queries() as counter: ...; counter.count``."""

    @contextmanager
    def counting():
        class Counter:
            count = 0
            statements: list[str] = []

        counter = Counter()
        engine = app.extensions["saas.db"].engine

        def before(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO", "SELECT SET_CONFIG", "SELECT SAAS_PRIVATE.ENTER_SCOPE", "BEGIN;")):
                counter.count += 1
                counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting


@pytest.fixture
def statements(app):
    """Every statement the application's engine sends, whitespace collapsed (the test reads what it needs)."""
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    engine = app.extensions["saas.db"].engine
    event.listen(engine, "before_cursor_execute", before)
    yield seen
    event.remove(engine, "before_cursor_execute", before)


def own_statements(seen: list[str]) -> list[str]:
    """The request's statements, without the savepoints the test's outer transaction puts around them."""
    return [s for s in seen if not s.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO"))]
