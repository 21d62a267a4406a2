"""Evidence: files that document any piece of a certification year's work.

A file and its row are written together or not at all (``storage.save_upload`` deletes the file when the
transaction rolls back).  Nothing is deleted: replacing a file adds a new version that points at the old
one, and the old one is marked superseded.  A consultant verifies or rejects the current version; who and
when is kept on the row.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Select, bindparam, case, func, literal, select
from sqlalchemy.orm import Session, aliased

from saas import storage
from saas.audit.services import record
from saas.clients.models import ClientCompany
from saas.clients.services import NotFound, visible_company_ids
from saas.db import ids_in, utcnow
from saas.hms.checklist_defaults import COMPLIANCE_CHECKS
from saas.hms.models import (ActionItem, CertificationYear, ChecklistAnswer, ComplianceCheck, Evidence, Hazard,
                             PhysicalMapping, PsychosocialMapping, RiskAssessment, SafetyRound)
from saas.i18n import display_date
from saas.schemas import FieldErrors
from saas.tenants.models import User

__all__ = ["NotFound", "TARGET_LABELS", "Target", "resolve_target", "upload", "replace", "verify", "history",
           "get_evidence", "files_for", "year_summary", "pending_for_review", "store_generated", "missing_file_filter", "describe"]

TARGET_LABELS = {
    "action_item": "Tiltak",
    "checklist_answer": "Sjekklistepunkt",
    "physical_mapping": "Fysisk kartlegging",
    "psychosocial_mapping": "Psykososial kartlegging",
    "physical_mapping_report": "Rapport fra fysisk kartlegging",
    "psychosocial_mapping_report": "Rapport fra psykososial kartlegging",
    "hazard": "Fare i risikovurdering",
    "risk_assessment": "Risikovurdering",
    "safety_round": "Vernerunde",
    "compliance_check": "Dokumentasjon av lovkrav",
    # B5: documented safeguarding of HMS for work outside the company's premises, other than safety rounds
    "other_safeguarding": "Annen sikring av HMS utenfor egne lokaler",
}
# Reports point their mapping at the newest version of the report file.
_REPORT_OWNERS = {"physical_mapping_report": PhysicalMapping, "psychosocial_mapping_report": PsychosocialMapping}
DECISIONS = ("verified", "rejected")
MAX_NOTE = 2000


@dataclass(frozen=True)
class Target:
    """What a piece of evidence documents, with the year and company it belongs to."""

    type: str
    id: int
    label: str
    year_id: int
    year: int
    year_open: bool
    company_id: int
    company_name: str

    @property
    def type_label(self) -> str:
        return TARGET_LABELS[self.type]

    def as_dict(self) -> dict:
        return dict(type=self.type, id=self.id, label=self.label, type_label=self.type_label, year_id=self.year_id,
                    year=self.year, year_open=self.year_open, company_id=self.company_id, company_name=self.company_name)


def _target_row(target_type: str, target_id: int) -> Select:
    """A select of (year_id, label) for one target; every query stays tenant-scoped by the session."""
    if target_type == "action_item":
        return select(ActionItem.year_id, ActionItem.title).where(ActionItem.id == target_id)
    if target_type == "checklist_answer":
        # An answer belongs to a run; the run belongs to a physical mapping or a safety round.
        return (select(func.coalesce(PhysicalMapping.year_id, SafetyRound.year_id), ChecklistAnswer.item_text)
                .select_from(ChecklistAnswer)
                .outerjoin(PhysicalMapping, PhysicalMapping.run_id == ChecklistAnswer.run_id)
                .outerjoin(SafetyRound, SafetyRound.run_id == ChecklistAnswer.run_id)
                .where(ChecklistAnswer.id == target_id))
    if target_type in ("physical_mapping", "physical_mapping_report"):
        return select(PhysicalMapping.year_id, PhysicalMapping.performed_on).where(PhysicalMapping.id == target_id)
    if target_type in ("psychosocial_mapping", "psychosocial_mapping_report"):
        return select(PsychosocialMapping.year_id, PsychosocialMapping.completed_on).where(PsychosocialMapping.id == target_id)
    if target_type == "hazard":
        return (select(RiskAssessment.year_id, Hazard.description).join(RiskAssessment, RiskAssessment.id == Hazard.assessment_id)
                .where(Hazard.id == target_id))
    if target_type == "risk_assessment":
        return select(RiskAssessment.year_id, RiskAssessment.title).where(RiskAssessment.id == target_id)
    if target_type == "safety_round":
        return select(SafetyRound.year_id, SafetyRound.held_on).where(SafetyRound.id == target_id)
    if target_type == "compliance_check":
        return select(ComplianceCheck.year_id, ComplianceCheck.key).where(ComplianceCheck.id == target_id)
    if target_type == "other_safeguarding":  # documents the year itself
        return select(CertificationYear.id, literal(None)).where(CertificationYear.id == target_id)
    raise NotFound(target_type)


def _label(target_type: str, raw) -> str:
    if target_type == "compliance_check":
        return next((c["title_nb"] for c in COMPLIANCE_CHECKS if c["key"] == raw), str(raw))
    if raw is None:
        return TARGET_LABELS[target_type]
    if hasattr(raw, "year"):
        return f"{TARGET_LABELS[target_type]} {display_date(raw)}"
    text = str(raw)
    return text if len(text) <= 120 else text[:117] + "..."


def resolve_target(session: Session, target_type: str, target_id: int, user: User | None = None) -> Target:
    """Load what ``target_type``/``target_id`` names, with its certification year and company.

    Raises NotFound when the type is unknown, the row does not exist (or belongs to another tenant), or
    ``user`` is given and may not see the company (a client contact of another company).
    """
    if target_type not in TARGET_LABELS or not isinstance(target_id, int):
        raise NotFound(target_type)
    row = session.execute(_target_row(target_type, target_id).limit(1)).first()
    if row is None or row[0] is None:
        raise NotFound(target_id)
    year_id, raw_label = row
    query = (select(CertificationYear.year, CertificationYear.status, ClientCompany.id, ClientCompany.name)
             .join(ClientCompany, ClientCompany.id == CertificationYear.company_id)
             .where(CertificationYear.id == year_id))
    if user is not None:
        query = query.where(ClientCompany.id.in_(visible_company_ids(user.is_staff, user.id)))
    found = session.execute(query).first()
    if found is None:
        raise NotFound(target_id)
    return Target(type=target_type, id=target_id, label=_label(target_type, raw_label), year_id=year_id, year=found.year,
                  year_open=found.status == "open", company_id=found.id, company_name=found.name)


def get_evidence(session: Session, user: User, evidence_id: int) -> tuple[Evidence, Target]:
    """The evidence row and its target, or NotFound (missing, another tenant's, or not the user's company)."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFound(evidence_id)
    return evidence, resolve_target(session, evidence.target_type, evidence.target_id, user)


def _check_open(target: Target) -> None:
    if not target.year_open:
        raise FieldErrors({"file": "Sertifiseringsåret er avsluttet. Filene kan ikke endres lenger."})


def _store(session: Session, data: bytes, filename: str) -> storage.StoredFile:
    try:
        return storage.save_upload(session, data, filename)
    except storage.UploadRejected as error:
        raise FieldErrors({"file": str(error)}) from None


def _add(session: Session, actor: User | None, target: Target, stored: storage.StoredFile, description: str,
         replaces: Evidence | None = None, generated: bool = False) -> Evidence:
    # A file the provider's own staff adds (or the product makes) is verified by that act; only what the
    # client company sends waits for a consultant.
    by_provider = generated or (actor is not None and actor.is_staff)
    evidence = Evidence(
        year_id=target.year_id, target_type=target.type, target_id=target.id, file_key=stored.key,
        original_name=stored.original_name, content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
        description=description[:MAX_NOTE], generated=generated, uploaded_by=actor.id if actor else None,
        replaces_id=replaces.id if replaces else None,
        status="verified" if by_provider else "pending",
        verified_by=actor.id if by_provider and actor is not None else None,
        verified_at=utcnow() if by_provider else None,
    )
    session.add(evidence)
    session.flush()
    owner = _REPORT_OWNERS.get(target.type)
    if owner is not None:
        mapping = session.get(owner, target.id)
        mapping.report_evidence_id = evidence.id
    return evidence


def upload(session: Session, actor: User, target: Target, data: bytes, filename: str, description: str = "") -> Evidence:
    """Store an uploaded file as new evidence for ``target`` (from ``resolve_target``).

    Raises FieldErrors {"file": ...} when the file is refused (type, size, name) or the year is closed.
    """
    _check_open(target)
    stored = _store(session, data, filename)
    evidence = _add(session, actor, target, stored, description)
    record(session, actor, "evidence.uploaded", evidence, f"{target.company_name}: {target.type_label} – {stored.original_name}",
           target_type=target.type, target_id=target.id, sha256=stored.sha256)
    return evidence


def store_generated(session: Session, actor: User | None, target: Target, data: bytes, filename: str,
                    description: str = "") -> Evidence:
    """Keep a file the product made (a report PDF) as evidence; it goes through the same checks as uploads."""
    stored = _store(session, data, filename)
    evidence = _add(session, actor, target, stored, description, generated=True)
    record(session, actor, "evidence.generated", evidence, f"{target.company_name}: {target.type_label} – {stored.original_name}")
    return evidence


def replace(session: Session, actor: User, old: Evidence, target: Target, data: bytes, filename: str,
            description: str = "") -> Evidence:
    """Upload a new version of ``old``; the old one stays downloadable in the history, marked superseded."""
    _check_open(target)
    if old.superseded:
        raise FieldErrors({"file": "Denne versjonen er allerede erstattet. Erstatt den nyeste versjonen."})
    stored = _store(session, data, filename)
    evidence = _add(session, actor, target, stored, description or old.description, replaces=old)
    old.superseded = True
    record(session, actor, "evidence.replaced", evidence, f"{target.company_name}: {old.original_name} → {stored.original_name}",
           replaces_id=old.id)
    return evidence


def verify(session: Session, actor: User, evidence: Evidence, target: Target, decision: str, note: str = "") -> Evidence:
    """A consultant accepts (``verified``) or rejects the current version; a rejection needs a note.

    Records who and when.  Raises FieldErrors for an unknown decision, a missing note or a replaced version.
    """
    note = (note or "").strip()
    errors = {}
    if decision not in DECISIONS:
        errors["status"] = "Velg godkjent eller avvist."
    if decision == "rejected" and not note:
        errors["note"] = "Skriv hvorfor filen avvises, så kunden vet hva som mangler."
    if len(note) > MAX_NOTE:
        errors["note"] = f"Kan ikke være lengre enn {MAX_NOTE} tegn."
    if evidence.superseded:
        errors["status"] = "Denne versjonen er erstattet; vurder den nyeste versjonen."
    if not target.year_open:
        errors["status"] = "Sertifiseringsåret er avsluttet."
    if errors:
        raise FieldErrors(errors)
    evidence.status = decision
    evidence.review_note = note
    evidence.verified_by = actor.id
    evidence.verified_at = utcnow()
    session.flush()
    record(session, actor, f"evidence.{decision}", evidence, f"{target.company_name}: {evidence.original_name}", note=note or None)
    return evidence


# -- reading -----------------------------------------------------------------------------------------

_Uploader = aliased(User)
_Verifier = aliased(User)


def _plain_columns():
    return (Evidence.id, Evidence.target_type, Evidence.target_id, Evidence.year_id, Evidence.original_name,
            Evidence.content_type, Evidence.size, Evidence.sha256, Evidence.description, Evidence.generated,
            Evidence.uploaded_at, Evidence.replaces_id, Evidence.superseded, Evidence.status, Evidence.verified_at,
            Evidence.review_note, _Uploader.name.label("uploaded_by_name"), _Verifier.name.label("verified_by_name"))


def _with_people(query: Select) -> Select:
    return (query.outerjoin(_Uploader, _Uploader.id == Evidence.uploaded_by)
            .outerjoin(_Verifier, _Verifier.id == Evidence.verified_by))


def _plain(row) -> dict:
    return row._asdict()  # a result row or a named tuple (ReadsTogether)


def describe(session: Session, evidence: Evidence) -> dict:
    """One file as plain data, with the names of who uploaded and who verified it (one query)."""
    row = session.execute(_with_people(select(*_plain_columns())).where(Evidence.id == evidence.id)).one()
    return _plain(row)


def history(session: Session, evidence: Evidence) -> list[dict]:
    """Every version of the document ``evidence`` belongs to, newest first (one query)."""
    rows = session.execute(_with_people(select(*_plain_columns())).where(
        Evidence.target_type == evidence.target_type, Evidence.target_id == evidence.target_id)).all()
    by_id = {r.id: _plain(r) for r in rows}
    child = {r.replaces_id: r.id for r in rows if r.replaces_id is not None}
    oldest = evidence.id
    while by_id[oldest]["replaces_id"] in by_id:
        oldest = by_id[oldest]["replaces_id"]
    chain = [oldest]
    while chain[-1] in child:
        chain.append(child[chain[-1]])
    versions = [by_id[i] for i in reversed(chain)]
    for number, version in zip(range(len(versions), 0, -1), versions):
        version["version"] = number
    return versions


def files_for(session: Session, target_type: str, target_ids) -> dict[int, list[dict]]:
    """Current (not superseded) files of many targets of one type, in one query: {target_id: [file, ...]}."""
    ids = sorted({int(i) for i in target_ids})
    result: dict[int, list[dict]] = {i: [] for i in ids}
    if not ids:
        return result
    rows = session.execute(_with_people(select(*_plain_columns())).where(
        Evidence.target_type == target_type, Evidence.target_id.in_(ids), Evidence.superseded.is_(False))
        .order_by(Evidence.uploaded_at, Evidence.id)).all()
    for row in rows:
        result[row.target_id].append(_plain(row))
    return result


def year_summary(session: Session, year_id: int) -> dict:
    """Counts of the year's current files by verification state (one query)."""
    return summary_from(session.execute(year_summary_part(), {"year_id": year_id}).all())


def summary_from(rows) -> dict:
    """``year_summary`` from the one row of ``year_summary_part`` (the year page reads it with its other reads)."""
    row = rows[0]
    return dict(total=int(row.total), pending=int(row.pending), verified=int(row.verified), rejected=int(row.rejected))


@lru_cache(maxsize=1)
def year_summary_part() -> Select:
    # Built once, bound per call: the year page shows it on every visit.
    def count(status: str):
        return func.coalesce(func.sum(case((Evidence.status == status, 1), else_=0)), 0).label(status)

    return (select(func.count(Evidence.id).label("total"), count("pending"), count("verified"), count("rejected"))
            .where(Evidence.year_id == bindparam("year_id"), Evidence.superseded.is_(False)))


def pending_for_review(session: Session, consultant_id: int | None, limit: int = 100, *,
                       companies: dict[int, str] | None = None) -> tuple[list[dict], int]:
    """Current files waiting for a consultant, oldest first, with company and year (one query).

    ``consultant_id`` limits them to that consultant's companies; None means every company.  Returns
    (rows, total).  ``companies`` (id -> name), when the caller already read the companies in question,
    replaces both: the query is then keyed by that id list and joins no company.
    """
    if companies is not None:
        query = (_pending_select(with_company=False).where(ids_in(session, CertificationYear.company_id, companies))
                 .order_by(Evidence.uploaded_at, Evidence.id).limit(limit))
        rows = session.execute(query).all()
    else:
        rows = session.execute(pending_part(consultant_id is not None, limit), {"consultant_id": consultant_id}).all()
    return pending_from(rows, companies)


def pending_from(rows, companies: dict[int, str] | None = None) -> tuple[list[dict], int]:
    """``pending_for_review`` from the rows of ``pending_part`` (the consultant's home reads them with its other
    sections)."""
    total = rows[0].total_count if rows else 0
    items = []
    for row in rows:
        item = _plain(row)
        item.pop("total_count")
        if companies is not None:
            item["company_name"] = companies[row.company_id]
        item["type_label"] = TARGET_LABELS.get(row.target_type, row.target_type)
        items.append(item)
    return items, total


def _pending_select(with_company: bool) -> Select:
    columns = [*_plain_columns(), CertificationYear.company_id, CertificationYear.year.label("year"),
               func.count().over().label("total_count")]
    if with_company:
        columns.append(ClientCompany.name.label("company_name"))
    query = (_with_people(select(*columns)).join(CertificationYear, CertificationYear.id == Evidence.year_id)
             .where(Evidence.status == "pending", Evidence.superseded.is_(False), Evidence.generated.is_(False)))
    return query.join(ClientCompany, ClientCompany.id == CertificationYear.company_id) if with_company else query


@lru_cache(maxsize=8)
def pending_part(mine: bool, limit: int) -> Select:
    # Built once and bound per call (the consultant's home runs it on every visit); the API's pages pass
    # other limits, hence a small bounded cache.
    query = _pending_select(with_company=True)
    if mine:
        query = query.where(ClientCompany.consultant_id == bindparam("consultant_id"))
    return query.order_by(Evidence.uploaded_at, Evidence.id).limit(limit)


def missing_file_filter(target_type: str, target_id_column):
    """A condition true when the target has no current file that is pending or verified (for "what is missing")."""
    return ~select(literal(1)).where(
        Evidence.target_type == target_type, Evidence.target_id == target_id_column,
        Evidence.superseded.is_(False), Evidence.status != "rejected").exists()

