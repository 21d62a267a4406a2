"""Forms that keep what you type (issue 13, point 3): a mapping's header and checklist save together in one
form, a file chosen next to an item is saved with the answers, an error anywhere keeps everything typed, and
"Alt OK i denne delen" answers the rest of a section."""
from __future__ import annotations

import io
from datetime import date

from sqlalchemy import select

from saas.hms.models import ChecklistAnswer, Evidence, PhysicalMapping
from saas.tenancy import bind_tenant
from tests.conftest import login
from tests.functional.test_action_ownership import PNG
from tests.functional.test_hms_mappings import answer_ids, new_mapping, world  # noqa: F401  (fixture)


def _mapping(db, world, mapping_id):
    bind_tenant(db, world["tenant"].id)
    db.expire_all()
    return db.get(PhysicalMapping, mapping_id)


def test_the_header_answers_and_a_file_are_saved_by_one_submit(client, db, world):
    login(client, world["consultant"])
    mapping_id = new_mapping(client, world["year"].id, performed_on="2026-03-02", participants="")
    ids = answer_ids(db, world["tenant"].id, mapping_id)
    db.commit()
    page = client.get(f"/t/bht/years/mappings/{mapping_id}").get_data(as_text=True)
    form_html = page.split('id="kartleggingsskjema"')[1].split("</form>")[0]
    assert 'name="performed_on"' in form_html and 'name="participants"' in form_html and "data-keep-changes" in page
    response = client.post(f"/t/bht/years/mappings/{mapping_id}/answers", content_type="multipart/form-data", data={
        "performed_on": "2026-03-05", "method": "provider", "participants": "Daglig leder, verneombud",
        "ids": [str(ids["A1"]), str(ids["A2"])], f"a{ids['A1']}-answer": "ok", f"a{ids['A2']}-answer": "ok",
        f"a{ids['A1']}-file": (io.BytesIO(PNG), "gulv.png")})
    assert response.status_code == 302
    mapping = _mapping(db, world, mapping_id)
    assert mapping.performed_on == date(2026, 3, 5) and mapping.participants == "Daglig leder, verneombud"
    assert db.get(ChecklistAnswer, ids["A1"]).answer == "ok"
    assert db.scalar(select(Evidence.original_name).where(Evidence.target_type == "checklist_answer",
                                                          Evidence.target_id == ids["A1"])) == "gulv.png"


def test_an_error_anywhere_keeps_every_typed_value_and_saves_nothing(client, db, world):
    login(client, world["consultant"])
    mapping_id = new_mapping(client, world["year"].id)
    ids = answer_ids(db, world["tenant"].id, mapping_id)
    db.commit()
    response = client.post(f"/t/bht/years/mappings/{mapping_id}/answers", content_type="multipart/form-data", data={
        "performed_on": "2026-03-07", "method": "provider", "participants": "Verneombud Vera",
        "ids": [str(ids["A1"]), str(ids["A2"])], f"a{ids['A1']}-answer": "finding", f"a{ids['A1']}-comment": "Løs matte",
        f"a{ids['A2']}-answer": "ok", f"a{ids['A2']}-file": (io.BytesIO(b"MZ not an image"), "virus.exe")})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="2026-03-07"' in html and "Verneombud Vera" in html and 'value="Løs matte"' in html
    assert "Velg alvorlighetsgrad for avviket." in html
    mapping = _mapping(db, world, mapping_id)
    assert mapping.performed_on == date(2026, 3, 2) and mapping.participants == "Daglig leder, verneombud"
    assert db.get(ChecklistAnswer, ids["A1"]).answer is None


def test_a_refused_file_keeps_the_answers_and_names_the_item(client, db, world):
    login(client, world["consultant"])
    mapping_id = new_mapping(client, world["year"].id)
    ids = answer_ids(db, world["tenant"].id, mapping_id)
    db.commit()
    response = client.post(f"/t/bht/years/mappings/{mapping_id}/answers", content_type="multipart/form-data", data={
        "performed_on": "2026-03-07", "method": "provider", "participants": "Vera",
        "ids": [str(ids["A2"])], f"a{ids['A2']}-answer": "ok", f"a{ids['A2']}-comment": "Fint",
        f"a{ids['A2']}-file": (io.BytesIO(b"MZ not an image"), "virus.exe")})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Fint"' in html and 'value="2026-03-07"' in html
    assert db.get(ChecklistAnswer, ids["A2"]).answer is None


def test_all_ok_in_this_section_answers_only_its_unanswered_items(client, db, world):
    login(client, world["consultant"])
    mapping_id = new_mapping(client, world["year"].id)
    ids = answer_ids(db, world["tenant"].id, mapping_id)
    bind_tenant(db, world["tenant"].id)
    answers = {a.item_key: a for a in db.scalars(select(ChecklistAnswer).where(ChecklistAnswer.id.in_(ids.values())))}
    db.commit()
    section_a = [k for k, a in answers.items() if a.section_key == answers["A1"].section_key]
    form = {"performed_on": "2026-03-02", "method": "provider", "section_ok": answers["A1"].section_key,
            f"a{ids['A1']}-answer": "finding", f"a{ids['A1']}-grade": "minor", "ids": []}
    for key, answer in answers.items():
        form["ids"].append(str(answer.id))
        form[f"sec-{answer.id}"] = answer.section_key
    response = client.post(f"/t/bht/years/mappings/{mapping_id}/answers", data=form)
    assert response.status_code == 302
    bind_tenant(db, world["tenant"].id)
    db.expire_all()
    assert db.get(ChecklistAnswer, ids["A1"]).answer == "finding"
    assert all(db.get(ChecklistAnswer, ids[k]).answer == "ok" for k in section_a if k != "A1")
    other = next(k for k, a in answers.items() if a.section_key != answers["A1"].section_key)
    assert db.get(ChecklistAnswer, ids[other]).answer is None


def test_the_unsaved_changes_warning_script_is_served_from_our_own_static_files(client, world):
    script = client.get("/static/js/app.js").get_data(as_text=True)
    assert "beforeunload" in script and "data-keep-changes" in script
