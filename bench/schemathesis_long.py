"""A long schemathesis run over every operation of the API: 20,000+ cases, every phase (examples, coverage,
fuzzing, stateful), checks not_a_server_error, status_code_conformance, content_type_conformance and
response_schema_conformance.  The application is served on a free loopback port on a fresh migrated database
(PostgreSQL when reachable) with two tenants' worlds; schemathesis authenticates as tenant A's admin.

Run: .venv/bin/python bench/schemathesis_long.py [--max-examples 150] [--phases examples,coverage,fuzzing,stateful]
     [--seed N] [--max-time SECONDS] [--workers 2]
Prints the figures (cases, failures, time) and exits 1 when schemathesis found anything.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.api_fuzz import PHASES, problems, run_schemathesis, served_world  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=150, help="cases per operation and phase (default 150)")
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--max-time", type=int, default=None,
                        help="stop after this many seconds (schemathesis then repeats fuzzing and stateful until spent)")
    parser.add_argument("--workers", type=int, default=2, help="concurrent schemathesis workers (default 2)")
    args = parser.parse_args()
    extra = ("--max-time", str(args.max_time)) if args.max_time else ()
    workdir = Path(tempfile.mkdtemp(prefix="schemathesis-long-"))
    started = time.monotonic()
    with served_world("saas_schemathesis_long") as served:
        spec = served.app.test_client().get("/api/v1/openapi.json").get_json()
        operations = sum(len(methods) for methods in spec["paths"].values())
        report = run_schemathesis(served, max_examples=args.max_examples, phases=tuple(args.phases.split(",")),
                                  seed=args.seed, workdir=workdir, timeout=6 * 3600, workers=args.workers, extra=extra)
    elapsed = time.monotonic() - started
    cases = report["test_cases"]
    print(report["stdout"][-6000:])
    print(f"backend: {os.environ.get('SAAS_TEST_DB') or 'auto'}; operations in the document: {operations}; "
          f"tested: {report['operations']['tested']}")
    print("phases: " + ", ".join(f"{name} {phase['status']}" for name, phase in report["phases"].items()))
    print(f"test cases: {cases['generated']} generated, {cases['with_failures']} with failures, "
          f"{cases['unique_failures']} unique failures, {cases['errored']} errored")
    print(f"seed: {report['seed']}; schemathesis running time {report['running_time']:.0f} s; whole run {elapsed:.0f} s "
          f"({cases['generated'] / max(report['running_time'], 1):.1f} cases/s); report: {workdir / 'report.json'}")
    found = problems(report)
    for problem in found:
        print("PROBLEM:", problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
