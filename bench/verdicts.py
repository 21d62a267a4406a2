"""Verdicts per second of the pure class rules (saas.hms.rules.evaluate), no database.

Run: .venv/bin/python bench/verdicts.py [--seconds 3]

Evaluates a mix of facts: a class A+ company, one missing its risk assessment, one on B-alt and one with
many action items (40), so the figure covers the heavy paths too.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from saas.hms.rules import (ActionItem, ActionStatus, Attestation, BAlternative, CertClass, ComplianceCheck,  # noqa: E402
                            MappingMethod, PhysicalMapping, PreviousCertificate, PsychosocialMapping, RiskAssessment,
                            SafetyRound, YearFacts, evaluate)

AS_OF = date(2026, 6, 15)


def a_plus() -> YearFacts:
    return YearFacts(
        as_of=AS_OF, year=2026, employee_count=12, works_off_premises=True,
        physical_mappings=(PhysicalMapping(1, date(2026, 3, 2), MappingMethod.PROVIDER, False, True, 2),),
        action_items=(ActionItem(1, "Skjerme maskin", "physical", ActionStatus.DONE, date(2026, 5, 1), True),
                      ActionItem(2, "Lys på lager", "physical", ActionStatus.IN_PROGRESS, date(2026, 9, 1), True),
                      ActionItem(3, "Roller", "psychosocial", ActionStatus.IN_PROGRESS, date(2026, 10, 1), True)),
        risk_assessments=(RiskAssessment(1, date(2026, 3, 10)),),
        safety_rounds=(SafetyRound(1, date(2026, 4, 1)),),
        psychosocial_mappings=(PsychosocialMapping(1, date(2026, 4, 10), True, True, True, date(2026, 4, 20), False, True),),
        compliance_checks=tuple(ComplianceCheck(i, k, True) for i, k in enumerate(
            ("employment_contracts", "equipment_inspection", "safety_representative", "amu", "regulations_available",
             "internal_control_system"), 1)),
        a4_attestation=Attestation(7, "Trivselsmøter", date(2026, 5, 20)),
        a_plus_2_attestation=Attestation(8, "Fast sak i styret", date(2026, 6, 1)),
        previous_certificate=PreviousCertificate(99, CertClass.A, False, 2025),
    )


def mix() -> list[YearFacts]:
    base = a_plus()
    many_items = tuple(ActionItem(100 + i, f"Tiltak {i}", "physical" if i % 2 else "psychosocial",
                                  ActionStatus.IN_PROGRESS, AS_OF + timedelta(days=i), True) for i in range(40))
    return [
        base,
        replace(base, risk_assessments=()),
        replace(base, physical_mappings=(), b_alternative=BAlternative("Virksomhetens art gjør psykososialt fokus naturlig", 3)),
        replace(base, action_items=many_items),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    facts = mix()
    assert [v.eligible for v in map(evaluate, facts)] == [CertClass.A_PLUS, None, CertClass.B, CertClass.A_PLUS]
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        for f in facts:
            evaluate(f)
        count += len(facts)
    elapsed = time.perf_counter() - start
    def grouped(n: float) -> str:
        return f"{n:,.0f}".replace(",", " ")

    print(f"evaluate(): {grouped(count / elapsed)} verdicts per second ({grouped(count)} in {elapsed:.2f} s, "
          f"{elapsed / count * 1e6:.1f} µs each, mix of {len(facts)} fact sets)")
    for f in facts:
        n, t0 = 2000, time.perf_counter()
        for _ in range(n):
            evaluate(f)
        verdict = evaluate(f)
        print(f"  {verdict.eligible.value if verdict.eligible else 'none':>4}, {len(f.action_items):>2} action items: "
              f"{grouped(n / (time.perf_counter() - t0))} per second")


if __name__ == "__main__":
    main()
