"""The HMS certificate class rules (seed 001): facts in, verdict out. Standard library only.

Pure: the "as of" date comes in with the facts, nothing reads the clock, nothing is mutated, and the
same facts always give the same verdict. Criterion ids and wording follow DOMAIN.md; the reasons
are bokmål for the client company and the reviewer.

How B-alt and class A meet: B-alt ("B for other reasons") can stand in only for the physical-mapping
criteria B1, B2 and B4, and it opens class B only. Class A (and so A+) still demands every one of B's
own criteria B1-B5, so a company certified B through B-alt sees the failing B criteria among
what is missing for A.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

# Re-exported: callers import the whole rules API from this module.
from .rules_facts import (  # noqa: F401
    AMU_REQUIRED_FROM, COMPLIANCE_KEYS, COMPLIANCE_LABELS, HOLDING, SAFETY_REPRESENTATIVE_REQUIRED_FROM,
    ActionItem, ActionStatus, Attestation, BAlternative, CertClass, ComplianceCheck, CriterionResult,
    MappingMethod, Outcome, PhysicalMapping, PreviousCertificate, PsychosocialMapping, Ref, RiskAssessment,
    SafetyRound, Verdict, YearFacts, cycle_start, is_in_active_improvement, is_ok, is_overdue, within_cycle,
)

RULESET_VERSION = "hms-001/2026.1"

B_CRITERIA = ("B1", "B2", "B3", "B4", "B5")
B_ALT = "B-alt"
A_CRITERIA = ("A1", "A2", "A3", "A4")
A_PLUS_CRITERIA = ("A+1", "A+2", "A+3")
CRITERIA_ORDER = (*B_CRITERIA, B_ALT, *A_CRITERIA, *A_PLUS_CRITERIA)
# The seed's example is a business whose nature puts psychosocial before physical focus, so B-alt
# replaces the physical mapping and its plan; risk assessment and off-site safeguarding remain law.
B_ALT_REPLACES = ("B1", "B2", "B4")

_NEXT = {None: CertClass.B, CertClass.B: CertClass.A, CertClass.A: CertClass.A_PLUS, CertClass.A_PLUS: None}


# --- helpers --------------------------------------------------------------------------------------

def _fmt(d: date) -> str:
    return d.strftime("%d.%m.%Y")


def _met(cid: str, reason: str, refs: Iterable[Ref] = ()) -> CriterionResult:
    return CriterionResult(cid, Outcome.MET, reason, tuple(refs))


def _not_met(cid: str, reason: str, refs: Iterable[Ref] = ()) -> CriterionResult:
    return CriterionResult(cid, Outcome.NOT_MET, reason, tuple(refs))


def _waived(cid: str, reason: str, refs: Iterable[Ref] = ()) -> CriterionResult:
    return CriterionResult(cid, Outcome.WAIVED, reason, tuple(refs))


def _dated(label: str, d: date | None) -> str:
    return f"{label} {_fmt(d)}" if d else label


def _ref_phys(m: PhysicalMapping) -> Ref:
    return Ref("physical_mapping", m.id, _dated("Fysisk kartlegging", m.completed_on))


def _ref_psy(m: PsychosocialMapping) -> Ref:
    return Ref("psychosocial_mapping", m.id, _dated("Psykososial kartlegging", m.completed_on))


def _ref_item(i: ActionItem) -> Ref:
    return Ref("action_item", i.id, i.title)


def _ref_user(user_id: int, label: str) -> Ref:
    return Ref("user", user_id, label)


def _in_cycle(records, attr: str, as_of: date) -> list:
    # Sorted oldest first, id as tie-break, so "the latest" is the same whatever order the DB returned.
    found = [r for r in records if within_cycle(getattr(r, attr), as_of)]
    return sorted(found, key=lambda r: (getattr(r, attr), r.id))


def _stale_note(records, attr: str, as_of: date, make_ref) -> tuple[str, list[Ref]]:
    older = [r for r in records if getattr(r, attr) is not None and getattr(r, attr) < cycle_start(as_of)]
    if not older:
        return "", []
    last = max(older, key=lambda r: (getattr(r, attr), r.id))
    return f" Den siste er fra {_fmt(getattr(last, attr))}, mer enn 12 måneder tilbake.", [make_ref(last)]


def _items(facts: YearFacts, area: str) -> list[ActionItem]:
    return sorted((i for i in facts.action_items if i.area == area), key=lambda i: i.id)


def _item_problem(item: ActionItem) -> str:
    if item.status is ActionStatus.OPEN or not item.started:
        return f"«{item.title}» er ikke påbegynt"
    return f"«{item.title}» har passert fristen {_fmt(item.deadline)}"


def _items_verdict(cid: str, items: list[ActionItem], as_of: date, what: str, extra_refs=()) -> CriterionResult:
    failing = [i for i in items if not is_ok(i, as_of)]
    if failing:
        problems = "; ".join(map(_item_problem, failing))
        return _not_met(cid, f"Ikke alle tiltak for {what} er utført eller i aktiv utbedring: {problems}.",
                        [*extra_refs, *map(_ref_item, failing)])
    if not items:
        return _met(cid, f"Handlingsplanen har ingen tiltak for {what} som må følges opp.", extra_refs)
    return _met(cid, f"Alle tiltakene for {what} er utført eller i aktiv utbedring ({len(items)} tiltak).",
                [*extra_refs, *map(_ref_item, items)])


def _counts_for_b1(m: PhysicalMapping) -> bool:
    return m.method is MappingMethod.PROVIDER or m.evidence_verified


# --- class B --------------------------------------------------------------------------------------

def _b1(f: YearFacts) -> CriterionResult:
    in_cycle = _in_cycle(f.physical_mappings, "completed_on", f.as_of)
    good = [m for m in in_cycle if _counts_for_b1(m)]
    if good:
        last = good[-1]
        how = {
            MappingMethod.PROVIDER: "med bistand fra HMS-leverandøren",
            MappingMethod.SELF: "av bedriften selv, og dokumentasjonen er kontrollert av en HMS-rådgiver",
            MappingMethod.THIRD_PARTY: "av en tredjepart, og dokumentasjonen er kontrollert av en HMS-rådgiver",
        }[last.method]
        return _met("B1", f"Fysisk kartlegging er gjennomført {_fmt(last.completed_on)} {how}.", map(_ref_phys, good))
    if in_cycle:
        return _not_met("B1", "Den fysiske kartleggingen er gjort av bedriften selv eller en tredjepart, men "
                              "dokumentasjonen er ennå ikke kontrollert av en HMS-rådgiver.",
                        map(_ref_phys, in_cycle))
    note, refs = _stale_note(f.physical_mappings, "completed_on", f.as_of, _ref_phys)
    return _not_met("B1", "Det finnes ingen fysisk kartlegging datert de siste 12 månedene." + note, refs)


def _b2(f: YearFacts) -> CriterionResult:
    # B2 names only what B2 lacks: a mapping B1 refuses (e.g. its evidence not verified yet) still has
    # its report and plan judged here, so the reviewer sees one missing thing, not two.
    in_cycle = _in_cycle(f.physical_mappings, "completed_on", f.as_of)
    if not in_cycle:
        return _not_met("B2", "Det mangler skriftlig rapport og handlingsplan fra en fysisk kartlegging de siste "
                              "12 månedene.")
    last, items = in_cycle[-1], _items(f, "physical")
    when = _fmt(last.completed_on)
    if not last.has_report:
        return _not_met("B2", f"Det mangler skriftlig rapport fra den fysiske kartleggingen {when}.", [_ref_phys(last)])
    if last.finding_count > 0 and not items:
        return _not_met("B2", f"Kartleggingen {when} fant {last.finding_count} forhold, men handlingsplanen "
                              "har ingen tiltak for fysiske forhold.", [_ref_phys(last)])
    if not items:
        return _met("B2", f"Skriftlig rapport finnes for kartleggingen {when}, og den fant ingen forhold som "
                          "krever tiltak.", [_ref_phys(last)])
    return _met("B2", f"Skriftlig rapport finnes for kartleggingen {when}, og handlingsplanen har {len(items)} "
                      "tiltak for fysiske forhold.", [_ref_phys(last), *map(_ref_item, items)])


def _b3(f: YearFacts) -> CriterionResult:
    def ref(r: RiskAssessment) -> Ref:
        return Ref("risk_assessment", r.id, f"Risikovurdering {_fmt(r.assessed_on)}")

    found = _in_cycle(f.risk_assessments, "assessed_on", f.as_of)
    if found:
        return _met("B3", f"Risikovurdering er gjennomført {_fmt(found[-1].assessed_on)}.", map(ref, found))
    note, refs = _stale_note(f.risk_assessments, "assessed_on", f.as_of, ref)
    return _not_met("B3", "Det finnes ingen risikovurdering datert de siste 12 månedene." + note, refs)


def _b4(f: YearFacts) -> CriterionResult:
    return _items_verdict("B4", _items(f, "physical"), f.as_of, "fysiske forhold")


def _b5(f: YearFacts) -> CriterionResult:
    if not f.works_off_premises:
        return _waived("B5", "En vesentlig del av arbeidet skjer ikke utenfor egne lokaler, så vernerunder "
                             "for slikt arbeid kreves ikke.")
    rounds = _in_cycle(f.safety_rounds, "held_on", f.as_of)
    refs = [Ref("safety_round", r.id, f"Vernerunde {_fmt(r.held_on)}") for r in rounds]
    if rounds:
        return _met("B5", f"Vernerunde er dokumentert {_fmt(rounds[-1].held_on)}.", refs)
    if f.other_safeguarding_ref is not None:
        return _met("B5", "Annen sikring av HMS ved arbeid utenfor egne lokaler er dokumentert.",
                    [f.other_safeguarding_ref])
    return _not_met("B5", "En vesentlig del av arbeidet skjer utenfor egne lokaler, men det er ikke dokumentert "
                          "vernerunde de siste 12 månedene eller annen sikring av HMS for dette arbeidet.")


def _b_alt(f: YearFacts, b: Mapping[str, CriterionResult]) -> CriterionResult:
    alt = f.b_alternative
    if alt is None:
        return _not_met(B_ALT, "Ikke brukt: det er ikke registrert noen begrunnelse for klasse B av andre grunner.")
    ref = _ref_user(alt.by_user_id, "Begrunnelse for klasse B av andre grunner")
    if not alt.justification.strip():
        return _not_met(B_ALT, "Ikke brukt: begrunnelsen for klasse B av andre grunner er tom.", [ref])
    if all(r.holds for r in b.values()):
        return _not_met(B_ALT, "Ikke brukt: kravene til klasse B er oppfylt uten unntak.", [ref])
    if not all(b[c].holds for c in B_CRITERIA if c not in B_ALT_REPLACES):
        return _not_met(B_ALT, "Ikke brukt: klasse B av andre grunner kan ikke erstatte kravene om "
                               "risikovurdering (B3) og vernerunder (B5).", [ref])
    return _met(B_ALT, "Klasse B tildeles av andre grunner, med skriftlig begrunnelse fra HMS-rådgiveren: "
                       f"«{alt.justification.strip()}»", [ref])


# --- class A --------------------------------------------------------------------------------------

def _psy_problems(m: PsychosocialMapping, as_of: date) -> list[str]:
    problems = []
    if not m.method_interviews:
        problems.append("er ikke gjort med formaliserte medarbeidersamtaler")
    if not m.has_report:
        problems.append("mangler skriftlig rapport")
    r = m.reviewed_with_management_on
    # A review before the mapping was finished, or after the decision date, cannot have covered this report.
    if r is None or r > as_of or (m.completed_on is not None and r < m.completed_on):
        problems.append("har ingen registrert gjennomgang av rapporten med ledelsen")
    return problems


def _a1(f: YearFacts) -> CriterionResult:
    in_cycle = _in_cycle(f.psychosocial_mappings, "completed_on", f.as_of)
    good = [m for m in in_cycle if not _psy_problems(m, f.as_of)]
    if good:
        last = good[-1]
        return _met("A1", f"Psykososial kartlegging med medarbeidersamtaler er gjennomført {_fmt(last.completed_on)}, "
                          f"og rapporten ble gjennomgått med ledelsen {_fmt(last.reviewed_with_management_on)}.",
                    map(_ref_psy, good))
    if f.previous_psychosocial_no_significant_conditions:
        return _waived("A1", "Forrige psykososiale kartlegging avdekket ikke forhold som gir grunn til å anta "
                             "behov for ny kartlegging i år.")
    if in_cycle:
        last = in_cycle[-1]
        problems = " og ".join(_psy_problems(last, f.as_of))
        return _not_met("A1", f"Den psykososiale kartleggingen {_fmt(last.completed_on)} {problems}.", [_ref_psy(last)])
    note, refs = _stale_note(f.psychosocial_mappings, "completed_on", f.as_of, _ref_psy)
    return _not_met("A1", "Det finnes ingen psykososial kartlegging datert de siste 12 månedene." + note, refs)


def _required_compliance_keys(employee_count: int | None) -> list[str]:
    # Unknown headcount fails closed: AMU is then required, and a verified AMU check satisfies it.
    amu = employee_count is None or employee_count >= AMU_REQUIRED_FROM
    return [k for k in COMPLIANCE_KEYS if k != "amu" or amu]


def _compliance_label(key: str, employee_count: int | None) -> str:
    label = COMPLIANCE_LABELS[key]
    small = employee_count is not None and employee_count < SAFETY_REPRESENTATIVE_REQUIRED_FROM
    if key == "safety_representative" and small:
        label += " (under 5 ansatte: skriftlig avtale om annen ordning)"
    if key == "amu" and employee_count is None:
        label += " (antall ansatte er ikke registrert)"
    return label


def _a2(f: YearFacts) -> CriterionResult:
    phys = _in_cycle(f.physical_mappings, "completed_on", f.as_of)
    psy = _in_cycle(f.psychosocial_mappings, "completed_on", f.as_of)
    by_others = [_ref_phys(m) for m in phys if m.method is not MappingMethod.PROVIDER]
    by_others += [_ref_psy(m) for m in psy if not m.done_by_provider]
    if not by_others:
        return _waived("A2", "Kartleggingene de siste 12 månedene er gjort med bistand fra HMS-leverandøren, så "
                             "egen kontroll av arbeidsmiljøloven kreves ikke her.",
                       [*map(_ref_phys, phys), *map(_ref_psy, psy)])
    required = _required_compliance_keys(f.employee_count)
    checks = sorted((c for c in f.compliance_checks if c.key in required), key=lambda c: c.id)
    done = {c.key for c in checks if c.verified}
    missing = [k for k in required if k not in done]
    labels = [_compliance_label(k, f.employee_count) for k in (missing or required)]
    # Cite what decided it: the unverified checks when something is missing, else the verified ones.
    cited = [c for c in checks if c.key in missing] if missing else [c for c in checks if c.verified]
    check_refs = [Ref("compliance_check", c.id, COMPLIANCE_LABELS[c.key]) for c in cited]
    listed, refs = "; ".join(labels), [*by_others, *check_refs]
    if missing:
        return _not_met("A2", "En kartlegging er gjort av andre enn HMS-leverandøren, og disse kravene i "
                              f"arbeidsmiljøloven er ikke dokumentert eller kontrollert: {listed}.", refs)
    return _met("A2", "En kartlegging er gjort av andre enn HMS-leverandøren, og sentrale krav i "
                      f"arbeidsmiljøloven er kontrollert: {listed}.", refs)


def _a3(f: YearFacts) -> CriterionResult:
    # Overlaps B4 on purpose: A3 also reads the reports, and the reviewer sees it decided on its own.
    phys = _in_cycle(f.physical_mappings, "completed_on", f.as_of)
    if not phys:
        return _not_met("A3", "Det finnes ingen fysisk kartlegging datert de siste 12 månedene, så punktene i "
                              "rapportene kan ikke vurderes.")
    no_report = [m for m in phys if not m.has_report]
    if no_report:
        dates = ", ".join(_fmt(m.completed_on) for m in no_report)
        return _not_met("A3", f"Det mangler skriftlig rapport fra fysisk kartlegging {dates}, så punktene i rapporten "
                              "kan ikke følges opp.", map(_ref_phys, no_report))
    return _items_verdict("A3", _items(f, "physical"), f.as_of, "fysiske forhold i rapportene",
                          extra_refs=[_ref_phys(m) for m in phys])


def _attested(cid: str, att: Attestation | None, as_of: date, who: str, what: str) -> CriterionResult:
    if att is None:
        return _not_met(cid, f"{who} har ikke bekreftet at {what}.")
    ref = _ref_user(att.by_user_id, f"Bekreftelse {_fmt(att.on)}")
    if not att.note.strip():
        return _not_met(cid, f"Bekreftelsen fra {_fmt(att.on)} mangler en skriftlig begrunnelse.", [ref])
    # An attestation only speaks for the year it was given in.
    if not within_cycle(att.on, as_of):
        return _not_met(cid, f"Bekreftelsen er datert {_fmt(att.on)}, utenfor de siste 12 månedene.", [ref])
    return _met(cid, f"{who} bekreftet {_fmt(att.on)} at {what}: «{att.note.strip()}»", [ref])


def _a4(f: YearFacts) -> CriterionResult:
    return _attested("A4", f.a4_attestation, f.as_of, "HMS-rådgiveren",
                     "bedriften arbeider kontinuerlig med psykososiale forbedringer")


# --- class A+ -------------------------------------------------------------------------------------

def _a_plus_1(f: YearFacts) -> CriterionResult:
    prev, wanted = f.previous_certificate, f.year - 1
    if prev is None:
        return _not_met("A+1", f"Bedriften hadde ikke HMS-sertifikat for {wanted}.")
    ref = Ref("certificate", prev.id, f"Sertifikat {prev.year}, klasse {prev.cert_class.value}")
    if prev.year != wanted:
        return _not_met("A+1", f"Forrige sertifikat gjelder {prev.year}; klasse A+ krever sertifikat for {wanted}.",
                        [ref])
    if prev.withdrawn:
        return _not_met("A+1", f"Sertifikatet for {prev.year} (klasse {prev.cert_class.value}) er trukket tilbake.",
                        [ref])
    if prev.cert_class not in (CertClass.A, CertClass.A_PLUS):
        return _not_met("A+1", f"Sertifikatet for {prev.year} var klasse {prev.cert_class.value}; klasse A+ krever "
                               "klasse A eller A+ året før.", [ref])
    return _met("A+1", f"Bedriften hadde sertifikat i klasse {prev.cert_class.value} for {prev.year}.", [ref])


def _a_plus_2(f: YearFacts) -> CriterionResult:
    return _attested("A+2", f.a_plus_2_attestation, f.as_of, "Den som utsteder sertifikatet",
                     "ledelsen har kontinuerlig fokus på HMS, ikke minst psykososiale forhold, utover det som er "
                     "vanlig i bransjen")


def _a_plus_3(f: YearFacts) -> CriterionResult:
    in_cycle = _in_cycle(f.psychosocial_mappings, "completed_on", f.as_of)
    last = in_cycle[-1] if in_cycle else None
    items = _items(f, "psychosocial")
    mapping_refs = [_ref_psy(last)] if last else []
    # The waiver spares the company from making a plan, not from following up one it has
    # (seed 001: "Forholdene i eventuell handlingsplanen er utbedret ..."), so overdue items always count.
    if any(not is_ok(i, f.as_of) for i in items):
        return _items_verdict("A+3", items, f.as_of, "psykososiale forhold", extra_refs=mapping_refs)
    if last is not None and last.no_significant_conditions:
        return _waived("A+3", f"Den psykososiale kartleggingen {_fmt(last.completed_on)} avdekket ingen avvik av "
                              "betydning, så egen handlingsplan kreves ikke.", [*mapping_refs, *map(_ref_item, items)])
    if last is None:
        # A year without a new mapping (allowed by the A1 waiver) inherits the previous conclusion.
        if f.previous_psychosocial_no_significant_conditions:
            return _waived("A+3", "Det er ikke gjort ny psykososial kartlegging i år, og forrige kartlegging avdekket "
                                  "ingen avvik av betydning, så egen handlingsplan kreves ikke.", map(_ref_item, items))
        return _not_met("A+3", "Det finnes ingen psykososial kartlegging datert de siste 12 månedene, så "
                               "handlingsplanen for psykososiale forhold kan ikke vurderes.")
    if not items:
        return _not_met("A+3", "Det er ikke laget en konkret handlingsplan etter den psykososiale kartleggingen "
                               f"{_fmt(last.completed_on)}.", mapping_refs)
    return _items_verdict("A+3", items, f.as_of, "psykososiale forhold", extra_refs=mapping_refs)


# --- verdict --------------------------------------------------------------------------------------

def decide_class(outcomes: Mapping[str, Outcome]) -> CertClass | None:
    """The highest class whose criteria all hold (waived counts as holding), from outcomes by id."""
    def hold(ids: Iterable[str]) -> bool:
        return all(outcomes[c] in HOLDING for c in ids)

    own_b = hold(B_CRITERIA)
    if own_b and hold(A_CRITERIA):
        return CertClass.A_PLUS if hold(A_PLUS_CRITERIA) else CertClass.A
    if own_b or outcomes[B_ALT] is Outcome.MET:
        return CertClass.B
    return None


def evaluate(facts: YearFacts) -> Verdict:
    """Evaluate every criterion for the facts' cycle and return the verdict; never raises on valid facts."""
    b = {r.id: r for r in (_b1(facts), _b2(facts), _b3(facts), _b4(facts), _b5(facts))}
    results = {
        **b,
        B_ALT: _b_alt(facts, b),
        "A1": _a1(facts), "A2": _a2(facts), "A3": _a3(facts), "A4": _a4(facts),
        "A+1": _a_plus_1(facts), "A+2": _a_plus_2(facts), "A+3": _a_plus_3(facts),
    }
    eligible = decide_class({cid: r.outcome for cid, r in results.items()})
    used_b_alt = eligible is CertClass.B and results[B_ALT].outcome is Outcome.MET
    if eligible is None:
        wanted = B_CRITERIA
    elif eligible is CertClass.B:
        # After B-alt the own B criteria are still owed for A (see the module docstring).
        wanted = (*B_CRITERIA, *A_CRITERIA) if used_b_alt else A_CRITERIA
    elif eligible is CertClass.A:
        wanted = A_PLUS_CRITERIA
    else:
        wanted = ()
    return Verdict(
        eligible=eligible,
        criteria=tuple(results[c] for c in CRITERIA_ORDER),
        missing_for_next=tuple(results[c] for c in CRITERIA_ORDER if c in wanted and not results[c].holds),
        next_class=_NEXT[eligible],
        ruleset_version=RULESET_VERSION,
        used_b_alternative=used_b_alt,
    )

