"""Norwegian helpers: organisation numbers, KID, money, dates and headcount thresholds."""

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saas.norway import (
    MSG_ORG_CHECK,
    MSG_ORG_DIGITS,
    amu_required,
    display_org_number,
    format_date,
    format_money,
    format_org_number,
    generate_valid_org_numbers,
    is_valid_kid,
    is_valid_org_number,
    kid_mod10,
    kid_mod11,
    org_number_searched,
    normalize_org_number,
    org_number_check_digit,
    parse_money,
    safety_representative_required,
)

NBSP = "\u00a0"


# --- Organisation numbers ------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("974760673", "974760673"),
        ("123456785", "123456785"),
        ("974 760 673", "974760673"),
        (" 974760673 ", "974760673"),
        ("NO974760673", "974760673"),
        ("no 974 760 673 mva", "974760673"),
        ("NO 974760673 MVA", "974760673"),
        ("974760673MVA", "974760673"),
        (f"974{NBSP}760{NBSP}673", "974760673"),
    ],
)
def test_an_org_number_is_accepted_with_spaces_prefix_and_suffix_and_stored_as_nine_digits(raw, expected):
    assert normalize_org_number(raw) == expected
    assert is_valid_org_number(raw)


@pytest.mark.parametrize(
    "raw, message",
    [
        ("123456789", MSG_ORG_CHECK),
        ("974760674", MSG_ORG_CHECK),
        ("97476067", MSG_ORG_DIGITS),
        ("9747606733", MSG_ORG_DIGITS),
        ("", MSG_ORG_DIGITS),
        ("974-760-673", MSG_ORG_DIGITS),
        ("SE974760673", MSG_ORG_DIGITS),
        ("974760673 AS", MSG_ORG_DIGITS),
        ("٩٧٤٧٦٠٦٧٣", MSG_ORG_DIGITS),  # Arabic-Indic digits pass str.isdigit() but are not 0-9
    ],
)
def test_a_bad_org_number_is_refused_with_a_norwegian_message(raw, message):
    with pytest.raises(ValueError, match=message):
        normalize_org_number(raw)
    assert not is_valid_org_number(raw)


def test_the_domain_example_974760673_has_sum_173_and_check_digit_3():
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    assert sum(int(d) * w for d, w in zip("97476067", weights)) == 173
    assert org_number_check_digit("97476067") == 3


def test_a_base_whose_check_digit_would_be_10_has_no_valid_org_number():
    # 9*3 + 7*2 + 4*7 + 7*6 + 6*5 + 0*4 + 6*3 + 9*2 = 177; 177 mod 11 = 1; 11 - 1 = 10
    assert org_number_check_digit("97476069") is None
    for last in "0123456789":
        assert not is_valid_org_number("97476069" + last)


def test_is_valid_org_number_is_false_for_non_strings():
    assert not is_valid_org_number(None)
    assert not is_valid_org_number(974760673)


@pytest.mark.parametrize(
    "raw, shown", [("974760673", "974 760 673"), ("NO 123456785 MVA", "123 456 785")]
)
def test_an_org_number_is_shown_in_groups_of_three(raw, shown):
    assert format_org_number(raw) == shown


@pytest.mark.parametrize("stored, shown", [
    ("974760673", "974 760 673"),  # as stored: grouped without checking again
    ("NO 123456785 MVA", "123 456 785"),  # any other form: grouped when valid
    ("12345", "12345"), ("NO 123456789 MVA", "NO 123456789 MVA"),  # not a valid number: shown as stored
    ("٩٧٤٧٦٠٦٧٣", "٩٧٤٧٦٠٦٧٣"),  # other scripts' digits are not a number here
    (None, ""),
])
def test_a_stored_org_number_is_displayed_grouped_and_never_raises(stored, shown):
    assert display_org_number(stored) == shown


def test_formatting_an_invalid_org_number_raises():
    with pytest.raises(ValueError):
        format_org_number("123456789")


def test_generated_org_numbers_are_valid_distinct_prefixed_and_deterministic():
    numbers = list(generate_valid_org_numbers(99, 50))
    assert len(numbers) == len(set(numbers)) == 50
    assert all(n.startswith("99") and len(n) == 9 and is_valid_org_number(n) for n in numbers)
    assert numbers == list(generate_valid_org_numbers(99, 50))


def test_generation_skips_bases_that_have_no_check_digit():
    numbers = list(generate_valid_org_numbers(9747606, 9))
    assert [n[:8] for n in numbers] == [f"9747606{d}" for d in range(9)]  # 97476069 has none
    assert "974760673" in numbers


def test_generation_refuses_a_prefix_that_is_too_long_or_negative():
    with pytest.raises(ValueError):
        generate_valid_org_numbers(123456789, 1)
    with pytest.raises(ValueError):
        generate_valid_org_numbers(-1, 1)


def test_generation_raises_when_the_prefix_runs_out_of_numbers():
    with pytest.raises(ValueError):
        list(generate_valid_org_numbers(9747606, 10))
    assert list(generate_valid_org_numbers(97476067, 1)) == ["974760673"]


@given(st.integers(min_value=0, max_value=99_999_999))
def test_every_base_with_a_check_digit_makes_exactly_one_valid_number(base):
    first_eight = f"{base:08d}"
    check = org_number_check_digit(first_eight)
    valid = [d for d in "0123456789" if is_valid_org_number(first_eight + d)]
    assert valid == ([] if check is None else [str(check)])


# --- KID --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base, kid",
    [
        ("7992739871", "79927398713"),  # the classic Luhn example
        ("1234567", "12345674"),
        ("0", "00"),
        ("1", "18"),
        # from the right, double every other digit starting with the last: 0*2+0+1*2+0+0*2+0+2*2 = 6 -> 4
        ("2000100", "20001004"),
    ],
)
def test_kid_mod10_appends_the_luhn_check_digit(base, kid):
    assert kid_mod10(base) == kid
    assert is_valid_kid(kid, method="mod10")


@pytest.mark.parametrize("kid", ["79927398713", "4539578763621486", "4111111111111111"])
def test_known_luhn_numbers_are_valid_kids(kid):
    assert is_valid_kid(kid)


@pytest.mark.parametrize("kid", ["79927398710", "79927398711", "4111111111111112"])
def test_a_wrong_luhn_digit_is_not_a_valid_mod10_kid(kid):
    assert not is_valid_kid(kid, method="mod10")


@pytest.mark.parametrize(
    "base, kid",
    [
        # 1234567: 7*2 + 6*3 + 5*4 + 4*5 + 3*6 + 2*7 + 1*2 = 106; 106 mod 11 = 7; check 4
        ("1234567", "12345674"),
        # 000000: sum 0 -> remainder 0 -> check "0"
        ("000000", "0000000"),
        # 12345678: 8*2+7*3+6*4+5*5+4*6+3*7+2*2+1*3 = 138; 138 mod 11 = 6; check 5
        ("12345678", "123456785"),
    ],
)
def test_kid_mod11_appends_a_check_digit_with_weights_2_to_7_from_the_right(base, kid):
    assert kid_mod11(base) == kid
    assert is_valid_kid(kid, method="mod11")


def test_kid_mod11_refuses_a_base_whose_check_digit_would_be_a_dash():
    # 6*2 = 12; 12 mod 11 = 1; 11 - 1 = 10, which the bank scheme would print as "-"
    with pytest.raises(ValueError, match="«-»"):
        kid_mod11("6")


@pytest.mark.parametrize("base", ["", "12a4", "-1", "1 2", "1" * 25, "١٢٣"])
def test_a_kid_base_must_be_1_to_24_ascii_digits(base):
    for make in (kid_mod10, kid_mod11):
        with pytest.raises(ValueError):
            make(base)


@pytest.mark.parametrize("kid", ["", "1", "1234567-", "12 34", "1" * 26, None, 12345674])
def test_malformed_kids_are_never_valid(kid):
    assert not is_valid_kid(kid)


def test_a_mod11_kid_is_not_valid_when_only_mod10_is_allowed():
    assert is_valid_kid("123456785", method="mod11")
    assert not is_valid_kid("123456785", method="mod10")


@given(st.text(alphabet="0123456789", min_size=1, max_size=24))
def test_every_generated_kid_validates_and_any_changed_last_digit_does_not(base):
    kid = kid_mod10(base)
    assert is_valid_kid(kid, method="mod10")
    assert all(not is_valid_kid(base + d, method="mod10") for d in "0123456789" if d != kid[-1])
    try:
        kid11 = kid_mod11(base)
    except ValueError:
        return
    assert is_valid_kid(kid11, method="mod11")
    assert all(not is_valid_kid(base + d, method="mod11") for d in "0123456789" if d != kid11[-1])


# --- Money and dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ore, shown",
    [
        (125000, f"1{NBSP}250,00{NBSP}kr"),
        (0, f"0,00{NBSP}kr"),
        (5, f"0,05{NBSP}kr"),
        (99, f"0,99{NBSP}kr"),
        (100, f"1,00{NBSP}kr"),
        (99999, f"999,99{NBSP}kr"),
        (125050, f"1{NBSP}250,50{NBSP}kr"),
        (123456789, f"1{NBSP}234{NBSP}567,89{NBSP}kr"),
        (-125000, f"\u22121{NBSP}250,00{NBSP}kr"),
        (-5, f"\u22120,05{NBSP}kr"),
    ],
)
def test_money_in_ore_is_shown_the_norwegian_way(ore, shown):
    assert format_money(ore) == shown


@pytest.mark.parametrize("bad", [12.5, "125000", True, None])
def test_format_money_accepts_only_integer_ore(bad):
    with pytest.raises(TypeError):
        format_money(bad)


@pytest.mark.parametrize(
    "text, ore",
    [
        ("1 250,50", 125050),
        ("1250.50", 125050),
        ("1250", 125000),
        ("1250,5", 125050),
        ("0,05", 5),
        ("1 250 000", 125000000),
        (f"1{NBSP}250,00", 125000),
        ("1\u202f250,00", 125000),
        ("1 250,-", 125000),
        ("kr 1 250,50", 125050),
        ("1 250,50 kr", 125050),
        ("NOK 99", 9900),
        ("  42  ", 4200),
        ("-1 250,00", -125000),
        ("\u22121 250,00", -125000),
        (format_money(123456789), 123456789),
    ],
)
def test_typed_amounts_are_parsed_into_ore(text, ore):
    assert parse_money(text) == ore


@pytest.mark.parametrize(
    "text",
    ["", "kr", "abc", "1.250,00", "1,250.00", "12 50", "1 2500", "1250,505", "1250,", ",50", "1e3", None, "12,5,0"],
)
def test_ambiguous_or_malformed_amounts_are_refused_with_a_norwegian_message(text):
    with pytest.raises(ValueError, match="Ugyldig beløp"):
        parse_money(text)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_a_formatted_amount_parses_back_to_the_same_ore(ore):
    assert parse_money(format_money(ore)) == ore


@pytest.mark.parametrize(
    "value, shown",
    [
        (date(2026, 11, 22), "22.11.2026"),
        (date(2026, 1, 5), "05.01.2026"),
        (datetime(2026, 3, 9, 23, 59), "09.03.2026"),
    ],
)
def test_dates_are_shown_day_month_year_with_points(value, shown):
    assert format_date(value) == shown


# --- Headcount rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("employees, required", [(0, False), (4, False), (5, True), (6, True), (100, True)])
def test_a_safety_representative_is_required_from_five_employees(employees, required):
    assert safety_representative_required(employees) is required


@pytest.mark.parametrize(
    "employees, requirement",
    [
        (0, "not_required"),
        (9, "not_required"),
        (10, "on_request"),
        (29, "on_request"),
        (30, "required"),
        (250, "required"),
    ],
)
def test_amu_is_required_from_30_and_on_request_from_10(employees, requirement):
    assert amu_required(employees) == requirement


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (4.5, TypeError), (None, TypeError), (True, TypeError)])
def test_headcount_must_be_a_non_negative_integer(bad, error):
    with pytest.raises(error):
        safety_representative_required(bad)
    with pytest.raises(error):
        amu_required(bad)


@pytest.mark.parametrize("query, digits", [
    ("974760673", "974760673"), ("974 760 673", "974760673"), ("974.760.673", "974760673"), ("974-760", "974760"),
    ("NO 974 760 673 MVA", "974760673"), ("no974760673mva", "974760673"), (" 760\u00a067 ", "76067"), ("7", "7"),
    ("Bedrift 01", None), ("01 Bedrift", None), ("", None), ("  ", None), ("NO", None), ("MVA", None),
    ("\u0669\u0667", None),  # Arabic-Indic digits are not an organisation number
])
def test_a_search_is_for_an_organisation_number_only_when_it_is_a_number(query, digits):
    assert org_number_searched(query) == digits
