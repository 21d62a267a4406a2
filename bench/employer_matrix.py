"""The employer's people × competences matrix for a company of 2,000 people × 20 competences: SQL
statements (constant) and median time of the service and of the whole page and API answer.

Run: .venv/bin/python bench/employer_matrix.py  (PostgreSQL when reachable, else SQLite)
"""
from __future__ import annotations

import statistics
import time
from datetime import date, timedelta

from _common import bench_app, count_statements, report, timed
from sqlalchemy import insert, select, text

from saas.i18n import today_in_oslo
from saas.persons.models import PersonCompetence, Holding, Person
from saas.persons.services import catalogue, employer
from saas.schemes import services as schemes
from saas.tenancy import bind_tenant, platform_access
from tests import factories

PEOPLE, COMPETENCES = 2000, 20


def main() -> None:
    app = bench_app("saas_bench_employer_matrix")
    db = app.extensions["saas.db"]
    today = today_in_oslo()
    with app.app_context(), db.session_scope() as session:
        tenant = factories.make_tenant(session, slug="bench")
        admin = factories.make_user(session, tenant, roles=("admin", "reviewer", "consultant"), email="bench@example.no")
        company = factories.make_company(session, tenant, name="Stor Arbeidsgiver AS")
        scheme = catalogue.create_from_template(session, admin, "forer")
        existing = len(catalogue.competences(session, scheme.id))
        for i in range(COMPETENCES - existing):
            session.add(PersonCompetence(scheme_id=scheme.id, code=f"EXTRA-{i:02d}", name=f"Ekstra {i}", kind="vehicle",
                                   position=existing + i))
        session.flush()
        version_id = schemes.current_version(session, scheme).id
        competence_ids = [c.id for c in catalogue.competences(session, scheme.id)]
        tenant_id, company_id = tenant.id, company.id
        with platform_access(session):
            session.execute(insert(Person), [dict(tenant_id=tenant_id, name=f"Ansatt {i:05d}", birth_date=date(1980, 1, 1),
                                                  employer_id=company_id) for i in range(PEOPLE)])
            person_ids = session.scalars(select(Person.id).where(Person.tenant_id == tenant_id)).all()
            rows = []
            for n, person_id in enumerate(person_ids):
                for m, competence_id in enumerate(competence_ids):
                    tested = today - timedelta(days=(n * 7 + m * 31) % 1300)
                    rows.append(dict(tenant_id=tenant_id, person_id=person_id, competence_id=competence_id,
                                     scheme_version_id=version_id, first_issued_on=tested, tested_on=tested,
                                     last_used_on=tested + timedelta(days=(n + m) % 200)))
            session.execute(insert(Holding), rows)
    with db.engine.begin() as connection:  # fresh statistics, as autovacuum would give a live database
        if connection.dialect.name == "postgresql":
            connection.execute(text("ANALYZE persons; ANALYZE person_holdings"))

    def service():
        with app.app_context(), db.session_scope() as session:
            bind_tenant(session, tenant_id)
            data = employer.matrix(session, company_id, today)
            assert len(data["people"]) == PEOPLE and len(data["competences"]) == COMPETENCES

    with count_statements(db.engine) as counter:
        service()
    print(f"SQL statements for the matrix service ({PEOPLE} × {COMPETENCES}): {counter.total}")
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.no", "password": factories.PASSWORD})
    with count_statements(db.engine) as counter:
        assert client.get(f"/t/bench/persons/employer/{company_id}").status_code == 200
    print(f"SQL statements for the matrix page: {counter.total}")
    report(f"employer matrix service, {PEOPLE} people × {COMPETENCES} competences", timed(service, 15))
    cpu = []
    for _ in range(5):
        start = time.process_time()
        service()
        cpu.append(time.process_time() - start)
    print(f"employer matrix service, CPU time of this process: median {statistics.median(cpu) * 1000:.1f} ms "
          "(the wall time above includes waiting for a shared, loaded machine and the database)")
    report("employer matrix page (HTML, 100 people a page)",
           timed(lambda: client.get(f"/t/bench/persons/employer/{company_id}?page=7"), 10))


if __name__ == "__main__":
    main()
