"""``saas backup`` and ``saas restore``: two tenants with data and files go into one archive and come back,
into a fresh database and a fresh store (local disk and S3), every row table by table and every file by
SHA-256."""
from __future__ import annotations

import hashlib
import io
import os
import secrets
import tarfile

import pytest
from PIL import Image
from sqlalchemy import create_engine, inspect, select, text

from saas import storage
from saas.app import create_app
from saas.hms.services import evidence as evidence_services
from saas.tenancy import bind_tenant, platform_access
from saas.hms.models import Evidence
from saas.tenants.models import Tenant, User
from tests import factories
from tests.conftest import BACKEND, PG_ADMIN_URL, PG_ROLE, app_config, create_database, drop_database
from tests.s3_server import make_bucket, s3_server  # noqa: F401  (fixture)
from tests.worlds import populate_all

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def owner_url(url: str) -> str | None:
    """The schema owner's URL in tests: the superuser (the app's role is subject to forced RLS)."""
    if url.startswith("sqlite"):
        return None
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1]


def empty_database(name: str, tmp_path) -> str:
    """A database with no schema at all, as a restore expects."""
    if BACKEND != "postgres":
        return f"sqlite:///{tmp_path / (name + '.sqlite3')}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER {PG_ROLE}'))
    admin.dispose()
    return PG_ADMIN_URL.replace("//postgres@", f"//{PG_ROLE}@").rsplit("/", 1)[0] + f"/{name}"


def jpeg(color) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(out, format="JPEG")
    return out.getvalue()


def populate(app) -> None:
    """Tenants A and B with one of every tenant-owned object, evidence files, a logo and a certificate PDF."""
    database = app.extensions["saas.db"]
    with app.app_context(), database.session_scope() as session:
        for n, key in enumerate(("a", "b")):
            tenant = factories.make_tenant(session, slug=f"tenant-{key}", name=f"Tilbyder {key.upper()} AS")
            world = populate_all(session, {"tenant": tenant, "key": key})
            bind_tenant(session, tenant.id)
            target = evidence_services.resolve_target(session, "action_item", world["action"].id)
            evidence_services.upload(session, world["client"], target, PDF + key.encode() * 100, f"rapport-{key}.pdf")
            evidence_services.upload(session, world["consultant"], target, jpeg((200, 40 * n, 10)), f"bilde-{key}.jpg")
            logo = storage.save_bytes(jpeg((0, 0, 90 + n)), "jpg", "logo.jpg", "image/jpeg")
            with platform_access(session):
                session.get(Tenant, tenant.id).logo_file = logo.key
            storage.put(world["certificate_document"].file_key, PDF + b"certificate " + key.encode())
            bind_tenant(session, None)


def rows_by_table(url: str) -> dict[str, list]:
    """Every row of every table, sorted, read past row-level security."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            return {t: sorted(repr(tuple(r)) for r in conn.execute(text(f'SELECT * FROM "{t}"'))) for t in tables}
    finally:
        engine.dispose()


def files_by_hash(app) -> dict[str, str]:
    with app.app_context():
        return {key: hashlib.sha256(storage.read(key)).hexdigest() for key in storage.keys()}


def storage_url(kind: str, tmp_path, name: str, endpoint: str | None) -> str:
    if kind == "local":
        return f"file://{tmp_path / name}"
    return f"s3://{make_bucket(endpoint)}/{name}?endpoint_url={endpoint}"


@pytest.fixture(params=["local", "s3"])
def store_kind(request):
    return request.param


@pytest.fixture
def endpoint(store_kind, request):
    return request.getfixturevalue("s3_server") if store_kind == "s3" else None


@pytest.fixture
def source(tmp_path, store_kind, endpoint):
    url = create_database(f"saas_test_backup_src_{os.getpid()}_{secrets.token_hex(3)}")
    app = create_app(app_config(url, tmp_path / "source", STORAGE_URL=storage_url(store_kind, tmp_path, "source-files", endpoint),
                                MIGRATION_DATABASE_URL=owner_url(url)))
    populate(app)
    yield app
    app.extensions["saas.db"].engine.dispose()
    drop_database(url)


@pytest.fixture
def target(tmp_path, store_kind, endpoint):
    url = empty_database(f"saas_test_backup_dst_{os.getpid()}_{secrets.token_hex(3)}", tmp_path)
    app = create_app(app_config(url, tmp_path / "target", STORAGE_URL=storage_url(store_kind, tmp_path, "target-files", endpoint),
                                MIGRATION_DATABASE_URL=owner_url(url)))
    yield app
    app.extensions["saas.db"].engine.dispose()
    drop_database(url)


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


def test_a_backup_restored_into_a_fresh_database_and_store_brings_back_every_row_and_every_file(source, target, tmp_path):
    archive = tmp_path / "sikkerhetskopi.tar"
    made = run(source, "backup", str(archive))
    assert made.exit_code == 0, made.output
    assert "Sikkerhetskopi skrevet" in made.output and archive.exists()

    restored = run(target, "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert "saas db upgrade" not in restored.output  # same version: the schema is at head

    source_url = source.config.get("MIGRATION_DATABASE_URL") or source.config["DATABASE_URL"]
    target_url = target.config.get("MIGRATION_DATABASE_URL") or target.config["DATABASE_URL"]
    before, after = rows_by_table(source_url), rows_by_table(target_url)
    assert sorted(after) == sorted(before)
    for table in before:
        assert after[table] == before[table], table
    assert len(before["tenants"]) == 2 and len(before["evidence"]) >= 6  # both tenants' worlds and uploads
    engine = create_engine(target_url)
    with engine.connect() as conn:
        for table in ("client_companies", "evidence", "users", "certificates"):
            assert conn.execute(text(f'SELECT count(DISTINCT tenant_id) FROM "{table}"')).scalar() == 2, table
    engine.dispose()

    files = files_by_hash(source)
    assert len(files) == 8  # per tenant: 2 evidence files, a logo and a certificate PDF
    assert files_by_hash(target) == files

    # The restored product works as its runtime role: tenant B's client logs in and downloads its evidence.
    with target.app_context(), target.extensions["saas.db"].session_scope() as session:
        with platform_access(session):
            tenant_b = session.scalar(select(Tenant).where(Tenant.slug == "tenant-b"))
            client_user = session.scalar(select(User).where(User.email == "client-b@example.no"))
            upload = session.scalar(select(Evidence).where(Evidence.original_name == "rapport-b.pdf"))
            email, evidence_id, sha = client_user.email, upload.id, upload.sha256
    web = target.test_client()
    assert web.post("/login", data={"email": email, "password": factories.PASSWORD}).status_code == 302
    download = web.get(f"/t/tenant-b/evidence/{evidence_id}/download")
    assert download.status_code == 200 and hashlib.sha256(download.data).hexdigest() == sha


def test_a_restore_over_data_is_refused_unless_forced(source, target, tmp_path):
    archive = tmp_path / "sikkerhetskopi.tar"
    assert run(source, "backup", str(archive)).exit_code == 0
    refused = run(source, "restore", str(archive))
    assert refused.exit_code != 0 and "ikke tomt" in refused.output
    source_url = source.config.get("MIGRATION_DATABASE_URL") or source.config["DATABASE_URL"]
    before = rows_by_table(source_url)
    source.extensions["saas.db"].engine.dispose()
    forced = run(source, "restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    assert rows_by_table(source_url) == before
    assert run(target, "restore", str(archive)).exit_code == 0
    assert run(target, "restore", str(archive)).exit_code != 0  # once restored it is not empty any more


def test_a_damaged_file_in_the_archive_is_found_by_its_sha256(source, target, tmp_path):
    archive = tmp_path / "sikkerhetskopi.tar"
    assert run(source, "backup", str(archive)).exit_code == 0
    damaged = tmp_path / "skadet.tar"
    with tarfile.open(archive) as original, tarfile.open(damaged, "w", format=tarfile.PAX_FORMAT) as copy:
        for member in original.getmembers():
            data = original.extractfile(member).read()
            if member.name.startswith("files/") and member.name.endswith(".pdf"):
                data = data.replace(b"%PDF-1.4", b"%PDF-1.5", 1)
            copy.addfile(member, io.BytesIO(data))
    result = run(target, "restore", str(damaged))
    assert result.exit_code != 0 and "skadet" in result.output


@pytest.mark.postgres
def test_a_backup_as_a_role_under_row_level_security_is_refused_not_silently_empty(tmp_path, store_kind, endpoint):
    if store_kind == "s3":
        pytest.skip("the database role is what matters here")
    url = create_database(f"saas_test_backup_rls_{os.getpid()}_{secrets.token_hex(3)}")
    app = create_app(app_config(url, tmp_path / "rls"))  # no MIGRATION_DATABASE_URL: the runtime role
    try:
        result = run(app, "backup", str(tmp_path / "tom.tar"))
        assert result.exit_code != 0 and "radsikkerhet" in result.output and "eierrollen" in result.output
        assert not (tmp_path / "tom.tar").exists()
    finally:
        app.extensions["saas.db"].engine.dispose()
        drop_database(url)


@pytest.mark.postgres
def test_an_owner_role_that_is_not_a_superuser_backs_up_and_restores(tmp_path):
    """The production shape: a role that is neither superuser nor BYPASSRLS owns the tables and runs backup and
    restore (the policies let the owner see every row)."""
    role = f"saas_test_owner_{os.getpid()}_{secrets.token_hex(2)}"
    names = [f"saas_test_owner_src_{os.getpid()}_{secrets.token_hex(3)}", f"saas_test_owner_dst_{os.getpid()}_{secrets.token_hex(3)}"]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    base = PG_ADMIN_URL.replace("//postgres@", f"//{role}@").rsplit("/", 1)[0]
    apps = []
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB"))
            for name in names:
                conn.execute(text(f'CREATE DATABASE "{name}" OWNER {role}'))
        from saas.db import scope_proof
        from saas.migrate import upgrade
        from tests.conftest import SECRET_KEY

        upgrade(f"{base}/{names[0]}", scope_proof=scope_proof(SECRET_KEY))
        for name, folder in zip(names, ("source-files", "target-files")):
            apps.append(create_app(app_config(f"{base}/{name}", tmp_path / name, STORAGE_URL=f"file://{tmp_path / folder}")))
        populate(apps[0])
        archive = tmp_path / "eier.tar"
        made = run(apps[0], "backup", str(archive))
        assert made.exit_code == 0, made.output
        restored = run(apps[1], "restore", str(archive))
        assert restored.exit_code == 0, restored.output
        assert rows_by_table(f"{base}/{names[1]}") == rows_by_table(f"{base}/{names[0]}")
        assert files_by_hash(apps[1]) == files_by_hash(apps[0]) and len(files_by_hash(apps[0])) == 8
    finally:
        for app in apps:
            app.extensions["saas.db"].engine.dispose()
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()
