"""A tie and a competence in the impartiality and competence register."""
from datetime import date

from saas.schemes.models import Competence, StaffTie


def populate(session, base):
    key = base["key"].upper()
    tie = StaffTie(user_id=base["consultant"].id, company_id=base["company"].id, kind="consulted",
                   from_on=date(2025, 1, 1), to_on=None, note=f"Binding {key} Hemmelig")
    competence = Competence(user_id=base["admin"].id, scheme_id=base["audit_scheme"].id, scope_id=None,
                            function="lead_auditor", valid_from=date(2025, 1, 1), note=f"Kompetanse {key} Hemmelig")
    session.add_all([tie, competence])
    session.flush()
    return dict(tie=tie, competence=competence)
