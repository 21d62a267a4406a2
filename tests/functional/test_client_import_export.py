"""Importing and exporting client companies over HTTP: all or nothing, row errors in Norwegian, a progress
bar for large files, and an export that imports again unchanged."""
from __future__ import annotations

import codecs
import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import delete, func, select

from saas.audit.models import AuditEvent
from saas.clients.models import ClientCompany
from saas.jobs import BackgroundTask
from saas.norway import generate_valid_org_numbers
from saas.tenancy import bind_tenant, platform_access
from tests import factories
from tests.conftest import login

IMPORT = "/t/tenant-a/companies/import"
HEADER = "navn;organisasjonsnummer;organisasjonsform;adresse;postnummer;poststed;antall_ansatte;arbeid_utenfor_lokaler;oppfølgingsavtale"
_numbers = generate_valid_org_numbers(8501, 50_000)


def numbers(count: int) -> list[str]:
    return [next(_numbers) for _ in range(count)]


def csv_file(lines: list[str], *, bom: bool = True, encoding: str = "utf-8") -> bytes:
    text = "\r\n".join(lines) + "\r\n"
    return (codecs.BOM_UTF8 if bom and encoding == "utf-8" else b"") + text.encode(encoding)


def xlsx_file(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, data: bytes, filename: str, url: str = IMPORT):
    return client.post(url, data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def companies_of(db, tenant) -> list[ClientCompany]:
    with platform_access(db):
        return db.scalars(select(ClientCompany).where(ClientCompany.tenant_id == tenant.id).order_by(ClientCompany.id)).all()


def count_of(db, tenant) -> int:
    with platform_access(db):
        return db.scalar(select(func.count(ClientCompany.id)).where(ClientCompany.tenant_id == tenant.id))


@pytest.fixture
def consultant_a(client, two_tenants):
    login(client, two_tenants["a"]["consultant"])
    return two_tenants["a"]


def test_a_valid_csv_imports_every_row(client, db, consultant_a):
    a = consultant_a
    before = count_of(db, a["tenant"])
    n1, n2, n3 = numbers(3)
    data = csv_file([HEADER,
                     f"Fjord Rør AS;{n1};AS;Kaiveien 2;0150;Oslo;14;ja;nei",
                     f"Ærlig Økonomi ENK;NO {n2[:3]} {n2[3:6]} {n2[6:]} MVA;ENK;;3616;Kongsberg;;nei;ja",
                     f"Bratt & Bakke DA;{n3};DA;;;;3;;"])
    response = upload(client, data, "kunder.csv")
    assert response.status_code == 302 and response.headers["Location"].endswith("/t/tenant-a/companies/")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 kunder er importert." in page
    created = {c.org_number: c for c in companies_of(db, a["tenant"])}
    assert count_of(db, a["tenant"]) == before + 3
    assert created[n1].name == "Fjord Rør AS" and created[n1].employee_count == 14 and created[n1].works_off_premises
    assert created[n2].name == "Ærlig Økonomi ENK" and created[n2].follow_up_agreement and created[n2].employee_count is None
    assert created[n3].postcode == "" and created[n3].employee_count == 3
    with platform_access(db):
        event = db.scalar(select(AuditEvent).where(AuditEvent.tenant_id == a["tenant"].id, AuditEvent.action == "company.imported"))
    assert event.data["count"] == 3 and event.actor_id == a["consultant"].id


def test_a_valid_xlsx_imports_every_row(client, db, consultant_a):
    a = consultant_a
    n1, n2 = numbers(2)
    data = xlsx_file([
        ["Navn", "Organisasjonsnummer", "Postnummer", "Poststed", "Antall ansatte", "Oppfølgingsavtale", "Oppfølgingsavtale fra",
         "HMS-rådgiver e-post"],
        ["Kongsberg Sveis AS", int(n1), 150, "Oslo", 12, True, date(2026, 1, 1), a["consultant"].email.upper()],
        ["Hallingdal Hytteservice AS", n2, "3570", "Ål", None, "nei", "15.02.2026", None],
    ])
    response = upload(client, data, "kunder.xlsx")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    created = {c.org_number: c for c in companies_of(db, a["tenant"])}
    assert created[n1].postcode == "0150"  # Excel had eaten the leading zero
    assert created[n1].follow_up_agreement and created[n1].follow_up_from == date(2026, 1, 1)
    assert created[n1].consultant_id == a["consultant"].id
    assert created[n2].city == "Ål" and created[n2].follow_up_from == date(2026, 2, 15) and created[n2].consultant_id is None


BAD_ROWS = {
    "invalid org number": ("Feil Sum AS;123456789;AS;;;;;;", "organisasjonsnummer", "Organisasjonsnummeret har feil kontrollsiffer."),
    "org number too short": ("Kort AS;12345;AS;;;;;;", "organisasjonsnummer", "Organisasjonsnummeret må ha 9 siffer."),
    "duplicate in the file": ("Dobbel AS;{first};AS;;;;;;", "organisasjonsnummer", "Organisasjonsnummeret står også på rad 2."),
    "existing company": ("Finnes AS;{existing};AS;;;;;;", "organisasjonsnummer", "En kunde med dette organisasjonsnummeret finnes allerede."),
    "over-long name": ("N" * 201 + ";{fresh};AS;;;;;;", "navn", "Må være mellom 1 og 200 tegn."),
    "over-long city": ("By AS;{fresh};AS;;;" + "B" * 101 + ";;;", "poststed", "Kan ikke være lengre enn 100 tegn."),
    "missing name": (";{fresh};AS;;;;;;", "navn", "Feltet må fylles ut."),
    "non-numeric employees": ("Mange AS;{fresh};AS;;;;ca. 10;;", "antall_ansatte", "Må være et heltall."),
    "negative employees": ("Minus AS;{fresh};AS;;;;-3;;", "antall_ansatte", "Må være mellom 0 og 1 000 000."),
    "bad yes/no": ("Kanskje AS;{fresh};AS;;;;;kanskje;", "arbeid_utenfor_lokaler", "Skriv ja eller nei."),
    "bad postcode": ("Post AS;{fresh};AS;;12345;;;;", "postnummer", "Postnummer har 4 siffer."),
    "control character": ("Bjelle\x07 AS;{fresh};AS;;;;;;", "navn", "Inneholder kontrolltegn som ikke er tillatt."),
    "too many values": ("Skilt AS;{fresh};AS;Vei 1;Vei 2;0150;Oslo;3;ja;nei;ekstra", "", "Raden har flere verdier"),
}


@pytest.mark.parametrize("bad", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_one_bad_row_gives_row_errors_in_norwegian_and_saves_nothing(client, db, consultant_a, bad):
    a = consultant_a
    line, column, message = bad
    first, fresh, last = numbers(3)
    line = line.format(first=first, fresh=fresh, existing=a["company"].org_number)
    before = count_of(db, a["tenant"])
    response = upload(client, csv_file([HEADER, f"Første AS;{first};AS;;;;;;", line, f"Siste AS;{last};AS;;;;;;"]), "kunder.csv")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Ingenting er lagret" in body
    assert f"<tr><td>3</td><td>{column or '—'}</td><td>{message}" in body.replace("&#34;", '"')
    assert count_of(db, a["tenant"]) == before


def test_every_bad_row_is_listed_with_its_row_number(client, db, consultant_a):
    good = numbers(2)
    response = upload(client, csv_file([HEADER, f"A AS;{good[0]};;;;;;;", "B AS;123;;;;;;;", f"C AS;{good[1]};;;;;mange;;", "D AS;123456789;;;;;;;"]),
                      "kunder.csv")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "filen har 3 feil" in body
    for row in (3, 4, 5):
        assert f"<tr><td>{row}</td>" in body


def test_a_semicolon_csv_with_bom_and_norwegian_letters_imports(client, db, consultant_a):
    (n1,) = numbers(1)
    data = codecs.BOM_UTF8 + f"Navn;Org.nr.;Poststed\r\nSæbø Bår og Ørret AS;{n1};Ørsta\r\n".encode()
    assert upload(client, data, "kunder.csv").status_code == 302
    company = next(c for c in companies_of(db, consultant_a["tenant"]) if c.org_number == n1)
    assert (company.name, company.city) == ("Sæbø Bår og Ørret AS", "Ørsta")


def test_a_windows_1252_comma_csv_from_old_excel_imports(client, db, consultant_a):
    n1, n2 = numbers(2)
    data = csv_file(["navn,organisasjonsnummer,poststed", f'"Åsen, Øvre og Ærø AS",{n1},Ås', f"Blåbær AS,{n2},Bø"], encoding="cp1252")
    assert upload(client, data, "kunder.csv").status_code == 302
    names = {c.org_number: c.name for c in companies_of(db, consultant_a["tenant"])}
    assert names[n1] == "Åsen, Øvre og Ærø AS" and names[n2] == "Blåbær AS"


@pytest.mark.parametrize("data, filename, message", [
    (b"", "kunder.csv", "Filen er tom."),
    (b"\xd0\xcf\x11\xe0" + b"\0" * 600, "kunder.xls", "Gamle Excel-filer (.xls)"),
    (b"%PDF-1.7 not a spreadsheet", "kunder.pdf", "Last opp en CSV-fil"),
    (b"PK\x03\x04 broken zip", "kunder.xlsx", "Excel-filen er skadet"),
    (b"navn;poststed\r\nFoo AS;Oslo\r\n", "kunder.csv", "Fant ikke kolonnen «organisasjonsnummer»"),
    (b"navn;organisasjonsnummer\r\n", "kunder.csv", "ingen rader med kunder"),
    (b"navn;navn;organisasjonsnummer\r\n", "kunder.csv", "finnes to ganger"),
    (b"navn;organisasjonsnummer\r\n\"Uavsluttet AS;974760673\r\n", "kunder.csv", "Raden kan ikke leses"),
    (b"\x00\x01\x02binary\x00" * 10, "kunder.csv", "binære data"),
])
def test_a_file_that_cannot_be_read_gives_a_message_never_a_500(client, db, consultant_a, data, filename, message):
    before = count_of(db, consultant_a["tenant"])
    response = upload(client, data, filename)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count_of(db, consultant_a["tenant"]) == before


def test_no_file_chosen_is_a_field_error(client, consultant_a):
    response = client.post(IMPORT, data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Velg en CSV- eller Excel-fil" in response.get_data(as_text=True)


def test_a_file_over_the_size_limit_is_refused(app, client, consultant_a, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 1024 * 1024)
    data = csv_file([HEADER] + [f"Kunde {i} AS;974760673;;;;;;;" for i in range(40_000)])
    response = upload(client, data, "kunder.csv")
    assert response.status_code == 422
    assert "Filen er for stor. Største tillatte størrelse er 1 MB." in response.get_data(as_text=True)


def test_more_than_ten_thousand_rows_is_refused(client, db, consultant_a):
    before = count_of(db, consultant_a["tenant"])
    response = upload(client, csv_file([HEADER] + ["X;1;;;;;;;"] * 10_001), "kunder.csv")
    assert response.status_code == 422
    assert "mer enn 10\u00a0000 rader" in response.get_data(as_text=True)
    assert count_of(db, consultant_a["tenant"]) == before


def test_a_big_file_runs_as_a_task_with_progress_and_ends_done(client, db, consultant_a):
    a = consultant_a
    before = count_of(db, a["tenant"])
    rows = [f"Storkunde {i} AS;{n};AS;Gate {i};0150;Oslo;{i % 50};nei;ja" for i, n in enumerate(numbers(1000))]
    response = upload(client, csv_file([HEADER, *rows]), "store-kunder.csv")
    assert response.status_code == 302 and "/companies/import?task=" in response.headers["Location"]
    task_id = int(response.headers["Location"].rsplit("=", 1)[1])
    with platform_access(db):
        task = db.get(BackgroundTask, task_id)
        db.refresh(task)
    assert (task.kind, task.status, task.total, task.done, task.percent) == ("company_import", "done", 1000, 1000, 100)
    assert task.result["created"] == 1000 and task.created_by == a["consultant"].id
    assert count_of(db, a["tenant"]) == before + 1000
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "1000 kunder er importert." in page.get_data(as_text=True)
    status = client.get(f"/t/tenant-a/tasks/{task_id}?format=json").get_json()
    assert status["status"] == "done" and status["percent"] == 100


def test_a_big_file_with_one_bad_row_fails_the_task_and_saves_nothing(client, db, consultant_a):
    a = consultant_a
    before = count_of(db, a["tenant"])
    rows = [f"Storkunde {i} AS;{n};AS;;;;;;" for i, n in enumerate(numbers(600))]
    rows[437] = "Feil AS;123456789;AS;;;;;;"
    response = upload(client, csv_file([HEADER, *rows]), "store-kunder.csv")
    assert response.status_code == 302
    task_id = int(response.headers["Location"].rsplit("=", 1)[1])
    with platform_access(db):
        task = db.get(BackgroundTask, task_id)
        db.refresh(task)
    assert task.status == "failed"
    assert task.result["errors"] == [{"row": 439, "column": "organisasjonsnummer", "message": "Organisasjonsnummeret har feil kontrollsiffer."}]
    assert count_of(db, a["tenant"]) == before
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Importen ble stoppet: 1 feil. Ingenting er lagret." in page
    assert "<tr><td>439</td><td>organisasjonsnummer</td>" in page


def test_the_task_page_of_another_tenants_import_is_404(client, db, two_tenants):
    login(client, two_tenants["a"]["consultant"])
    foreign = two_tenants["b"]["task"].id
    assert client.get(f"{IMPORT}?task={foreign}").status_code == 404
    assert client.get(f"{IMPORT}?task=99999999999999999999").status_code == 404
    assert client.get(f"{IMPORT}?task=²").status_code == 404


def _rich_companies(db, a) -> list[ClientCompany]:
    bind_tenant(db, a["tenant"].id)
    n1, n2 = numbers(2)
    rows = [
        ClientCompany(name="=HYPERLINK(\"http://evil.example\",\"Klikk\")", org_number=n1, org_form="AS", address="Bryggen 1; 2. etg",
                      postcode="0150", city="Oslo", postal_address="Postboks 7, 0101 Oslo", industry_code="43.221", employee_count=4,
                      works_off_premises=True, follow_up_agreement=True, follow_up_from=date(2026, 1, 1), follow_up_to=date(2026, 12, 31),
                      consultant_id=a["consultant"].id, notes="Linje 1\nLinje «2» med \"sitat\"\n-minus først"),
        ClientCompany(name="Ærlige Åsmund & Søn", org_number=n2, employee_count=None, notes="+47 er ikke en formel"),
    ]
    db.add_all(rows)
    db.commit()
    return rows


FIELDS = ("name", "org_number", "org_form", "address", "postcode", "city", "postal_address", "industry_code", "employee_count",
          "works_off_premises", "follow_up_agreement", "follow_up_from", "follow_up_to", "consultant_id", "notes")


@pytest.fixture
def fresh_tenant(db):
    """A tenant with one consultant and nothing else, so its companies can be removed again."""
    tenant = factories.make_tenant(db, slug="tenant-ren")
    consultant = factories.make_user(db, tenant, roles=("consultant",), email="radgiver@ren.example.no")
    db.commit()
    return {"tenant": tenant, "consultant": consultant}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imports_again_unchanged(client, db, fresh_tenant, fmt):
    a = fresh_tenant
    companies = _rich_companies(db, a)
    originals = {c.org_number: {f: getattr(c, f) for f in FIELDS} for c in companies}
    login(client, a["consultant"])
    response = client.get(f"/t/tenant-ren/companies/export.{fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="kunder-tenant-ren-')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    exported = response.data
    if fmt == "csv":
        assert exported.startswith(codecs.BOM_UTF8)
        assert exported[3:].decode().startswith("navn;organisasjonsnummer;organisasjonsform;")
        assert "'=HYPERLINK" in exported.decode()  # a spreadsheet shows it as text, never runs it
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(exported)).worksheets[0]
        assert sheet["A2"].value.startswith("=HYPERLINK") and sheet["A2"].data_type == "s"

    bind_tenant(db, a["tenant"].id)
    db.execute(delete(ClientCompany.__table__).where(ClientCompany.id.in_([c.id for c in companies])))
    db.commit()
    assert count_of(db, a["tenant"]) == 0

    response = upload(client, exported, f"eksport.{fmt}", url="/t/tenant-ren/companies/import")
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    again = {c.org_number: {f: getattr(c, f) for f in FIELDS} for c in companies_of(db, a["tenant"])}
    assert again == originals


def test_the_export_follows_the_lists_filter(client, db, two_tenants):
    a = two_tenants["a"]
    login(client, a["consultant"])
    csv_text = client.get("/t/tenant-a/companies/export.csv?q=Hemmelig").data.decode("utf-8-sig")
    lines = csv_text.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("Kunde A Hemmelig AS;")
    assert "Kunde B" not in csv_text


def test_the_xlsx_export_keeps_numbers_as_text_and_dates_as_dates(client, db, two_tenants):
    a = two_tenants["a"]
    _rich_companies(db, a)
    login(client, a["consultant"])
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/t/tenant-a/companies/export.xlsx").data)).worksheets[0]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0].startswith("=HYPERLINK"))
    values = dict(zip(header, row))
    assert values["postnummer"] == "0150" and isinstance(values["organisasjonsnummer"], str)
    assert values["oppfølgingsavtale_fra"].date() == date(2026, 1, 1)
    assert values["arbeid_utenfor_lokaler"] == "ja" and values["antall_ansatte"] == 4
    assert values["hms_rådgiver_epost"] == a["consultant"].email


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_example_file_imports(client, db, consultant_a, fmt):
    example = client.get(f"/t/tenant-a/companies/import/eksempel.{fmt}")
    assert example.status_code == 200 and "attachment" in example.headers["Content-Disposition"]
    assert upload(client, example.data, f"eksempel.{fmt}").status_code == 302


def test_the_import_page_lists_the_columns_and_links_the_example(client, consultant_a):
    body = client.get(IMPORT).get_data(as_text=True)
    for header in ("navn", "organisasjonsnummer", "antall_ansatte", "oppfølgingsavtale_fra", "hms_rådgiver_epost"):
        assert f"<code>{header}</code>" in body
    assert "/t/tenant-a/companies/import/eksempel.xlsx" in body
    assert 'enctype="multipart/form-data"' in body


@pytest.mark.parametrize("method, url", [
    ("GET", IMPORT), ("POST", IMPORT), ("GET", "/t/tenant-a/companies/export.csv"),
    ("GET", "/t/tenant-a/companies/export.xlsx"), ("GET", "/t/tenant-a/companies/import/eksempel.csv"),
])
def test_a_client_contact_gets_403(client, db, two_tenants, method, url):
    login(client, two_tenants["a"]["client"])
    before = count_of(db, two_tenants["a"]["tenant"])
    data = {"file": (io.BytesIO(csv_file([HEADER, f"Snik AS;{numbers(1)[0]};;;;;;;"])), "k.csv")} if method == "POST" else None
    response = client.open(url, method=method, data=data, content_type="multipart/form-data" if data else None)
    assert response.status_code == 403
    assert count_of(db, two_tenants["a"]["tenant"]) == before


@pytest.mark.parametrize("url", [IMPORT, "/t/tenant-a/companies/export.csv", "/t/tenant-a/companies/export.xlsx"])
def test_a_user_of_another_tenant_gets_404(client, db, two_tenants, url):
    login(client, two_tenants["b"]["admin"])
    response = client.get(url)
    assert response.status_code == 404
    assert "A Hemmelig" not in response.get_data(as_text=True)
    before = count_of(db, two_tenants["a"]["tenant"])
    assert upload(client, csv_file([HEADER, f"Snik AS;{numbers(1)[0]};;;;;;;"]), "k.csv").status_code == 404
    assert count_of(db, two_tenants["a"]["tenant"]) == before


def test_an_unknown_export_format_is_404(client, consultant_a):
    assert client.get("/t/tenant-a/companies/export.pdf").status_code == 404
