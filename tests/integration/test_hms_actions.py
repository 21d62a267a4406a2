"""Action-plan services against a real database: creating items, who may be responsible, status and the
class rules' "active improvement", overdue first, and the year summary's constant number of queries."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from saas.hms.models import ActionItem, ActionNote, CertificationYear
from saas.hms.services import actions
from saas.schemas import FieldErrors
from saas.tenancy import bind_tenant
from tests import factories

TODAY = date(2026, 6, 15)


@pytest.fixture
def year(db, a):
    row = CertificationYear(company_id=a["company"].id, year=2030, consultant_id=a["consultant"].id)
    db.add(row)
    db.flush()
    return row


def test_an_item_can_be_assigned_to_staff_or_a_contact_of_the_company_only(db, a, year):
    item = actions.create_action_item(db, a["consultant"], year, title="Rydde rømningsvei", responsible_user_id=a["client"].id)
    assert item.responsible_user_id == a["client"].id and item.status == "open" and item.source_type == "manual"
    actions.create_action_item(db, a["consultant"], year, title="Bestille vernesko", responsible_user_id=a["reviewer"].id)
    stranger = factories.make_user(db, a["tenant"], roles=("client",))
    factories.make_contact(db, a["other_company"], user=stranger)
    bind_tenant(db, a["tenant"].id)
    with pytest.raises(FieldErrors) as error:
        actions.create_action_item(db, a["consultant"], year, title="Feil person", responsible_user_id=stranger.id)
    assert list(error.value.errors) == ["responsible_user_id"]
    with pytest.raises(FieldErrors) as error:
        actions.create_action_item(db, a["consultant"], year, title="  ", area="mental")
    assert set(error.value.errors) == {"title", "area"}


def test_progress_moves_the_status_and_the_rules_see_active_improvement(db, a, year):
    item = actions.create_action_item(db, a["consultant"], year, title="Måle støy", deadline=TODAY + timedelta(days=10),
                                      responsible_user_id=a["client"].id)
    assert not actions.rule_item(item).started
    actions.record_progress(db, a["client"], item, "in_progress", "Bestilt lydmåler")
    assert item.started_at is not None and item.status == "in_progress"
    [row] = actions.list_items(db, year.id, today=TODAY)
    assert row["active_improvement"] and not row["overdue"]
    [late] = actions.list_items(db, year.id, today=TODAY + timedelta(days=11))
    assert late["overdue"] and not late["active_improvement"]
    actions.record_progress(db, a["consultant"], item, "done", "")
    assert item.completed_at is not None
    [done] = actions.list_items(db, year.id, today=TODAY + timedelta(days=30))
    assert not done["overdue"]  # a finished item is not late
    notes = db.scalars(select(ActionNote).where(ActionNote.action_id == item.id).order_by(ActionNote.id)).all()
    assert [(n.new_status, n.text) for n in notes] == [("in_progress", "Bestilt lydmåler"), ("done", "")]


def test_a_client_contact_may_not_update_an_item_assigned_to_someone_else(db, a, year):
    item = actions.create_action_item(db, a["consultant"], year, title="Verneombud", responsible_name="Per Hansen")
    with pytest.raises(actions.Forbidden):
        actions.record_progress(db, a["client"], item, "done", "Ferdig")
    assert item.status == "open"


def test_an_empty_progress_update_is_refused(db, a, year):
    item = actions.create_action_item(db, a["consultant"], year, title="Førstehjelp")
    with pytest.raises(FieldErrors) as error:
        actions.record_progress(db, a["consultant"], item, "open", "  ")
    assert "text" in error.value.errors


def test_overdue_items_come_first_and_filters_narrow_the_plan(db, a, year):
    make = lambda title, days, **kw: actions.create_action_item(db, a["consultant"], year, title=title,  # noqa: E731
                                                                 deadline=TODAY + timedelta(days=days) if days is not None else None, **kw)
    make("Senere", 30)
    make("Uten frist", None)
    make("Litt forfalt", -2, responsible_user_id=a["client"].id)
    make("Mye forfalt", -20, area="psychosocial", responsible_name="Kari")
    make("Ferdig forfalt", -40, status="done")
    titles = [i["title"] for i in actions.list_items(db, year.id, today=TODAY)]
    assert titles == ["Mye forfalt", "Litt forfalt", "Senere", "Uten frist", "Ferdig forfalt"]
    flt = actions.ActionFilter
    assert [i["title"] for i in actions.list_items(db, year.id, flt(overdue=True), today=TODAY)] == ["Mye forfalt", "Litt forfalt"]
    assert [i["title"] for i in actions.list_items(db, year.id, flt(area="psychosocial"), today=TODAY)] == ["Mye forfalt"]
    assert [i["title"] for i in actions.list_items(db, year.id, flt(status="done"), today=TODAY)] == ["Ferdig forfalt"]
    assert [i["title"] for i in actions.list_items(db, year.id, flt(responsible=str(a["client"].id)), today=TODAY)] == ["Litt forfalt"]
    assert [i["title"] for i in actions.list_items(db, year.id, flt(responsible="Kari"), today=TODAY)] == ["Mye forfalt"]


def test_the_year_summary_counts_by_status_and_previews_overdue_first(db, a, year):
    for n in range(12):
        actions.create_action_item(db, a["consultant"], year, title=f"Tiltak {n}", deadline=TODAY + timedelta(days=n - 3),
                                   status=("open", "in_progress", "done")[n % 3])
    summary = actions.year_summary(db, year.id, today=TODAY)
    assert (summary["open"], summary["in_progress"], summary["done"], summary["total"]) == (4, 4, 4, 12)
    assert summary["overdue"] == 2  # n = 0 and 1; n = 2 is done
    assert len(summary["items_preview"]) == 10
    assert [i["title"] for i in summary["items_preview"][:2]] == ["Tiltak 0", "Tiltak 1"]
    assert all(isinstance(i, dict) for i in summary["items_preview"])


def _add_items(db, year, n):
    db.add_all([ActionItem(year_id=year.id, title=f"Tiltak {i}", deadline=TODAY + timedelta(days=i % 40 - 20),
                           status=("open", "in_progress", "done")[i % 3]) for i in range(n)])
    db.flush()


def test_the_year_summary_runs_the_same_number_of_queries_for_3_and_300_items(db, a, year, count_queries):
    big = CertificationYear(company_id=a["company"].id, year=2031)
    db.add(big)
    db.flush()
    _add_items(db, year, 3)
    _add_items(db, big, 300)
    small_id, large_id = year.id, big.id
    db.expire_all()
    with count_queries() as small:
        few = actions.year_summary(db, small_id, today=TODAY)
    db.expire_all()
    with count_queries() as large:
        many = actions.year_summary(db, large_id, today=TODAY)
    assert (few["total"], many["total"]) == (3, 300)
    assert small.count == large.count == 1, large.statements
