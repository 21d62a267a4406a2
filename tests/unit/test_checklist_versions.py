"""Checklist content versions: edits make new content without touching the old, and the yearly comparison
flags items new, changed and removed by key."""
import copy

import pytest

from saas.hms import checklist_diff as diff
from saas.hms.checklist_defaults import PHYSICAL_MAPPING_CHECKLIST, SAFETY_ROUND_CHECKLIST


@pytest.fixture
def content():
    return diff.from_shipped(PHYSICAL_MAPPING_CHECKLIST)


def keys(content):
    return [item["key"] for _, item in diff.iter_items(content)]


def test_shipped_checklists_become_plain_lists_with_every_item():
    physical = diff.from_shipped(PHYSICAL_MAPPING_CHECKLIST)
    rounds = diff.from_shipped(SAFETY_ROUND_CHECKLIST)
    assert diff.item_count(physical) == sum(len(s["items"]) for s in PHYSICAL_MAPPING_CHECKLIST["sections"])
    assert isinstance(physical["sections"], list) and isinstance(physical["sections"][0]["items"], list)
    assert physical["sections"][1]["items"][1]["unit"] == "lx"
    assert [s["phase"] for s in rounds["sections"]] == ["pre_meeting", "walk_through", "closing_meeting"]


def test_an_edit_returns_new_content_and_leaves_the_old_untouched(content):
    before = copy.deepcopy(content)
    edited = diff.update_item(content, "A1", {"text_nb": "Gulvene er jevne."})
    assert content == before
    assert edited["sections"][0]["items"][0]["text_nb"] == "Gulvene er jevne."


def test_a_new_item_gets_the_next_key_of_its_section_and_never_a_removed_one(content):
    without = diff.remove_item(content, "A3")
    added, key = diff.add_item(without, "A", {"text_nb": "Nytt punkt"})
    assert key == "A4"  # A3 is retired: reusing it would make last year's A3 look "changed"
    assert "A3" in added["retired_keys"]
    assert keys(added)[:3] == ["A1", "A2", "A4"]


def test_a_new_section_gets_an_unused_letter(content):
    added, key = diff.add_section(content, {"title_nb": "Utendørs arbeid"})
    assert key == "K"
    assert added["sections"][-1] == {"key": "K", "title_nb": "Utendørs arbeid", "title_en": "", "items": []}
    removed = diff.remove_section(added, "K")
    _, again = diff.add_section(removed, {"title_nb": "Igjen"})
    assert again == "L"


@pytest.mark.parametrize("step, expected", [(-1, ["A2", "A1", "A3"]), (1, ["A1", "A3", "A2"])])
def test_moving_an_item_within_its_section(content, step, expected):
    moved = diff.move_item(content, "A2", step)
    assert [i["key"] for i in moved["sections"][0]["items"]] == expected


def test_moving_past_the_end_stays_put(content):
    assert diff.move_section(content, "A", -1) == diff._copy(content)
    moved = diff.move_section(content, "A", 1)
    assert [s["key"] for s in moved["sections"]][:2] == ["B", "A"]


def test_refused_edits_name_the_field(content):
    with pytest.raises(diff.ContentError) as error:
        diff.add_item(content, "A", {"text_nb": "   "})
    assert error.value.field == "text_nb"
    with pytest.raises(diff.ContentError) as error:
        diff.update_item(content, "Z9", {"text_nb": "x"})
    assert error.value.field == "item_key"
    only_one = {"sections": content["sections"][:1], "retired_keys": []}
    with pytest.raises(diff.ContentError, match="minst én del"):
        diff.remove_section(only_one, "A")


def test_the_diff_flags_new_changed_and_removed_items(content):
    edited = diff.update_item(content, "B2", {"text_nb": "Belysningen er målt.", "unit": "lx"})
    edited = diff.remove_item(edited, "C4")
    edited, new_key = diff.add_item(edited, "J", {"text_nb": "Nytt velferdspunkt"})
    edited = diff.update_item(edited, "A1", {**content["sections"][0]["items"][0], "guidance_nb": "Bare veiledning endret"})
    result = diff.diff_versions(content, edited)
    assert result.new == {new_key}
    assert result.changed == {"B2"}  # guidance is help around the question, not the question
    assert [(r.key, r.section_key) for r in result.removed] == [("C4", "C")]
    assert result.flag(new_key) == "new" and result.flag("B2") == "changed" and result.flag("A1") is None


def test_identical_content_makes_no_diff_and_counts_as_the_same(content):
    assert diff.diff_versions(content, content) == diff.VersionDiff(frozenset(), frozenset(), ())
    assert diff.same_content(content, diff.move_item(content, "A1", -1))
    assert not diff.same_content(content, diff.move_item(content, "A1", 1))
