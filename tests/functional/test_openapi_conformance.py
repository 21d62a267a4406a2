"""The OpenAPI document tells the truth (issue 12.7): schemathesis runs over every operation the document lists
(whatever other features add), authenticated, against the application served on loopback with a real
database, and finds no server error, no undocumented status code or content type and no response that
violates its schema.

Bounded for CI (one to two minutes): the examples, fuzzing (positive and negative data) and stateful phases with
SCHEMATHESIS_MAX_EXAMPLES cases per operation (default 20, about 2,000 cases) and a fixed seed (SCHEMATHESIS_SEED).  The
coverage phase (about 6,000 boundary cases) and a 20,000+ case run are in bench/schemathesis_long.py.
"""
from __future__ import annotations

import os

import pytest

from tests.api_fuzz import problems, run_schemathesis, served_world

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "20"))
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261206"))


@pytest.fixture(scope="module")
def served():
    with served_world("saas_schemathesis") as served:
        yield served


def test_schemathesis_finds_nothing_the_openapi_document_does_not_describe(served, tmp_path):
    spec = served.app.test_client().get("/api/v1/openapi.json").get_json()
    operations = sum(len(methods) for methods in spec["paths"].values())

    report = run_schemathesis(served, max_examples=MAX_EXAMPLES, phases=("examples", "fuzzing", "stateful"), seed=SEED,
                              workdir=tmp_path, timeout=900)

    assert not problems(report), report["stdout"][-8000:]
    assert report["operations"]["selected"] == operations
    assert report["operations"]["tested"] == operations, report["stdout"][-4000:]
    assert report["test_cases"]["generated"] >= operations * 2
    assert report["phases"]["stateful"]["status"] == "success"
