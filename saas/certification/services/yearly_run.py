"""The yearly run: which companies are up for a new certificate, what the rules say about each, and
proposals opened in bulk from the result.

Companies in the run (archived ones left out): those whose live certificate ends within ``within_days``
of ``today``, and those with an open year that has no certificate.  Each is evaluated on its newest
open year without a certificate; a company whose certificate runs out but has no such year gets a row
saying so (there is nothing to propose yet).  The facts are gathered ``facts.BATCH`` years at a time,
so the run issues a fixed number of queries per batch whatever the number of companies.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Callable

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.certification.models import Certificate, CertificationProposal
from saas.certification.services.certificates import LIVE, SUPERSEDED, WITHDRAWN, effective_state
from saas.certification.services.decisions import PENDING, PROPOSERS
from saas.certification.services.facts import BATCH, gather_facts_bulk
from saas.certification.services import Refused
from saas.clients.models import ClientCompany
from saas.db import ids_in
from saas.hms import rules
from saas.hms.models import CertificationYear
from saas.jobs import BackgroundTask
from saas.tenants.models import User

TASK_KIND = "yearly_run"
DEFAULT_WITHIN_DAYS = 90
NO_OPEN_YEAR = "no_open_year"


def _open_years_without_certificate():
    return select(CertificationYear.id, CertificationYear.company_id, CertificationYear.year).where(
        CertificationYear.status == "open", CertificationYear.id.not_in(select(Certificate.year_id)))


def candidates(session: Session, today: date, within_days: int) -> list[dict]:
    """The companies of the run (by name), each with the year to evaluate and its current certificate."""
    expiring = select(Certificate.company_id).where(
        Certificate.state.in_(LIVE), Certificate.valid_until >= today,
        Certificate.valid_until <= today + timedelta(days=within_days))
    open_years = _open_years_without_certificate().subquery()
    in_run = or_(ClientCompany.id.in_(expiring), ClientCompany.id.in_(select(open_years.c.company_id)))
    companies = session.execute(
        select(ClientCompany.id, ClientCompany.name, ClientCompany.consultant_id)
        .where(ClientCompany.archived_at.is_(None), in_run).order_by(ClientCompany.name, ClientCompany.id)).all()
    wanted = select(ClientCompany.id).where(ClientCompany.archived_at.is_(None), in_run)
    newest_year: dict[int, tuple[int, int]] = {}
    for row in session.execute(_open_years_without_certificate().where(CertificationYear.company_id.in_(wanted))):
        if row.company_id not in newest_year or row.year > newest_year[row.company_id][1]:
            newest_year[row.company_id] = (row.id, row.year)
    current: dict[int, object] = {}
    for row in session.execute(
            select(Certificate.company_id, Certificate.cert_class, Certificate.valid_until, Certificate.state,
                   Certificate.year, Certificate.id)
            .where(Certificate.company_id.in_(wanted), Certificate.state.not_in((WITHDRAWN, SUPERSEDED)))
            .order_by(Certificate.year, Certificate.id)):
        current[row.company_id] = row  # ordered by year: the newest wins
    pending = set(session.scalars(select(CertificationProposal.year_id).where(CertificationProposal.status == PENDING)))
    result = []
    for c in companies:
        year_id, year = newest_year.get(c.id, (None, None))
        cert = current.get(c.id)
        result.append(dict(
            company_id=c.id, company_name=c.name, consultant_id=c.consultant_id, year_id=year_id, year=year,
            current_class=cert.cert_class if cert else None,
            current_valid_until=cert.valid_until.isoformat() if cert else None,
            current_state=effective_state(cert.state, cert.valid_until, today) if cert else None,
            pending_proposal=year_id in pending,
        ))
    return result


def evaluate_run(session: Session, today: date, within_days: int,
                 on_progress: Callable[[int, int], None] | None = None) -> list[dict]:
    """The run's table rows: each candidate with its eligible class and the criterion ids missing for
    the next class (JSON-safe, for the task's result).  ``on_progress(done, total)`` hears of each
    batch, first with done = 0."""
    rows = candidates(session, today, within_days)
    with_year = [r for r in rows if r["year_id"] is not None]
    done = 0
    if on_progress:
        on_progress(0, len(with_year))
    for start in range(0, len(with_year), BATCH):
        chunk = with_year[start:start + BATCH]
        facts = gather_facts_bulk(session, [r["year_id"] for r in chunk], today)
        for row in chunk:
            verdict = rules.evaluate(facts[row["year_id"]])
            row["eligible"] = verdict.eligible.value if verdict.eligible else None
            row["next_class"] = verdict.next_class.value if verdict.next_class else None
            row["missing"] = [c.id for c in verdict.missing_for_next]
        done += len(chunk)
        if on_progress:
            on_progress(done, len(with_year))
    for row in rows:
        if row["year_id"] is None:
            row.update(eligible=None, next_class=None, missing=[NO_OPEN_YEAR])
    return rows


def yearly_task(session: Session, task_id: int) -> dict | None:
    """The run's task as plain data (None when it is not a yearly run of this tenant)."""
    task = session.scalar(select(BackgroundTask).where(BackgroundTask.id == task_id, BackgroundTask.kind == TASK_KIND))
    if task is None:
        return None
    return dict(id=task.id, kind=task.kind, status=task.status, done=task.done, total=task.total,
                percent=task.percent, message=task.message, result=task.result or {}, created_at=task.created_at)


def recent_runs(session: Session, limit: int = 10) -> list[dict]:
    tasks = session.scalars(select(BackgroundTask).where(BackgroundTask.kind == TASK_KIND)
                            .order_by(BackgroundTask.id.desc()).limit(limit)).all()
    return [dict(id=t.id, status=t.status, created_at=t.created_at, message=t.message,
                 within_days=(t.result or {}).get("within_days"), count=(t.result or {}).get("count")) for t in tasks]


def propose_bulk(session: Session, actor: User, year_ids: list[int], today: date) -> dict:
    """Propose each year's eligible class as of ``today`` (no B-alt).  Years without an eligible class,
    with a waiting proposal or a certificate are skipped with the reason.  Returns
    ``{"created": [company names], "skipped": [(company name, reason)]}``.  Raises Refused for a
    person who may not propose."""
    if not actor.has_role(*PROPOSERS):
        raise Refused("Bare en HMS-rådgiver kan foreslå en klasse.")
    years = {y.id: y for y in session.execute(
        select(CertificationYear.id, CertificationYear.year, CertificationYear.status, ClientCompany.name,
               CertificationYear.scheme_version_id)
        .join(ClientCompany, ClientCompany.id == CertificationYear.company_id)
        .where(ids_in(session, CertificationYear.id, year_ids)))}
    decided = set(session.scalars(select(Certificate.year_id).where(ids_in(session, Certificate.year_id, years))))
    pending = set(session.scalars(select(CertificationProposal.year_id).where(
        ids_in(session, CertificationProposal.year_id, years), CertificationProposal.status == PENDING)))
    facts = gather_facts_bulk(session, [i for i in years if i not in decided and i not in pending], today)
    created, skipped = [], []
    for year_id, y in sorted(years.items(), key=lambda item: item[1].name):
        reason = ("har allerede sertifikat" if year_id in decided else "har allerede et forslag som venter"
                  if year_id in pending else "året er avsluttet" if y.status == "closed" else None)
        verdict = rules.evaluate(facts[year_id]) if reason is None else None
        if verdict is not None and verdict.eligible is None:
            reason = "oppfyller ikke kravene til noen klasse"
        if reason:
            skipped.append((y.name, reason))
            continue
        proposal = CertificationProposal(year_id=year_id, cert_class=verdict.eligible.value, eligible_class=verdict.eligible.value,
                                         ruleset_version=verdict.ruleset_version, status=PENDING, proposed_by=actor.id,
                                         scheme_version_id=y.scheme_version_id)
        try:
            with session.begin_nested():
                session.add(proposal)
                session.flush()
        except IntegrityError:  # someone proposed the same year a moment ago
            skipped.append((y.name, "har allerede et forslag som venter"))
            continue
        record(session, actor, "certification.proposed", proposal, f"{y.year}: klasse {proposal.cert_class} (årlig gjennomgang)",
               year_id=year_id)
        created.append(y.name)
    return {"created": created, "skipped": skipped}
