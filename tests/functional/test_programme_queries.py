"""The audit programme costs the same number of SQL statements for 3 clients as for 15."""
from saas.i18n import today_in_oslo
from tests import factories
from tests.audit_helpers import bulk_programme_clients
from tests.conftest import login


def test_the_programme_page_is_constant_in_the_number_of_clients(app, db, client, count_queries):
    tenant = factories.make_tenant(db, slug="programme")
    admin = factories.make_user(db, tenant, roles=("admin",))
    today = today_in_oslo()
    bulk_programme_clients(db, tenant.id, admin.id, 3, today)
    db.commit()
    login(client, admin)
    with count_queries() as few:
        page = client.get("/t/programme/audits/programme")
    assert page.status_code == 200 and "Opplæring 0002 AS" in page.get_data(as_text=True)
    bulk_programme_clients(db, tenant.id, admin.id, 12, today, start=3)
    db.commit()
    with count_queries() as many:
        page = client.get("/t/programme/audits/programme")
    assert "Opplæring 0014 AS" in page.get_data(as_text=True)
    assert many.count == few.count, (few.count, many.count)


def test_the_programme_is_on_the_calendar(app, db, client):
    tenant = factories.make_tenant(db, slug="calendar")
    admin = factories.make_user(db, tenant, roles=("admin",))
    bulk_programme_clients(db, tenant.id, admin.id, 2, today_in_oslo())
    db.commit()
    login(client, admin)
    response = client.get("/t/calendar/audits/programme.ics")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert body.startswith("BEGIN:VCALENDAR") and "Oppfølgingsrevisjon senest: Opplæring 0000 AS" in body
    assert "Frist for søknad om resertifisering" in body and body.count("BEGIN:VEVENT") >= 4
