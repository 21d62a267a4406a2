"""The built-in questionnaire and the questionnaire import format."""

import copy
import json
import re

import pytest

from saas.surveys.questionnaire_builtin import BUILTIN_KEY, BUILTIN_QUESTIONNAIRE
from saas.surveys.questionnaire_format import (
    FACTORS_4_3,
    FORMAT_DOC,
    MAX_ITEMS,
    uncovered_factors,
    validate_questionnaire,
)


def minimal_questionnaire():
    option = {"nb": "Svar", "en": "Answer"}
    return {
        "key": "mini",
        "version": "1",
        "title": {"nb": "Mini", "en": "Mini"},
        "scales": [{"key": "extent", "options": [dict(option) for _ in range(5)]}],
        "dimensions": [
            {"key": "support", "name": {"nb": "Støtte"}, "direction": "high_is_good",
             "factor_4_3": "support"},
            {"key": "bullying", "name": {"nb": "Mobbing"}, "direction": "high_is_bad",
             "prevalence": True},
        ],
        "items": [
            {"key": "sup_1", "dimension": "support", "text": {"nb": "Får du hjelp?"},
             "scale": "extent", "reversed": False},
            {"key": "bul_1", "dimension": "bullying", "text": {"nb": "Mobbet?"}, "scale": "extent"},
        ],
    }


# ---------------------------------------------------------------- the built-in questionnaire

def test_the_builtin_questionnaire_validates_against_the_import_format():
    assert validate_questionnaire(BUILTIN_QUESTIONNAIRE) == []


def test_the_builtin_questionnaire_has_35_to_45_items():
    assert 35 <= len(BUILTIN_QUESTIONNAIRE["items"]) <= 45


def test_the_builtin_questionnaire_covers_the_four_section_4_3_factors():
    assert uncovered_factors(BUILTIN_QUESTIONNAIRE) == []
    covered = {d["factor_4_3"] for d in BUILTIN_QUESTIONNAIRE["dimensions"]} - {None}
    assert covered == set(FACTORS_4_3)


def test_the_builtin_questionnaire_has_the_usual_dimensions():
    names = {d["name"]["en"].lower() for d in BUILTIN_QUESTIONNAIRE["dimensions"]}
    for expected in ("workload", "influence", "role clarity", "manager", "colleagues",
                     "leadership", "recognition", "meaning", "bullying", "emotional",
                     "conflicting"):
        assert any(expected in name for name in names), expected


def test_every_builtin_item_has_bokmaal_and_english_text():
    for item in BUILTIN_QUESTIONNAIRE["items"]:
        assert item["text"]["nb"].strip() and item["text"]["en"].strip(), item["key"]
        assert item["text"]["nb"] != item["text"]["en"], item["key"]


def test_every_builtin_dimension_has_names_and_a_direction():
    for dim in BUILTIN_QUESTIONNAIRE["dimensions"]:
        assert dim["name"]["nb"] and dim["name"]["en"]
        assert dim["direction"] in ("high_is_good", "high_is_bad")


def test_builtin_item_keys_are_stable_prefix_and_number():
    keys = [item["key"] for item in BUILTIN_QUESTIONNAIRE["items"]]
    assert len(keys) == len(set(keys))
    assert all(re.fullmatch(r"[a-z]{3}_[0-9]+", key) for key in keys)


def test_the_builtin_questionnaire_has_a_frequency_and_an_extent_scale_of_five_options():
    scales = {s["key"]: s["options"] for s in BUILTIN_QUESTIONNAIRE["scales"]}
    assert [o["nb"] for o in scales["frequency"]][:4] == ["Alltid", "Ofte", "Av og til", "Sjelden"]
    assert scales["frequency"][4]["nb"].startswith("Aldri")
    assert scales["extent"][0]["nb"] == "I svært stor grad"
    assert scales["extent"][4]["nb"] == "I svært liten grad"
    for options in scales.values():
        assert len(options) == 5 and all(o["nb"] and o["en"] for o in options)


def test_bullying_items_ask_about_exposure_in_the_last_six_months_and_any_exposure_is_bad():
    bullying = next(d for d in BUILTIN_QUESTIONNAIRE["dimensions"] if d.get("prevalence"))
    assert bullying["direction"] == "high_is_bad"
    items = [i for i in BUILTIN_QUESTIONNAIRE["items"] if i["dimension"] == bullying["key"]]
    assert len(items) >= 3
    for item in items:
        assert item["text"]["nb"].startswith(
            "Har du i løpet av de siste 6 månedene blitt utsatt for")
        assert item["reversed"] is False
    exposure = next(s for s in BUILTIN_QUESTIONNAIRE["scales"] if s["key"] == items[0]["scale"])
    assert exposure["options"][4]["nb"] == "Nei"  # the only option that scores 0


def test_some_builtin_items_are_reversed_and_free_text_is_off():
    assert any(item["reversed"] for item in BUILTIN_QUESTIONNAIRE["items"])
    assert BUILTIN_QUESTIONNAIRE["free_text"] is False


def test_the_builtin_questionnaire_is_plain_json_with_the_builtin_key():
    assert BUILTIN_QUESTIONNAIRE["key"] == BUILTIN_KEY == "hms-psykososial-2026"
    assert json.loads(json.dumps(BUILTIN_QUESTIONNAIRE)) == BUILTIN_QUESTIONNAIRE


def test_the_builtin_questionnaire_is_not_presented_as_copsoq():
    assert "copsoq" not in json.dumps(BUILTIN_QUESTIONNAIRE).lower()


# ---------------------------------------------------------------- the import format


def test_a_minimal_questionnaire_is_valid():
    assert validate_questionnaire(minimal_questionnaire()) == []


def _set(path, value):
    def change(q):
        *parents, last = path
        target = q
        for step in parents:
            target = target[step]
        target[last] = value
    return change


def _delete(path):
    def change(q):
        *parents, last = path
        target = q
        for step in parents:
            target = target[step]
        del target[last]
    return change


def _append_item(**overrides):
    def change(q):
        item = {"key": "sup_2", "dimension": "support", "text": {"nb": "Tekst"}, "scale": "extent"}
        q["items"].append({**item, **overrides})
    return change


def _too_many_items(q):
    base = q["items"][0]
    q["items"] = [{**base, "key": f"sup_{i}"} for i in range(MAX_ITEMS + 1)]


INVALID = [
    ("unknown dimension", _append_item(dimension="stress"), "$.items[2].dimension",
     "ukjent dimensjon"),
    ("unknown scale", _append_item(scale="agree"), "$.items[2].scale", "ukjent skala"),
    ("duplicate item key", _append_item(key="sup_1"), "$.items[2].key", "finnes fra før"),
    ("duplicate dimension key", _set(["dimensions", 1, "key"], "support"),
     "$.dimensions[1].key", "finnes fra før"),
    ("duplicate scale key", lambda q: q["scales"].append(copy.deepcopy(q["scales"][0])),
     "$.scales[1].key", "finnes fra før"),
    ("four options", lambda q: q["scales"][0]["options"].pop(), "$.scales[0].options",
     "nøyaktig 5 svaralternativer (fant 4)"),
    ("six options", lambda q: q["scales"][0]["options"].append({"nb": "x"}),
     "$.scales[0].options", "nøyaktig 5"),
    ("missing nb item text", _set(["items", 0, "text"], {"en": "Help?"}),
     "$.items[0].text.nb", "bokmål"),
    ("blank nb item text", _set(["items", 0, "text", "nb"], "  "), "$.items[0].text.nb", "bokmål"),
    ("missing nb option text", _set(["scales", 0, "options", 2], {"en": "x"}),
     "$.scales[0].options[2].nb", "bokmål"),
    ("text not an object", _set(["title"], "Mini"), "$.title", "objekt"),
    ("reversed not a boolean", _set(["items", 0, "reversed"], "yes"), "$.items[0].reversed",
     "true eller false"),
    ("version not a string", _set(["version"], 2), "$.version", "tekst"),
    ("free_text not a boolean", _set(["free_text"], 1), "$.free_text", "true eller false"),
    ("items not a list", _set(["items"], {"a": 1}), "$.items", "liste"),
    ("key with spaces", _set(["key"], "min undersøkelse"), "$.key", "nøkkelen"),
    ("item key missing", _delete(["items", 0, "key"]), "$.items[0].key", "mangler"),
    ("bad direction", _set(["dimensions", 0, "direction"], "up"), "$.dimensions[0].direction",
     "high_is_good"),
    ("unknown § 4-3 factor", _set(["dimensions", 0, "factor_4_3"], "stress"),
     "$.dimensions[0].factor_4_3", "unclear_demands"),
    ("a misspelt field", _set(["items", 0, "reverse"], True), "$.items[0].reverse", "ukjent felt"),
    ("too many items", _too_many_items, "$.items", "maks 200"),
    ("dimension without items", lambda q: q["items"].pop(1), "$.dimensions[1]", "ingen spørsmål"),
    ("reversed prevalence item", _set(["items", 1, "reversed"], True), "$.items[1].reversed",
     "forekomst"),
    ("prevalence that is high_is_good", _set(["dimensions", 1, "direction"], "high_is_good"),
     "$.dimensions[1].direction", "high_is_bad"),
    ("no dimensions", _set(["dimensions"], []), "$.dimensions", "minst én"),
]


@pytest.mark.parametrize("change, path, message", [c[1:] for c in INVALID],
                         ids=[c[0] for c in INVALID])
def test_an_invalid_questionnaire_is_refused_with_a_path_and_a_norwegian_message(
        change, path, message):
    data = minimal_questionnaire()
    change(data)
    errors = validate_questionnaire(data)
    assert any(p == path and message in m for p, m in errors), errors


@pytest.mark.parametrize("data", [None, [], "{}", 42])
def test_a_questionnaire_that_is_not_an_object_is_refused_at_the_root(data):
    assert validate_questionnaire(data) == [("$", "må være et objekt")]


def test_too_many_items_gives_one_error_not_one_per_item():
    data = minimal_questionnaire()
    _too_many_items(data)
    assert [p for p, _ in validate_questionnaire(data)].count("$.items") == 1


def test_reversed_and_free_text_are_optional():
    data = minimal_questionnaire()
    del data["items"][0]["reversed"]
    assert "free_text" not in data
    assert validate_questionnaire(data) == []


def test_uncovered_factors_lists_the_section_4_3_factors_an_import_leaves_out():
    assert uncovered_factors(minimal_questionnaire()) == [
        "unclear_demands", "emotional_demands", "workload"]


def test_the_example_in_the_format_doc_is_a_valid_questionnaire():
    example = re.search(r"```json\n(.*?)```", FORMAT_DOC, re.S).group(1)
    assert validate_questionnaire(json.loads(example)) == []


def test_the_format_doc_names_every_field():
    for field in ("key", "version", "title", "scales", "dimensions", "items", "free_text",
                  "direction", "factor_4_3", "prevalence", "reversed", "options"):
        assert f"`{field}`" in FORMAT_DOC or f'"{field}"' in FORMAT_DOC, field
