"""The consultant's home: what needs attention across the consultant's clients, one click from the place to act."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from saas.certification.services.certificates import expiring
from saas.hms.models import ActionItem, CertificationYear, ChecklistRun, Evidence, PhysicalMapping
from saas.hms.services import actions as action_services
from saas.hms.services import work
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import login

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def a(two_tenants, db):
    bind_tenant(db, two_tenants["a"]["tenant"].id)
    return two_tenants["a"]


@pytest.fixture
def today():
    return action_services.oslo_today()


def make_year(db, company, year, **fields):
    row = CertificationYear(company_id=company.id, year=year, **fields)
    db.add(row)
    db.flush()
    return row


def make_mapping(db, a, year, **fields):
    run = ChecklistRun(template_version_id=a["template_version"].id, submitted_at=fields.pop("submitted_at", None))
    db.add(run)
    db.flush()
    mapping = PhysicalMapping(year_id=year.id, run_id=run.id, **fields)
    db.add(mapping)
    db.flush()
    return mapping


def make_evidence(db, year, target_id, name):
    row = Evidence(year_id=year.id, target_type="action_item", target_id=target_id, file_key=f"0000/{factories.org_number():0>32}.pdf"[:42],
                   original_name=name, content_type="application/pdf", size=100, sha256="0" * 64)
    db.add(row)
    db.flush()
    return row


def client_of(db, a, company, email):
    user = factories.make_user(db, a["tenant"], roles=("client",), email=email)
    factories.make_contact(db, company, user=user)
    return user


def test_overdue_items_of_my_companies_link_to_the_item_and_its_year(client, db, a, today):
    mine = factories.make_company(db, a["tenant"], name="Min Kunde AS", consultant_id=a["consultant"].id)
    others = factories.make_company(db, a["tenant"], name="Kollegas Kunde AS", consultant_id=a["admin"].id)
    my_year, their_year = make_year(db, mine, today.year), make_year(db, others, today.year)
    late = ActionItem(year_id=my_year.id, title="Skift nødlysbatteri", deadline=today - timedelta(days=3), responsible_name="Per")
    due_today = ActionItem(year_id=my_year.id, title="Frist i dag", deadline=today)
    done = ActionItem(year_id=my_year.id, title="Ferdig for lengst", deadline=today - timedelta(days=30), status="done")
    theirs = ActionItem(year_id=their_year.id, title="Kollegas forfalte tiltak", deadline=today - timedelta(days=1))
    db.add_all([late, due_today, done, theirs])
    db.commit()
    login(client, a["consultant"])
    body = client.get("/t/tenant-a/work/").get_data(as_text=True)
    assert "Skift nødlysbatteri" in body and "3 dager over" in body
    assert f'href="/t/tenant-a/actions/{late.id}"' in body
    assert f'href="/t/tenant-a/years/{my_year.id}"' in body
    for absent in ("Frist i dag", "Ferdig for lengst", "Kollegas forfalte tiltak"):
        assert absent not in body
    everyone = client.get("/t/tenant-a/work/?alle=1").get_data(as_text=True)
    assert "Kollegas forfalte tiltak" in everyone and "Skift nødlysbatteri" in everyone


def test_files_waiting_for_verification_link_to_their_review(client, db, a, today):
    login(client, a["client"])
    response = client.post(f"/t/tenant-a/evidence/new?target_type=action_item&target_id={a['action'].id}",
                           data={"file": (io.BytesIO(PDF), "kvittering.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    client.post("/logout")
    bind_tenant(db, a["tenant"].id)
    evidence = db.query(Evidence).filter_by(original_name="kvittering.pdf").one()
    login(client, a["consultant"])
    body = client.get("/t/tenant-a/work/").get_data(as_text=True)
    assert "kvittering.pdf" in body
    assert f'href="/t/tenant-a/evidence/{evidence.id}?next=' in body


def test_companies_without_a_mapping_this_year_lead_to_their_year_or_to_opening_one(client, db, a, today):
    no_year = factories.make_company(db, a["tenant"], name="Uten År AS", consultant_id=a["consultant"].id)
    empty = factories.make_company(db, a["tenant"], name="Uten Kartlegging AS", consultant_id=a["consultant"].id)
    mapped = factories.make_company(db, a["tenant"], name="Kartlagt AS", consultant_id=a["consultant"].id)
    archived = factories.make_company(db, a["tenant"], name="Arkivert AS", consultant_id=a["consultant"].id)
    last_year_only = factories.make_company(db, a["tenant"], name="Bare I Fjor AS", consultant_id=a["consultant"].id)
    from saas.db import utcnow

    archived.archived_at = utcnow()
    empty_year = make_year(db, empty, today.year)
    make_mapping(db, a, make_year(db, mapped, today.year))
    make_mapping(db, a, make_year(db, last_year_only, today.year - 1))
    db.commit()
    login(client, a["consultant"])
    body = client.get("/t/tenant-a/work/").get_data(as_text=True)
    section = body[body.index('id="uten-kartlegging"'):body.index('id="sertifikater"')]
    assert "Uten År AS" in section and f'href="/t/tenant-a/years/companies/{no_year.id}/open"' in section
    assert "Uten Kartlegging AS" in section and f'href="/t/tenant-a/years/{empty_year.id}"' in section
    assert "Bare I Fjor AS" in section
    assert "Kartlagt AS" not in section and "Arkivert AS" not in section


def test_submitted_self_mappings_wait_for_verification_on_the_home_page(client, db, a, today):
    from saas.db import utcnow

    company = factories.make_company(db, a["tenant"], name="Selvkartlegger AS", consultant_id=a["consultant"].id)
    year = make_year(db, company, today.year, self_mapping=True)
    submitted = make_mapping(db, a, year, method="self", submitted_at=utcnow())
    make_mapping(db, a, year, method="self")  # still being filled in by the client
    db.commit()
    login(client, a["consultant"])
    body = client.get("/t/tenant-a/work/").get_data(as_text=True)
    section = body[body.index('id="egenkartlegginger"'):body.index('id="uten-kartlegging"')]
    assert section.count("Selvkartlegger AS") == 1
    assert f'href="/t/tenant-a/years/mappings/{submitted.id}"' in section


def test_the_certificates_section_is_there_and_empty_until_certificates_exist(client, db, a):
    assert expiring(db, a["consultant"].id, 90, date.today()) == []
    login(client, a["consultant"])
    body = client.get("/t/tenant-a/work/").get_data(as_text=True)
    assert "Sertifikater som utløper innen 90 dager" in body
    assert "Ingen sertifikater utløper de neste 90 dagene." in body


def test_only_staff_have_the_consultant_home_and_only_clients_the_client_home(client, a):
    login(client, a["client"])
    assert client.get("/t/tenant-a/work/").status_code == 403
    client.post("/logout")
    login(client, a["consultant"])
    assert client.get("/t/tenant-a/work/mine").status_code == 403


def _fill_tenant(db, a, today, companies: int):
    """``companies`` companies of the consultant, each with an overdue item, a file waiting, a submitted
    self-mapping, and one more company without a year."""
    from saas.db import utcnow

    for n in range(companies):
        company = factories.make_company(db, a["tenant"], consultant_id=a["consultant"].id)
        year = make_year(db, company, today.year)
        for k in range(3):
            item = ActionItem(year_id=year.id, title=f"Tiltak {n}-{k}", deadline=today - timedelta(days=k + 1),
                              responsible_user_id=a["client"].id)
            db.add(item)
            db.flush()
            make_evidence(db, year, item.id, f"fil-{n}-{k}.pdf")
        make_mapping(db, a, year, method="self", submitted_at=utcnow())
        factories.make_company(db, a["tenant"], consultant_id=a["consultant"].id)
    db.commit()


def test_the_home_page_query_count_does_not_grow_with_the_number_of_companies(client, db, a, today, count_queries):
    login(client, a["consultant"])
    _fill_tenant(db, a, today, 1)
    client.get("/t/tenant-a/work/")  # warm-up: first-request work is not the page's
    with count_queries() as small:
        assert client.get("/t/tenant-a/work/").status_code == 200
    _fill_tenant(db, a, today, 8)
    with count_queries() as large:
        response = client.get("/t/tenant-a/work/?alle=1")
    assert response.status_code == 200
    assert "Tiltak 7-2" in response.get_data(as_text=True) or "Tiltak 0-2" in response.get_data(as_text=True)
    assert large.count == small.count, large.statements
    assert small.count <= 4, small.statements  # login lookup, scope, four sections read together, one apart


def test_the_service_counts_more_than_it_shows(db, a, today):
    _fill_tenant(db, a, today, 10)
    home = work.consultant_home(db, a["consultant"], today)
    assert home["overdue"]["total"] >= 30 and len(home["overdue"]["rows"]) == work.SECTION_LIMIT
    assert [i["deadline"] for i in home["overdue"]["rows"]] == sorted(i["deadline"] for i in home["overdue"]["rows"])
    assert home["evidence"]["total"] >= 30 and home["mappings"]["total"] == 10
    assert home["without_mapping"]["total"] >= 10


def test_all_clients_shows_every_companys_expiring_certificates_and_mine_only_my_own(client, db, a, today):
    from saas.certification.demo import previous_certificate

    colleague = factories.make_user(db, a["tenant"], roles=("consultant",), email="kollega@a.example.no")
    reviewer = factories.make_user(db, a["tenant"], roles=("reviewer",), email="revisor@a.example.no")
    mine = factories.make_company(db, a["tenant"], consultant_id=a["consultant"].id, name="Min Utløper AS")
    theirs = factories.make_company(db, a["tenant"], consultant_id=colleague.id, name="Kollegas Utløper AS")
    nobodys = factories.make_company(db, a["tenant"], name="Uten Rådgiver AS")
    for company, consultant in ((mine, a["consultant"]), (theirs, colleague), (nobodys, colleague)):
        previous_certificate(db, a["tenant"], company, consultant, reviewer, today, issued_days_ago=340)
    db.commit()
    login(client, a["consultant"])

    def section(url):
        body = client.get(url).get_data(as_text=True)
        return body[body.index('id="sertifikater"'):]

    own = section("/t/tenant-a/work/")
    assert "Min Utløper AS" in own and "Kollegas Utløper AS" not in own and "Uten Rådgiver AS" not in own
    everyone = section("/t/tenant-a/work/?alle=1")
    assert all(name in everyone for name in ("Min Utløper AS", "Kollegas Utløper AS", "Uten Rådgiver AS")), everyone
    assert "B Hemmelig" not in everyone  # tenant B's companies stay out


def test_all_clients_costs_the_same_queries_for_more_expiring_certificates(client, db, a, today, count_queries):
    from saas.certification.demo import previous_certificate

    colleague = factories.make_user(db, a["tenant"], roles=("consultant",), email="kollega2@a.example.no")
    reviewer = factories.make_user(db, a["tenant"], roles=("reviewer",), email="revisor2@a.example.no")

    def add(n):
        for _ in range(n):
            company = factories.make_company(db, a["tenant"], consultant_id=colleague.id)
            previous_certificate(db, a["tenant"], company, colleague, reviewer, today, issued_days_ago=340)
        db.commit()

    login(client, a["consultant"])
    add(1)
    client.get("/t/tenant-a/work/?alle=1")  # warm-up
    with count_queries() as small:
        client.get("/t/tenant-a/work/?alle=1")
    add(6)
    with count_queries() as large:
        response = client.get("/t/tenant-a/work/?alle=1")
    assert response.get_data(as_text=True).count("utløper") >= 7
    assert large.count == small.count, large.statements


def test_overdue_items_of_archived_companies_and_closed_years_stay_off_the_home_page(client, db, a, today):
    from saas.db import utcnow

    live = factories.make_company(db, a["tenant"], name="Levende AS", consultant_id=a["consultant"].id)
    archived = factories.make_company(db, a["tenant"], name="Arkivert AS", consultant_id=a["consultant"].id)
    closed = factories.make_company(db, a["tenant"], name="Lukket År AS", consultant_id=a["consultant"].id)
    for company, title, status in ((live, "Tiltak levende", "open"), (archived, "Tiltak arkivert", "open"),
                                   (closed, "Tiltak lukket", "closed")):
        year = make_year(db, company, today.year - 1)
        year.status = status
        db.add(ActionItem(year_id=year.id, title=title, deadline=today - timedelta(days=5)))
    archived.archived_at = utcnow()
    db.commit()
    home = work.consultant_home(db, a["consultant"], today)
    titles = [r["title"] for r in home["overdue"]["rows"]]
    assert "Tiltak levende" in titles and "Tiltak arkivert" not in titles and "Tiltak lukket" not in titles
    row = next(r for r in home["overdue"]["rows"] if r["title"] == "Tiltak levende")
    assert row["company_name"] == "Levende AS" and row["year"] == today.year - 1 and row["days_overdue"] == 5
