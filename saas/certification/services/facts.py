"""From a year's records to the rules' YearFacts, and the verdict as plain data for pages.

What counts (documented here because the rules only see the result):
* mappings, risk assessments and safety rounds count only when ``status == "completed"``: a draft,
  even one with hazards or answers, is work in progress, not an assessment "carried out";
* a physical mapping is dated by the day it was performed (``performed_on``), never by the day somebody
  marked it completed in the product: a mapping done in October and entered in January is October's;
  the rules' ``PhysicalMapping.completed_on`` carries that date;
* a completed risk assessment counts for B3 only with at least one assessed hazard, or with the explicit
  conclusion "no significant hazards" and a note; an empty one says nothing about the risks;
* a mapping "has a report" when its ``report_evidence_id`` points at evidence that was not rejected;
* a physical mapping by the company itself or a third party counts as verified once a consultant set
  ``verified_by``; its finding count is the number of its checklist answers marked "finding";
* a compliance check holds when its status is "verified";
* the newest attestation of each kind (by date, then id) is the one the rules read;
* "the previous cycle" is the same company's year ``year - 1``: its newest completed psychosocial
  mapping gives the conclusion the A1 and A+3 waivers read (None when that year has none);
* the previous certificate is the company's newest certificate for an earlier year ("withdrawn" only
  when its state is withdrawn; a superseded or expired one still counts as held);
* B-alt comes from the year's pending or approved proposal of "B for other reasons";
* other safeguarding of off-site work (B5) is verified evidence uploaded with target type
  ``"other_safeguarding"`` on the year.

Every query takes a whole batch of years (``BATCH``), so gathering the facts of 10,000 years costs
a constant number of queries per 500 years, never one per year or per table row.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import cache, partial
from types import SimpleNamespace

from flask import current_app, has_request_context, url_for
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from saas.certification import labels
from saas.certification.models import Attestation, Certificate, CertificationProposal
from saas.certification.services import NotFound
from saas.clients.models import ClientCompany
from saas.db import ids_in
from saas.hms import rules
from saas.hms.checklist_defaults import COMPLIANCE_CHECKS
from saas.hms.models import (ActionItem, CertificationYear, ChecklistAnswer, ComplianceCheck, Evidence, Hazard,
                             PhysicalMapping, PsychosocialMapping, RiskAssessment, SafetyRound)
from saas.hms.services.actions import rule_item
from saas.hms.services.years import YEAR_PAGE_READS
from saas.urls import url_pattern

BATCH = 500
COMPLETED = "completed"
OTHER_SAFEGUARDING = "other_safeguarding"


def gather_facts(session: Session, year_id: int, as_of: date, *,
                 b_alternative: rules.BAlternative | None = None, overview: dict | None = None) -> rules.YearFacts:
    """The facts of one year as of ``as_of``.  Raises NotFound for an unknown (or another tenant's) year.

    ``b_alternative`` stands in for a B-alt justification not stored yet (a proposal being made).
    ``overview`` is the year page's ``years.year_overview`` of this year, read in the same transaction:
    the year, its company, the company's years, mappings (with their report's status, and the previous
    year's psychosocial ones), safety rounds, compliance checks, action items and risk assessments (with
    their hazard counts) are taken from it instead of being read again (the same rows, so the same facts; tests/integration/
    test_facts_from_overview.py holds both paths to one result).
    """
    overrides = {year_id: b_alternative} if b_alternative else {}
    if overview is not None:
        found = _gather_batch(session, [year_id], as_of, overrides, overview=overview)
    else:
        found = gather_facts_bulk(session, [year_id], as_of, b_alternatives=overrides or None)
    if year_id not in found:
        raise NotFound(year_id)
    return found[year_id]


def gather_facts_bulk(session: Session, year_ids, as_of: date, *,
                      b_alternatives: dict[int, rules.BAlternative] | None = None) -> dict[int, rules.YearFacts]:
    """Facts by year id for every known year among ``year_ids``, with at most 15 queries per batch of BATCH."""
    ids = list(dict.fromkeys(year_ids))
    result: dict[int, rules.YearFacts] = {}
    for start in range(0, len(ids), BATCH):
        result.update(_gather_batch(session, ids[start:start + BATCH], as_of, b_alternatives or {}))
    return result


_CHECK_POSITION = {check["key"]: i for i, check in enumerate(COMPLIANCE_CHECKS)}


def _check_order(check) -> tuple:
    # The order the year page shows them in (saas.hms.services.compliance.year_checks), whichever path read
    # them: the verdict's refs, and so its snapshot, come out the same from both.
    return _CHECK_POSITION.get(check.key, len(_CHECK_POSITION)), check.id


def _group(rows, key=lambda r: r.year_id) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return grouped


def _newest(rows, *attrs):
    return max(rows, key=lambda r: tuple(getattr(r, a) for a in attrs)) if rows else None


def _rows(session: Session, *columns, where):
    return session.execute(select(*columns).where(*where)).all()


def _completed(rows: list[dict]) -> list[SimpleNamespace]:
    return [SimpleNamespace(**row) for row in rows if row["status"] == COMPLETED]


def _gather_batch(session: Session, batch: list[int], as_of: date, overrides: dict, *,
                  overview: dict | None = None) -> dict[int, rules.YearFacts]:
    # Single-table queries keyed by id lists, joined here in Python: their plans stay index lookups even
    # on tables the planner has no statistics for yet (a tenant that just imported 10,000 companies).
    if overview is not None:  # one year whose page already read these rows (see gather_facts)
        assert batch == [overview["year"]["id"]], "an overview stands in for its own year only"
        company = overview["company"]
        years = [SimpleNamespace(id=overview["year"]["id"], year=overview["year"]["year"], company_id=company["id"])]
        company_ids = [company["id"]]
        companies = {company["id"]: SimpleNamespace(**company)}
        previous_years = {(company["id"], h["year"]): h["id"] for h in overview["history"] if h["year"] == years[0].year - 1}
        physical = _completed(overview["physical_mappings"])
        findings = {m.run_id: m.findings for m in physical}
        # The previous year's mappings came with this year's (the overview's previous_psychosocial_mappings).
        psychosocial = _completed(overview["psychosocial_mappings"]) + _completed(overview["previous_psychosocial_mappings"])
        # Only this year's mappings are asked "has a report"; their report's status was joined in.
        reports = {m["report_evidence_id"]: m["report_evidence_status"]
                   for m in [*overview["physical_mappings"], *overview["psychosocial_mappings"]] if m["report_evidence_id"] is not None}
    else:
        years = _rows(session, CertificationYear.id, CertificationYear.year, CertificationYear.company_id,
                      where=[ids_in(session, CertificationYear.id, batch)])
        if not years:
            return {}
        company_ids = sorted({y.company_id for y in years})
        companies = {c.id: c for c in _rows(session, ClientCompany.id, ClientCompany.employee_count,
                                            ClientCompany.works_off_premises, where=[ids_in(session, ClientCompany.id, company_ids)])}
        previous_years = {(y.company_id, y.year): y.id for y in _rows(
            session, CertificationYear.id, CertificationYear.company_id, CertificationYear.year,
            where=[ids_in(session, CertificationYear.company_id, company_ids), CertificationYear.year.in_(sorted({y.year - 1 for y in years}))])}
        physical = _rows(session, PhysicalMapping.id, PhysicalMapping.year_id, PhysicalMapping.run_id, PhysicalMapping.performed_on,
                         PhysicalMapping.method, PhysicalMapping.verified_by, PhysicalMapping.report_evidence_id,
                         where=[ids_in(session, PhysicalMapping.year_id, batch), PhysicalMapping.status == COMPLETED])
        psychosocial = _rows(session, *PSY_COLUMNS, where=[
            ids_in(session, PsychosocialMapping.year_id, [*batch, *previous_years.values()]), PsychosocialMapping.status == COMPLETED])
        findings = dict(session.execute(
            select(ChecklistAnswer.run_id, func.count())
            .where(ids_in(session, ChecklistAnswer.run_id, sorted({m.run_id for m in physical})), ChecklistAnswer.answer == "finding")
            .group_by(ChecklistAnswer.run_id)).all()) if physical else {}
        report_ids = sorted({m.report_evidence_id for m in [*physical, *psychosocial] if m.report_evidence_id is not None})
        reports = {r.id: r.status for r in _rows(session, Evidence.id, Evidence.status, where=[ids_in(session, Evidence.id, report_ids)])}
    if overview is not None:
        # The overview read every item (as the rules see them) and every assessment with its hazard count.
        items = {years[0].id: overview["rule_action_items"]}  # by id
        risks = _group(SimpleNamespace(id=a["id"], year_id=years[0].id, assessed_on=a["assessed_on"])
                       for a in sorted(overview["risks"]["assessments"], key=lambda a: a["id"])
                       if a["status"] == COMPLETED and _counts_as_assessed(a["hazard_count"] > 0, a["no_significant_hazards"],
                                                                           a["conclusion_note"]))
    else:
        items = {year_id: tuple(rule_item(r) for r in sorted(rows, key=lambda r: r.id)) for year_id, rows in _group(_rows(
            session, ActionItem.id, ActionItem.year_id, ActionItem.title, ActionItem.area, ActionItem.status, ActionItem.deadline,
            ActionItem.started_at, where=[ids_in(session, ActionItem.year_id, batch)])).items()}
        has_hazard = select(Hazard.id).where(Hazard.assessment_id == RiskAssessment.id).exists().label("has_hazard")
        risks = _group(r for r in _rows(session, RiskAssessment.id, RiskAssessment.year_id, RiskAssessment.assessed_on,
                                        RiskAssessment.no_significant_hazards, RiskAssessment.conclusion_note, has_hazard,
                                        where=[ids_in(session, RiskAssessment.year_id, batch), RiskAssessment.status == COMPLETED])
                       if _counts_as_assessed(r.has_hazard, r.no_significant_hazards, r.conclusion_note))
    if overview is not None:
        rounds = _group(_completed(overview["safety_rounds"]))
        checks = _group(SimpleNamespace(**c) for c in overview["compliance"]["checks"])
    else:
        rounds = _group(_rows(session, SafetyRound.id, SafetyRound.year_id, SafetyRound.held_on,
                              where=[ids_in(session, SafetyRound.year_id, batch), SafetyRound.status == COMPLETED]))
        checks = _group(_rows(session, ComplianceCheck.id, ComplianceCheck.year_id, ComplianceCheck.key, ComplianceCheck.status,
                              where=[ids_in(session, ComplianceCheck.year_id, batch)]))
    if overview is not None:  # read with the page's other lists
        read = {name: overview["registered_reads"][f"facts.{name}"] for name in _READS}
    else:
        ids = {"year_id": batch, "company_id": company_ids}
        read = {name: _rows(session, *columns, where=[ids_in(session, key, ids[key.key]), *where])
                for name, (columns, key, where) in _READS.items()}
    attestations = _group(read["attestations"], key=lambda r: (r.year_id, r.kind))
    certificates = _group(read["certificates"], key=lambda r: r.company_id)
    b_alts = _group(read["b_alternatives"])
    safeguarding = _group(read["other_safeguarding"])
    physical, psychosocial = _group(physical), _group(psychosocial)

    def has_report(mapping) -> bool:
        status = reports.get(mapping.report_evidence_id)
        return status is not None and status != "rejected"

    facts = {}
    for y in years:
        company = companies[y.company_id]
        prev_year = previous_years.get((y.company_id, y.year - 1))
        prev_psy = _newest(psychosocial.get(prev_year, []), "completed_on", "id") if prev_year else None
        earlier = [c for c in certificates.get(y.company_id, []) if c.year < y.year]
        prev_cert = _newest(earlier, "year", "id")
        b_alt = _newest(b_alts.get(y.id, []), "id")
        guard = _newest(safeguarding.get(y.id, []), "id")
        facts[y.id] = rules.YearFacts(
            as_of=as_of,
            year=y.year,
            employee_count=company.employee_count,
            works_off_premises=bool(company.works_off_premises),
            physical_mappings=tuple(
                rules.PhysicalMapping(id=m.id, completed_on=m.performed_on, method=rules.MappingMethod(m.method),
                                      evidence_verified=m.verified_by is not None, has_report=has_report(m),
                                      finding_count=findings.get(m.run_id, 0))
                for m in physical.get(y.id, [])),
            action_items=items.get(y.id, ()),
            risk_assessments=tuple(rules.RiskAssessment(r.id, r.assessed_on) for r in risks.get(y.id, [])),
            safety_rounds=tuple(rules.SafetyRound(r.id, r.held_on) for r in rounds.get(y.id, [])),
            other_safeguarding_ref=rules.Ref("evidence", guard.id, guard.description or guard.original_name) if guard else None,
            psychosocial_mappings=tuple(_psy_fact(m, has_report(m)) for m in psychosocial.get(y.id, [])),
            previous_psychosocial_no_significant_conditions=prev_psy.no_significant_conditions if prev_psy else None,
            compliance_checks=tuple(rules.ComplianceCheck(c.id, c.key, c.status == "verified")
                                    for c in sorted(checks.get(y.id, []), key=_check_order) if c.key in rules.COMPLIANCE_KEYS),
            a4_attestation=_attestation(attestations.get((y.id, "a4"), [])),
            a_plus_2_attestation=_attestation(attestations.get((y.id, "a_plus_2"), [])),
            previous_certificate=rules.PreviousCertificate(
                prev_cert.id, rules.CertClass(prev_cert.cert_class), prev_cert.state == "withdrawn", prev_cert.year,
            ) if prev_cert else None,
            b_alternative=overrides.get(y.id) or (rules.BAlternative(b_alt.justification, b_alt.proposed_by) if b_alt else None),
        )
    return facts


# Tables read the same way for a batch of years and for the year page's one year: (columns, the column
# holding the year's or the company's id (``year_id`` or ``company_id``), further conditions).
_READS = {
    "attestations": ((Attestation.id, Attestation.year_id, Attestation.kind, Attestation.note, Attestation.by_user_id,
                      Attestation.on), Attestation.year_id, ()),
    "certificates": ((Certificate.id, Certificate.company_id, Certificate.year, Certificate.cert_class, Certificate.state),
                     Certificate.company_id, ()),
    "b_alternatives": ((CertificationProposal.id, CertificationProposal.year_id, CertificationProposal.justification,
                        CertificationProposal.proposed_by), CertificationProposal.year_id,
                       (CertificationProposal.b_alternative.is_(True), CertificationProposal.status.in_(("pending", "approved")))),
    "other_safeguarding": ((Evidence.id, Evidence.year_id, Evidence.description, Evidence.original_name), Evidence.year_id,
                           (Evidence.target_type == OTHER_SAFEGUARDING, Evidence.status == "verified", Evidence.superseded.is_(False))),
}


def _read_part(name: str) -> Select:
    columns, key, where = _READS[name]
    return select(*columns).where(key == bindparam(key.key), *where)


# The year page reads them with its other small lists, in one statement (saas.hms.services.years.YEAR_PAGE_READS).
for _name in _READS:
    YEAR_PAGE_READS[f"facts.{_name}"] = cache(partial(_read_part, _name))


def _counts_as_assessed(has_hazard: bool, no_significant_hazards: bool, conclusion_note: str | None) -> bool:
    # A completed assessment counts with an assessed hazard, or with the explicit conclusion and its note.
    return bool(has_hazard or (no_significant_hazards and (conclusion_note or "").strip()))


PSY_COLUMNS = (PsychosocialMapping.id, PsychosocialMapping.year_id, PsychosocialMapping.completed_on,
               PsychosocialMapping.method_interviews, PsychosocialMapping.method_survey,
               PsychosocialMapping.reviewed_with_management_on, PsychosocialMapping.no_significant_conditions,
               PsychosocialMapping.done_by_provider, PsychosocialMapping.report_evidence_id)


def _psy_fact(m, has_report: bool) -> rules.PsychosocialMapping:
    return rules.PsychosocialMapping(
        id=m.id, completed_on=m.completed_on, method_interviews=m.method_interviews, method_survey=m.method_survey,
        has_report=has_report,
        reviewed_with_management_on=m.reviewed_with_management_on,
        no_significant_conditions=m.no_significant_conditions, done_by_provider=m.done_by_provider,
    )


def _attestation(rows) -> rules.Attestation | None:
    newest = _newest(rows, "on", "id")
    return rules.Attestation(newest.by_user_id, newest.note, newest.on) if newest else None


# -- the verdict as plain data ------------------------------------------------------------------------

SECTIONS = {**{c: "B" for c in (*rules.B_CRITERIA, rules.B_ALT)}, **{c: "A" for c in rules.A_CRITERIA},
            **{c: "A+" for c in rules.A_PLUS_CRITERIA}}
# Where each kind of reference is shown: (endpoint, its id parameter).  A kind whose page does not
# exist (yet) is shown without a link.
REF_ENDPOINTS = {
    "physical_mapping": ("years.mapping", "mapping_id"),
    "psychosocial_mapping": ("years.psychosocial", "psy_mapping_id"),
    "safety_round": ("years.safety_round", "round_id"),
    "risk_assessment": ("risks.assessment", "assessment_id"),
    "action_item": ("actions.detail", "action_id"),
    "evidence": ("evidence.history", "evidence_id"),
    "certificate": ("certification.certificate", "certificate_id"),
}


def _ref_target(kind: str) -> tuple[str, str] | None:
    """(endpoint, id parameter) of the page that shows ``kind``; None outside a request or without one."""
    target = REF_ENDPOINTS.get(kind)
    if target is None or not has_request_context() or target[0] not in current_app.view_functions:
        return None
    return target


def ref_url(kind: str, ref_id: int) -> str | None:
    """The page of a referenced record, or None outside a request or when no page shows that kind."""
    target = _ref_target(kind)
    if target is None:
        return None
    try:
        return url_for(target[0], **{target[1]: ref_id})
    except BuildError:
        return None


def ref_urls():
    """``ref_url`` for the many refs of one verdict: ``url_for`` once per kind (``saas.urls.url_pattern``),
    the id substituted into it for every ref (a year's verdict refers to each of its hundreds of items)."""
    made: dict = {}

    def url(kind: str, ref_id: int) -> str | None:
        if kind not in made:
            target = _ref_target(kind)
            try:
                made[kind] = url_pattern(*target) if target else None
            except BuildError:
                made[kind] = None
        pattern = made[kind]
        return pattern(ref_id) if pattern else None
    return url


# A criterion's refs a page lists; the rest are one link away (templates/certification/_verdict.html).
REFS_SHOWN = 10


def _criterion(c: dict, *, links: bool, url=ref_url, linked: int | None = None) -> dict:
    """``c`` (a criterion of a fresh ``Verdict.to_dict()``) with its labels; each of its refs gets its ``url``
    in place (a year's verdict refers to hundreds of items: no copy of each), or only its first ``linked``
    refs, the ones a page shows (the others' ``url`` is None)."""
    refs = c["refs"]
    for n, r in enumerate(refs):
        r["url"] = url(r["kind"], r["id"]) if links and (linked is None or n < linked) else None
    # B-alt "not met" only means nobody asked for it: shown neutral, not as a failure.
    unused_b_alt = c["id"] == rules.B_ALT and c["outcome"] == rules.Outcome.NOT_MET.value
    return {
        **c,
        "title": labels.CRITERION_TITLES[c["id"]],
        "section": SECTIONS[c["id"]],
        "outcome_label": "Ikke brukt" if unused_b_alt else labels.OUTCOME_LABELS[c["outcome"]],
        "badge": "" if unused_b_alt else labels.OUTCOME_BADGES[c["outcome"]],
        "client_step": labels.CLIENT_STEPS.get(c["id"], ""),
    }


def verdict_dict(verdict: rules.Verdict, *, links: bool = True, linked: int | None = None) -> dict:
    """``Verdict.to_dict()`` with bokmål labels, the section of each criterion and links to its records (for
    a page, ``linked``: only to the first refs of each criterion, the ones it shows)."""
    data = verdict.to_dict()
    url = ref_urls()
    return {
        **data,
        "eligible_label": labels.class_label(data["eligible"]),
        "next_class_label": labels.class_label(data["next_class"]) if data["next_class"] else "",
        "criteria": [_criterion(c, links=links, url=url, linked=linked) for c in data["criteria"]],
        "missing_for_next": [_criterion(c, links=links, url=url, linked=linked) for c in data["missing_for_next"]],
    }


def verdict_for_year(session: Session, year_id: int, as_of: date, *, overview: dict | None = None,
                     linked: int | None = None) -> dict:
    """The year's verdict as of ``as_of`` as plain data for a page or the API.  Raises NotFound.

    Keys: year_id, year, company_id, company_name, as_of, and everything of ``Verdict.to_dict()``
    (eligible, criteria, missing_for_next, next_class, ruleset_version, used_b_alternative) with labels.
    ``overview``: the year page's ``years.year_overview`` of this year (see ``gather_facts``).
    """
    facts = gather_facts(session, year_id, as_of, overview=overview)
    if overview is not None:
        company_id, company_name = overview["company"]["id"], overview["company"]["name"]
    else:
        company_id, company_name = session.execute(
            select(CertificationYear.company_id, ClientCompany.name)
            .join(ClientCompany, ClientCompany.id == CertificationYear.company_id).where(CertificationYear.id == year_id)
        ).one()
    return {"year_id": year_id, "year": facts.year, "company_id": company_id, "company_name": company_name,
            "as_of": as_of, **verdict_dict(rules.evaluate(facts), linked=linked)}
