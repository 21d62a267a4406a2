"""Real Redis servers and real RQ workers for the job tests: a private redis-server on a free loopback port
(so a test can stop and start it), and `rq worker` processes run against the test's database."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import SECRET_KEY

RQ = str(Path(sys.executable).parent / "rq")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own, on 127.0.0.1 and a port chosen at run time."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen([shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def worker_env(app, tmp_path: Path, redis_url: str, **extra) -> dict:
    return {**os.environ, "DATABASE_URL": app.extensions["saas.db"].url, "SECRET_KEY": SECRET_KEY, "REDIS_URL": redis_url,
            "JOBS_MODE": "rq", "STORAGE_DIR": app.config["STORAGE_DIR"], "SAAS_ROOT": str(tmp_path),
            "PUBLIC_BASE_URL": app.config["PUBLIC_BASE_URL"], "JOB_RETRY_INTERVALS": "1,1,1", **extra}


def burst_worker(app, tmp_path: Path, redis_url: str, **extra) -> subprocess.CompletedProcess:
    """One `rq worker --burst --with-scheduler` (the Procfile's worker class) until the queue is empty."""
    done = subprocess.run([RQ, "worker", "--burst", "--with-scheduler", "--worker-class", "saas.jobs.PreloadedWorker",
                           "--url", redis_url, "default"], env=worker_env(app, tmp_path, redis_url, **extra),
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return done
