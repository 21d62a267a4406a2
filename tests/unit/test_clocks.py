"""The clock module, table-driven for both seed schemes: ASAS (seed 000, 4 years, surveillance within
every 12-month period) and NS 9600 (seed 004, 3 years, at least 2 surveillance audits)."""
from datetime import date

import pytest

from saas.audits import clocks
from saas.audits.clocks import AuditDone, CaseDates, CorrectiveActionDates, FindingDates
from saas.schemes.library import builtin

ASAS = builtin("opplaering-8-1").settings
NS = builtin("ns9600-5").settings
HMS = builtin("hms").settings
D = date


@pytest.mark.parametrize("issued, months, last_day", [
    (D(2026, 3, 1), 48, D(2030, 2, 28)),
    (D(2026, 3, 1), 36, D(2029, 2, 28)),
    (D(2026, 6, 15), 12, D(2027, 6, 14)),
    (D(2028, 2, 29), 12, D(2029, 2, 28)),
    (D(2026, 1, 31), 1, D(2026, 2, 28)),
    (D(2026, 12, 31), 12, D(2027, 12, 30)),
])
def test_validity_counts_both_ends(issued, months, last_day):
    assert clocks.validity_end(issued, months) == last_day


@pytest.mark.parametrize("months, label", [(12, "12 måneder"), (36, "3 år"), (48, "4 år"), (18, "18 måneder")])
def test_duration_label(months, label):
    assert clocks.duration_label(months) == label


# -- surveillance ---------------------------------------------------------------------------------

ASAS_ISSUED, ASAS_END = D(2026, 3, 1), D(2030, 2, 28)
NS_ISSUED, NS_END = D(2026, 3, 1), D(2029, 2, 28)


def _plan(settings, issued, end, audits, today, initial=None):
    return clocks.surveillance_plan(issued, end, settings.surveillance, audits, today, initial=initial)


def test_asas_needs_one_audit_in_each_12_month_period_before_recertification():
    slots = _plan(ASAS, ASAS_ISSUED, ASAS_END, [], D(2026, 4, 1))
    assert [(s.window_start, s.due) for s in slots] == [
        (D(2026, 3, 1), D(2027, 2, 28)), (D(2027, 3, 1), D(2028, 2, 29)), (D(2028, 3, 1), D(2029, 2, 28))]


def test_ns_9600_needs_two_audits_spread_over_three_years():
    slots = _plan(NS, NS_ISSUED, NS_END, [], D(2026, 4, 1))
    assert [(s.window_start, s.due) for s in slots] == [(D(2026, 3, 1), D(2027, 2, 28)),
                                                         (D(2027, 3, 1), D(2028, 2, 29))]


@pytest.mark.parametrize("settings, issued, end, audits, today, states, done", [
    # ASAS: nothing held yet, early in period 1
    (ASAS, ASAS_ISSUED, ASAS_END, [], D(2026, 12, 1), ["open", "open", "open"], [None, None, None]),
    # ASAS: within 60 days of period 1's end: due soon
    (ASAS, ASAS_ISSUED, ASAS_END, [], D(2027, 1, 15), ["due_soon", "open", "open"], [None, None, None]),
    # ASAS: period 1 passed without an audit
    (ASAS, ASAS_ISSUED, ASAS_END, [], D(2027, 3, 1), ["overdue", "open", "open"], [None, None, None]),
    # ASAS: audit in period 1
    (ASAS, ASAS_ISSUED, ASAS_END, [AuditDone(D(2026, 11, 10), True)], D(2027, 3, 1),
     ["done", "open", "open"], [D(2026, 11, 10), None, None]),
    # ASAS: an audit in period 2 does not make up for a missed period 1
    (ASAS, ASAS_ISSUED, ASAS_END, [AuditDone(D(2027, 6, 1), True)], D(2027, 7, 1),
     ["overdue", "done", "open"], [None, D(2027, 6, 1), None]),
    # ASAS: two audits in period 1 count once
    (ASAS, ASAS_ISSUED, ASAS_END, [AuditDone(D(2026, 5, 1), True), AuditDone(D(2026, 9, 1), False)],
     D(2027, 4, 1), ["done", "open", "open"], [D(2026, 5, 1), None, None]),
    # NS 9600: both audits held early in year 1 satisfy the count
    (NS, NS_ISSUED, NS_END, [AuditDone(D(2026, 9, 1), True), AuditDone(D(2026, 12, 1), True)], D(2027, 1, 1),
     ["done", "done"], [D(2026, 9, 1), D(2026, 12, 1)]),
    # NS 9600: the first audit came late: slot 1 overdue, the audit counts for slot 2
    (NS, NS_ISSUED, NS_END, [AuditDone(D(2027, 5, 1), True)], D(2027, 6, 1),
     ["overdue", "done"], [None, D(2027, 5, 1)]),
    # NS 9600: an audit before the certificate was issued is not surveillance
    (NS, NS_ISSUED, NS_END, [AuditDone(D(2026, 2, 1), True)], D(2026, 4, 1), ["open", "open"], [None, None]),
])
def test_surveillance_states(settings, issued, end, audits, today, states, done):
    slots = _plan(settings, issued, end, audits, today)
    assert [s.state for s in slots] == states
    assert [s.done_on for s in slots] == done


@pytest.mark.parametrize("settings, initial, audits, allowed", [
    (ASAS, AuditDone(D(2026, 2, 1), True), [], [True, False, False]),
    (ASAS, AuditDone(D(2026, 2, 1), False), [], [False, False, False]),
    (ASAS, AuditDone(D(2026, 2, 1), True), [AuditDone(D(2026, 10, 1), True), AuditDone(D(2027, 10, 1), False)],
     [True, True, False]),
    (NS, AuditDone(D(2026, 2, 1), True), [], [False, False]),  # NS 9600: always on site
])
def test_a_document_only_audit_is_allowed_only_after_a_clean_one(settings, initial, audits, allowed):
    slots = _plan(settings, ASAS_ISSUED, ASAS_END if settings is ASAS else NS_END, audits, D(2028, 6, 1),
                  initial=initial)
    assert [s.document_only_allowed for s in slots] == allowed


def test_the_hms_certificate_has_no_surveillance():
    assert _plan(HMS, D(2026, 1, 1), D(2026, 12, 31), [], D(2026, 6, 1)) == []


# -- recertification ------------------------------------------------------------------------------

@pytest.mark.parametrize("settings, valid_until, today, applied, state, warnings, apply_by", [
    (ASAS, ASAS_END, D(2029, 8, 1), None, "not_yet", (), D(2029, 11, 30)),
    (ASAS, ASAS_END, D(2029, 9, 1), None, "warn", (90,), D(2029, 11, 30)),
    (ASAS, ASAS_END, D(2029, 11, 1), None, "warn", (90, 30), D(2029, 11, 30)),
    (ASAS, ASAS_END, D(2029, 11, 25), None, "warn", (90, 30, 7), D(2029, 11, 30)),
    (ASAS, ASAS_END, D(2029, 11, 30), None, "warn", (90, 30, 7), D(2029, 11, 30)),
    (ASAS, ASAS_END, D(2029, 12, 1), None, "notice", (90, 30, 7), D(2029, 11, 30)),
    (ASAS, ASAS_END, D(2029, 12, 1), D(2029, 10, 1), "applied", (), D(2029, 11, 30)),
    (NS, NS_END, D(2028, 9, 1), None, "warn", (90,), D(2028, 11, 30)),
    (NS, NS_END, D(2028, 12, 1), None, "notice", (90, 30, 7), D(2028, 11, 30)),
    (NS, NS_END, D(2028, 12, 1), D(2028, 11, 30), "applied", (), D(2028, 11, 30)),
])
def test_recertification_is_applied_for_three_months_before_expiry_with_warnings(
        settings, valid_until, today, applied, state, warnings, apply_by):
    r = clocks.recertification(valid_until, settings.recertification_lead_months,
                               settings.recertification_warning_days, today, applied_on=applied)
    assert (r.state, r.warnings_due, r.apply_by) == (state, warnings, apply_by)


def test_a_notice_of_withdrawal_takes_effect_after_its_period_but_never_after_expiry():
    r = clocks.recertification(ASAS_END, 3, (90,), D(2029, 12, 5), notice_given_on=D(2029, 12, 2),
                               withdrawal_notice_days=ASAS.deadlines.withdrawal_notice_days)
    assert r.state == "notice" and r.withdrawal_on == D(2030, 1, 1)
    late = clocks.recertification(ASAS_END, 3, (90,), D(2030, 2, 20), notice_given_on=D(2030, 2, 15),
                                  withdrawal_notice_days=30)
    assert late.withdrawal_on == D(2030, 3, 1)


# -- the case's clocks ----------------------------------------------------------------------------

def _by_key(dates, today):
    return {c.key: c for c in clocks.case_clocks(dates, ASAS.deadlines, today)}


@pytest.mark.parametrize("dates, today, key, due, state, party", [
    (CaseDates(application_received_on=D(2026, 1, 2)), D(2026, 1, 10), "application_review", D(2026, 1, 16),
     "open", "provider"),
    (CaseDates(accepted_on=D(2026, 1, 5)), D(2026, 1, 17), "pre_evaluation", D(2026, 1, 19), "due_soon", "client"),
    (CaseDates(accepted_on=D(2026, 1, 5)), D(2026, 1, 20), "pre_evaluation", D(2026, 1, 19), "overdue", "client"),
    (CaseDates(accepted_on=D(2026, 1, 5), pre_evaluation_returned_on=D(2026, 1, 19)), D(2026, 2, 1),
     "pre_evaluation", D(2026, 1, 19), "done", "client"),
    (CaseDates(accepted_on=D(2026, 1, 5), pre_evaluation_returned_on=D(2026, 1, 21)), D(2026, 2, 1),
     "pre_evaluation", D(2026, 1, 19), "late", "client"),
    (CaseDates(team_named_on=D(2026, 2, 1)), D(2026, 2, 3), "team_objection", D(2026, 2, 8), "open", "client"),
    (CaseDates(audit_last_day=D(2026, 3, 10)), D(2026, 3, 25), "report", D(2026, 3, 24), "overdue", "provider"),
    (CaseDates(audit_last_day=D(2026, 3, 10), report_sent_on=D(2026, 3, 20)), D(2026, 3, 25), "report",
     D(2026, 3, 24), "done", "provider"),
    (CaseDates(corrective_actions=(CorrectiveActionDates(7, D(2026, 4, 1), None),)), D(2026, 4, 16),
     "corrective_action_review:7", D(2026, 4, 15), "overdue", "provider"),
    (CaseDates(findings=(FindingDates(3, "minor", D(2026, 3, 10), D(2026, 4, 9), None),)), D(2026, 4, 1),
     "correction:3", D(2026, 4, 9), "open", "client"),
])
def test_case_clocks(dates, today, key, due, state, party):
    clock = _by_key(dates, today)[key]
    assert (clock.due, clock.state, clock.party) == (due, state, party)


def test_a_clock_that_has_not_started_is_not_shown():
    assert clocks.case_clocks(CaseDates(), ASAS.deadlines, D(2026, 1, 1)) == []


def test_grade_deadlines_come_from_the_scheme():
    assert clocks.correction_due(D(2026, 3, 10), ASAS.grade("serious").correction_days) == D(2026, 3, 24)
    assert clocks.correction_due(D(2026, 3, 10), ASAS.grade("minor").correction_days) == D(2026, 4, 9)
    assert clocks.correction_due(D(2026, 3, 10), ASAS.grade("observation").correction_days) is None


def test_the_clock_module_imports_only_the_standard_library():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(clocks))
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
        {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert modules <= {"__future__", "dataclasses", "datetime"}
