"""Queues and notifications (issue 13, point 1): a proposal reaches the reviewers' queue and notifications,
a decision tells the consultant, a client's upload and closing tell the consultant, an assignment tells the
assignee, overdue actions are told once per deadline, a failed document tells whoever asked; the daily digest."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from saas.certification import queue
from saas.certification.demo import complete_year
from saas.certification.services import decisions
from saas.db import utcnow
from saas.hms.services import actions, evidence
from saas.notifications import services as notifications
from saas.notifications.models import Notification
from saas.tenants.models import OutboxMessage
from tests import factories
from tests.integration.test_certification_decisions import TODAY, ctx, decide, propose  # noqa: F401  (fixture)
from tests.functional.test_action_ownership import PNG


def _notes(db, user) -> list[Notification]:
    return list(db.scalars(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)))


def test_a_proposal_lands_in_the_queue_and_tells_the_reviewers_but_not_the_proposer(ctx):
    db = ctx["db"]
    proposal = propose(ctx, "A")

    waiting = queue.waiting(db, TODAY)
    assert [w["id"] for w in waiting] == [proposal.id]
    item = waiting[0]
    assert item["consultant"] == "Kari Rådgiver" and item["proposer"] == "Kari Rådgiver"
    assert item["eligible_class"] == "A" and item["matches"] is True and "A+1" in item["not_met"]
    assert queue.pending_count(db) == 1
    for reviewer in (ctx["reviewer"], ctx["both"]):
        [note] = _notes(db, reviewer)
        assert note.kind == "proposal_made" and note.target_type == "certification_year" and note.target_id == ctx["year"].id
    assert _notes(db, ctx["consultant"]) == []


def test_the_queue_lists_the_oldest_first(ctx):
    db = ctx["db"]
    first = propose(ctx, "A")
    other = factories.make_company(db, ctx["tenant"], consultant_id=ctx["consultant"].id)
    year = complete_year(db, other, ctx["consultant"], TODAY)
    second = decisions.propose(db, ctx["consultant"], year.id, {"cert_class": "B", "b_alternative": False, "justification": ""}, TODAY)
    first.proposed_at = utcnow() - timedelta(days=3)
    db.flush()
    assert [w["id"] for w in queue.waiting(db, TODAY)] == [first.id, second.id]


def test_a_decision_tells_the_consultant(ctx):
    db = ctx["db"]
    proposal = propose(ctx, "A")
    decide(ctx, proposal)
    [note] = _notes(db, ctx["consultant"])
    assert note.kind == "decision_made" and "godkjent" in note.title
    assert queue.pending_count(db) == 0


def test_a_clients_upload_and_closing_tell_the_consultant_and_an_assignment_tells_the_assignee(ctx):
    db = ctx["db"]
    contact = factories.make_user(db, ctx["tenant"], roles=("client",), name="Dag Leder")
    factories.make_contact(db, ctx["company"], user=contact)
    item = actions.create_action_item(db, ctx["consultant"], ctx["year"], title="Sikre reolene",
                                      responsible_user_id=contact.id)
    assert [n.kind for n in _notes(db, contact)] == ["action_assigned"]

    from saas.hms.services import work
    work.update_assigned_action(db, contact, item, "done", "Festet til veggen", (PNG, "reol.png"))
    kinds = [n.kind for n in _notes(db, ctx["consultant"])]
    assert "evidence_uploaded" in kinds and "action_closed" in kinds
    # Staff uploading their own file tell nobody.
    before = db.scalar(select(func.count(Notification.id)))
    target = evidence.resolve_target(db, "action_item", item.id)
    evidence.upload(db, ctx["consultant"], target, PNG, "eget.png")
    assert db.scalar(select(func.count(Notification.id))) == before


def test_overdue_actions_are_told_once_per_deadline(ctx):
    db = ctx["db"]
    contact = factories.make_user(db, ctx["tenant"], roles=("client",))
    factories.make_contact(db, ctx["company"], user=contact)
    item = actions.create_action_item(db, ctx["consultant"], ctx["year"], title="Nødlys", deadline=TODAY - timedelta(days=1),
                                      responsible_user_id=contact.id)
    assert notifications.notify_overdue(db, TODAY) >= 2
    assert notifications.notify_overdue(db, TODAY) == 0  # run twice, change once
    overdue = [n for n in _notes(db, contact) if n.kind == "action_overdue" and n.target_id == item.id]
    assert len(overdue) == 1
    item.deadline = TODAY + timedelta(days=1)
    db.flush()
    assert notifications.notify_overdue(db, TODAY + timedelta(days=3)) >= 1  # the new deadline passed too


def test_a_failed_report_tells_whoever_asked(app, db):
    with app.app_context():
        tenant = factories.make_tenant(db)
        user = factories.make_user(db, tenant, roles=("consultant",))
        db.commit()
        from saas.jobs import job_failed

        # The receiver opens its own session; in tests that is the same connection's savepoint.
        job_failed.send(app, name="saas.hms.jobs.generate_mapping_report", tenant_id=tenant.id, args=[123, 1, user.id],
                        error=RuntimeError("WeasyPrint gikk tom for minne"))
        from saas.tenancy import bind_tenant
        bind_tenant(db, tenant.id)
        [note] = _notes(db, user)
        assert note.kind == "document_failed" and "WeasyPrint" in note.title and note.target_id == 123


def test_the_digest_goes_once_a_day_to_users_who_asked_for_it(app, ctx):
    db = ctx["db"]
    propose(ctx, "A")
    notifications.save_settings(db, ctx["reviewer"].id, True)
    now = utcnow()
    assert notifications.send_digests(db, ctx["tenant"], now) == 1
    assert notifications.send_digests(db, ctx["tenant"], now) == 0
    mail = db.scalar(select(OutboxMessage).where(OutboxMessage.to == ctx["reviewer"].email))
    assert "forslag om klasse A venter på beslutning" in mail.body and "/notifications" in mail.body
    assert db.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.to == ctx["both"].email)) == 0  # not asked


def test_marking_read_counts_down(ctx):
    db = ctx["db"]
    propose(ctx, "A")
    assert notifications.unread_count(db, ctx["reviewer"].id) == 1
    assert notifications.mark_read(db, ctx["reviewer"].id) == 1
    assert notifications.unread_count(db, ctx["reviewer"].id) == 0
