"""The ledger: a tenant's invoices and credit notes with totals per month and VAT rate, and the CSV the
accountant imports (one row per invoice and VAT rate, semicolon-separated, decimal comma, UTF-8 with BOM
so spreadsheet programs read the Norwegian letters)."""
from __future__ import annotations

import csv
import io
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.billing import pricing
from saas.billing.models import Invoice
from saas.billing.services.invoices import STATE_LABELS

MONTHS = ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "desember")


def _invoices(session: Session, year: int) -> list[Invoice]:
    return session.scalars(select(Invoice).where(Invoice.issue_date >= date(year, 1, 1), Invoice.issue_date <= date(year, 12, 31))
                           .order_by(Invoice.number)).all()


def monthly_totals(session: Session, year: int) -> dict:
    """Per month and VAT rate: basis, VAT and gross in øre (credit notes count negative), plus the year's."""
    months: dict[tuple[int, int], dict] = {}
    count: dict[int, int] = {}
    for invoice in _invoices(session, year):
        month = invoice.issue_date.month
        count[month] = count.get(month, 0) + 1
        for group in invoice.vat_groups:
            cell = months.setdefault((month, group["rate"]), dict(basis=0, vat=0))
            cell["basis"] += group["basis"]
            cell["vat"] += group["vat"]
    rows = [dict(month=m, month_name=MONTHS[m - 1], rate=r, rate_label=pricing.format_rate(r), basis=c["basis"], vat=c["vat"],
                 gross=c["basis"] + c["vat"], invoices=count.get(m, 0))
            for (m, r), c in sorted(months.items(), key=lambda item: (item[0][0], -item[0][1]))]
    by_rate: dict[int, dict] = {}
    for row in rows:
        total = by_rate.setdefault(row["rate"], dict(rate=row["rate"], rate_label=row["rate_label"], basis=0, vat=0, gross=0))
        for key in ("basis", "vat", "gross"):
            total[key] += row[key]
    return dict(year=year, rows=rows, totals=sorted(by_rate.values(), key=lambda t: -t["rate"]),
                basis=sum(r["basis"] for r in rows), vat=sum(r["vat"] for r in rows), gross=sum(r["gross"] for r in rows))


def _amount(ore: int) -> str:
    sign = "-" if ore < 0 else ""
    kroner, rest = divmod(abs(ore), 100)
    return f"{sign}{kroner},{rest:02d}"


def _text(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    value = (value or "").replace("\r", " ").replace("\n", " ")
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t") else value


HEADER = ("Fakturanr", "Type", "Fakturadato", "Forfallsdato", "Kunde", "Kundens org.nr.", "KID", "Krediterer",
          "MVA-sats", "Grunnlag", "MVA", "Brutto", "Status")


def csv_export(session: Session, year: int) -> str:
    """The year's invoices as CSV for the accountant."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    invoices = _invoices(session, year)
    numbers = {i.id: i.number for i in invoices}
    for invoice in invoices:
        credits = ""
        if invoice.credits_invoice_id:
            credits = str(numbers.get(invoice.credits_invoice_id) or session.scalar(
                select(Invoice.number).where(Invoice.id == invoice.credits_invoice_id)))
        for group in invoice.vat_groups:
            writer.writerow((invoice.number, "Kreditnota" if invoice.is_credit_note else "Faktura",
                             invoice.issue_date.strftime("%d.%m.%Y"), invoice.due_date.strftime("%d.%m.%Y"),
                             _text(invoice.buyer.get("name", "")), invoice.buyer.get("org_number", ""), invoice.kid, credits,
                             pricing.format_rate(group["rate"]), _amount(group["basis"]), _amount(group["vat"]),
                             _amount(group["basis"] + group["vat"]), STATE_LABELS[invoice.state]))
    return out.getvalue()
