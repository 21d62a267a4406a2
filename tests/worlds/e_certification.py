"""A decided certification year: attestation, proposal, decision, certificate with its history and counter."""
from datetime import date

from saas.certification.models import (Attestation, Certificate, CertificateCounter, CertificateEvent,
                                       CertificationDecision, CertificationProposal)


def populate(session, base):
    key = base["key"].upper()
    year, consultant, reviewer = base["year"], base["consultant"], base["reviewer"]
    attestation = Attestation(year_id=year.id, kind="a4", note=f"Bekreftelse {key} Hemmelig", by_user_id=consultant.id,
                              on=date(2026, 5, 1))
    proposal = CertificationProposal(year_id=year.id, cert_class="A", eligible_class="A", ruleset_version="test",
                                     status="approved", proposed_by=consultant.id, justification=f"Forslag {key} Hemmelig")
    session.add_all([attestation, proposal])
    session.flush()
    decision = CertificationDecision(year_id=year.id, proposal_id=proposal.id, outcome="approved", cert_class="A",
                                     eligible_class="A", ruleset_version="test", facts_snapshot={"note": f"{key} Hemmelig"},
                                     facts_sha256="0" * 64, verdict_snapshot={}, reason=f"Beslutning {key} Hemmelig",
                                     decided_by=reviewer.id, decided_on=date(2026, 6, 1))
    session.add(decision)
    session.flush()
    certificate = Certificate(company_id=year.company_id, year_id=year.id, year=year.year, decision_id=decision.id,
                              number=f"{key}-2026-0001", sequence=1, cert_class="A", issued_on=date(2026, 6, 1),
                              valid_until=date(2027, 5, 31), state="active", state_changed_on=date(2026, 6, 1),
                              issued_by=reviewer.id)
    session.add_all([certificate, CertificateCounter(last_seq=1)])
    session.flush()
    event = CertificateEvent(certificate_id=certificate.id, from_state=None, to_state="active", on=date(2026, 6, 1),
                             reason=f"Utstedt {key} Hemmelig", by_user_id=reviewer.id)
    session.add(event)
    session.flush()
    return dict(attestation=attestation, proposal=proposal, decision=decision, certificate=certificate)
