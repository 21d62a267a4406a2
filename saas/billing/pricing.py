"""Prices, VAT and totals: plain functions over plain data, standard library only.

Money is integer øre; VAT rates are basis points (2500 is 25 %); quantities are hundredths (150 is 1.5).
VAT is chosen per line (HMS consulting and certification 25 %, health services can be exempt) and
computed per rate on the sum of that rate's lines, rounded half away from zero to whole øre, once per rate:
that is the figure the invoice shows as "MVA 25 %" and what the ledger adds up.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

CLASSES = ("B", "A", "A+")

# Size bands by number of employees: (lowest, highest or None); a company with an unknown headcount is in
# the first band (Enhetsregisteret withholds the number below 5).
SIZE_BANDS: tuple[tuple[int, int | None], ...] = ((0, 9), (10, 49), (50, 249), (250, None))

VAT_RATES = {"high": 2500, "exempt": 0}
VAT_LABELS = {"high": "25 % MVA", "exempt": "Fritatt for MVA"}

# What a new tenant's price list starts with (øre without VAT), per class and band.
DEFAULT_PRICES: dict[tuple[str, int], int] = {
    ("B", 0): 390_000, ("B", 1): 590_000, ("B", 2): 890_000, ("B", 3): 1_290_000,
    ("A", 0): 490_000, ("A", 1): 690_000, ("A", 2): 990_000, ("A", 3): 1_490_000,
    ("A+", 0): 590_000, ("A+", 1): 790_000, ("A+", 2): 1_190_000, ("A+", 3): 1_690_000,
}


def band_label(band: int) -> str:
    low, high = SIZE_BANDS[band]
    return f"{low}–{high} ansatte" if high is not None else f"{low} ansatte eller flere"


def band_for(employees: int | None) -> int:
    """The index of the size band a headcount falls in."""
    if employees is None or employees < 0:
        return 0
    for index, (low, high) in enumerate(SIZE_BANDS):
        if employees >= low and (high is None or employees <= high):
            return index
    raise ValueError(employees)


def certificate_price(prices: Mapping[tuple[str, int], int], cert_class: str, employees: int | None,
                      follow_up_active: bool) -> int:
    """The price of a certificate in øre without VAT: 0 on an active follow-up agreement (seed 001),
    else the price list's price for the class and size band (the default price where the list has none)."""
    if cert_class not in CLASSES:
        raise ValueError(f"Ukjent klasse: {cert_class!r}")
    if follow_up_active:
        return 0
    key = (cert_class, band_for(employees))
    return prices.get(key, DEFAULT_PRICES[key])


def divide_rounded(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero (so a credit note mirrors its invoice exactly)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int  # hundredths
    unit_price: int  # øre without VAT
    vat_code: str = "high"


@dataclass(frozen=True)
class PricedLine:
    line: Line
    vat_rate: int
    net_amount: int


@dataclass(frozen=True)
class VatGroup:
    rate: int
    basis: int
    vat: int


@dataclass(frozen=True)
class Totals:
    lines: tuple[PricedLine, ...]
    groups: tuple[VatGroup, ...]  # highest rate first
    net: int
    vat: int
    gross: int


def price_line(line: Line) -> PricedLine:
    if line.vat_code not in VAT_RATES:
        raise ValueError(f"Ukjent MVA-kode: {line.vat_code!r}")
    if line.quantity <= 0:
        raise ValueError("Antallet må være større enn null.")
    return PricedLine(line=line, vat_rate=VAT_RATES[line.vat_code],
                      net_amount=divide_rounded(line.unit_price * line.quantity, 100))


def totals(lines: Iterable[Line]) -> Totals:
    """Net per line, VAT per rate, and the invoice's totals."""
    priced = tuple(price_line(line) for line in lines)
    basis: dict[int, int] = {}
    for p in priced:
        basis[p.vat_rate] = basis.get(p.vat_rate, 0) + p.net_amount
    groups = tuple(VatGroup(rate=rate, basis=amount, vat=divide_rounded(amount * rate, 10_000))
                   for rate, amount in sorted(basis.items(), reverse=True))
    net = sum(g.basis for g in groups)
    vat = sum(g.vat for g in groups)
    return Totals(lines=priced, groups=groups, net=net, vat=vat, gross=net + vat)


def negated(line: Line) -> Line:
    """The credit-note line that cancels ``line``."""
    return Line(description=line.description, quantity=line.quantity, unit_price=-line.unit_price, vat_code=line.vat_code)


def format_rate(rate: int) -> str:
    """2500 -> "25 %", 1500 -> "15 %", 1111 -> "11,11 %"."""
    whole, part = divmod(rate, 100)
    return f"{whole} %" if part == 0 else f"{whole},{part:02d} %"


def format_quantity(quantity: int) -> str:
    """Hundredths -> "1", "1,5", "2,25"."""
    whole, part = divmod(quantity, 100)
    if part == 0:
        return str(whole)
    return f"{whole},{part:02d}".rstrip("0")


def parse_quantity(text: str) -> int:
    """"1,5" or "1.5" -> 150.  Raises ValueError with a Norwegian message."""
    cleaned = (text or "").strip().replace(" ", "").replace(",", ".")
    whole, _, part = cleaned.partition(".")
    if not whole.isdigit() or (part and (not part.isdigit() or len(part) > 2)) or not whole.isascii():
        raise ValueError("Skriv antallet som et tall, for eksempel 1 eller 7,5.")
    value = int(whole) * 100 + int(part.ljust(2, "0") or 0)
    if value <= 0:
        raise ValueError("Antallet må være større enn null.")
    return value


# -- platform plans -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    max_companies: int | None  # active client companies included; None: no limit
    monthly_price: int  # øre without VAT


PLANS: tuple[Plan, ...] = (
    Plan("start", "Start", 10, 49_000),
    Plan("standard", "Standard", 50, 149_000),
    Plan("pro", "Profesjonell", 200, 349_000),
    Plan("enterprise", "Stor", None, 699_000),
)


def plan_for(active_companies: int) -> Plan:
    """The smallest plan that includes ``active_companies`` active client companies."""
    for plan in PLANS:
        if plan.max_companies is None or active_companies <= plan.max_companies:
            return plan
    raise ValueError(active_companies)


def plan_by_code(code: str) -> Plan:
    for plan in PLANS:
        if plan.code == code:
            return plan
    raise KeyError(code)


# Stripe subscription states (Stripe's own words) that end the tenant's right to change its data.
LAPSED_STATUSES = frozenset({"canceled", "unpaid", "incomplete_expired"})


def subscription_lapsed(status: str | None) -> bool:
    """True when a subscription in ``status`` no longer pays for the service (None: never subscribed,
    which the operator handles by hand, so it is not lapsed)."""
    return status in LAPSED_STATUSES


# -- bank account -----------------------------------------------------------------------------------

ACCOUNT_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def normalize_bank_account(raw: str) -> str:
    """A Norwegian kontonummer (11 digits, MOD11 check digit) as typed: "1503.12.34562" -> "15031234562"."""
    digits = "".join(ch for ch in (raw or "") if not ch.isspace() and ch != ".")
    if len(digits) != 11 or not digits.isascii() or not digits.isdigit():
        raise ValueError("Kontonummeret må ha 11 siffer.")
    remainder = sum(int(d) * w for d, w in zip(digits[:10], ACCOUNT_WEIGHTS)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    if check == 10 or check != int(digits[10]):
        raise ValueError("Kontonummeret har feil kontrollsiffer.")
    return digits


def format_bank_account(digits: str) -> str:
    return f"{digits[0:4]}.{digits[4:6]}.{digits[6:11]}" if len(digits) == 11 else digits


FORETAKSREGISTERET_FORMS = frozenset({"AS", "ASA", "NUF"})


def org_form_from_name(name: str) -> str:
    """A company name's legal suffix: "Bedriftstjenesten AS" -> "AS"; "" when the name does not tell."""
    words = (name or "").strip().upper().split()
    return words[-1] if words and words[-1] in {"AS", "ASA", "NUF", "ENK", "DA", "ANS", "SA"} else ""


def seller_registration(org_number: str, vat_registered: bool, org_form: str) -> str:
    """What follows the seller's name on an invoice: "Org.nr. 974 760 673 MVA Foretaksregisteret"."""
    grouped = f"{org_number[0:3]} {org_number[3:6]} {org_number[6:9]}" if len(org_number) == 9 else org_number
    text = f"Org.nr. {grouped}"
    if vat_registered:
        text += " MVA"
    if org_form.upper() in FORETAKSREGISTERET_FORMS:
        text += " Foretaksregisteret"
    return text
