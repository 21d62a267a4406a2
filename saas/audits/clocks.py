"""Every clock of audit-based certification, and the validity arithmetic of every scheme.

Pure: standard library only, dates in, deadlines and states out, "today" always an argument.  The
numbers come from the scheme's settings (saas.schemes.settings), passed in as plain values.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; a day the target month lacks rolls over to the 1st of the next
    month (29 Feb + 12 months = 1 Mar), so "N months, both ends counted" ends the day before."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    try:
        return day.replace(year=year, month=month)
    except ValueError:
        return date(year + (month == 12), month % 12 + 1, 1)


def validity_end(issued_on: date, months: int) -> date:
    """The last valid day of something valid ``months`` months from ``issued_on``, both ends counted."""
    return add_months(issued_on, months) - timedelta(days=1)


def duration_label(months: int) -> str:
    """"12 måneder", "3 år", "4 år" (bokmål, as printed on a certificate)."""
    if months >= 24 and months % 12 == 0:
        return f"{months // 12} år"
    return f"{months} måneder" if months != 1 else "1 måned"


# -- the 11 steps ------------------------------------------------------------------------------------

# (number, key, bokmål label) of seed 000's steps, as the case page shows them.
STEPS = (
    (1, "application", "Søknad og kontrakt"),
    (2, "pre_evaluation", "Pre-evaluering"),
    (3, "documents", "Dokumentasjon og dokumentgjennomgang"),
    (4, "team", "Revisjonsgruppe og program"),
    (5, "audit", "Revisjon"),
    (6, "report", "Rapport"),
    (7, "corrective_actions", "Avvik og korrigerende tiltak"),
    (8, "decision", "Gjennomgang og beslutning"),
    (9, "certificate", "Sertifikat og register"),
    (10, "surveillance", "Oppfølgingsrevisjoner"),
    (11, "recertification", "Resertifisering"),
)
STEP_KEYS = tuple(key for _, key, _ in STEPS)

# Clock states.
DONE, LATE, OPEN, DUE_SOON, OVERDUE = "done", "late", "open", "due_soon", "overdue"
CLIENT, PROVIDER = "client", "provider"  # who the clock waits for


@dataclass(frozen=True)
class Clock:
    key: str           # e.g. "report", "correction:12"
    step: str          # one of STEP_KEYS
    label: str         # bokmål
    party: str         # CLIENT or PROVIDER: who must act
    started_on: date
    due: date
    done_on: date | None
    state: str
    days_left: int     # negative when overdue; counted from today


def clock_state(due: date, today: date, done_on: date | None = None, warn_days: int = 3) -> str:
    """done / late (done after the due day) / overdue / due_soon (within ``warn_days``) / open."""
    if done_on is not None:
        return DONE if done_on <= due else LATE
    if today > due:
        return OVERDUE
    return DUE_SOON if (due - today).days <= warn_days else OPEN


def _clock(key, step, label, party, started_on, days, done_on, today, warn_days, due=None) -> Clock:
    due = due or started_on + timedelta(days=days)
    return Clock(key, step, label, party, started_on, due, done_on, clock_state(due, today, done_on, warn_days),
                 (due - today).days)


@dataclass(frozen=True)
class FindingDates:
    id: int
    grade: str
    raised_on: date
    due_on: date | None      # agreed at the closing meeting (or the grade's default)
    closed_on: date | None


@dataclass(frozen=True)
class CorrectiveActionDates:
    id: int
    received_on: date
    answered_on: date | None  # accepted or rejected


@dataclass(frozen=True)
class CaseDates:
    """The dates a case has reached so far (None: not yet)."""

    application_received_on: date | None = None
    application_decided_on: date | None = None   # accepted or refused
    accepted_on: date | None = None
    pre_evaluation_returned_on: date | None = None
    documents_received_on: date | None = None
    document_review_done_on: date | None = None
    team_named_on: date | None = None
    team_settled_on: date | None = None          # accepted by the client, or an objection decided
    audit_last_day: date | None = None
    report_sent_on: date | None = None
    findings: tuple[FindingDates, ...] = ()
    corrective_actions: tuple[CorrectiveActionDates, ...] = ()
    ready_for_decision_on: date | None = None     # report sent and every blocking finding closed
    decided_on: date | None = None


def case_clocks(dates: CaseDates, deadlines, today: date, warn_days: int = 3) -> list[Clock]:
    """Every clock of a case that has started, in step order.  ``deadlines`` is a scheme's
    ``StepDeadlines`` (anything with its attributes); a deadline of 0 days is not a clock."""
    d = deadlines
    out: list[Clock] = []

    def add(key, step, label, party, started_on, days, done_on, due=None):
        if started_on is not None and (days or due):
            out.append(_clock(key, step, label, party, started_on, days, done_on, today, warn_days, due))

    add("application_review", "application", "Søknaden vurderes", PROVIDER, dates.application_received_on,
        d.application_review_days, dates.application_decided_on)
    add("pre_evaluation", "pre_evaluation", "Pre-evalueringsskjema returneres", CLIENT, dates.accepted_on,
        d.pre_evaluation_days, dates.pre_evaluation_returned_on)
    add("documents", "documents", "Dokumentasjon sendes inn", CLIENT, dates.pre_evaluation_returned_on,
        d.documents_days, dates.documents_received_on)
    add("document_review", "documents", "Dokumentgjennomgang", PROVIDER, dates.documents_received_on,
        d.document_review_days, dates.document_review_done_on)
    add("team_objection", "team", "Frist for innsigelse mot revisjonsgruppen", CLIENT, dates.team_named_on,
        d.team_objection_days, dates.team_settled_on)
    add("report", "report", "Revisjonsrapport sendes", PROVIDER, dates.audit_last_day, d.report_days,
        dates.report_sent_on)
    for f in dates.findings:
        if f.due_on is not None:
            add(f"correction:{f.id}", "corrective_actions", "Avvik lukkes", CLIENT, f.raised_on, 0, f.closed_on,
                due=f.due_on)
    for ca in dates.corrective_actions:
        add(f"corrective_action_review:{ca.id}", "corrective_actions", "Korrigerende tiltak besvares", PROVIDER,
            ca.received_on, d.corrective_action_review_days, ca.answered_on)
    add("decision", "decision", "Gjennomgang og beslutning", PROVIDER, dates.ready_for_decision_on, d.decision_days,
        dates.decided_on)
    return out


def correction_due(raised_on: date, correction_days: int | None) -> date | None:
    """A finding's default deadline from its grade (None: the grade has none, e.g. an observation)."""
    return None if correction_days is None else raised_on + timedelta(days=correction_days)


# -- surveillance -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditDone:
    on: date               # the audit's last day
    clean: bool            # no nonconformity found
    document_only: bool = False


@dataclass(frozen=True)
class SurveillanceSlot:
    index: int             # 1, 2, ...
    window_start: date
    due: date              # the last day it may happen
    done_on: date | None
    state: str
    document_only_allowed: bool


def surveillance_plan(issued_on: date, valid_until: date, rule, audits, today: date, *,
                      initial: AuditDone | None = None) -> list[SurveillanceSlot]:
    """The surveillance audits a certificate needs, each matched with the audit that satisfied it.

    ``rule`` is a scheme's SurveillanceRule.  "every_period" (seed 000): one audit inside each
    ``period_months`` period of the validity except the last, which the recertification audit covers
    (4 years, 12 months: periods 1-3).  "count_in_validity" (seed 004): at least ``min_count`` audits in
    the validity; the product spreads them evenly (3 years, 2 audits: by month 12 and month 24) so the
    last is not squeezed against the expiry, and an audit held early counts toward the next slot.
    "none": no surveillance.

    ``audits`` are the surveillance audits held (AuditDone), in any order; those before ``issued_on``
    are ignored.  ``initial`` is the certification audit.  ``document_only_allowed`` says whether a
    slot may be (or could have been) a document-only audit: the rule allows it and the audit before it
    found nothing; for slots after the next one to plan it is False (their previous audit is not held).
    """
    if rule.mode == "none":
        return []
    total_months = _months_between(issued_on, valid_until + timedelta(days=1))
    if rule.mode == "every_period":
        count = max(0, -(-total_months // rule.period_months) - 1)
        bounds = [(add_months(issued_on, i * rule.period_months),
                   add_months(issued_on, (i + 1) * rule.period_months) - timedelta(days=1)) for i in range(count)]
    else:
        count, bounds = rule.min_count, []
        for i in range(count):
            start = issued_on if i == 0 else bounds[-1][1] + timedelta(days=1)
            bounds.append((start, add_months(issued_on, round(total_months * (i + 1) / (count + 1)))
                           - timedelta(days=1)))
    held = sorted((a for a in audits if a.on >= issued_on), key=lambda a: a.on)
    history = sorted(([initial] if initial else []) + held, key=lambda a: a.on)
    used: set[int] = set()
    slots = []
    next_found = False
    for index, (start, due) in enumerate(bounds, start=1):
        early_ok = rule.mode == "count_in_validity"
        match = next((i for i, a in enumerate(held)
                      if i not in used and (early_ok or start <= a.on) and a.on <= due), None)
        done = held[match] if match is not None else None
        if done is not None:
            used.add(match)
            before = [a for a in history if a.on < done.on]
            allowed = document_only_allowed(rule, before[-1] if before else None)
        elif not next_found:  # the next audit to plan: judged by the last one held
            next_found = True
            allowed = document_only_allowed(rule, history[-1] if history else None)
        else:  # later slots depend on audits not held yet
            allowed = False
        slots.append(SurveillanceSlot(index, start, due, done.on if done else None,
                                      clock_state(due, today, done.on if done else None, rule.warn_days), allowed))
    return slots


def next_surveillance(slots: list[SurveillanceSlot]) -> SurveillanceSlot | None:
    """The first slot not done yet (the next audit to plan), or None."""
    return next((s for s in slots if s.done_on is None), None)


def document_only_allowed(rule, last_audit: AuditDone | None) -> bool:
    """Seed 000 § 7.9: a paper audit is allowed when the previous audit found everything in order."""
    return bool(rule.document_only_after_clean and last_audit is not None and last_audit.clean)


def _months_between(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months if end.day >= start.day else months - 1


# -- recertification --------------------------------------------------------------------------------

NOT_YET, WARN, APPLIED, NOTICE = "not_yet", "warn", "applied", "notice"


@dataclass(frozen=True)
class Recertification:
    apply_by: date                 # the last day to apply (seed 000: 3 months before expiry)
    state: str                     # not_yet / warn / applied / notice (overdue: notice of withdrawal)
    warnings_due: tuple[int, ...]  # the warning thresholds (days before apply_by) reached by today
    days_left: int
    withdrawal_on: date | None     # when a notice of withdrawal takes effect, if given


def recertification(valid_until: date, lead_months: int, warning_days, today: date, *,
                    applied_on: date | None = None, notice_given_on: date | None = None,
                    withdrawal_notice_days: int = 30) -> Recertification:
    """Where a certificate stands with its recertification application.

    The application is due ``lead_months`` before the expiry (the day after ``valid_until``).  Each
    warning threshold in ``warning_days`` is due once today is that close to the deadline; past it
    without an application the company gets notice of withdrawal, effective ``withdrawal_notice_days``
    after the notice (or at expiry, if that comes first).
    """
    expiry = valid_until + timedelta(days=1)
    apply_by = add_months(expiry, -lead_months) - timedelta(days=1) if lead_months else valid_until
    days_left = (apply_by - today).days
    withdrawal_on = None
    if notice_given_on is not None:
        withdrawal_on = min(notice_given_on + timedelta(days=withdrawal_notice_days), expiry)
    if applied_on is not None and applied_on <= valid_until:
        return Recertification(apply_by, APPLIED, (), days_left, None)
    reached = tuple(sorted((w for w in warning_days if days_left <= w), reverse=True))
    if today > apply_by:
        return Recertification(apply_by, NOTICE, reached, days_left, withdrawal_on)
    return Recertification(apply_by, WARN if reached else NOT_YET, reached, days_left, withdrawal_on)
