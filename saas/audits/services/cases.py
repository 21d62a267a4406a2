"""Steps 1–4: application with contract, acceptance or written refusal, pre-evaluation, documents, the
document review with its conformity matrix, and the audit team named to the client."""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.audits import clocks
from saas.audits.models import AuditCase, CaseFile, ConformityEntry, Finding, TeamMember
from saas.audits.services import NotFound, Refused
from saas.clients.models import ClientCompany, SubUnit
from saas.clients.services import visible_companies, visible_company_ids
from saas.schemas import FieldErrors
from saas.schemes import services as schemes
from saas.schemes.impartiality import competence_problem, impartiality_problem, scopes_covered
from saas.schemes.models import Requirement, SchemeKind, SchemeScope
from saas.tenants.models import User

STAFF_ONLY = _l("Bare tilbyderens ansatte kan gjøre dette.")
# Kinds that start at the team: no application, pre-evaluation or document step of their own.
AUDIT_ONLY_KINDS = ("surveillance", "extraordinary")


def get_case(session: Session, user: User, case_id: int, *, for_update: bool = False, options=()) -> AuditCase:
    """The case if ``user`` may see it (staff: every case; client contacts: their companies'), loaded with
    ``options`` (e.g. ``overview.PAGE_LOADS``).  NotFound."""
    query = select(AuditCase).where(AuditCase.id == case_id,
                                    AuditCase.company_id.in_(visible_company_ids(user.is_staff, user.id)))
    query = query.options(*options)
    if for_update:
        query = query.with_for_update()
    case = session.scalar(query)
    if case is None:
        raise NotFound(case_id)
    return case


def settings_for(case: AuditCase):
    return schemes.settings_of(case.scheme_version)


def require_staff(actor: User) -> None:
    if not actor.is_staff:
        raise Refused(STAFF_ONLY)


def _require_open(case: AuditCase) -> None:
    if case.refused_on is not None or case.decision is not None or case.closed_on is not None:
        raise Refused(_l("Saken er avsluttet."))


def active_team(case: AuditCase) -> list[TeamMember]:
    return [m for m in case.team if m.removed_on is None]


def lead_of(case: AuditCase) -> TeamMember | None:
    return next((m for m in active_team(case) if m.role == "lead_auditor"), None)


def require_team_member(case: AuditCase, actor: User, *, lead: bool = False) -> None:
    members = active_team(case)
    if not any(m.user_id == actor.id and (m.role == "lead_auditor" or not lead) for m in members):
        raise Refused("Bare revisjonslederen kan gjøre dette." if lead else "Bare revisjonsgruppen kan gjøre dette.")


# -- 1. application ---------------------------------------------------------------------------------

def apply(session: Session, actor: User, data: dict, today: date) -> AuditCase:
    """A new application with a signed contract, from the client portal or registered by staff.

    ``data``: company_id, scheme_id, scope_ids, sub_units ([{sub_unit_id, scope_ids}]), contact_name,
    contact_email, note, contract_accepted (must be True), contract_signed_by.  Raises FieldErrors.
    """
    company = session.scalar(visible_companies(actor).where(ClientCompany.id == data["company_id"]))
    if company is None:
        raise FieldErrors({"company_id": _l("Velg en bedrift.")})
    try:
        scheme = schemes.get_scheme(session, data["scheme_id"])
    except schemes.SchemeNotFound:
        raise FieldErrors({"scheme_id": _l("Velg en ordning.")}) from None
    if scheme.kind != SchemeKind.AUDIT.value or not scheme.active:
        raise FieldErrors({"scheme_id": _l("Ordningen tar ikke imot søknader om revisjonsbasert sertifisering.")})
    valid_scopes = {s.id for s in schemes.scopes_of(session, scheme.id)}
    scope_ids = sorted(set(data.get("scope_ids") or []))
    if valid_scopes and not scope_ids:
        raise FieldErrors({"scope_ids": _l("Velg minst ett fagområde.")})
    if any(s not in valid_scopes for s in scope_ids):
        raise FieldErrors({"scope_ids": _l("Ukjent fagområde for ordningen.")})
    units = _sub_units(session, company, data.get("sub_units") or [], set(scope_ids))
    if not data.get("contract_accepted") or not (data.get("contract_signed_by") or "").strip():
        raise FieldErrors({"contract_signed_by": _l("Søknadskontrakten må signeres med navn.")})
    case = AuditCase(company_id=company.id, scheme_id=scheme.id,
                     scheme_version_id=schemes.current_version(session, scheme).id, kind=data.get("kind") or "initial",
                     scope_ids=scope_ids, sub_units=units, contact_name=data.get("contact_name") or "",
                     contact_email=data.get("contact_email") or "", application_note=data.get("note") or "",
                     change_note=data.get("change_note") or "", certificate_id=data.get("certificate_id"),
                     contract_signed_by=data["contract_signed_by"].strip(), contract_signed_on=today,
                     application_received_on=today, created_by=actor.id)
    session.add(case)
    session.flush()
    record(session, actor, "audit.applied", case, f"{company.name}: {scheme.name}")
    return case


def _sub_units(session: Session, company: ClientCompany, wanted: list[dict], scope_ids: set[int]) -> list[dict]:
    units = {u.id for u in session.scalars(select(SubUnit).where(SubUnit.company_id == company.id))}
    out = []
    for entry in wanted:
        if entry.get("sub_unit_id") not in units:
            raise FieldErrors({"sub_units": _l("Ukjent underavdeling.")})
        unit_scopes = sorted(set(entry.get("scope_ids") or []))
        if any(s not in scope_ids for s in unit_scopes):
            raise FieldErrors({"sub_units": _l("En underavdeling kan bare ha fagområder som søknaden gjelder.")})
        out.append({"sub_unit_id": entry["sub_unit_id"], "scope_ids": unit_scopes})
    return out


def open_follow_on(session: Session, actor: User, *, company_id: int, scheme_id: int, kind: str,
                   certificate_id: int, scope_ids: list[int], sub_units: list[dict], today: date,
                   change_note: str = "", planned_on: date | None = None,
                   reported_by_company: bool = False) -> AuditCase:
    """A surveillance, recertification or change case for an issued certificate (staff; a change may also
    be reported by the company itself).  Surveillance starts at the team (no application); recertification
    and change start with the application."""
    if not (reported_by_company and kind == "change"):
        require_staff(actor)
    scheme = schemes.get_scheme(session, scheme_id)
    case = AuditCase(company_id=company_id, scheme_id=scheme_id,
                     scheme_version_id=schemes.current_version(session, scheme).id, kind=kind,
                     certificate_id=certificate_id, scope_ids=sorted(scope_ids), sub_units=sub_units,
                     change_note=change_note, contract_signed_by="(gjeldende sertifiseringskontrakt)",
                     contract_signed_on=today, application_received_on=today, audit_planned_on=planned_on,
                     created_by=actor.id)
    if kind in AUDIT_ONLY_KINDS:
        case.accepted_on = case.pre_evaluation_returned_on = case.documents_received_on = today
        case.document_review_done_on = today
    session.add(case)
    session.flush()
    record(session, actor, f"audit.{kind}_opened", case, change_note or kind)
    return case


def open_extraordinary(session: Session, actor: User, *, company_id: int, scheme_id: int, reason: str, today: date,
                       certificate_id: int | None = None, origin: AuditCase | None = None,
                       finding: Finding | None = None, complaint_id: int | None = None,
                       scope_ids: list[int] | None = None, sub_units: list[dict] | None = None,
                       planned_on: date | None = None) -> AuditCase:
    """A follow-up or extraordinary audit (staff): opened from a nonconformity of ``origin`` (its follow-up
    by a visit) or from a complaint's decision (``complaint_id``; certification checks the complaint).  It
    starts at the team, like a surveillance audit, ends in a decision, and keeps the certificate.  Raises
    FieldErrors (no reason), Refused."""
    require_staff(actor)
    if len((reason or "").strip()) < 5:
        raise FieldErrors({"reason": _l("Skriv hvorfor revisjonen holdes.")})
    if finding is not None and (origin is None or finding.case_id != origin.id):
        raise Refused(_l("Avviket hører ikke til saken."))
    if origin is not None:
        certificate_id = certificate_id or origin.certificate_id
        scope_ids = origin.scope_ids if scope_ids is None else scope_ids
        sub_units = origin.sub_units if sub_units is None else sub_units
    scheme = schemes.get_scheme(session, scheme_id)
    case = AuditCase(company_id=company_id, scheme_id=scheme_id, kind="extraordinary",
                     scheme_version_id=schemes.current_version(session, scheme).id, certificate_id=certificate_id,
                     scope_ids=sorted(scope_ids or []), sub_units=sub_units or [], reason=reason.strip(),
                     origin_case_id=origin.id if origin else None, origin_finding_id=finding.id if finding else None,
                     complaint_id=complaint_id, contract_signed_by="(gjeldende sertifiseringskontrakt)",
                     contract_signed_on=today, application_received_on=today, audit_planned_on=planned_on,
                     accepted_on=today, pre_evaluation_returned_on=today, documents_received_on=today,
                     document_review_done_on=today, created_by=actor.id)
    session.add(case)
    session.flush()
    record(session, actor, "audit.extraordinary_opened", case, reason.strip()[:500], origin_case_id=case.origin_case_id,
           origin_finding_id=case.origin_finding_id, complaint_id=complaint_id)
    return case


def accept(session: Session, actor: User, case: AuditCase, today: date) -> AuditCase:
    require_staff(actor)
    _require_open(case)
    if case.accepted_on is not None:
        raise Refused(_l("Søknaden er allerede akseptert."))
    case.accepted_on = today
    if case.kind == "change":  # a change is evaluated on the documents it concerns: no pre-evaluation
        case.pre_evaluation_returned_on = today
    record(session, actor, "audit.accepted", case, "Søknaden er akseptert; pre-evalueringsskjema sendt.")
    return case


def refuse(session: Session, actor: User, case: AuditCase, reason: str, today: date) -> AuditCase:
    """A written refusal with the reason (e.g. the provider lacks the competence).  FieldErrors without one."""
    require_staff(actor)
    _require_open(case)
    if case.accepted_on is not None:
        raise Refused(_l("En akseptert søknad avsluttes med en beslutning, ikke et avslag på søknaden."))
    if len((reason or "").strip()) < 10:
        raise FieldErrors({"reason": _l("Skriv begrunnelsen for avslaget (minst 10 tegn).")})
    case.refused_on, case.refusal_reason = today, reason.strip()
    record(session, actor, "audit.application_refused", case, reason[:400])
    return case


# -- 2. pre-evaluation, 3. documents ----------------------------------------------------------------

def return_pre_evaluation(session: Session, actor: User, case: AuditCase, answers: str, today: date) -> AuditCase:
    _require_open(case)
    if case.accepted_on is None:
        raise Refused(_l("Søknaden er ikke akseptert ennå."))
    if len((answers or "").strip()) < 3:
        raise FieldErrors({"answers": _l("Fyll ut pre-evalueringen.")})
    case.pre_evaluation, case.pre_evaluation_returned_on = answers.strip(), today
    record(session, actor, "audit.pre_evaluation_returned", case)
    return case


def add_file(session: Session, actor: User, case: AuditCase, kind: str, stored) -> CaseFile:
    row = CaseFile(case_id=case.id, kind=kind, storage_key=stored.key, filename=stored.original_name,
                   content_type=stored.content_type, size=stored.size, sha256=stored.sha256, uploaded_by=actor.id)
    session.add(row)
    session.flush()
    return row


def submit_documents(session: Session, actor: User, case: AuditCase, note: str, today: date,
                     stored_files=()) -> AuditCase:
    """The company's documentation for the document review: a description and any files."""
    _require_open(case)
    if case.pre_evaluation_returned_on is None:
        raise Refused(_l("Pre-evalueringen må returneres først."))
    if case.document_review_done_on is not None:
        raise Refused(_l("Dokumentgjennomgangen er ferdig."))
    if not (note or "").strip() and not stored_files:
        raise FieldErrors({"note": _l("Beskriv dokumentasjonen eller last opp filer.")})
    for stored in stored_files:
        add_file(session, actor, case, "document", stored)
    case.documents_note = "\n".join(filter(None, [case.documents_note, (note or "").strip()]))
    case.documents_received_on = case.documents_received_on or today
    record(session, actor, "audit.documents_received", case)
    return case


def requirements(session: Session, case: AuditCase) -> list[Requirement]:
    return schemes.requirements_of(session, case.scheme_version_id)


def save_matrix(session: Session, actor: User, case: AuditCase, rows: dict[int, dict], today: date,
                stage: str = "document") -> int:
    """Fill the conformity matrix (stage "document", by the lead auditor or another competent person)
    or the audit checklist (stage "audit", by the team).  ``rows``: requirement id -> where_documented,
    assessment, note (empty assessment: left out).  A nonconformity or observation raises a finding
    (graded minor or observation; the lead auditor may regrade).  Returns how many rows were saved."""
    require_staff(actor)
    _require_open(case)
    if stage == "document":
        if case.documents_received_on is None:
            raise Refused(_l("Dokumentasjonen er ikke sendt inn ennå."))
        if case.document_review_done_on is not None and case.kind not in AUDIT_ONLY_KINDS:
            raise Refused(_l("Dokumentgjennomgangen er ferdig."))
        _require_document_reviewer(session, actor, case, today)
    else:
        require_team_member(case, actor)
        if case.opening_held_on is None:
            raise Refused(_l("Formøtet må holdes før revisjonen."))
        if case.closing_held_on is not None:
            raise Refused(_l("Revisjonen er avsluttet."))
    catalogue = {r.id: r for r in requirements(session, case)}
    existing = {e.requirement_id: e for e in session.scalars(select(ConformityEntry).where(
        ConformityEntry.case_id == case.id, ConformityEntry.stage == stage))}
    settings = settings_for(case)
    saved = 0
    for requirement_id, row in rows.items():
        if requirement_id not in catalogue:
            raise FieldErrors({f"assessment-{requirement_id}": "Ukjent krav."})
        assessment = row.get("assessment") or ""
        if not assessment:
            continue
        if assessment not in ("conform", "nonconformity", "observation", "not_applicable"):
            raise FieldErrors({f"assessment-{requirement_id}": "Ugyldig vurdering."})
        entry = existing.get(requirement_id)
        if entry is None:
            entry = ConformityEntry(case_id=case.id, stage=stage, requirement_id=requirement_id,
                                    assessed_by=actor.id, assessed_on=today, assessment=assessment)
            session.add(entry)
        elif entry.assessment != assessment:
            entry.assessed_by, entry.assessed_on = actor.id, today
        newly_bad = assessment in ("nonconformity", "observation") and (
            requirement_id not in existing or existing[requirement_id].assessment != assessment)
        entry.assessment = assessment
        entry.where_documented = (row.get("where_documented") or "").strip()[:2000]
        entry.note = (row.get("note") or "").strip()[:2000]
        if newly_bad:
            grade = "minor" if assessment == "nonconformity" else "observation"
            g = settings.grade(grade)
            session.add(Finding(case_id=case.id, stage=stage, requirement_id=requirement_id, grade=grade,
                                description=entry.note or f"{catalogue[requirement_id].clause}: "
                                                          f"{catalogue[requirement_id].title}",
                                evidence=entry.where_documented, raised_on=today, raised_by=actor.id,
                                due_on=clocks.correction_due(today, g.correction_days if g else None)))
        saved += 1
    session.flush()
    record(session, actor, f"audit.matrix_saved.{stage}", case, f"{saved} krav vurdert")
    return saved


def _require_document_reviewer(session: Session, actor: User, case: AuditCase, today: date) -> None:
    lead = lead_of(case)
    if lead is not None and lead.user_id == actor.id:
        return
    problem = competence_problem(session, actor.id, case.scheme_id, "lead_auditor", today, case.scope_ids) or \
        impartiality_problem(session, actor.id, case.company_id, today, settings_for(case).impartiality_months)
    if problem:
        raise Refused(_l("Samsvarsmatrisen fylles ut av revisjonslederen eller en annen kompetent og upartisk "
                         "person. %(problem)s", problem=problem))


def complete_document_review(session: Session, actor: User, case: AuditCase, today: date) -> AuditCase:
    """Every requirement assessed: the document review is done (its findings stay open until closed)."""
    require_staff(actor)
    _require_open(case)
    _require_document_reviewer(session, actor, case, today)
    assessed = set(session.scalars(select(ConformityEntry.requirement_id).where(
        ConformityEntry.case_id == case.id, ConformityEntry.stage == "document")))
    missing = [r.clause for r in requirements(session, case) if r.id not in assessed]
    if missing:
        raise Refused(_l("Alle krav må vurderes i samsvarsmatrisen. Mangler: %(clauses)s",
                         clauses=", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")))
    case.document_review_done_on = today
    record(session, actor, "audit.document_review_done", case)
    return case


def open_document_findings(case: AuditCase, settings) -> list[Finding]:
    blocking = set(settings.grades_blocking_issue)
    return [f for f in case.findings if f.stage == "document" and f.closed_on is None and f.grade in blocking]


# -- 4. team and programme --------------------------------------------------------------------------

def name_team(session: Session, actor: User, case: AuditCase, members: list[dict], programme: str,
              audit_planned_on: date | None, today: date, document_only: bool = False) -> list[TeamMember]:
    """Name the audit team (one lead auditor; auditors and technical experts) with the programme.

    Each member must hold valid competence for the scheme in the role, and the team together every
    scope of the case; nobody tied to the company may be on it.  No override.  Replaces a team that was
    named before (its members are marked removed).  Raises FieldErrors / Refused.
    """
    require_staff(actor)
    _require_open(case)
    settings = settings_for(case)
    if case.document_review_done_on is None:
        raise Refused(_l("Dokumentgjennomgangen må være ferdig før revisjonsgruppen oppnevnes."))
    if settings.close_document_findings_before_audit and open_document_findings(case, settings):
        raise Refused(_l("Avvik fra dokumentgjennomgangen må lukkes før revisjonen avtales."))
    if case.opening_held_on is not None:
        raise Refused(_l("Revisjonen har startet; gruppen kan ikke endres."))
    if not (programme or "").strip():
        raise FieldErrors({"programme": _l("Skriv revisjonsprogrammet.")})
    leads = [m for m in members if m.get("role") == "lead_auditor"]
    if len(leads) != 1:
        raise FieldErrors({"members": _l("Gruppen må ha nøyaktig én revisjonsleder.")})
    user_ids = [m["user_id"] for m in members]
    if len(set(user_ids)) != len(user_ids):
        raise FieldErrors({"members": _l("En person kan bare være med én gang.")})
    on = audit_planned_on or today
    problems = []
    for m in members:
        user = session.get(User, m["user_id"])
        if user is None or not user.is_staff or not user.active:
            raise FieldErrors({"members": _l("Velg ansatte hos tilbyderen.")})
        problem = impartiality_problem(session, user.id, case.company_id, on, settings.impartiality_months) or \
            competence_problem(session, user.id, case.scheme_id, m["role"], on,
                               case.scope_ids if m["role"] != "expert" else ())
        if problem:
            problems.append(f"{user.name}: {problem}")
    covered = scopes_covered(session, user_ids, case.scheme_id, on)
    if covered is not None and any(s not in covered for s in case.scope_ids):
        problems.append("Gruppen har ikke samlet kompetanse for alle fagområdene i saken.")
    if problems:
        raise Refused(" ".join(problems))
    if document_only and case.kind == "surveillance":
        _require_document_only_allowed(session, case, settings)
    for old in active_team(case):
        old.removed_on = today
    team = [TeamMember(case_id=case.id, user_id=m["user_id"], role=m["role"], named_on=today) for m in members]
    session.add_all(team)
    case.programme, case.audit_planned_on, case.team_named_on = programme.strip(), audit_planned_on, today
    case.team_settled_on = None
    case.document_only = bool(document_only)
    session.flush()
    session.expire(case, ["team"])
    record(session, actor, "audit.team_named", case, ", ".join(str(u) for u in user_ids))
    return team


def _require_document_only_allowed(session: Session, case: AuditCase, settings) -> None:
    previous = session.scalars(select(AuditCase).where(
        AuditCase.certificate_id == case.certificate_id, AuditCase.id != case.id,
        AuditCase.closing_held_on.is_not(None)).order_by(AuditCase.closing_held_on.desc()).limit(1)).first()
    clean = previous is not None and not any(f.grade != "observation" for f in previous.findings)
    if not clocks.document_only_allowed(settings.surveillance,
                                        clocks.AuditDone(previous.closing_held_on, clean) if previous else None):
        raise Refused(_l("Dokumentrevisjon er bare tillatt når forrige revisjon var uten avvik."))


def object_to_member(session: Session, actor: User, case: AuditCase, member: TeamMember, reason: str,
                     today: date) -> TeamMember:
    """The client refuses a member "ved skjellig grunn": with a reason, by the deadline."""
    _require_open(case)
    if member.case_id != case.id or member.removed_on is not None:
        raise NotFound(member.id)
    if case.team_settled_on is not None:
        raise Refused(_l("Revisjonsgruppen er allerede akseptert."))
    deadline = case.team_named_on + timedelta(days=settings_for(case).deadlines.team_objection_days)
    if today > deadline:
        raise Refused(_l("Fristen for innsigelse gikk ut %(date)s.", date=f"{deadline:%d.%m.%Y}"))
    if len((reason or "").strip()) < 10:
        raise FieldErrors({"reason": _l("Skriv grunnen til innsigelsen (minst 10 tegn).")})
    member.objection, member.objected_on, member.objection_upheld = reason.strip(), today, None
    record(session, actor, "audit.team_objection", case, reason[:400], member_id=member.id)
    return member


def decide_objection(session: Session, actor: User, case: AuditCase, member: TeamMember, upheld: bool,
                     today: date) -> TeamMember:
    require_staff(actor)
    if member.case_id != case.id or not member.objection or member.objection_upheld is not None:
        raise Refused(_l("Det er ingen innsigelse å ta stilling til."))
    member.objection_upheld = upheld
    if upheld:
        member.removed_on = today
        case.team_named_on = None  # a new team (or member) must be named
    record(session, actor, "audit.team_objection_decided", case, "tatt til følge" if upheld else "avvist",
           member_id=member.id)
    return member


def accept_team(session: Session, actor: User, case: AuditCase, today: date) -> AuditCase:
    """The client accepts the team and the programme (orally or in writing: recorded here)."""
    _require_open(case)
    if case.team_named_on is None:
        raise Refused(_l("Revisjonsgruppen er ikke oppnevnt."))
    if any(m.objection and m.objection_upheld is None for m in active_team(case)):
        raise Refused(_l("En innsigelse venter på avgjørelse."))
    case.team_settled_on = today
    record(session, actor, "audit.team_accepted", case)
    return case


def scopes_by_id(session: Session, scheme_id: int) -> dict[int, SchemeScope]:
    return {s.id: s for s in schemes.scopes_of(session, scheme_id, active_only=False)}
