"""The reviewer's queue and notifications over HTTP: the menu shows the counts, the queue page lists the
waiting proposal with its verdict, opening a notification marks it read, the digest setting, the API."""
from __future__ import annotations

import pytest

from saas.auth import create_api_token
from saas.certification.demo import complete_year
from saas.certification.services import decisions
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import login



@pytest.fixture
def world(app, db):
    from saas.i18n import today_in_oslo

    today = today_in_oslo()
    with app.test_request_context():
        tenant = factories.make_tenant(db, slug="bht")
        consultant = factories.make_user(db, tenant, roles=("consultant",), name="Kari Rådgiver")
        reviewer = factories.make_user(db, tenant, roles=("reviewer",), name="Siri Sertifisør")
        company = factories.make_company(db, tenant, name="Verkstedet AS", consultant_id=consultant.id)
        year = complete_year(db, company, consultant, today)
        proposal = decisions.propose(db, consultant, year.id, {"cert_class": "A", "b_alternative": False, "justification": ""}, today)
        token = create_api_token(db, reviewer, "t")[1]
        data = dict(tenant=tenant, consultant=consultant, reviewer=reviewer, year=year, proposal=proposal, token=token)
        db.flush()
        bind_tenant(db, None)
        db.commit()
        return data


def test_the_reviewer_sees_the_counts_finds_the_proposal_and_the_notification_opens_it(client, world):
    login(client, world["reviewer"])
    home = client.get("/t/bht/notifications/").get_data(as_text=True)
    assert 'href="/t/bht/queue/"' in home and 'class="count"' in home
    assert "Verkstedet AS" in home and "venter på beslutning" in home
    queue = client.get("/t/bht/queue/").get_data(as_text=True)
    assert f'data-proposal-id="{world["proposal"].id}"' in queue and "Kari Rådgiver" in queue and "Klasse A" in queue
    note_id = home.split('data-notification-id="')[1].split('"')[0]
    opened = client.post(f"/t/bht/notifications/{note_id}/open")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/t/bht/certification/years/{world['year'].id}")
    assert 'class="unread"' not in client.get("/t/bht/notifications/").get_data(as_text=True)


def test_a_client_contact_cannot_open_the_queue_and_nobody_opens_anothers_notification(app, client, db, world):
    bind_tenant(db, world["tenant"].id)
    contact = factories.make_user(db, world["tenant"], roles=("client",))
    db.commit()
    login(client, contact)
    assert client.get("/t/bht/queue/").status_code == 403
    other = app.test_client()
    login(other, world["consultant"])
    from sqlalchemy import select
    from saas.notifications.models import Notification
    bind_tenant(db, world["tenant"].id)
    note_id = db.scalar(select(Notification.id).where(Notification.user_id == world["reviewer"].id))
    db.commit()
    assert other.post(f"/t/bht/notifications/{note_id}/open").status_code == 404


def test_the_digest_setting_is_saved(client, world):
    login(client, world["reviewer"])
    assert client.post("/t/bht/notifications/settings", data={"daily_digest": "1"}).status_code == 302
    assert 'name="daily_digest" value="1" checked' in client.get("/t/bht/notifications/").get_data(as_text=True)


def test_the_api_lists_the_queue_and_notifications_and_marks_them_read(client, world):
    headers = {"Authorization": f"Bearer {world['token']}"}
    queue = client.get("/api/v1/t/bht/review-queue", headers=headers)
    assert queue.status_code == 200 and queue.json["items"][0]["id"] == world["proposal"].id
    assert queue.json["items"][0]["consultant"] == "Kari Rådgiver"
    listed = client.get("/api/v1/t/bht/notifications?unread=1", headers=headers).json
    assert listed["total"] == 1 and listed["items"][0]["kind"] == "proposal_made"
    read = client.post(f"/api/v1/t/bht/notifications/{listed['items'][0]['id']}/read", headers=headers)
    assert read.status_code == 200 and read.json == {"marked": 1, "unread": 0}
    assert client.post("/api/v1/t/bht/notifications/999999/read", headers=headers).status_code == 404
    bad = client.put("/api/v1/t/bht/notification-settings", headers=headers, json={"daily_digest": "kanskje"})
    assert bad.status_code == 422 and "daily_digest" in bad.json["fields"]
    ok = client.put("/api/v1/t/bht/notification-settings", headers=headers, json={"daily_digest": True})
    assert ok.json == {"daily_digest": True}
    spec = client.get("/api/v1/openapi.json").json
    assert "/t/{slug}/review-queue" in str(spec["paths"].keys()) or any("review-queue" in p for p in spec["paths"])
