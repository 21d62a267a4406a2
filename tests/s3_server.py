"""A real S3-compatible server for tests: moto's standalone server in a subprocess on a free loopback port.

``s3_server`` (session-wide) starts it, points the standard AWS variables at it and stops it after the
run; ``s3_url`` gives each test its own empty bucket as a ``STORAGE_URL``.  Test modules import both:
``from tests.s3_server import s3_server, s3_url  # noqa: F401``.
"""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start() -> tuple[subprocess.Popen, str]:
    for _attempt in range(5):  # another process may take the port between the probe and the bind
        port = _free_port()
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                return process, endpoint
            except OSError:
                time.sleep(0.1)
        process.kill()
        process.wait()
    raise RuntimeError("moto's S3 server did not start")


@pytest.fixture(scope="session")
def s3_server():
    """The endpoint URL of a running S3 server; AWS_* variables point boto3 at it meanwhile."""
    process, endpoint = _start()
    saved = {name: os.environ.get(name) for name in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    try:
        yield endpoint
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def make_bucket(endpoint: str, name: str | None = None) -> str:
    import boto3

    name = name or f"saas-test-{secrets.token_hex(6)}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_url(s3_server):
    """A STORAGE_URL for a new, empty bucket (with a prefix, as production would use)."""
    return f"s3://{make_bucket(s3_server)}/saas-files?endpoint_url={s3_server}"
