"""Document status (issue 13, point 7): a mapping's report is none / pending / ready / failed; the page
follows it without a reload (a JSON status), and a failed one says why and offers to try again."""
from __future__ import annotations

from saas.hms.models import PhysicalMapping
from saas.jobs import job_failed
from saas.tenancy import bind_tenant
from tests.conftest import login
from tests.functional.test_hms_mappings import answer_ids, new_mapping, world  # noqa: F401  (fixture)


def test_the_report_goes_from_none_to_ready_and_a_failure_says_why(app, client, db, world):
    login(client, world["consultant"])
    mapping_id = new_mapping(client, world["year"].id)
    status = client.get(f"/t/bht/years/mappings/{mapping_id}/report-status").json
    assert status["state"] == "none" and status["files"] == []
    ids = answer_ids(db, world["tenant"].id, mapping_id)
    db.commit()
    client.post(f"/t/bht/years/mappings/{mapping_id}/answers", data={"ids": [ids["A1"]], f"a{ids['A1']}-answer": "ok",
                                                                     "fill_unanswered_ok": "1"})
    assert client.post(f"/t/bht/years/mappings/{mapping_id}/complete").status_code == 302  # makes the report too
    ready = client.get(f"/t/bht/years/mappings/{mapping_id}/report-status").json
    assert ready["state"] == "ready" and ready["files"][0]["name"].endswith(".pdf") and ready["files"][0]["current"]

    # A new version is asked for, and its job fails: the page says so and why.
    bind_tenant(db, world["tenant"].id)
    mapping = db.get(PhysicalMapping, mapping_id)
    mapping.report_version += 1
    version = mapping.report_version
    db.commit()
    pending = client.get(f"/t/bht/years/mappings/{mapping_id}/report-status").json
    assert pending["state"] == "pending"
    assert 'data-report-state="pending"' in client.get(f"/t/bht/years/mappings/{mapping_id}").get_data(as_text=True)
    job_failed.send(app, name="saas.hms.jobs.generate_mapping_report", tenant_id=world["tenant"].id,
                    args=[mapping_id, version, world["consultant"].id], error=RuntimeError("Skriften mangler"))
    failed = client.get(f"/t/bht/years/mappings/{mapping_id}/report-status").json
    assert failed["state"] == "failed" and failed["error"] == "Skriften mangler"
    page = client.get(f"/t/bht/years/mappings/{mapping_id}").get_data(as_text=True)
    assert "Rapporten kunne ikke lages" in page and "Skriften mangler" in page and "Prøv igjen" in page
