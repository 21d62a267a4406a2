"""Splitting a questionnaire into answering pages and reading posted answers back (pure)."""
import pytest

from saas.surveys.pages import field_name, items_on_page, paginate, parse_answers, text
from saas.surveys.questionnaire_builtin import BUILTIN_QUESTIONNAIRE


def test_the_built_in_questionnaire_is_split_into_whole_dimensions_of_at_most_8_items():
    layout = paginate(BUILTIN_QUESTIONNAIRE)
    flattened = [key for page in layout for key in page]
    assert flattened == [d["key"] for d in BUILTIN_QUESTIONNAIRE["dimensions"]]
    sizes = [len(items_on_page(BUILTIN_QUESTIONNAIRE, page)) for page in layout]
    assert sum(sizes) == 42 and max(sizes) <= 8 and len(layout) >= 6


def test_a_dimension_larger_than_a_page_gets_a_page_of_its_own():
    q = {"dimensions": [{"key": "a"}, {"key": "b"}, {"key": "c"}],
         "items": [{"key": f"a{i}", "dimension": "a"} for i in range(3)] + [{"key": f"b{i}", "dimension": "b"} for i in range(10)]
         + [{"key": "c0", "dimension": "c"}]}
    assert paginate(q, per_page=8) == [["a"], ["b"], ["c"]]


@pytest.mark.parametrize("raw, expected", [("0", 0), ("4", 4), ("5", None), ("-1", None), ("1.0", None), ("", None),
                                           ("٣", None), (["1"], None), ("01", None)])
def test_only_option_positions_0_to_4_of_known_items_are_read(raw, expected):
    form = {field_name("dem_1"): raw, "q_unknown_item": "2", "dem_2": "1"}
    answers = parse_answers(form, BUILTIN_QUESTIONNAIRE)
    assert answers == ({} if expected is None else {"dem_1": expected})


def test_texts_fall_back_to_bokmal():
    assert text({"nb": "Hei", "en": "Hi"}, "en") == "Hi"
    assert text({"nb": "Hei"}, "en") == "Hei"
    assert text(None) == "" and text("rå tekst") == "rå tekst"
