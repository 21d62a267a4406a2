"""The yearly run for a tenant with 10,000 client companies: wall time and the SQL statements it issues.

Run: .venv/bin/python bench/yearly_run.py [--companies 10000]  (PostgreSQL when reachable, else SQLite)

Seeds a fresh database with bulk inserts (under platform_access): every company has an open year with a
physical mapping (checklist with findings, report), action items, a risk assessment, a psychosocial
mapping, compliance checks and the A4 attestation, with gaps here and there (no risk assessment, an
overdue item, no attestation) so the verdicts vary; a third have last year's certificate ending within
90 days.  Then runs the job ``saas.certification.jobs.run_yearly`` the way the queue does.
"""
from __future__ import annotations

import argparse
import collections
import time
from datetime import date, datetime, timedelta, timezone

from _common import bench_app
from sqlalchemy import event, insert

from saas.certification.models import Attestation, Certificate, CertificationDecision, CertificationProposal
from saas.clients.models import ClientCompany
from saas.hms.models import (ActionItem, CertificationYear, ChecklistAnswer, ChecklistRun, ChecklistTemplate,
                             ChecklistTemplateVersion, ComplianceCheck, Evidence, PhysicalMapping, PsychosocialMapping,
                             RiskAssessment)
from saas.hms.rules import COMPLIANCE_KEYS
from saas.jobs import BackgroundTask, run_job
from saas.norway import generate_valid_org_numbers
from saas.tenancy import bind_tenant, platform_access
from tests import factories

TODAY = date(2026, 6, 15)
NOW = datetime(2026, 6, 15, 8, tzinfo=timezone.utc)


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def bulk(session, model, rows: list[dict]) -> list[int]:
    """Insert ``rows`` in one executemany with RETURNING; their ids in the rows' order."""
    return list(session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), rows))


def seed(session, tenant_id: int, consultant_id: int, reviewer_id: int, n: int) -> None:
    t = dict(tenant_id=tenant_id)
    companies = bulk(session, ClientCompany, [
        dict(t, name=f"Bedrift {i:05d} AS", org_number=org, org_form="AS", city="Kongsberg", employee_count=5 + i % 60,
             works_off_premises=False, consultant_id=consultant_id)
        for i, org in enumerate(generate_valid_org_numbers(710, n))])
    (template,) = bulk(session, ChecklistTemplate, [dict(t, kind="physical", name="Fysisk", is_default=True)])
    (version,) = bulk(session, ChecklistTemplateVersion, [dict(t, template_id=template, version=1, content={"sections": []})])
    years = bulk(session, CertificationYear, [dict(t, company_id=c, year=2026, consultant_id=consultant_id, status="open")
                                              for c in companies])
    runs = bulk(session, ChecklistRun, [dict(t, template_version_id=version) for _ in years])
    bulk(session, ChecklistAnswer, [dict(t, run_id=r, section_key="A", item_key=f"A{k}", item_text="Punkt",
                                         answer="finding" if k < 2 else "ok") for r in runs for k in range(3)])
    reports = bulk(session, Evidence, [dict(t, year_id=y, target_type="physical_mapping_report", target_id=0,
                                            file_key=f"bench/{y:08d}.pdf", original_name="rapport.pdf",
                                            content_type="application/pdf", size=1, sha256="0" * 64, status="verified")
                                       for y in years])
    bulk(session, PhysicalMapping, [dict(t, year_id=y, run_id=r, method="provider", status="completed", completed_on=ago(60),
                                         report_evidence_id=e) for y, r, e in zip(years, runs, reports)])
    bulk(session, ActionItem, [
        dict(t, year_id=y, title=title, area=area, status=status, deadline=deadline, started_at=NOW if status != "open" else None)
        for i, y in enumerate(years)
        for title, area, status, deadline in (
            ("Skjerme maskin", "physical", "done", ago(10)),
            ("Lys på lager", "physical", "in_progress", ago(1) if i % 7 == 0 else TODAY + timedelta(days=60)),
            ("Roller", "psychosocial", "in_progress", TODAY + timedelta(days=90)))])
    bulk(session, RiskAssessment, [dict(t, year_id=y, title="Risiko", assessed_on=ago(55), status="completed", matrix_snapshot={})
                                   for i, y in enumerate(years) if i % 10 != 0])
    bulk(session, PsychosocialMapping, [dict(t, year_id=y, completed_on=ago(30), status="completed", report_evidence_id=e,
                                             reviewed_with_management_on=ago(20)) for y, e in zip(years, reports)])
    bulk(session, ComplianceCheck, [dict(t, year_id=y, key=k, status="verified") for y in years for k in COMPLIANCE_KEYS])
    bulk(session, Attestation, [dict(t, year_id=y, kind="a4", note="Jevnlig arbeid", by_user_id=consultant_id, on=ago(10))
                                for i, y in enumerate(years) if i % 4 != 0])
    # Last year's class-A certificate, ending within 90 days, for every third company.
    last = [c for i, c in enumerate(companies) if i % 3 == 0]
    old_years = bulk(session, CertificationYear, [dict(t, company_id=c, year=2025, consultant_id=consultant_id, status="decided")
                                                  for c in last])
    proposals = bulk(session, CertificationProposal, [dict(t, year_id=y, cert_class="A", ruleset_version="bench", status="approved",
                                                           proposed_by=consultant_id) for y in old_years])
    decisions = bulk(session, CertificationDecision, [
        dict(t, year_id=y, proposal_id=p, outcome="approved", cert_class="A", ruleset_version="bench", facts_snapshot={},
             facts_sha256="0" * 64, verdict_snapshot={}, decided_by=reviewer_id, decided_on=ago(300))
        for y, p in zip(old_years, proposals)])
    bulk(session, Certificate, [
        dict(t, company_id=c, year_id=y, year=2025, decision_id=d, number=f"HMS-2025-{k:05d}", sequence=k, cert_class="A",
             issued_on=ago(300), valid_until=ago(300).replace(year=2026) - timedelta(days=1), state="active",
             state_changed_on=ago(300), issued_by=reviewer_id, verification_code=f"bench{k:011d}")
        for k, (c, y, d) in enumerate(zip(last, old_years, decisions), 1)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--companies", type=int, default=10_000)
    args = parser.parse_args()
    app = bench_app("saas_bench_yearly_run")
    db = app.extensions["saas.db"]
    started = time.perf_counter()
    with app.app_context(), db.session_scope() as session:
        tenant = factories.make_tenant(session, slug="bench")
        consultant = factories.make_user(session, tenant, roles=("consultant",), email="bench@example.no")
        reviewer = factories.make_user(session, tenant, roles=("reviewer",), email="bench-reviewer@example.no")
        tenant_id = tenant.id
        with platform_access(session):
            seed(session, tenant_id, consultant.id, reviewer.id, args.companies)
        bind_tenant(session, tenant_id)
        task = BackgroundTask(kind="yearly_run", created_by=consultant.id)
        session.add(task)
        session.flush()
        task_id = task.id
    print(f"seeded {args.companies} companies in {time.perf_counter() - started:.1f} s ({db.engine.dialect.name})")

    statements: collections.Counter = collections.Counter()
    sent = collections.Counter()  # bind parameters and SQL text of the run's own statements

    def count(conn, cursor, statement, parameters, context, executemany):
        word = statement.lstrip().split(None, 1)[0].upper()
        kind = "bookkeeping" if "set_config" in statement or word in ("SAVEPOINT", "RELEASE") else word
        statements[kind] += 1
        if kind != "bookkeeping":
            sent["parameters"] += len(parameters) if isinstance(parameters, (dict, tuple, list)) and not executemany else 0
            sent["sql_bytes"] += len(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    started = time.perf_counter()
    run_job("saas.certification.jobs.run_yearly", tenant_id, [task_id, 90, TODAY.isoformat()], app=app)
    elapsed = time.perf_counter() - started
    event.remove(db.engine, "before_cursor_execute", count)

    with app.app_context(), db.session_scope() as session:
        bind_tenant(session, tenant_id)
        task = session.get(BackgroundTask, task_id)
        rows = task.result["rows"]
        eligible = collections.Counter(r["eligible"] or "none" for r in rows)
        print(f"task {task.status}: {task.message}")
    total = sum(v for k, v in statements.items() if k != "bookkeeping")
    print(f"yearly run: {len(rows)} companies in {elapsed:.1f} s wall time (target < 60 s)")
    print(f"SQL statements: {total} ({', '.join(f'{k} {v}' for k, v in sorted(statements.items()) if k != 'bookkeeping')}), "
          f"plus {statements['bookkeeping']} tenant-setting/savepoint statements")
    print(f"sent: {sent['parameters']} bind parameters, {sent['sql_bytes'] / 1024:.0f} KiB of SQL text")
    print(f"eligible classes: {dict(sorted(eligible.items()))}")
    compare_id_lists(app, tenant_id)


def compare_id_lists(app, tenant_id: int, rounds: int = 3) -> None:
    """gather_facts_bulk over every open year, id lists as one array parameter (saas.db.ids_in) against
    the IN list of one placeholder per id, interleaved in one process (PostgreSQL only)."""
    from sqlalchemy import select

    from saas.certification.services import facts
    from saas.hms.models import CertificationYear

    db = app.extensions["saas.db"]
    if db.engine.dialect.name != "postgresql":
        return
    real = facts.ids_in

    def in_list(session, column, ids):
        return column.in_(list(ids))

    timings: dict[str, list[float]] = {"array": [], "in-list": []}
    sent = {mode: collections.Counter() for mode in timings}
    current = ["array"]

    def count(conn, cursor, statement, parameters, context, executemany):
        sent[current[0]]["parameters"] += len(parameters) if isinstance(parameters, (dict, tuple, list)) else 0
        sent[current[0]]["sql_bytes"] += len(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    with app.app_context(), db.session_scope() as session:
        bind_tenant(session, tenant_id)
        year_ids = session.scalars(select(CertificationYear.id)).all()
        try:
            for _ in range(rounds):
                for mode, helper in (("array", real), ("in-list", in_list)):
                    facts.ids_in, current[0] = helper, mode
                    session.expire_all()
                    started = time.perf_counter()
                    facts.gather_facts_bulk(session, year_ids, TODAY)
                    timings[mode].append(time.perf_counter() - started)
        finally:
            facts.ids_in = real
            event.remove(db.engine, "before_cursor_execute", count)
    print(f"gather_facts_bulk over {len(year_ids)} years, median of {rounds}: " + ", ".join(
        f"{mode} {sorted(t)[len(t) // 2]:.2f} s ({sent[mode]['parameters'] // rounds} bind parameters, "
        f"{sent[mode]['sql_bytes'] / rounds / 1024:.0f} KiB of SQL)" for mode, t in timings.items()))


if __name__ == "__main__":
    main()
