"""Backup and restore: every tenant's rows and every stored file, together, in one archive.

The archive is a plain tar file:

* ``database.dump`` (PostgreSQL: ``pg_dump --format=custom``) or ``database.sqlite3`` (SQLite: a copy made
  with the sqlite3 backup API),
* ``files/<key>`` for every object in the store (local disk or S3),
* ``manifest.json`` last: the format, when and from what it was made, the row count of every table and the
  size and SHA-256 of the dump and of every file.

PostgreSQL is dumped as the owner role (``MIGRATION_DATABASE_URL``, else ``DATABASE_URL``).  Every table
forces row-level security; the policies let the tables' owner see every row (saas/rls.sql), so the owner
dumps and restores with ``--enable-row-security``.  Any other role under row-level security (the runtime
role) would silently dump no tenant rows, so the backup refuses it up front; a superuser or a BYPASSRLS
role dumps plainly.  The
row counts are taken in the same snapshot as the dump (``pg_export_snapshot``) and checked again after
a restore.  The database is dumped before the files are copied: a file is written before the row that
names it is committed, so every row in the dump finds its file in the archive.

A restore goes into a fresh database and an empty store; it refuses anything else unless forced.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from saas import storage

FORMAT = "saas-backup/1"
_CHUNK = 1024 * 1024
_PG_ENV = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
           "host": "PGHOST", "connect_timeout": "PGCONNECT_TIMEOUT"}


class BackupError(RuntimeError):
    """The backup or restore cannot be done; the message says why (Norwegian, then English)."""


@dataclass
class Summary:
    database: str
    tables: dict[str, int]
    files: int
    bytes: int
    skipped: list[str] = field(default_factory=list)


def owner_url(app) -> str:
    """The database URL of the role that owns the schema (migrations, backups, restores)."""
    return app.config.get("MIGRATION_DATABASE_URL") or app.config["DATABASE_URL"]


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("SQLite-databasen må være en fil (the SQLite database must be a file).")
    return Path(database)


class _Hashing:
    """A read-through stream that hashes and counts what passes."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        chunk = self.stream.read(n)
        self.sha256.update(chunk)
        self.size += len(chunk)
        return chunk


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# -- PostgreSQL --------------------------------------------------------------------------------------

def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and the environment that carries the password and TLS settings."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    for name, value in parsed.query.items():
        if name in _PG_ENV:
            env[_PG_ENV[name]] = value if isinstance(value, str) else value[-1]
    plain = parsed.set(drivername="postgresql", password=None, query={})
    return plain.render_as_string(hide_password=False), env


def _pg_tool(name: str, server_major: int) -> str:
    """The pg_dump/pg_restore whose major version matches the server (Debian keeps one per version)."""
    candidates = [Path(f"/usr/lib/postgresql/{server_major}/bin/{name}")]
    if os.environ.get("PG_BIN_DIR"):
        candidates.insert(0, Path(os.environ["PG_BIN_DIR"]) / name)
    found = next((str(p) for p in candidates if p.is_file()), None) or shutil.which(name)
    if found is None:
        raise BackupError(f"Fant ikke {name}; installer postgresql-client {server_major} ({name} not found).")
    version = subprocess.run([found, "--version"], capture_output=True, text=True, check=True).stdout
    found_version = re.search(r"\)\s+(\d+)", version) or re.search(r"(\d+)", version)
    major = int(found_version.group(1))
    if major < server_major:
        raise BackupError(f"{name} er versjon {major}, men serveren er {server_major}; installer postgresql-client-{server_major} "
                          f"eller sett PG_BIN_DIR ({name} {major} is older than the server {server_major}).")
    return found


def _pg_tables(conn) -> list[str]:
    return list(conn.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")).scalars())


def _owns_tables(conn) -> bool:
    """Whether the current role owns the product's tables (the owner role sees every row under the policies)."""
    return bool(conn.execute(text(
        "SELECT pg_has_role(current_user, tableowner, 'USAGE') FROM pg_tables "
        "WHERE schemaname = current_schema() AND tablename = 'tenants'")).scalar())


def _count(conn, tables) -> dict[str, int]:
    return {t: int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar()) for t in tables}


def _dump_postgres(url: str, target: Path) -> dict[str, int]:
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            major = int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000
            bypasses = conn.execute(text(
                "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")).scalar()
            if not bypasses and not _owns_tables(conn):
                role = conn.execute(text("SELECT current_user")).scalar()
                raise BackupError(
                    f"Rollen {role} er underlagt radsikkerhet (RLS) og ville tatt en sikkerhetskopi uten kundenes rader. "
                    "Sett MIGRATION_DATABASE_URL til eierrollen. "
                    f"(Role {role} is subject to row-level security; back up as the owner role.)")
            tool = _pg_tool("pg_dump", major)
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
            counts = _count(conn, _pg_tables(conn))
            uri, env = _libpq(url)
            command = [tool, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={target}", f"--dbname={uri}"]
            if not bypasses:
                command.append("--enable-row-security")
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise BackupError(f"pg_dump feilet (failed): {done.stderr.strip()}")
            conn.rollback()
    finally:
        engine.dispose()
    return counts


def _postgres_is_empty(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return not _pg_tables(conn)
    finally:
        engine.dispose()


def _restore_postgres(url: str, dump: Path, force: bool) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            major = int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000
            bypasses = conn.execute(text(
                "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")).scalar()
        tool = _pg_tool("pg_restore", major)
        uri, env = _libpq(url)
        command = [tool, "--no-password", "--exit-on-error", "--single-transaction", f"--dbname={uri}"]
        if not bypasses:
            command.append("--enable-row-security")
        if force:
            command += ["--clean", "--if-exists"]
        done = subprocess.run(command + [str(dump)], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_restore feilet (failed): {done.stderr.strip()}")
        with engine.connect() as conn:
            return _count(conn, _pg_tables(conn))
    finally:
        engine.dispose()


# -- SQLite ------------------------------------------------------------------------------------------

def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def _dump_sqlite(url: str, target: Path) -> dict[str, int]:
    source = sqlite3.connect(_sqlite_path(url), timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # one consistent snapshot, even while the product writes
        return _sqlite_counts(copy)
    finally:
        copy.close()
        source.close()


def _sqlite_is_empty(url: str) -> bool:
    path = _sqlite_path(url)
    if not path.exists():
        return True
    conn = sqlite3.connect(path)
    try:
        return not _sqlite_counts(conn)
    finally:
        conn.close()


def _restore_sqlite(url: str, copy: Path) -> dict[str, int]:
    path = _sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(copy)
    target = sqlite3.connect(path, timeout=30)
    try:
        source.backup(target)  # replaces the whole database, under SQLite's own locking
        return _sqlite_counts(target)
    finally:
        target.close()
        source.close()


# -- the archive -------------------------------------------------------------------------------------

def backup(app, path: str | Path, echo: Callable[[str], None] = lambda _m: None) -> Summary:
    """Write the archive to ``path`` (atomically: a partial archive never carries the final name)."""
    path = Path(path)
    url = owner_url(app)
    store = storage.backend(app)
    partial = path.with_name(path.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="saas-backup-") as work:
        if _is_sqlite(url):
            dump, kind = Path(work) / "database.sqlite3", "sqlite"
            counts = _dump_sqlite(url, dump)
        else:
            dump, kind = Path(work) / "database.dump", "postgresql"
            counts = _dump_postgres(url, dump)
        echo(f"Database: {sum(counts.values())} rader i {len(counts)} tabeller.")
        files, skipped, total = [], [], 0
        try:
            with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive:
                archive.add(dump, arcname=dump.name)
                for key in store.keys():
                    if not storage.KEY_PATTERN.fullmatch(key):
                        skipped.append(key)  # not a file the product made (a stray file in the folder)
                        continue
                    stream, size = store.open(key)
                    with stream:
                        reader = _Hashing(stream)
                        info = tarfile.TarInfo(f"files/{key}")
                        info.size, info.mode, info.mtime = size, 0o600, int(datetime.now(timezone.utc).timestamp())
                        archive.addfile(info, reader)
                    files.append({"key": key, "size": size, "sha256": reader.sha256.hexdigest()})
                    total += size
                manifest = {
                    "format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(), "database": kind,
                    "database_file": {"name": dump.name, "size": dump.stat().st_size, "sha256": _hash_file(dump)},
                    "tables": counts, "storage": store.describe(), "files": files,
                }
                body = json.dumps(manifest, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo("manifest.json")
                info.size, info.mode = len(body), 0o600
                archive.addfile(info, _BytesStream(body))
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    echo(f"Filer: {len(files)} ({total} byte).")
    return Summary(database=kind, tables=counts, files=len(files), bytes=total, skipped=skipped)


class _BytesStream:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n is None or n < 0 else self.at + n
        chunk, self.at = self.data[self.at:end], min(end, len(self.data))
        return chunk


def read_manifest(archive: tarfile.TarFile) -> dict:
    try:
        manifest = json.load(archive.extractfile("manifest.json"))
    except (KeyError, ValueError):
        raise BackupError("Arkivet har ingen gyldig manifest.json (not a backup archive).") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Ukjent arkivformat {manifest.get('format')!r} (unknown archive format).")
    return manifest


def restore(app, path: str | Path, force: bool = False, echo: Callable[[str], None] = lambda _m: None) -> Summary:
    """Restore the archive at ``path`` into the app's database and store.

    Refuses (BackupError) a database with tables or a store with objects unless ``force``; checks every
    SHA-256 and, after the restore, every table's row count against the manifest."""
    url = owner_url(app)
    store = storage.backend(app)
    with tarfile.open(path, "r:") as archive:
        manifest = read_manifest(archive)
        kind = "sqlite" if _is_sqlite(url) else "postgresql"
        if manifest["database"] != kind:
            raise BackupError(f"Arkivet er fra {manifest['database']}, databasen er {kind} (archive is from another database kind).")
        database_empty = _sqlite_is_empty(url) if kind == "sqlite" else _postgres_is_empty(url)
        store_empty = next(iter(store.keys()), None) is None
        if not force and not (database_empty and store_empty):
            raise BackupError("Databasen eller fillageret er ikke tomt; gjenoppretting skjer til en ny database og et tomt "
                              "lager (bruk --force for å skrive over). (The database or the store is not empty; use --force.)")
        expected = {f["key"]: f for f in manifest["files"]}
        for key in expected:
            storage.validate_key(key)  # a hostile archive cannot name a path outside the store
        with tempfile.TemporaryDirectory(prefix="saas-restore-") as work:
            dump = Path(work) / manifest["database_file"]["name"]
            if dump.name not in ("database.dump", "database.sqlite3"):
                raise BackupError("Ukjent databasefil i arkivet (unknown database file).")
            with archive.extractfile(dump.name) as source, open(dump, "wb") as target:
                shutil.copyfileobj(source, target, _CHUNK)
            if _hash_file(dump) != manifest["database_file"]["sha256"]:
                raise BackupError("Databasefilen i arkivet er skadet (SHA-256 stemmer ikke) (the dump is corrupt).")
            counts = _restore_sqlite(url, dump) if kind == "sqlite" else _restore_postgres(url, dump, force)
        wrong = {t: (n, counts.get(t)) for t, n in manifest["tables"].items() if counts.get(t) != n}
        if wrong:
            raise BackupError(f"Radantallet stemmer ikke etter gjenoppretting (row counts differ): {wrong}")
        echo(f"Database: {sum(counts.values())} rader i {len(counts)} tabeller.")
        total = 0
        members = {member.name: member for member in archive.getmembers()}  # getmember() scans: O(n) each
        for key, entry in expected.items():
            member = members.get(f"files/{key}")
            if member is None or not member.isfile():
                raise BackupError(f"Filen {key} mangler i arkivet (missing from the archive).")
            with archive.extractfile(member) as source:
                reader = _Hashing(source)
                store.put_stream(key, reader)
            if reader.sha256.hexdigest() != entry["sha256"] or reader.size != entry["size"]:
                store.delete(key)
                raise BackupError(f"Filen {key} i arkivet er skadet (SHA-256 stemmer ikke) (file is corrupt).")
            total += reader.size
    echo(f"Filer: {len(expected)} ({total} byte).")
    if not _at_head(url):
        echo("Skjemaet er eldre enn denne versjonen av produktet: kjør `saas db upgrade` før start.")
    return Summary(database=kind, tables=counts, files=len(expected), bytes=total)


def _at_head(url: str) -> bool:
    """True when the restored schema is at this code's newest migration."""
    from alembic.script import ScriptDirectory

    from saas.migrate import alembic_config

    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            current = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except Exception:  # no alembic_version table: not a schema this product made
        return False
    finally:
        engine.dispose()
    return current == heads
