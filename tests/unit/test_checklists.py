"""The checklists and lists the product ships: shape, content DOMAIN.md asks for, and A2's rules."""

import json
import re

import pytest

from saas.hms.checklist_defaults import (
    ANSWER_OPTIONS,
    COMPLIANCE_CHECKS,
    INTERNAL_CONTROL_ACTIVITIES,
    MEASUREMENT_UNITS,
    PHYSICAL_MAPPING_CHECKLIST,
    PRODUCT_MODULES,
    SAFETY_ROUND_CHECKLIST,
    required_compliance_keys,
)

CHECKLISTS = [PHYSICAL_MAPPING_CHECKLIST, SAFETY_ROUND_CHECKLIST]
ITEM_FIELDS = {"key", "text_nb", "text_en", "guidance_nb", "unit"}


def _items(checklist):
    return [item for section in checklist["sections"] for item in section["items"]]


def _item(checklist, key):
    return next(item for item in _items(checklist) if item["key"] == key)


# --- Shape shared by every checklist ----------------------------------------------------------


def _is_plain(value) -> bool:
    """Only what seeds a JSON column unchanged: str-keyed dicts, lists/tuples, str, int, bool, None."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    return value is None or isinstance(value, (str, int, bool))


@pytest.mark.parametrize(
    "data",
    [
        PHYSICAL_MAPPING_CHECKLIST,
        SAFETY_ROUND_CHECKLIST,
        COMPLIANCE_CHECKS,
        INTERNAL_CONTROL_ACTIVITIES,
        PRODUCT_MODULES,
    ],
    ids=["physical_mapping", "safety_round", "compliance_checks", "internal_control", "modules"],
)
def test_shipped_data_is_json_safe_plain_data(data):
    assert _is_plain(data)
    json.dumps(data, allow_nan=False)


@pytest.mark.parametrize("checklist", CHECKLISTS, ids=lambda c: c["key"])
def test_every_item_has_the_same_fields_a_unique_key_under_its_section_and_both_languages(checklist):
    seen = set()
    for section in checklist["sections"]:
        assert section["title_nb"] and section["title_en"]
        for item in section["items"]:
            assert set(item) == ITEM_FIELDS
            assert re.fullmatch(rf"{section['key']}[0-9]+", item["key"])
            assert item["key"] not in seen
            seen.add(item["key"])
            assert item["text_nb"].strip() and item["text_en"].strip()
            assert item["guidance_nb"] is None or item["guidance_nb"].strip()
            assert item["unit"] is None or item["unit"] in MEASUREMENT_UNITS


@pytest.mark.parametrize("checklist", CHECKLISTS, ids=lambda c: c["key"])
def test_items_are_numbered_from_one_without_gaps_within_each_section(checklist):
    for section in checklist["sections"]:
        numbers = [int(item["key"][len(section["key"]):]) for item in section["items"]]
        assert numbers == list(range(1, len(numbers) + 1))


def test_an_item_is_answered_ok_finding_or_not_relevant():
    assert [option["key"] for option in ANSWER_OPTIONS] == ["ok", "finding", "not_relevant"]
    assert [option["title_nb"] for option in ANSWER_OPTIONS] == ["OK", "Avvik", "Ikke relevant"]
    assert all(c["answer_options"] == ANSWER_OPTIONS for c in CHECKLISTS)


# --- Physical mapping -------------------------------------------------------------------------


def test_the_physical_mapping_has_sections_a_to_j_with_about_36_items():
    checklist = PHYSICAL_MAPPING_CHECKLIST
    assert checklist["title_nb"] == "Fysisk kartlegging av arbeidsplassen"
    assert [section["key"] for section in checklist["sections"]] == list("ABCDEFGHIJ")
    assert 32 <= len(_items(checklist)) <= 40
    assert all(len(section["items"]) >= 3 for section in checklist["sections"])


@pytest.mark.parametrize(
    "section, word",
    [
        ("A", "Lokaler"),
        ("B", "Belysning"),
        ("C", "Inneklima"),
        ("D", "Støy"),
        ("E", "Ergonomi"),
        ("F", "Kjemikalier"),
        ("G", "Maskiner"),
        ("H", "Brann"),
        ("I", "Førstehjelp"),
        ("J", "Velferd"),
    ],
)
def test_the_sections_follow_domain_md_in_order(section, word):
    titles = {s["key"]: s["title_nb"] for s in PHYSICAL_MAPPING_CHECKLIST["sections"]}
    assert word in titles[section]


@pytest.mark.parametrize(
    "key, unit, must_mention",
    [
        ("B2", "lx", ["500 lx", "NS-EN 12464-1"]),
        ("C1", "°C", ["19–26 °C", "22 °C"]),
        ("C2", "ppm", ["1000 ppm"]),
        ("D1", "dB", ["55 dB", "70 dB", "80 dB"]),
        ("D2", "dB", ["85 dB LEX,8h", "130 dB(C)"]),
    ],
)
def test_measured_items_carry_the_domain_thresholds_and_a_default_unit(key, unit, must_mention):
    item = _item(PHYSICAL_MAPPING_CHECKLIST, key)
    assert item["unit"] == unit
    for text in must_mention:
        assert text in item["guidance_nb"]


@pytest.mark.parametrize(
    "topic",
    [
        "nødlys",
        "muggsopp",
        "ventilasjon",
        "hørselvern",
        "vibrasjon",
        "synsundersøkelse",
        "løft",
        "stoffkartotek",
        "sikkerhetsdatablad på norsk",
        "nødstopp",
        "ce-merket",
        "bruksanvisning på norsk",
        "sakkyndig kontroll",
        "opplæring",
        "elektrisk",
        "rømningsveier",
        "kiler",
        "brannøvelse",
        "førstehjelpsutstyr",
        "verneutstyr",
        "garderober",
        "verneombud",
        "avviksrutinen",
        "hms-dokumentasjonen",
    ],
)
def test_the_physical_mapping_covers_each_point_domain_md_lists(topic):
    texts = " ".join(f"{i['text_nb']} {i['guidance_nb'] or ''}" for i in _items(PHYSICAL_MAPPING_CHECKLIST)).lower()
    assert topic in texts


# --- Safety round ------------------------------------------------------------------------------


def test_a_safety_round_has_a_pre_meeting_a_walk_through_and_a_closing_meeting_in_that_order():
    phases = [section["phase"] for section in SAFETY_ROUND_CHECKLIST["sections"]]
    assert phases == ["pre_meeting", "walk_through", "closing_meeting"]


def test_a_safety_round_starts_with_the_status_of_last_rounds_actions():
    first = SAFETY_ROUND_CHECKLIST["sections"][0]["items"][0]
    assert "forrige vernerunde" in first["text_nb"]


def test_a_safety_round_ends_with_findings_in_the_action_plan():
    closing = SAFETY_ROUND_CHECKLIST["sections"][-1]["items"]
    assert any("handlingsplanen" in item["text_nb"] for item in closing)


def test_a_safety_round_covers_work_outside_own_premises_for_criterion_b5():
    walk = SAFETY_ROUND_CHECKLIST["sections"][1]["items"]
    assert any("utenfor egne lokaler" in item["text_nb"] for item in walk)


# --- A2 compliance checks ------------------------------------------------------------------------

ALL_KEYS = (
    "employment_contracts",
    "equipment_inspection",
    "safety_representative",
    "amu",
    "regulations_available",
    "internal_control_system",
)
WITHOUT_AMU = tuple(k for k in ALL_KEYS if k != "amu")


def test_the_compliance_checks_are_the_six_a2_points_in_both_languages_with_help():
    assert tuple(check["key"] for check in COMPLIANCE_CHECKS) == ALL_KEYS
    for check in COMPLIANCE_CHECKS:
        assert check["title_nb"] and check["title_en"] and check["help_nb"]


def test_the_safety_representative_help_says_a_written_agreement_suffices_below_5_employees():
    help_text = next(c["help_nb"] for c in COMPLIANCE_CHECKS if c["key"] == "safety_representative")
    assert "Under 5 ansatte" in help_text and "skriftlig avtale" in help_text
    assert "40 timers opplæring" in help_text


@pytest.mark.parametrize(
    "employees, amu_requested, expected",
    [
        (0, False, WITHOUT_AMU),
        (3, False, WITHOUT_AMU),
        (9, True, WITHOUT_AMU),
        (10, False, WITHOUT_AMU),
        (10, True, ALL_KEYS),
        (29, False, WITHOUT_AMU),
        (29, True, ALL_KEYS),
        (30, False, ALL_KEYS),
        (120, False, ALL_KEYS),
        (None, False, ALL_KEYS),
    ],
)
def test_amu_is_checked_from_30_employees_or_from_10_on_request(employees, amu_requested, expected):
    assert required_compliance_keys(employees, amu_requested=amu_requested) == expected


@pytest.mark.parametrize("employees", [0, 1, 4, 5, 50])
def test_the_safety_representative_is_always_checked(employees):
    assert "safety_representative" in required_compliance_keys(employees)


def test_a_negative_headcount_is_refused():
    with pytest.raises(ValueError):
        required_compliance_keys(-1)


# --- Internkontrollforskriften § 5 ---------------------------------------------------------------


def test_the_eight_internal_control_activities_are_numbered_1_to_8_with_unique_keys():
    assert [a["number"] for a in INTERNAL_CONTROL_ACTIVITIES] == list(range(1, 9))
    keys = [a["key"] for a in INTERNAL_CONTROL_ACTIVITIES]
    assert len(set(keys)) == 8
    assert {"goals", "organisation", "competence", "risk_mapping", "deviation_handling", "review"} <= set(keys)


def test_written_documentation_is_required_for_points_4_to_8():
    assert [a["number"] for a in INTERNAL_CONTROL_ACTIVITIES if a["written_required"]] == [4, 5, 6, 7, 8]


def test_risk_mapping_is_documented_by_risk_assessments():
    risk_mapping = next(a for a in INTERNAL_CONTROL_ACTIVITIES if a["key"] == "risk_mapping")
    assert "risk_assessments" in risk_mapping["modules"]
    assert "action_plans" in risk_mapping["modules"]


def test_every_activity_names_known_modules_and_both_languages():
    for activity in INTERNAL_CONTROL_ACTIVITIES:
        assert activity["title_nb"] and activity["title_en"]
        assert activity["modules"] and set(activity["modules"]) <= set(PRODUCT_MODULES)
    for module in PRODUCT_MODULES.values():
        assert module["title_nb"] and module["title_en"]
