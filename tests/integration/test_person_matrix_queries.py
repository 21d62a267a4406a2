"""The employer's matrix costs a fixed number of SQL statements whatever the number of people and
competences (bench/employer_matrix.py measures 2,000 × 20)."""
from __future__ import annotations

from datetime import date, timedelta

from saas.persons.services import employer, register, training
from tests import factories
from tests.person_factories import competence, make_person, make_scheme

TODAY = date(2026, 12, 6)


def _add_people(db, a, scheme, count: int, start: int = 0) -> None:
    a.setdefault("matrix_company", factories.make_company(db, a["tenant"], name="Matrise AS"))
    codes = ("TYPE-73", "TYPE-DI4", "LINE-BERGEN", "SNO-ROT")
    for i in range(start, start + count):
        person = make_person(db, f"Ansatt {i:03d}", employer=a["matrix_company"])
        for n, code in enumerate(codes[: 1 + i % len(codes)]):
            register.register_documented(db, a["reviewer"], person, competence(db, scheme, code),
                                         TODAY - timedelta(days=30 * (i + n)), TODAY, "Kontrollert")
        if i % 3 == 0:
            training.enrol(db, a["admin"], person, competence(db, scheme, "LANG-NO-EN"), "new_candidate")


def test_the_matrix_runs_the_same_statements_for_3_and_for_30_people(db, a, count_queries):
    scheme = make_scheme(db, a["admin"])
    _add_people(db, a, scheme, 3)
    db.flush()
    db.expire_all()
    with count_queries() as small:
        few = employer.matrix(db, a["matrix_company"].id, TODAY)
    _add_people(db, a, scheme, 27, start=3)
    db.flush()
    db.expire_all()
    with count_queries() as large:
        many = employer.matrix(db, a["matrix_company"].id, TODAY)
    assert len(few["people"]) == 3 and len(many["people"]) == 30
    assert small.count == large.count <= 6, large.statements


def test_the_matrix_shows_states_expiries_and_the_next_step(db, a):
    scheme = make_scheme(db, a["admin"])
    _add_people(db, a, scheme, 4)
    data = employer.matrix(db, a["matrix_company"].id, TODAY)
    first = next(p for p in data["people"] if p["name"] == "Ansatt 000")
    assert first["cells"]["TYPE-73"]["state"] == "valid" and first["cells"]["LANG-NO-EN"]["state"] == "in_training"
    assert first["next"]["step"] == "complete_training"
    assert {c["code"] for c in data["competences"]} >= {"TYPE-73", "TYPE-DI4", "LINE-BERGEN", "SNO-ROT", "LANG-NO-EN"}
    seasonal = next(p for p in data["people"] if p["name"] == "Ansatt 003")["cells"]["SNO-ROT"]
    assert seasonal["expires_on"] is not None
