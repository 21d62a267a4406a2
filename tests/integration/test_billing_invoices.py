"""Invoices against a real database: one invoice per certificate, the gap-free number series, KID, credit
notes that leave the original untouched, immutability, the PDF's mandatory fields, e-mail, reminders and
the ledger."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from saas import storage
from saas.billing import jobs
from saas.billing.models import Invoice, InvoiceCounter, InvoiceImmutable, InvoiceLine
from saas.billing.services import Refused, delivery, invoices, ledger, settings
from saas.certification.demo import complete_year, previous_certificate
from saas.certification.services import decisions
from saas.norway import is_valid_kid
from saas.tenancy import bind_tenant
from saas.tenants.models import OutboxMessage
from tests import factories

TODAY = date(2026, 6, 15)


@pytest.fixture
def enqueued(monkeypatch):
    """Jobs the services enqueue, recorded instead of run: these tests call each step themselves."""
    calls = []
    monkeypatch.setattr("saas.jobs.enqueue", lambda session, fn, *args, tenant_id, job_id=None: calls.append((fn.job_name, args, job_id)))
    return calls


@pytest.fixture
def world(app, db):
    with app.app_context():
        tenant = factories.make_tenant(db, name="Bedriftstjenesten AS", org_number="974760673", vat_registered=True,
                                       address="Storgata 1", postcode="3611", city="Kongsberg")
        admin = factories.make_user(db, tenant, roles=("admin",), name="Anne Admin")
        consultant = factories.make_user(db, tenant, roles=("consultant",), name="Kari")
        reviewer = factories.make_user(db, tenant, roles=("reviewer",), name="Siri")
        company = factories.make_company(db, tenant, name="Verkstedet AS", consultant_id=consultant.id, employee_count=12,
                                         address="Industriveien 7", postcode="3616", city="Kongsberg")
        factories.make_contact(db, company, name="Kari Kunde", email="kari@verkstedet.example.no")
        settings.update_price_list(db, admin, tenant, {"bank_account": "15031234562", "payment_terms_days": 14,
                                                       "invoice_text": "Takk for oppdraget.", "org_form": "AS",
                                                       "prices": [{"cert_class": "A", "band": 1, "amount": 690_000}]})
        yield dict(db=db, app=app, tenant=tenant, admin=admin, consultant=consultant, reviewer=reviewer, company=company)


@pytest.fixture
def ctx(world, enqueued):
    return dict(world, enqueued=enqueued)


def _certificate(ctx, company=None):
    return previous_certificate(ctx["db"], ctx["tenant"], company or ctx["company"], ctx["consultant"], ctx["reviewer"], TODAY)


def _issue(ctx, company=None):
    """A certificate and its invoice, as the job makes it."""
    certificate = _certificate(ctx, company)
    return invoices.invoice_certificate(ctx["db"], certificate.id, TODAY)


def _count(db, model=Invoice) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_deciding_a_certificate_enqueues_its_invoice_and_the_job_makes_exactly_one(world):
    ctx = world
    db = ctx["db"]
    year = complete_year(db, ctx["company"], ctx["consultant"], TODAY)
    proposal = decisions.propose(db, ctx["consultant"], year.id, {"cert_class": "A"}, TODAY)
    _, certificate = decisions.decide(db, ctx["tenant"], ctx["reviewer"], proposal.id, approve=True, reason="", today=TODAY)
    assert _count(db) == 0  # nothing before the decision commits
    db.commit()  # the job runs after the commit (JOBS_MODE sync)
    bind_tenant(db, ctx["tenant"].id)

    invoice = db.scalar(select(Invoice).where(Invoice.certificate_id == certificate.id))
    assert invoice is not None and invoice.number == 1
    assert invoice.gross_total == 862_500 and invoice.vat_total == 172_500  # class A, 10–49 employees, 25 % VAT
    line = db.scalar(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
    assert certificate.number in line.description and (line.period_from, line.period_to) == (certificate.issued_on, certificate.valid_until)

    assert jobs.invoice_certificate(db, certificate.id) is None  # the job again: nothing new
    assert _count(db) == 1


def test_an_invoice_gets_consecutive_numbers_per_tenant_and_a_valid_kid(ctx):
    first, second = _issue(ctx), _issue(ctx, factories.make_company(ctx["db"], ctx["tenant"]))
    other = factories.make_tenant(ctx["db"])
    factories.give_bank_account(ctx["db"])
    other_company = factories.make_company(ctx["db"], other)
    consultant = factories.make_user(ctx["db"], other, roles=("consultant",))
    cert = previous_certificate(ctx["db"], other, other_company, consultant, consultant, TODAY)
    elsewhere = invoices.invoice_certificate(ctx["db"], cert.id, TODAY)

    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
    assert first.kid == "0000000018" and is_valid_kid(first.kid, "mod10") and is_valid_kid(second.kid, "mod10")
    assert first.due_date == TODAY + timedelta(days=14)


def test_the_mod11_kid_never_ends_in_a_dash(ctx):
    for number in range(1, 200):
        kid = invoices.kid_for(number, "mod11")
        assert is_valid_kid(kid, "mod11") and len(kid) == 10, kid
    assert len({invoices.kid_for(n, "mod11") for n in range(1, 200)}) == 199


def test_a_rolled_back_invoice_gives_its_number_back(ctx):
    db = ctx["db"]
    _issue(ctx)
    certificate = _certificate(ctx, factories.make_company(db, ctx["tenant"]))
    with pytest.raises(RuntimeError):
        with db.begin_nested():
            invoices.invoice_certificate(db, certificate.id, TODAY)
            raise RuntimeError("the transaction failed after the number was taken")
    assert invoices.invoice_certificate(db, certificate.id, TODAY).number == 2
    assert db.scalar(select(InvoiceCounter.last_number)) == 2


def test_a_client_on_a_follow_up_agreement_gets_a_zero_invoice_that_needs_no_payment(ctx):
    company = factories.make_company(ctx["db"], ctx["tenant"], follow_up_agreement=True, follow_up_from=date(2025, 1, 1))
    invoice = _issue(ctx, company)
    assert (invoice.gross_total, invoice.state) == (0, "paid")
    assert "oppfølgingsavtalen" in invoice.lines[0].description if "lines" in invoice.__dict__ else True


def test_a_credit_note_leaves_the_original_untouched(ctx):
    db = ctx["db"]
    original = _issue(ctx)
    db.flush()
    columns = [c.key for c in Invoice.__table__.columns if c.key not in ("state", "credited_at")]
    before = {c: getattr(original, c) for c in columns}
    lines_before = db.execute(select(InvoiceLine.__table__).where(InvoiceLine.invoice_id == original.id)).all()

    credit = invoices.credit_invoice(db, ctx["admin"], ctx["tenant"], original.id, "Feil klasse fakturert", TODAY)
    db.flush()
    db.expire_all()

    again = db.scalar(select(Invoice).where(Invoice.id == original.id))
    assert {c: getattr(again, c) for c in columns} == before
    assert db.execute(select(InvoiceLine.__table__).where(InvoiceLine.invoice_id == original.id)).all() == lines_before
    assert again.state == "credited"
    assert credit.credits_invoice_id == original.id and credit.number == original.number + 1
    assert (credit.net_total, credit.vat_total, credit.gross_total) == (-original.net_total, -original.vat_total, -original.gross_total)
    assert f"Krediterer faktura {original.number}" in credit.note
    with pytest.raises(Refused):
        invoices.credit_invoice(db, ctx["admin"], ctx["tenant"], original.id, "En gang til", TODAY)
    with pytest.raises(Refused):
        invoices.credit_invoice(db, ctx["admin"], ctx["tenant"], credit.id, "Kreditnota av kreditnota", TODAY)


def test_an_issued_invoice_is_never_edited_or_deleted(ctx):
    db = ctx["db"]
    invoice = _issue(ctx)
    db.flush()
    for change in (lambda: setattr(invoice, "gross_total", 1), lambda: setattr(invoice, "number", 99),
                   lambda: setattr(invoice, "buyer", {"name": "Noen andre"})):
        with pytest.raises(InvoiceImmutable):
            with db.begin_nested():
                change()
                db.flush()
        db.expire_all()
    line = db.scalar(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
    with pytest.raises(InvoiceImmutable):
        with db.begin_nested():
            line.unit_price = 1
            db.flush()
    db.expire_all()
    with pytest.raises(InvoiceImmutable):
        with db.begin_nested():
            db.delete(db.scalar(select(Invoice).where(Invoice.id == invoice.id)))
            db.flush()


def _pdf_text(ctx, invoice) -> str:
    ctx["db"].flush()
    delivery.deliver(ctx["db"], invoice.id)
    data = storage.read(invoice.pdf_key)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def test_the_invoice_pdf_holds_every_mandatory_field(ctx):
    db = ctx["db"]
    company = factories.make_company(db, ctx["tenant"], name="Lågen Rør AS", org_number="123456785", address="Elvegata 3",
                                     postcode="3610", city="Kongsberg", employee_count=3)
    invoice = invoices.manual_invoice(db, ctx["admin"], ctx["tenant"], {"company_id": company.id, "lines": [
        dict(description="HMS-rådgivning, kartlegging av verksted", period_from=date(2026, 5, 1), period_to=date(2026, 5, 31),
             quantity=150, unit_price=100_000, vat_code="high"),
        dict(description="Bedriftshelsetjeneste, helsekontroll", quantity=100, unit_price=50_000, vat_code="exempt")]}, TODAY)
    text = _pdf_text(ctx, invoice)

    expected = [
        "Bedriftstjenesten AS", "974 760 673 MVA", "Foretaksregisteret",  # seller, org nr with MVA, register
        "Lågen Rør AS", "Elvegata 3", "3610 Kongsberg", "123 456 785",  # buyer name, address, org nr
        f"Faktura {invoice.number}", "Fakturadato 15.06.2026", "Forfallsdato 29.06.2026",
        "HMS-rådgivning, kartlegging av verksted", "01.05.2026–31.05.2026",  # specific description and period
        "1 000,00 kr", "1 500,00 kr", "Sum eks. MVA 2 000,00 kr",  # price, line amount, net
        "MVA 25 % av 1 500,00 kr 375,00 kr", "MVA 0 % av 500,00 kr 0,00 kr",  # VAT per rate in NOK
        "2 375,00 kr", f"KID {invoice.kid}", "1503.12.34562", "Takk for oppdraget.",
    ]
    missing = [field for field in expected if field not in text.replace("– ", "–")]  # a period may wrap after its dash
    assert not missing, f"{missing}\n---\n{text}"


def test_the_invoice_goes_by_e_mail_to_the_contacts_with_its_pdf_and_pay_links(ctx):
    db = ctx["db"]
    invoice = _issue(ctx)
    db.flush()
    assert delivery.deliver(db, invoice.id) == 1
    assert delivery.deliver(db, invoice.id) == 0  # once

    message = db.scalar(select(OutboxMessage).where(OutboxMessage.to == "kari@verkstedet.example.no"))
    assert f"Faktura {invoice.number} fra Bedriftstjenesten AS" == message.subject
    assert f"/faktura/{invoice.public_token}" in message.body and f"/faktura/{invoice.public_token}/pdf" in message.body
    assert invoice.kid in message.body
    assert invoice.state == "sent" and invoice.pdf_key


def test_overdue_invoices_are_marked_and_reminded_once_per_interval(ctx):
    db = ctx["db"]
    invoice = _issue(ctx)
    db.flush()
    delivery.deliver(db, invoice.id)
    due = invoice.due_date

    assert delivery.remind_overdue(db, due) == 0 and invoice.state == "sent"  # not overdue on the due date
    assert delivery.remind_overdue(db, due + timedelta(days=1)) == 1
    assert invoice.state == "overdue" and invoice.reminder_count == 1
    assert delivery.remind_overdue(db, due + timedelta(days=1)) == 0  # the same day again: nothing
    assert delivery.remind_overdue(db, due + timedelta(days=10)) == 0
    assert delivery.remind_overdue(db, due + timedelta(days=15)) == 1
    reminders = db.scalars(select(OutboxMessage.subject).where(OutboxMessage.subject.like("Påminnelse%"))).all()
    assert len(reminders) == 2


def test_a_paid_or_credited_invoice_gets_no_reminder(ctx):
    db = ctx["db"]
    paid, credited = _issue(ctx), _issue(ctx, factories.make_company(db, ctx["tenant"]))
    paid.state = "paid"
    invoices.credit_invoice(db, ctx["admin"], ctx["tenant"], credited.id, "Feil", TODAY)
    assert delivery.remind_overdue(db, TODAY + timedelta(days=60)) == 0


def test_a_manual_invoice_needs_a_known_company(ctx):
    from saas.schemas import FieldErrors

    with pytest.raises(FieldErrors):
        invoices.manual_invoice(ctx["db"], ctx["admin"], ctx["tenant"], {"company_id": 999_999, "lines": [
            dict(description="Noe", quantity=100, unit_price=100, vat_code="high")]}, TODAY)
    assert _count(ctx["db"]) == 0


def test_the_ledger_totals_per_month_and_rate_and_exports_csv_for_the_accountant(ctx):
    db = ctx["db"]
    first = invoices.manual_invoice(db, ctx["admin"], ctx["tenant"], {"company_id": ctx["company"].id, "lines": [
        dict(description="Rådgivning", quantity=100, unit_price=100_000, vat_code="high"),
        dict(description="Helsekontroll", quantity=100, unit_price=40_000, vat_code="exempt")]}, date(2026, 3, 10))
    invoices.manual_invoice(db, ctx["admin"], ctx["tenant"], {"company_id": ctx["company"].id, "note": "=HYPERLINK(\"x\")",
                                                              "lines": [dict(description="Kurs", quantity=200, unit_price=50_000, vat_code="high")]},
                            date(2026, 4, 2))
    invoices.credit_invoice(db, ctx["admin"], ctx["tenant"], first.id, "Feil", date(2026, 4, 20))

    result = ledger.monthly_totals(db, 2026)
    rows = [(r["month"], r["rate"], r["basis"], r["vat"]) for r in result["rows"]]
    assert rows == [(3, 2500, 100_000, 25_000), (3, 0, 40_000, 0), (4, 2500, 0, 0), (4, 0, -40_000, 0)]
    assert (result["basis"], result["vat"], result["gross"]) == (100_000, 25_000, 125_000)

    csv_text = ledger.csv_export(db, 2026)
    assert csv_text.startswith("\ufeffFakturanr;Type;Fakturadato")
    lines = csv_text.strip().split("\r\n")
    assert len(lines) == 1 + 2 + 1 + 2  # header, two rates, one rate, the credit note's two rates
    assert "3;Kreditnota;20.04.2026;20.04.2026;Verkstedet AS" in csv_text and ";1;25 %;-1000,00;-250,00;-1250,00;" in csv_text


def test_a_client_contact_sees_only_invoices_of_their_own_companies(ctx):
    db = ctx["db"]
    mine = _issue(ctx)
    other = _issue(ctx, factories.make_company(db, ctx["tenant"]))
    client = factories.make_user(db, ctx["tenant"], roles=("client",))
    factories.make_contact(db, ctx["company"], user=client)

    items, total = invoices.list_invoices(db, client, invoices.InvoiceFilter())
    assert [i["id"] for i in items] == [mine.id] and total == 1
    with pytest.raises(invoices.NotFound):
        invoices.get_invoice(db, client, other.id)


def test_issuing_a_certificate_enqueues_its_invoice_job_under_a_deterministic_id(ctx):
    from saas.billing import invoice_new_certificate
    from saas.certification import hooks

    certificate = _certificate(ctx)
    assert invoice_new_certificate in hooks.SUBSCRIBERS
    hooks.certificate_issued(ctx["db"], certificate)
    mine = [call for call in ctx["enqueued"] if call[0].startswith("saas.billing.")]  # other features subscribe too
    assert mine == [("saas.billing.jobs.invoice_certificate", (certificate.id,), f"invoice-certificate-{certificate.id}")]
    invoice = jobs.invoice_certificate(ctx["db"], certificate.id)
    assert ctx["enqueued"][-1] == ("saas.billing.jobs.deliver_invoice", (invoice,), f"invoice-deliver-{invoice}")


def test_a_branded_tenants_invoice_renders_with_its_logo(ctx):
    from PIL import Image

    from saas.tenancy import platform_access

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (31, 78, 121)).save(buffer, format="PNG")
    stored = storage.save_bytes(buffer.getvalue(), "png", "logo.png", "image/png")
    with platform_access(ctx["db"]):
        ctx["tenant"].logo_file = stored.key
    invoice = _issue(ctx)
    ctx["db"].flush()
    delivery.deliver(ctx["db"], invoice.id)
    assert storage.read(invoice.pdf_key).startswith(b"%PDF")
