"""The client-company spreadsheet: read CSV and XLSX, check every row, write exports that re-import.

No database and no Flask here.  The caller passes what the checks need to know about the tenant (its
existing organisation numbers, its consultants' e-mail addresses) and stores the result.  Messages are
Norwegian because they reach the person importing unchanged.  Everything in a file is outside input:
sizes, row counts and cell contents are bounded before anything is kept.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

from marshmallow import ValidationError

from saas.clients.schemas import CompanySchema
from saas.norway import normalize_org_number

MAX_ROWS = 10_000
MAX_COLUMNS = 60
MAX_REPORTED_ERRORS = 200
# An .xlsx is a zip: refuse one that unpacks to far more than any real customer list (a zip bomb).
MAX_XLSX_UNPACKED = 200 * 1024 * 1024
FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    kind: str = "text"  # text, orgnr, postcode, int, bool, date, email
    required: bool = False
    aliases: tuple[str, ...] = ()
    example: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("name", "navn", required=True, aliases=("firmanavn", "virksomhet", "bedrift", "company", "company_name"), example="Eksempel Bygg AS"),
    Column("org_number", "organisasjonsnummer", "orgnr", required=True,
           aliases=("org_nr", "orgnummer", "organisasjonsnr", "organisation_number", "organization_number"), example="123456785"),
    Column("org_form", "organisasjonsform", aliases=("orgform", "organisation_form"), example="AS"),
    Column("address", "adresse", aliases=("forretningsadresse", "gateadresse", "street_address"), example="Storgata 1"),
    Column("postcode", "postnummer", "postcode", aliases=("postnr", "postal_code", "zip"), example="3616"),
    Column("city", "poststed", aliases=("sted", "town"), example="Kongsberg"),
    Column("postal_address", "postadresse", example=""),
    Column("industry_code", "næringskode", aliases=("nace", "naeringskode1"), example="43.221"),
    Column("employee_count", "antall_ansatte", "int", aliases=("ansatte", "employees"), example="12"),
    Column("works_off_premises", "arbeid_utenfor_lokaler", "bool", aliases=("utearbeid",), example="ja"),
    Column("follow_up_agreement", "oppfølgingsavtale", "bool", example="nei"),
    Column("follow_up_from", "oppfølgingsavtale_fra", "date", example=""),
    Column("follow_up_to", "oppfølgingsavtale_til", "date", example=""),
    Column("consultant_email", "hms_rådgiver_epost", "email",
           aliases=("hms_rådgiver", "rådgiver_epost", "radgiver", "consultant", "consultant_email"), example=""),
    Column("notes", "notater", aliases=("merknad", "kommentar"), example=""),
)
HEADERS = tuple(c.header for c in COLUMNS)
_BY_FIELD = {c.field: c for c in COLUMNS}

TRUE_WORDS = frozenset({"ja", "j", "yes", "y", "true", "sann", "1", "x"})
FALSE_WORDS = frozenset({"nei", "n", "no", "false", "usann", "0"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE_NO = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
# Spreadsheet programs run a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class FileRejected(ValueError):
    """The file as a whole can't be imported; ``str(error)`` is the Norwegian reason."""


@dataclass(frozen=True)
class RowError:
    row: int        # the row number a spreadsheet shows (the header is row 1); 0 for the whole file
    column: str     # the column's header as written in the file, "" for the whole row
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


class ImportRejected(Exception):
    """The rows have errors, so nothing was saved.  ``error_count`` counts all, ``errors`` the first ones."""

    def __init__(self, errors: Iterable[RowError], error_count: int | None = None):
        self.errors = tuple(errors)[:MAX_REPORTED_ERRORS]
        self.error_count = len(self.errors) if error_count is None else error_count
        super().__init__(f"{self.error_count} feil")

    def as_result(self) -> dict:
        return {"errors": [e.as_dict() for e in self.errors], "error_count": self.error_count, "created": 0}


@dataclass(frozen=True)
class Sheet:
    headers: tuple[str, ...]              # as written in the file
    fields: tuple[str | None, ...]        # the field of each column; None when the column is not used
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (row number, cells as text), blank rows left out
    errors: tuple[RowError, ...] = ()     # rows that could not be read at all
    ignored: tuple[str, ...] = ()         # headers that matched no field


@dataclass(frozen=True)
class CheckedImport:
    companies: tuple[dict, ...]           # CompanySchema-loaded data, ready for ClientCompany(**data)
    errors: tuple[RowError, ...]
    error_count: int

    @property
    def ok(self) -> bool:
        return self.error_count == 0


# -- reading -------------------------------------------------------------------------------------------

def read_sheet(data: bytes, filename: str, max_bytes: int) -> Sheet:
    """Read an uploaded CSV or XLSX into a Sheet.  Raises FileRejected with the reason."""
    if not data:
        raise FileRejected("Filen er tom.")
    if len(data) > max_bytes:
        raise FileRejected(f"Filen er for stor. Største tillatte størrelse er {max_bytes // (1024 * 1024)} MB.")
    kind = _kind(data, filename)
    records, errors = _xlsx_records(data) if kind == "xlsx" else _csv_records(data)
    return _build_sheet(records, errors)


def _kind(data: bytes, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRejected("Gamle Excel-filer (.xls) kan ikke leses. Lagre filen som Excel-arbeidsbok (.xlsx) eller CSV.")
    if data.startswith(b"PK\x03\x04"):
        if extension != "xlsx":
            raise FileRejected("Filen er en pakket fil, men ikke en Excel-arbeidsbok (.xlsx). Last opp en .xlsx- eller .csv-fil.")
        return "xlsx"
    if extension == "xlsx":
        raise FileRejected("Filen heter .xlsx, men er ikke en gyldig Excel-arbeidsbok.")
    if extension not in ("csv", "txt"):
        raise FileRejected("Last opp en CSV-fil (.csv) eller en Excel-arbeidsbok (.xlsx).")
    return "csv"


def _decode(data: bytes) -> str:
    """UTF-8 with or without BOM, UTF-16 with BOM (Excel's «Unicode-tekst»), else Windows-1252."""
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8):].decode("utf-8")
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16")
    except UnicodeDecodeError:
        raise FileRejected("Filen har feil tegnkoding. Lagre den som «CSV UTF-8».") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise FileRejected("Filen har ukjent tegnkoding. Lagre den som «CSV UTF-8».") from None


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


Records = list[tuple[int, list[str]]]


def _csv_records(data: bytes) -> tuple[Records, list[RowError]]:
    text = _decode(data)
    if "\x00" in text:
        raise FileRejected("Filen ser ikke ut som en CSV-fil (den inneholder binære data).")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    records: Records = []
    errors: list[RowError] = []
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if any(c.strip() for c in cells):
                records.append((number, cells))
                _check_row_count(records)
    except csv.Error:
        # Line numbers of the reader count physical lines; the next record is where reading stopped.
        errors.append(RowError(number + 1, "", "Raden kan ikke leses: sjekk anførselstegn og skilletegn. Ingen rader etter denne er lest."))
    return records, errors


def _xlsx_records(data: bytes) -> tuple[Records, list[RowError]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise FileRejected("Excel-filen er skadet og kan ikke leses.") from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise FileRejected("Excel-filen er for stor når den pakkes ut. Lagre den som CSV, eller del den opp.")
    records: Records = []
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            rows = workbook.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS)
            for number, values in enumerate(rows, start=1):
                cells = [_cell_text(v) for v in values]
                while cells and not cells[-1]:
                    cells.pop()  # max_col pads every row to MAX_COLUMNS
                if cells:
                    records.append((number, cells))
                    _check_row_count(records)
        finally:
            workbook.close()
    except FileRejected:
        raise
    # What openpyxl raised for damaged workbooks when fuzzed (XML ParseError is a SyntaxError); each
    # means "this file can't be read", never a fault of ours.
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, IndexError, SyntaxError, OSError) as error:
        raise FileRejected("Excel-filen kan ikke leses. Åpne den i Excel og lagre den på nytt, eller bruk CSV.") from error
    return records, []


def _check_row_count(records: Records) -> None:
    if len(records) > MAX_ROWS + 1:  # + the header
        raise FileRejected(f"Filen har mer enn {MAX_ROWS:,} rader. Del den opp i flere filer.".replace(",", "\u00a0"))


def _cell_text(value: object) -> str:
    """An XLSX cell as the text a CSV would hold (numbers without «.0», dates as åååå-mm-dd)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nei"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def header_key(text: str) -> str:
    """Compare headers loosely: case, spaces, punctuation and æøå spelled ae/o/a don't matter."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("æ", "ae").replace("ø", "o").replace("å", "a")
    return re.sub(r"[^a-z0-9]", "", text)


_HEADER_FIELDS = {header_key(name): c.field for c in COLUMNS for name in (c.header, c.field, *c.aliases)}


def _build_sheet(records: Records, errors: list[RowError]) -> Sheet:
    if not records:
        raise FileRejected("Filen har ingen rader.")
    header_number, header_cells = records[0]
    headers = tuple(h.strip() for h in header_cells[:MAX_COLUMNS])
    fields: list[str | None] = []
    ignored: list[str] = []
    seen: dict[str, str] = {}
    for header in headers:
        name = _HEADER_FIELDS.get(header_key(header)) if header else None
        if name in seen:
            raise FileRejected(f"Kolonnen «{header[:60]}» finnes to ganger (samme som «{seen[name][:60]}»).")
        if name:
            seen[name] = header
        elif header:
            ignored.append(header[:60])
        fields.append(name)
    missing = [c.header for c in COLUMNS if c.required and c.field not in seen]
    if missing:
        raise FileRejected(
            "Fant ikke kolonnen " + " og ".join(f"«{m}»" for m in missing)
            + f" i overskriftsraden (rad {header_number}). Første rad må ha kolonnenavnene, se listen under."
        )
    rows: list[tuple[int, tuple[str, ...]]] = []
    errors = list(errors)
    width = len(headers)
    for number, cells in records[1:]:
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            errors.append(RowError(number, "", f"Raden har flere verdier ({len(cells)}) enn overskriften har kolonner ({width}). "
                                               "Sjekk skilletegn og anførselstegn."))
            continue
        rows.append((number, tuple(cells[:width]) + ("",) * (width - len(cells))))
    if not rows and not errors:
        raise FileRejected("Filen har overskrifter, men ingen rader med kunder.")
    return Sheet(headers=headers, fields=tuple(fields), rows=tuple(rows), errors=tuple(errors), ignored=tuple(ignored))


# -- checking ------------------------------------------------------------------------------------------

def check_rows(
    sheet: Sheet,
    existing_org_numbers: Collection[str],
    consultants: Mapping[str, int],
    on_progress: Callable[[int], None] | None = None,
) -> CheckedImport:
    """Check every row with CompanySchema and against the tenant and the rest of the file.

    ``consultants`` maps a lower-case e-mail address to the consultant's user id.  Returns the loaded
    companies and the errors; the import may go ahead only when there are no errors (``ok``).
    """
    schema = CompanySchema()
    companies: list[dict] = []
    errors: list[RowError] = list(sheet.errors)
    first_row_of: dict[str, int] = {}
    for done, (number, cells) in enumerate(sheet.rows, start=1):
        row_errors: list[RowError] = []
        data = _row_input(sheet, number, cells, consultants, row_errors)
        try:
            loaded = schema.load(data)
        except ValidationError as error:
            loaded = None
            for name, messages in _flat(error.messages).items():
                row_errors.extend(RowError(number, _header(sheet, name), m) for m in messages)
        org_number = loaded["org_number"] if loaded else _org_number_or_none(data.get("org_number"))
        if org_number:
            if org_number in existing_org_numbers:
                row_errors.append(RowError(number, _header(sheet, "org_number"), "En kunde med dette organisasjonsnummeret finnes allerede."))
            elif org_number in first_row_of:
                row_errors.append(RowError(number, _header(sheet, "org_number"),
                                           f"Organisasjonsnummeret står også på rad {first_row_of[org_number]}."))
            else:
                first_row_of[org_number] = number
        if loaded and loaded["follow_up_from"] and loaded["follow_up_to"] and loaded["follow_up_to"] < loaded["follow_up_from"]:
            row_errors.append(RowError(number, _header(sheet, "follow_up_to"), "Sluttdato kan ikke være før startdato."))
        if row_errors:
            errors.extend(row_errors)
        elif loaded is not None:
            companies.append(loaded)
        if on_progress:
            on_progress(done)
    errors.sort(key=lambda e: e.row)
    return CheckedImport(companies=tuple(companies) if not errors else (), errors=tuple(errors[:MAX_REPORTED_ERRORS]),
                         error_count=len(errors))


def _row_input(sheet: Sheet, number: int, cells: tuple[str, ...], consultants: Mapping[str, int],
               errors: list[RowError]) -> dict:
    """The row as CompanySchema input: empty cells left out (so defaults apply), spreadsheet habits
    (ja/nei, 31.12.2026, a lost leading zero in a postcode) turned into what the schema reads."""
    data: dict = {}
    for header, name, raw in zip(sheet.headers, sheet.fields, cells):
        if name is None:
            continue
        value = _unescape(raw.strip())
        if not value:
            continue
        if _CONTROL.search(value):
            errors.append(RowError(number, header, "Inneholder kontrolltegn som ikke er tillatt."))
            continue
        kind = _BY_FIELD[name].kind
        if kind == "bool":
            word = value.lower()
            if word not in TRUE_WORDS | FALSE_WORDS:
                errors.append(RowError(number, header, "Skriv ja eller nei."))
                continue
            data[name] = word in TRUE_WORDS
        elif kind == "date":
            parsed = parse_date(value)
            if parsed is None:
                errors.append(RowError(number, header, "Ugyldig dato. Skriv for eksempel 31.12.2026 eller 2026-12-31."))
                continue
            data[name] = parsed.isoformat()
        elif kind == "email":
            consultant_id = consultants.get(value.lower())
            if consultant_id is None:
                errors.append(RowError(number, header, "Fant ingen HMS-rådgiver med denne e-postadressen hos dere."))
                continue
            data["consultant_id"] = consultant_id
        elif kind == "int":
            data[name] = re.sub(r"\s", "", value)
        elif kind == "postcode" and value.isdigit() and len(value) < 4:
            data[name] = value.zfill(4)  # Excel drops the leading zero of 0150
        else:
            data[name] = value
    return data


def parse_date(text: str) -> date | None:
    match = _DATE_NO.fullmatch(text) or _DATE_ISO.fullmatch(text)
    if match is None:
        return None
    parts = [int(p) for p in match.groups()]
    day, month, year = parts if match.re is _DATE_NO else reversed(parts)
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _unescape(value: str) -> str:
    """Undo the apostrophe an export puts before a formula-like value, so a round trip is exact."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        return value[1:]
    return value


def _org_number_or_none(raw: object) -> str | None:
    try:
        return normalize_org_number(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _header(sheet: Sheet, name: str) -> str:
    if name == "consultant_id":
        name = "consultant_email"
    for header, field_name in zip(sheet.headers, sheet.fields):
        if field_name == name:
            return header
    return _BY_FIELD[name].header if name in _BY_FIELD else ""


def _flat(messages: object) -> dict[str, list[str]]:
    """marshmallow's {"field": ["message"]} (CompanySchema loads no nested fields)."""
    if not isinstance(messages, dict):
        return {"_schema": [str(messages)]}
    return {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in messages.items()}


# -- writing -------------------------------------------------------------------------------------------

def _export_cell(column: Column, value: object, for_csv: bool) -> object:
    if value is None or value == "":
        return ""
    if column.kind == "bool":
        return "ja" if value else "nei"
    if column.kind == "date":
        return value.strftime("%d.%m.%Y") if for_csv else value
    if column.kind == "int":
        return value
    text = _CONTROL.sub("", str(value))
    if for_csv and text.startswith(_FORMULA_START):
        text = "'" + text
    return text


def write_csv(rows: Iterable[Mapping[str, object]]) -> bytes:
    """Semicolon-separated UTF-8 with a BOM, so Excel shows æøå right; the import reads it back."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow([_export_cell(c, row.get(c.field), True) for c in COLUMNS])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def write_xlsx(rows: Iterable[Mapping[str, object]], title: str = "Kunder") -> bytes:
    """One sheet with the same headers as the CSV.  Text stays text (org numbers, postcodes, and values
    that look like formulas are never evaluated), dates are real dates shown as dd.mm.åååå."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(column.header) + 4))
    header = []
    for name in HEADERS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for column in COLUMNS:
            value = _export_cell(column, row.get(column.field), False)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif isinstance(value, date):
                cell.number_format = "DD.MM.YYYY"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def example_rows() -> list[dict]:
    """Two made-up companies (numbers starting with 1 are never given to real ones)."""
    return [
        {c.field: _example_value(c, c.example) for c in COLUMNS},
        dict(name="Eksempel Renhold AS", org_number="123456793", org_form="AS", address="Kirkegata 5",
             postcode="0153", city="Oslo", industry_code="81.210", employee_count=None, works_off_premises=True,
             follow_up_agreement=True, follow_up_from=date(2026, 1, 1), follow_up_to=date(2026, 12, 31),
             notes="Antall ansatte tomt: ikke oppgitt"),
    ]


def _example_value(column: Column, text: str) -> object:
    if column.kind == "bool":
        return text == "ja"
    if column.kind == "int":
        return int(text) if text else None
    return text


def column_guide() -> list[dict]:
    """The columns as plain data for the instructions page."""
    return [{"field": c.field, "header": c.header, "required": c.required, "example": c.example} for c in COLUMNS]
