"""Prices, VAT per line and per rate, rounding, plans, bank accounts: pure functions, no app."""
from __future__ import annotations

import pytest

from saas.billing import pricing
from saas.billing.pricing import Line


@pytest.mark.parametrize("employees, band", [(None, 0), (0, 0), (4, 0), (9, 0), (10, 1), (49, 1), (50, 2), (249, 2), (250, 3), (10_000, 3)])
def test_a_headcount_falls_in_one_size_band(employees, band):
    assert pricing.band_for(employees) == band


def test_the_price_list_decides_the_price_by_class_and_size_band():
    prices = {("A", 1): 700_000}
    assert pricing.certificate_price(prices, "A", 12, follow_up_active=False) == 700_000
    assert pricing.certificate_price(prices, "A", 5, follow_up_active=False) == pricing.DEFAULT_PRICES[("A", 0)]
    assert pricing.certificate_price(prices, "A+", 300, follow_up_active=False) == pricing.DEFAULT_PRICES[("A+", 3)]


def test_a_client_on_an_active_follow_up_agreement_pays_nothing_for_the_certificate():
    assert pricing.certificate_price({("B", 0): 390_000}, "B", 3, follow_up_active=True) == 0


def test_an_unknown_class_is_refused():
    with pytest.raises(ValueError):
        pricing.certificate_price({}, "C", 3, follow_up_active=False)


@pytest.mark.parametrize("numerator, denominator, expected", [
    (5, 10, 1), (4, 10, 0), (15, 10, 2), (-5, 10, -1), (-4, 10, 0), (-15, 10, -2), (0, 10, 0), (122_500, 100, 1225),
])
def test_rounding_is_half_away_from_zero(numerator, denominator, expected):
    assert pricing.divide_rounded(numerator, denominator) == expected


def test_vat_is_chosen_per_line_and_computed_once_per_rate():
    result = pricing.totals([
        Line("HMS-sertifikat klasse A", 100, 490_000, "high"),
        Line("Bedriftshelsetjeneste, helseundersøkelse", 200, 85_050, "exempt"),
        Line("Rådgivning, timer", 150, 99_999, "high"),
    ])
    assert [p.net_amount for p in result.lines] == [490_000, 170_100, 149_999]  # 1.5 × 999,99 = 1 499,985 → 1 499,99
    assert [(g.rate, g.basis, g.vat) for g in result.groups] == [(2500, 639_999, 160_000), (0, 170_100, 0)]
    assert (result.net, result.vat, result.gross) == (810_099, 160_000, 970_099)


def test_vat_per_rate_is_rounded_on_the_rate_total_not_per_line():
    # Three lines of 0,02 kr: per line 0,005 kr VAT each would round to 0,01 (0,03 total); on the sum 0,06 kr → 0,02.
    result = pricing.totals([Line("a", 100, 2), Line("b", 100, 2), Line("c", 100, 2)])
    assert result.groups[0].vat == 2


def test_a_credit_note_mirrors_its_invoice_to_the_ore():
    lines = [Line("Sertifikat", 100, 490_001), Line("Timer", 250, 33_333), Line("Helse", 100, 1, "exempt")]
    invoice, credit = pricing.totals(lines), pricing.totals(pricing.negated(l) for l in lines)
    assert (credit.net, credit.vat, credit.gross) == (-invoice.net, -invoice.vat, -invoice.gross)
    assert [(g.rate, g.basis, g.vat) for g in credit.groups] == [(g.rate, -g.basis, -g.vat) for g in invoice.groups]


def test_a_line_needs_a_known_vat_code_and_a_positive_quantity():
    with pytest.raises(ValueError):
        pricing.totals([Line("x", 100, 100, "low")])
    with pytest.raises(ValueError):
        pricing.totals([Line("x", 0, 100)])


@pytest.mark.parametrize("text, hundredths", [("1", 100), ("1,5", 150), ("7.25", 725), (" 2 ", 200), ("0,01", 1)])
def test_quantities_are_typed_with_a_decimal_comma(text, hundredths):
    assert pricing.parse_quantity(text) == hundredths
    assert pricing.parse_quantity(pricing.format_quantity(hundredths)) == hundredths


@pytest.mark.parametrize("text", ["", "0", "-1", "1,234", "abc", "١"])
def test_bad_quantities_are_refused(text):
    with pytest.raises(ValueError):
        pricing.parse_quantity(text)


@pytest.mark.parametrize("count, plan", [(0, "start"), (10, "start"), (11, "standard"), (50, "standard"), (51, "pro"),
                                         (200, "pro"), (201, "enterprise"), (5000, "enterprise")])
def test_the_plan_follows_the_number_of_active_client_companies(count, plan):
    assert pricing.plan_for(count).code == plan


def test_only_ended_subscriptions_are_lapsed():
    assert [s for s in ("active", "trialing", "past_due", "incomplete", "unpaid", "canceled", "incomplete_expired", None)
            if pricing.subscription_lapsed(s)] == ["unpaid", "canceled", "incomplete_expired"]


def test_bank_accounts_carry_a_mod11_check_digit():
    assert pricing.normalize_bank_account("1503.12.34562") == "15031234562"
    assert pricing.format_bank_account("15031234562") == "1503.12.34562"
    with pytest.raises(ValueError):
        pricing.normalize_bank_account("1503.12.34563")
    with pytest.raises(ValueError):
        pricing.normalize_bank_account("1503.12.3456")


@pytest.mark.parametrize("name, form", [("Bedriftstjenesten AS", "AS"), ("Stor Konsern ASA", "ASA"), ("Norsk filial NUF", "NUF"),
                                        ("Ola Hansen", ""), ("Kaster AS Rør", "")])
def test_the_org_form_is_read_from_the_name_suffix(name, form):
    assert pricing.org_form_from_name(name) == form


def test_the_seller_line_names_mva_and_foretaksregisteret_when_they_apply():
    assert pricing.seller_registration("974760673", True, "AS") == "Org.nr. 974 760 673 MVA Foretaksregisteret"
    assert pricing.seller_registration("974760673", False, "ENK") == "Org.nr. 974 760 673"
    assert pricing.seller_registration("974760673", True, "NUF") == "Org.nr. 974 760 673 MVA Foretaksregisteret"


def test_rates_read_as_percent():
    assert pricing.format_rate(2500) == "25 %"
    assert pricing.format_rate(0) == "0 %"
    assert pricing.format_rate(1111) == "11,11 %"
