"""`saas serve` on the embedded default, on a port chosen at run time: the links it e-mails point at the
host and port it is served on (no PUBLIC_BASE_URL set), and its log holds no reset token."""
from __future__ import annotations

import http.cookiejar
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from tests.integration.rq_helpers import free_port


def _opener():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                       _NoRedirect())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _reset_mail(database) -> bool:
    with sqlite3.connect(database) as connection:
        try:
            return connection.execute("SELECT 1 FROM outbox_messages WHERE subject = 'Tilbakestill passordet ditt'").fetchone() is not None
        except sqlite3.OperationalError:  # locked for a moment, or the schema not made yet
            return False


def test_links_point_where_saas_serve_listens_and_the_log_has_no_token(tmp_path):
    port = free_port()
    database = tmp_path / "saas.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL", "SMTP_URL", "PORT")}
    env.update(SAAS_ENV="development", DATABASE_URL=f"sqlite:///{database}", STORAGE_DIR=str(tmp_path / "files"),
               SAAS_ROOT=str(tmp_path))
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([str(Path(sys.executable).parent / "saas"), "serve", "--port", str(port)], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240
        while True:
            try:
                urllib.request.urlopen(base + "/login", timeout=5)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()[-3000:]
                time.sleep(0.5)
        opener = _opener()
        form = opener.open(base + "/password/forgot", timeout=30).read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        data = urllib.parse.urlencode({"csrf_token": token, "email": "kari@bedriftstjenesten.no"}).encode()
        try:
            opener.open(base + "/password/forgot", data=data, timeout=30)
        except urllib.error.HTTPError as redirect:
            assert redirect.code == 302
        # The reset mail is sent by a job (the same path for known and unknown addresses): wait for it.
        deadline = time.monotonic() + 60
        while not _reset_mail(database) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()

    with sqlite3.connect(database) as connection:
        body = connection.execute("SELECT body FROM outbox_messages WHERE subject = 'Tilbakestill passordet ditt' "
                                  "ORDER BY id DESC").fetchone()[0]
    link = re.search(r"http\S+/password/reset/(\S+)", body)
    assert link.group(0).startswith(f"http://127.0.0.1:{port}/password/reset/")
    assert link.group(1) not in (tmp_path / "serve.log").read_text()
