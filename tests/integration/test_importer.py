"""The importer on its own (reading, checking, writing) and the import service and job against a real
database: all or nothing, progress, run twice changes once."""
from __future__ import annotations

import codecs
import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import func, select

from saas.audit.models import AuditEvent
from saas.clients import importer, jobs
from saas.clients.importer import FileRejected, ImportRejected, RowError, check_rows, read_sheet
from saas.clients.models import ClientCompany
from saas.jobs import BackgroundTask, run_job
from saas.norway import generate_valid_org_numbers
from saas.tenancy import bind_tenant, platform_access
from tests import factories

MB = 1024 * 1024
_numbers = generate_valid_org_numbers(8502, 50_000)


def numbers(count: int) -> list[str]:
    return [next(_numbers) for _ in range(count)]


def sheet_of(text: str, name: str = "k.csv", encoding: str = "utf-8") -> importer.Sheet:
    return read_sheet(text.encode(encoding), name, MB)


def xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# -- reading -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_the_delimiter_is_found_from_the_header(delimiter):
    sheet = sheet_of(delimiter.join(["navn", "organisasjonsnummer", "poststed"]) + "\nA AS" + delimiter + "974760673" + delimiter + "Oslo\n")
    assert sheet.fields == ("name", "org_number", "city")
    assert sheet.rows == ((2, ("A AS", "974760673", "Oslo")),)


def test_utf8_with_and_without_bom_windows_1252_and_utf16_read_the_same():
    text = "navn;organisasjonsnummer;poststed\r\nSæbø Ål AS;974760673;Ørsta\r\n"
    variants = [codecs.BOM_UTF8 + text.encode(), text.encode(), text.encode("cp1252"), text.encode("utf-16")]
    rows = {read_sheet(data, "k.csv", MB).rows for data in variants}
    assert rows == {((2, ("Sæbø Ål AS", "974760673", "Ørsta")),)}


def test_headers_are_matched_loosely_and_unknown_ones_are_reported():
    sheet = sheet_of("Org.nr.;NAVN;Antall ansatte;HMS-rådgiver e-post;Kommune;Oppfolgingsavtale fra\n974760673;A;3;x@y.no;Oslo;\n")
    assert sheet.fields == ("org_number", "name", "employee_count", "consultant_email", None, "follow_up_from")
    assert sheet.ignored == ("Kommune",)


def test_english_headers_are_accepted():
    sheet = sheet_of("name,organisation_number,postcode,city,employees\nA,974760673,0150,Oslo,4\n")
    assert sheet.fields == ("name", "org_number", "postcode", "city", "employee_count")


def test_blank_rows_are_skipped_and_row_numbers_stay_as_the_spreadsheet_shows_them():
    sheet = sheet_of('navn;organisasjonsnummer;notater\n\nA;974760673;"to\nlinjer"\n;;\nB;123456785;\n')
    assert [n for n, _ in sheet.rows] == [3, 5]
    assert sheet.rows[0][1][2] == "to\nlinjer"


def test_a_short_row_is_padded_and_a_long_one_is_a_row_error():
    sheet = sheet_of("navn;organisasjonsnummer;poststed\nA;974760673\nB;123456785;Oslo;;\nC;123456785;Oslo;ekstra\n")
    assert sheet.rows == ((2, ("A", "974760673", "")), (3, ("B", "123456785", "Oslo")))
    assert [(e.row, e.column) for e in sheet.errors] == [(4, "")]


def test_an_unclosed_quote_stops_reading_with_a_row_error():
    sheet = sheet_of('navn;organisasjonsnummer\nA;974760673\n"B;123456785\nC;1\n')
    assert sheet.errors and sheet.errors[0].row == 3 and "anførselstegn" in sheet.errors[0].message


def test_an_xlsx_is_read_with_numbers_dates_and_booleans_as_text():
    data = xlsx([["navn", "organisasjonsnummer", "postnummer", "antall_ansatte", "oppfølgingsavtale", "oppfølgingsavtale_fra", "notater"],
                 [None, None, None, None, None, None, None],
                 ["A AS", 974760673, 150, 12.0, True, datetime(2026, 3, 1), 2.5]])
    sheet = read_sheet(data, "k.xlsx", MB)
    assert sheet.rows == ((3, ("A AS", "974760673", "150", "12", "ja", "2026-03-01", "2.5")),)


def test_an_xlsx_formula_is_read_as_its_stored_value_never_run():
    data = xlsx([["navn", "organisasjonsnummer"], ["=1+1", "974760673"]])
    sheet = read_sheet(data, "k.xlsx", MB)
    assert sheet.rows[0][1][0] in ("", "=1+1")  # openpyxl kept no cached value; nothing was evaluated


def test_an_xlsx_that_unpacks_to_too_much_is_refused(monkeypatch):
    monkeypatch.setattr(importer, "MAX_XLSX_UNPACKED", 1000)
    with pytest.raises(FileRejected, match="for stor når den pakkes ut"):
        read_sheet(xlsx([["navn", "organisasjonsnummer"], ["A" * 5000, "974760673"]]), "k.xlsx", MB)


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not really")
    with pytest.raises(FileRejected, match="kan ikke leses"):
        read_sheet(out.getvalue(), "k.xlsx", MB)
    with pytest.raises(FileRejected, match="ikke en Excel-arbeidsbok"):
        read_sheet(out.getvalue(), "k.csv", MB)


def test_a_csv_named_xlsx_is_refused():
    with pytest.raises(FileRejected, match="ikke en gyldig Excel-arbeidsbok"):
        read_sheet(b"navn;organisasjonsnummer\n", "k.xlsx", MB)


def test_row_and_size_limits():
    with pytest.raises(FileRejected, match="for stor"):
        read_sheet(b"x" * 2000, "k.csv", 1000)
    rows = "navn;organisasjonsnummer\n" + "A;1\n" * importer.MAX_ROWS
    assert len(read_sheet(rows.encode(), "k.csv", 10 * MB).rows) == importer.MAX_ROWS
    with pytest.raises(FileRejected, match="mer enn 10"):
        read_sheet((rows + "A;1\n").encode(), "k.csv", 10 * MB)


# -- checking ------------------------------------------------------------------------------------------

HEADER = "navn;organisasjonsnummer;antall_ansatte;arbeid_utenfor_lokaler;oppfølgingsavtale_fra;oppfølgingsavtale_til;hms_rådgiver_epost\n"


def test_good_rows_load_into_company_data_with_spreadsheet_habits_understood():
    n1, n2 = numbers(2)
    sheet = sheet_of(HEADER + f"A AS;NO {n1} MVA;1 200;Ja;01.02.2026;2026-12-31;Kari@Example.no\nB AS;{n2};;;;;\n")
    checked = check_rows(sheet, set(), {"kari@example.no": 7})
    assert checked.ok
    first, second = checked.companies
    assert (first["org_number"], first["employee_count"], first["works_off_premises"]) == (n1, 1200, True)
    assert (first["follow_up_from"], first["follow_up_to"], first["consultant_id"]) == (date(2026, 2, 1), date(2026, 12, 31), 7)
    assert (second["employee_count"], second["works_off_premises"], second["consultant_id"], second["org_form"]) == (None, False, None, "")


def test_errors_name_the_row_and_the_column_as_written_in_the_file():
    (n1,) = numbers(1)
    sheet = sheet_of("Navn;Org.nr.;Ansatte;Oppfølgingsavtale fra;Oppfølgingsavtale til;HMS-rådgiver\n"
                     f"A AS;{n1};-1;31.02.2026;01.01.2026;ukjent@example.no\n")
    checked = check_rows(sheet, set(), {})
    assert not checked.ok and checked.companies == ()
    assert set(checked.errors) == {
        RowError(2, "Ansatte", "Må være mellom 0 og 1 000 000."),
        RowError(2, "Oppfølgingsavtale fra", "Ugyldig dato. Skriv for eksempel 31.12.2026 eller 2026-12-31."),
        RowError(2, "HMS-rådgiver", "Fant ingen HMS-rådgiver med denne e-postadressen hos dere."),
    }


def test_an_end_date_before_the_start_date_is_an_error():
    (n1,) = numbers(1)
    checked = check_rows(sheet_of(HEADER + f"A;{n1};;;02.01.2026;01.01.2026;\n"), set(), {})
    assert checked.errors == (RowError(2, "oppfølgingsavtale_til", "Sluttdato kan ikke være før startdato."),)


def test_duplicates_within_the_file_and_against_the_tenant():
    n1, n2 = numbers(2)
    sheet = sheet_of(HEADER + f"A;{n1};;;;;\nB;{n2};;;;;\nC;{n1[:3]} {n1[3:]};;;;;\nD;{n2};x;;;;\n")
    checked = check_rows(sheet, {n2}, {})
    messages = [(e.row, e.message) for e in checked.errors]
    assert (3, "En kunde med dette organisasjonsnummeret finnes allerede.") in messages
    assert (4, "Organisasjonsnummeret står også på rad 2.") in messages
    assert (5, "En kunde med dette organisasjonsnummeret finnes allerede.") in messages
    assert (5, "Må være et heltall.") in messages


def test_progress_is_reported_per_row():
    seen = []
    check_rows(sheet_of(HEADER + "".join(f"K{i};{n};;;;;\n" for i, n in enumerate(numbers(5)))), set(), {}, seen.append)
    assert seen == [1, 2, 3, 4, 5]


def test_only_the_first_errors_are_kept_but_all_are_counted():
    sheet = sheet_of(HEADER + "A;123;;;;;\n" * 500)
    checked = check_rows(sheet, set(), {})
    assert checked.error_count == 500 and len(checked.errors) == importer.MAX_REPORTED_ERRORS


# -- writing -------------------------------------------------------------------------------------------

def _row(**values):
    base = {c.field: None for c in importer.COLUMNS}
    base.update(values)
    return base


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_what_is_written_reads_back_the_same(fmt):
    n1, n2 = numbers(2)
    rows = [_row(name="@SUM(A1)", org_number=n1, postcode="0150", employee_count=0, works_off_premises=True, follow_up_agreement=False,
                 follow_up_from=date(2026, 5, 17), notes="-- «sitat»; \"og\" linjeskift\nher", consultant_email="kari@example.no"),
            _row(name="Tom AS", org_number=n2, notes="Tab\tinni")]
    data = importer.write_xlsx(rows) if fmt == "xlsx" else importer.write_csv(rows)
    checked = check_rows(read_sheet(data, f"k.{fmt}", MB), set(), {"kari@example.no": 3})
    assert checked.ok, checked.errors
    first, second = checked.companies
    assert first["name"] == "@SUM(A1)" and first["postcode"] == "0150" and first["employee_count"] == 0
    assert first["works_off_premises"] is True and first["follow_up_from"] == date(2026, 5, 17) and first["consultant_id"] == 3
    assert first["notes"] == "-- «sitat»; \"og\" linjeskift\nher"
    assert second["notes"] == "Tab\tinni" and second["employee_count"] is None


def test_control_characters_are_left_out_of_an_export():
    data = importer.write_xlsx([_row(name="Bjelle\x07 AS", org_number="974760673")])
    assert openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]["A2"].value == "Bjelle AS"


# -- the service and the job against the database -------------------------------------------------------

@pytest.fixture
def tenant(db):
    tenant = factories.make_tenant(db)
    user = factories.make_user(db, tenant, roles=("consultant",))
    db.commit()
    bind_tenant(db, tenant.id)
    return {"tenant": tenant, "user": user}


def _csv(count: int, bad_at: int | None = None) -> bytes:
    lines = ["navn;organisasjonsnummer"] + [f"Kunde {i} AS;{n}" for i, n in enumerate(numbers(count))]
    if bad_at is not None:
        lines[bad_at] = "Feil AS;123456789"
    return ("\n".join(lines) + "\n").encode()


def _count(db) -> int:
    return db.scalar(select(func.count(ClientCompany.id)))


def test_a_small_file_is_imported_in_the_request(app, db, tenant):
    with app.app_context():
        started = jobs.import_file(db, tenant["user"], _csv(jobs.SYNC_ROWS), "kunder.csv")
    assert (started.created, started.task_id) == (jobs.SYNC_ROWS, None)
    assert _count(db) == jobs.SYNC_ROWS
    assert db.scalar(select(AuditEvent.summary).where(AuditEvent.action == "company.imported")) == f"{jobs.SYNC_ROWS} kunder importert fra kunder.csv"


def test_a_small_file_with_an_error_raises_and_adds_nothing(app, db, tenant):
    with app.app_context(), pytest.raises(ImportRejected) as rejected:
        jobs.import_file(db, tenant["user"], _csv(10, bad_at=4), "kunder.csv")
    assert rejected.value.errors == (RowError(5, "organisasjonsnummer", "Organisasjonsnummeret har feil kontrollsiffer."),)
    assert _count(db) == 0 and not db.new


def test_a_large_file_becomes_a_task_that_imports_after_commit_and_removes_the_file(app, db, tenant):
    from saas import storage

    with app.app_context():
        started = jobs.import_file(db, tenant["user"], _csv(jobs.SYNC_ROWS + 1), "store.csv")
        task = db.get(BackgroundTask, started.task_id)
        assert (task.kind, task.status, _count(db)) == (jobs.TASK_KIND, "queued", 0)
        assert [p.suffix for p in storage.root().rglob("*.csv")] == [".csv"]  # stored, outside any served folder
        db.commit()  # the job runs after the commit (JOBS_MODE=sync)
        db.expire_all()
        task = db.get(BackgroundTask, started.task_id)
        assert (task.status, task.done, task.total, task.result["created"]) == ("done", jobs.SYNC_ROWS + 1, jobs.SYNC_ROWS + 1, jobs.SYNC_ROWS + 1)
        assert _count(db) == jobs.SYNC_ROWS + 1
        assert list(storage.root().rglob("*.csv")) == []  # the upload is gone once the work is done


def test_running_the_job_twice_changes_nothing_the_second_time(app, db, tenant):
    with app.app_context():
        started = jobs.import_file(db, tenant["user"], _csv(jobs.SYNC_ROWS + 5), "store.csv")
        db.commit()
        before = _count(db)
        run_job(jobs.run_import.job_name, tenant["tenant"].id, [started.task_id, "0000/" + "0" * 32 + ".csv", "store.csv"], app=app)
    assert _count(db) == before


def test_a_failing_large_file_ends_failed_with_errors_and_nothing_inserted(app, db, tenant):
    with app.app_context():
        started = jobs.import_file(db, tenant["user"], _csv(jobs.SYNC_ROWS + 50, bad_at=230), "store.csv")
        db.commit()
        db.expire_all()
        task = db.get(BackgroundTask, started.task_id)
    assert task.status == "failed" and task.finished_at is not None
    assert task.result["error_count"] == 1 and task.result["errors"][0]["row"] == 231
    assert "Ingenting er lagret" in task.message
    assert _count(db) == 0


def test_a_clash_at_insert_time_saves_nothing_and_says_why(app, db, tenant):
    n1, n2 = numbers(2)
    checked = check_rows(sheet_of(f"navn;organisasjonsnummer\nA;{n1}\nB;{n2}\n"), set(), {})
    db.add(ClientCompany(name="Kom først AS", org_number=n2))  # saved by someone else after the check
    db.flush()
    with app.app_context(), pytest.raises(ImportRejected) as rejected:
        jobs._insert(db, tenant["user"], checked, "k.csv")
    assert rejected.value.errors[0].message == jobs.MSG_RACE
    assert db.scalars(select(ClientCompany.name)).all() == ["Kom først AS"]


def test_the_export_holds_every_company_of_the_tenant_and_no_other(app, db, tenant, two_tenants):
    bind_tenant(db, tenant["tenant"].id)
    for i, n in enumerate(numbers(30)):
        db.add(ClientCompany(name=f"Eksport {i:02d} AS", org_number=n))
    db.flush()
    with app.app_context():
        from saas.clients.services import CompanyFilter

        data = jobs.export_companies(db, tenant["user"], CompanyFilter(per_page=5), "csv")
    lines = data.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 31 and lines[1].startswith("Eksport 00 AS;") and "Hemmelig" not in data.decode("utf-8-sig")
    with platform_access(db):
        assert db.scalar(select(AuditEvent.data).where(AuditEvent.action == "company.exported"))["count"] == 30
