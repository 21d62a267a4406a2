"""The evidence service against a real database: targets, versions, verification, summaries, atomicity."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from saas.hms.models import (CertificationYear, ChecklistAnswer, ChecklistRun, Evidence, Hazard, SafetyRound)
from saas.hms.services import evidence as services
from saas.schemas import FieldErrors
from saas.tenancy import bind_tenant
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def a(app, two_tenants, db):
    bind_tenant(db, two_tenants["a"]["tenant"].id)
    with app.app_context():
        yield two_tenants["a"]


def stored_files(app) -> set[Path]:
    root = Path(app.config["STORAGE_DIR"])
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.mark.parametrize("target_type,key", [
    ("action_item", "action"), ("checklist_answer", "answer"), ("physical_mapping", "mapping"),
    ("psychosocial_mapping", "psy_mapping"), ("physical_mapping_report", "mapping"),
    ("psychosocial_mapping_report", "psy_mapping"), ("hazard", "hazard"), ("risk_assessment", "assessment"),
    ("safety_round", "safety_round"), ("compliance_check", "compliance_check"),
])
def test_every_target_type_resolves_to_its_year_and_company(db, a, target_type, key):
    target = services.resolve_target(db, target_type, a[key].id, a["consultant"])
    assert (target.year_id, target.year, target.company_id) == (a["year"].id, 2026, a["company"].id)
    assert target.company_name == a["company"].name and target.year_open and target.label


def test_a_checklist_answer_of_a_safety_round_resolves_through_the_rounds_year(db, a):
    other_year = CertificationYear(company_id=a["other_company"].id, year=2025)
    run = ChecklistRun(template_version_id=a["template_version"].id)
    db.add_all([other_year, run])
    db.flush()
    db.add(SafetyRound(year_id=other_year.id, run_id=run.id))
    answer = ChecklistAnswer(run_id=run.id, section_key="A", item_key="A9", item_text="Rømningsveier er frie")
    db.add(answer)
    db.flush()
    target = services.resolve_target(db, "checklist_answer", answer.id)
    assert target.year_id == other_year.id and target.company_id == a["other_company"].id
    assert target.label == "Rømningsveier er frie"


def test_a_hazard_resolves_through_its_assessment(db, a):
    hazard = Hazard(assessment_id=a["assessment"].id, description="Fall fra stige", probability=2, consequence=4)
    db.add(hazard)
    db.flush()
    assert services.resolve_target(db, "hazard", hazard.id).year_id == a["year"].id


def test_unknown_missing_and_foreign_targets_are_not_found(db, two_tenants, a):
    b = two_tenants["b"]
    for target_type, target_id in (("users", a["admin"].id), ("action_item", 10**9), ("action_item", b["action"].id),
                                   ("hazard", b["hazard"].id), ("checklist_answer", b["answer"].id)):
        with pytest.raises(services.NotFound):
            services.resolve_target(db, target_type, target_id, a["admin"])


def test_a_client_contact_resolves_only_targets_of_their_own_companies(db, a):
    assert services.resolve_target(db, "action_item", a["action"].id, a["client"]).company_id == a["company"].id
    stranger = factories.make_user(db, a["tenant"], roles=("client",))
    factories.make_contact(db, a["other_company"], user=stranger)
    with pytest.raises(services.NotFound):
        services.resolve_target(db, "action_item", a["action"].id, stranger)
    # staff see every company of the tenant
    assert services.resolve_target(db, "action_item", a["action"].id, a["reviewer"]).company_id == a["company"].id


def test_replace_chains_versions_and_history_lists_them_newest_first(db, a):
    target = services.resolve_target(db, "action_item", a["action"].id)
    first = services.upload(db, a["client"], target, PDF + b"1", "v1.pdf", "Første")
    second = services.replace(db, a["client"], first, target, PDF + b"2", "v2.pdf")
    third = services.replace(db, a["client"], second, target, PDF + b"3", "v3.pdf", "Tredje")
    assert first.superseded and second.superseded and not third.superseded
    assert (second.replaces_id, third.replaces_id) == (first.id, second.id)
    assert second.description == "Første"  # a new version keeps the description unless given a new one
    for shown in (first, second, third):
        versions = services.history(db, shown)
        assert [v["original_name"] for v in versions] == ["v3.pdf", "v2.pdf", "v1.pdf"]
        assert [v["version"] for v in versions] == [3, 2, 1]
    with pytest.raises(FieldErrors):
        services.replace(db, a["client"], first, target, PDF, "igjen.pdf")


def test_a_replaced_report_moves_the_mappings_report_to_the_new_version(db, a):
    target = services.resolve_target(db, "physical_mapping_report", a["mapping"].id)
    first = services.upload(db, a["consultant"], target, PDF, "rapport.pdf")
    assert a["mapping"].report_evidence_id == first.id
    second = services.replace(db, a["consultant"], first, target, PDF + b"x", "rapport-2.pdf")
    assert a["mapping"].report_evidence_id == second.id


def test_verification_records_who_and_when_and_refuses_a_replaced_version(db, a):
    target = services.resolve_target(db, "action_item", a["action"].id)
    evidence = services.upload(db, a["client"], target, PDF, "bevis.pdf")
    assert evidence.status == "pending" and evidence.verified_by is None
    services.verify(db, a["consultant"], evidence, target, "verified", "OK")
    assert evidence.status == "verified" and evidence.verified_by == a["consultant"].id and evidence.verified_at
    newer = services.replace(db, a["client"], evidence, target, PDF + b"2", "bevis-2.pdf")
    assert newer.status == "pending"
    with pytest.raises(FieldErrors) as error:
        services.verify(db, a["consultant"], evidence, target, "rejected", "for sent")
    assert "status" in error.value.errors
    with pytest.raises(FieldErrors) as error:
        services.verify(db, a["consultant"], newer, target, "maybe")
    assert "status" in error.value.errors


def test_a_closed_year_takes_no_new_files(db, a):
    a["year"].status = "decided"
    db.flush()
    target = services.resolve_target(db, "action_item", a["action"].id)
    assert not target.year_open
    with pytest.raises(FieldErrors) as error:
        services.upload(db, a["consultant"], target, PDF, "sent.pdf")
    assert "avsluttet" in error.value.errors["file"][0]


def test_year_summary_counts_current_files_by_state_in_one_query(db, a, count_queries):
    target = services.resolve_target(db, "action_item", a["action"].id)
    pending = services.upload(db, a["client"], target, PDF + b"p", "p.pdf")
    services.upload(db, a["consultant"], target, PDF + b"v", "v.pdf")  # staff uploads are verified by the act
    rejected = services.upload(db, a["client"], target, PDF + b"r", "r.pdf")
    services.verify(db, a["consultant"], rejected, target, "rejected", "Uleselig")
    services.replace(db, a["client"], pending, target, PDF + b"p2", "p2.pdf")  # the old version no longer counts
    db.flush()
    with count_queries() as counter:
        summary = services.year_summary(db, a["year"].id)
    assert counter.count == 1
    # the world's own row (pending) + p2 (pending), v (verified), r (rejected)
    assert summary == dict(total=4, pending=2, verified=1, rejected=1)
    assert services.year_summary(db, 10**9) == dict(total=0, pending=0, verified=0, rejected=0)


def test_files_for_groups_current_files_by_target_in_one_query(db, a, count_queries):
    target = services.resolve_target(db, "action_item", a["action"].id)
    old = services.upload(db, a["client"], target, PDF + b"1", "gammel.pdf")
    services.replace(db, a["client"], old, target, PDF + b"2", "ny.pdf")
    db.flush()
    with count_queries() as counter:
        files = services.files_for(db, "action_item", [a["action"].id, 10**9])
    assert counter.count == 1
    names = [f["original_name"] for f in files[a["action"].id]]
    assert "ny.pdf" in names and "gammel.pdf" not in names
    assert files[10**9] == []
    assert all(isinstance(f, dict) and "sha256" in f and "uploaded_by_name" in f for f in files[a["action"].id])
    with count_queries() as counter:
        assert services.files_for(db, "hazard", []) == {}
    assert counter.count == 0


def test_a_failing_insert_leaves_no_file_on_disk(app, db, a):
    target = services.resolve_target(db, "action_item", a["action"].id)
    before = stored_files(app)

    def break_the_insert(mapper, connection, row):
        row.uploaded_by = 2_000_000_000  # no such user: the INSERT fails on its foreign key

    event.listen(Evidence, "before_insert", break_the_insert)
    try:
        with pytest.raises(IntegrityError):
            services.upload(db, a["client"], target, PDF, "rapport.pdf")
    finally:
        event.remove(Evidence, "before_insert", break_the_insert)
    db.rollback()
    assert stored_files(app) == before


def test_a_committed_upload_keeps_its_file(app, db, a):
    target = services.resolve_target(db, "action_item", a["action"].id)
    before = stored_files(app)
    evidence = services.upload(db, a["client"], target, PDF, "beholdes.pdf")
    db.commit()
    assert len(stored_files(app) - before) == 1
    bind_tenant(db, a["tenant"].id)
    assert db.scalar(select(func.count(Evidence.id)).where(Evidence.id == evidence.id)) == 1


def test_pending_for_review_filters_by_consultant_and_counts_all(db, a):
    target = services.resolve_target(db, "action_item", a["action"].id)
    services.upload(db, a["client"], target, PDF + b"1", "en.pdf")
    services.upload(db, a["client"], target, PDF + b"2", "to.pdf")
    items, total = services.pending_for_review(db, a["consultant"].id, limit=1)
    assert total == 3 and len(items) == 1  # the world's row and the two new ones
    assert items[0]["company_name"] == a["company"].name and items[0]["type_label"] == "Tiltak"
    assert services.pending_for_review(db, a["reviewer"].id) == ([], 0)
