"""Storage throughput and backup/restore time, on the local disk and on an S3-compatible server (moto).

Run: .venv/bin/python bench/storage_backup.py [--files 200] [--kb 256]

For each store: writes ``--files`` random files of ``--kb`` KB through ``saas.storage``, reads them back,
then ``saas backup`` and ``saas restore`` (into a fresh database and an empty store of the same kind), and
prints MB/s for each step.  moto runs in a subprocess on a free loopback port; every database made here
is dropped at the end.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import app_config, create_database, drop_database  # noqa: E402
from tests.integration.test_backup import empty_database, owner_url  # noqa: E402
from tests.s3_server import CREDENTIALS, _start, make_bucket  # noqa: E402


def run(kind: str, files: int, size: int, endpoint: str | None, tmp: Path) -> None:
    from saas import storage
    from saas.app import create_app
    from saas.backup import backup, restore

    def url(name):
        return f"file://{tmp / kind / name}" if kind == "local" else f"s3://{make_bucket(endpoint)}/{name}?endpoint_url={endpoint}"

    source_db = create_database(f"saas_bench_backup_{os.getpid()}_{secrets.token_hex(3)}")
    target_db = empty_database(f"saas_bench_restore_{os.getpid()}_{secrets.token_hex(3)}", tmp)
    source = create_app(app_config(source_db, tmp / "s", STORAGE_URL=url("source"), MIGRATION_DATABASE_URL=owner_url(source_db)))
    target = create_app(app_config(target_db, tmp / "t", STORAGE_URL=url("target"), MIGRATION_DATABASE_URL=owner_url(target_db)))
    megabytes = files * size / 1024 / 1024
    try:
        payloads = [b"%PDF-1.4\n" + os.urandom(size - 9) for _ in range(files)]
        with source.app_context():
            started = time.perf_counter()
            keys = [storage.save_bytes(data, "pdf", "x.pdf", "application/pdf").key for data in payloads]
            put = time.perf_counter() - started
            started = time.perf_counter()
            assert all(storage.read(k) == d for k, d in zip(keys, payloads))
            get = time.perf_counter() - started
        archive = tmp / f"{kind}.tar"
        started = time.perf_counter()
        backup(source, archive)
        made = time.perf_counter() - started
        started = time.perf_counter()
        restore(target, archive)
        back = time.perf_counter() - started
        print(f"{kind:5}: {files} files, {megabytes:.0f} MB | put {megabytes / put:.0f} MB/s ({put / files * 1000:.1f} ms/file) | "
              f"get {megabytes / get:.0f} MB/s | backup {made:.2f} s ({megabytes / made:.0f} MB/s) | "
              f"restore {back:.2f} s ({megabytes / back:.0f} MB/s)")
    finally:
        for app in (source, target):
            app.extensions["saas.db"].engine.dispose()
        drop_database(source_db)
        drop_database(target_db)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--kb", type=int, default=256)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="saas-bench-storage-"))
    process, endpoint = _start()
    os.environ.update(CREDENTIALS)
    try:
        for kind in ("local", "s3"):
            run(kind, args.files, args.kb * 1024, endpoint, tmp)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
