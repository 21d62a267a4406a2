"""Importing and exporting client companies, and the job that imports a large file with a progress bar.

An import is all or nothing: every row is checked first (``importer.check_rows``), and only a file
without a single error is inserted, in one transaction.  Small files are handled in the request so the
row errors show at once; larger ones are stored and run as a background task.
"""
from __future__ import annotations

import dataclasses

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from saas import storage
from saas.audit.services import record
from saas.clients import importer, services
from saas.clients.importer import CheckedImport, FileRejected, ImportRejected, RowError, Sheet
from saas.clients.models import ClientCompany
from saas.db import after_commit
from saas.jobs import BackgroundTask, Progress, job, start_task
from saas.tenants.models import Role, User, UserRole

TASK_KIND = "company_import"
SYNC_ROWS = 200  # up to this many rows the request checks and saves at once
EXPORT_CHUNK = 1000
MSG_RACE = "En annen bruker la inn en av de samme kundene mens filen ble lest. Ingenting er lagret; prøv igjen."


@dataclass(frozen=True)
class ImportStarted:
    """What an upload led to: companies created now, or a task that will do it."""

    created: int = 0
    task_id: int | None = None
    ignored_columns: tuple[str, ...] = ()


def import_file(session: Session, actor: User, data: bytes, filename: str) -> ImportStarted:
    """Import a CSV or XLSX file of client companies, all or nothing.

    Up to SYNC_ROWS rows: checks and inserts now and returns the number created.  More: stores the file
    and starts ``run_import`` (after commit) and returns the task id.  Raises FileRejected when the file
    can't be read, ImportRejected with the row errors when any row is wrong (nothing saved).
    """
    sheet = importer.read_sheet(data, filename, current_app.config["MAX_UPLOAD_BYTES"])
    name = storage.safe_display_name(filename)
    if len(sheet.rows) <= SYNC_ROWS:
        checked = _check(session, sheet)
        created = _insert(session, actor, checked, name)
        return ImportStarted(created=created, ignored_columns=sheet.ignored)
    extension = "xlsx" if data.startswith(b"PK") else "csv"
    stored = storage.save_bytes(data, extension, name, importer.CONTENT_TYPES[extension])
    storage.remove_on_rollback(session, stored)
    task = start_task(session, TASK_KIND, run_import, stored.key, name, user_id=actor.id, total=len(sheet.rows))
    record(session, actor, "company.import_started", task, f"Import av {len(sheet.rows)} rader fra {name}")
    return ImportStarted(task_id=task.id, ignored_columns=sheet.ignored)


@job
def run_import(session: Session, task_id: int, key: str, filename: str) -> None:
    """Check and insert the stored file; the task ends "done", or "failed" with the row errors in
    ``task.result`` and nothing inserted.  Does nothing when the task has already ended."""
    task = session.scalar(select(BackgroundTask).where(BackgroundTask.id == task_id))
    if task is None or task.status in ("done", "failed"):
        return
    actor_id = task.created_by
    progress = Progress(session, task_id, every=max(50, task.total // 50))
    try:
        # The storage key ends in .csv or .xlsx as checked at upload; the person's file name may not.
        sheet = importer.read_sheet(storage.read(key), key, current_app.config["MAX_UPLOAD_BYTES"])
        progress.start(len(sheet.rows), "Kontrollerer radene …")
        checked = _check(session, sheet, progress.advance)
        # End the read-only transaction before writing: on SQLite (WAL) a transaction that read before the
        # progress bar's own commits may not become a writer.  Nothing has been written in it.
        session.rollback()
        actor = session.get(User, actor_id) if actor_id else None
        created = _insert(session, actor, checked, filename)
    except FileRejected as error:
        _fail(session, progress, key, ImportRejected([RowError(0, "", str(error))]), str(error))
        return
    except ImportRejected as rejected:
        _fail(session, progress, key, rejected,
              f"Importen ble stoppet: {rejected.error_count} feil. Ingenting er lagret. Rett feilene og last opp filen på nytt.")
        return
    after_commit(session, lambda: storage.discard(key))
    progress.finish(session, {"created": created, "ignored_columns": list(sheet.ignored)}, f"{created} kunder er importert.")


def _fail(session: Session, progress: Progress, key: str, rejected: ImportRejected, message: str) -> None:
    session.rollback()  # nothing of the import stays, whatever was added before the error
    after_commit(session, lambda: storage.discard(key))
    progress.finish(session, rejected.as_result(), message, failed=True)


def _check(session: Session, sheet: Sheet, on_progress=None) -> CheckedImport:
    """Check the rows against the tenant (its companies, its consultants).  Raises ImportRejected."""
    existing = set(session.scalars(select(ClientCompany.org_number)))
    consultants = {
        email.lower(): user_id
        for user_id, email in session.execute(
            select(User.id, User.email).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.CONSULTANT.value, User.active.is_(True))
        )
    }
    checked = importer.check_rows(sheet, existing, consultants, on_progress)
    if not checked.ok:
        raise ImportRejected(checked.errors, checked.error_count)
    return checked


def _insert(session: Session, actor: User | None, checked: CheckedImport, filename: str) -> int:
    """Insert every checked company in one savepoint, or none.  Raises ImportRejected on a unique clash
    with a company another user saved after the check."""
    companies = [ClientCompany(**data) for data in checked.companies]
    try:
        with session.begin_nested():
            session.add_all(companies)
            session.flush()
    except IntegrityError:
        raise ImportRejected([RowError(0, "", MSG_RACE)]) from None
    record(session, actor, "company.imported", None, f"{len(companies)} kunder importert fra {filename}",
           count=len(companies), filename=filename)
    return len(companies)


def import_task(session: Session, task_id: int) -> dict | None:
    """The import task as plain data for the page (None when it is not an import of this tenant)."""
    task = session.scalar(select(BackgroundTask).where(BackgroundTask.id == task_id, BackgroundTask.kind == TASK_KIND))
    if task is None:
        return None
    return dict(id=task.id, kind=task.kind, status=task.status, done=task.done, total=task.total,
                percent=task.percent, message=task.message, result=task.result or {})


def export_companies(session: Session, user: User, flt: services.CompanyFilter, fmt: str) -> bytes:
    """Every company the list shows with ``flt`` (all pages), as CSV or XLSX with the import's columns."""
    page = services.list_companies(session, user, dataclasses.replace(flt, page=1, per_page=10_000_000))
    ids = [item["id"] for item in page.items]
    rows: list[dict] = []
    for start in range(0, len(ids), EXPORT_CHUNK):
        chunk = ids[start:start + EXPORT_CHUNK]
        loaded = session.scalars(
            select(ClientCompany).where(ClientCompany.id.in_(chunk)).options(selectinload(ClientCompany.consultant))
        ).all()
        by_id = {company.id: company for company in loaded}
        rows.extend(_export_row(by_id[i]) for i in chunk if i in by_id)
    record(session, user, "company.exported", None, f"{len(rows)} kunder eksportert ({fmt.upper()})", count=len(rows), format=fmt)
    return importer.write_xlsx(rows) if fmt == "xlsx" else importer.write_csv(rows)


def _export_row(company: ClientCompany) -> dict:
    row = {column.field: getattr(company, column.field, None) for column in importer.COLUMNS}
    row["consultant_email"] = company.consultant.email if company.consultant else ""
    return row


def example_file(fmt: str) -> bytes:
    rows = importer.example_rows()
    return importer.write_xlsx(rows, "Eksempel") if fmt == "xlsx" else importer.write_csv(rows)
