"""Bokmål labels for the codes person certification uses (translated when drawn)."""
from flask_babel import lazy_gettext as _l

STATES = {
    "valid": _l("Gyldig"), "test_due": _l("Periodisk prøve snart"), "absent": _l("Fravær over 4 mnd."),
    "expired": _l("Utløpt"), "not_used": _l("Ikke brukt siste 12 mnd."),
    "repetition": _l("Utløpt over 2 mnd."), "new_type_training": _l("Utløpt over 6 mnd."),
    "suspended": _l("Suspendert"), "revoked": _l("Tilbakekalt"), "in_training": _l("Under opplæring"),
}
STEPS = {
    "none": _l("Ingen tiltak"), "periodic_test": _l("Periodisk prøve"), "repeat_test": _l("Repeterende prøve"),
    "periodic_training_and_test": _l("Periodisk opplæring og prøve"),
    "repetition_training_and_test": _l("Repeterende opplæring, så prøve"),
    "new_type_training": _l("Ny typeopplæring"), "individual_training_plan": _l("Individuell opplæringsplan"),
    "await_decision": _l("Avvent vedtak"), "complete_training": _l("Fullfør opplæringen"),
}
ACTIVITIES = {
    "internal_training": _l("Internopplæring"), "type_training": _l("Typeopplæring"),
    "infrastructure": _l("Infrastrukturkompetanse"), "driving_practice": _l("Kjøretrening"),
    "practical_test": _l("Praktisk prøve"), "locomotive_approval": _l("Godkjenning på lokomotiv"),
    "repetition": _l("Repeterende opplæring"), "periodic_training": _l("Periodisk opplæring"),
}
CATEGORIES = {
    "new_candidate": _l("Ny kandidat"), "uncertified_over_12_months": _l("Uten sertifisering over 12 måneder"),
    "previously_certified_driver": _l("Tidligere sertifisert lokomotivfører"),
    "previously_certified_tractor_driver": _l("Tidligere sertifisert traktorfører"),
    "documented_experience": _l("Dokumentert erfaring"),
}
TRIGGERS = {
    "licence_revoked": _l("Førerbevis tilbakekalt av myndigheten"),
    "requirements_not_met": _l("Kravene er ikke lenger oppfylt"), "left_employer": _l("Sluttet i virksomheten"),
    "incident": _l("Uønsket hendelse, avvik eller regelbrudd"),
}
OUTCOMES = {"warning": _l("Advarsel"), "temporary": _l("Midlertidig tilbakekall"),
            "permanent": _l("Permanent tilbakekall")}
RESULTS = {"upheld": _l("Vedtaket opprettholdes"), "changed": _l("Vedtaket endres"),
           "overturned": _l("Tilbakekallet oppheves")}
CASE_STATES = {"open": _l("Åpen"), "heard": _l("Møte holdt"), "decided": _l("Vedtak fattet"),
               "appealed": _l("Påklaget"), "closed": _l("Avsluttet")}
TESTS = {"theory": _l("Teoretisk prøve"), "practical": _l("Praktisk prøve"), "periodic": _l("Periodisk prøve")}
ENROLMENT_STATES = {"training": _l("Under opplæring"), "approved": _l("Godkjent"), "refused": _l("Ikke godkjent"),
                    "withdrawn": _l("Trukket")}
CLOCKS = {"appeal": _l("Klagefrist"), "committee": _l("Klageutvalgets frist")}
CARD_STATES = {"active": _l("Gyldig kort"), "superseded": _l("Erstattet"), "withdrawn": _l("Trukket tilbake")}
WITHDRAWAL_REASONS = {"lost": _l("Mistet eller stjålet"), "damaged": _l("Skadet"), "error": _l("Utstedt ved en feil"),
                      "changed": _l("Endrede opplysninger"), "other": _l("Annet")}
SUBMISSION_STATES = {"draft": _l("Utkast"), "submitted": _l("Sendt"), "received": _l("Mottatt"),
                     "accepted": _l("Godkjent"), "rejected": _l("Avvist"), "pending": _l("Til kontroll")}
NEEDS = {"required": _l("Kreves"), "unless_documented": _l("Kreves hvis ikke dokumentert"),
         "not_required": _l("Kreves ikke")}
MODES = {"training_company": _l("Opplæringsvirksomhet som melder til et eksternt register"),
         "register_keeper": _l("Uavhengig registerfører som kontrollerer grunnlaget og utsteder")}


def all_labels() -> dict:
    return dict(states=STATES, steps=STEPS, activities=ACTIVITIES, categories=CATEGORIES, triggers=TRIGGERS,
                outcomes=OUTCOMES, results=RESULTS, case_states=CASE_STATES, tests=TESTS,
                enrolment_states=ENROLMENT_STATES, clocks=CLOCKS, card_states=CARD_STATES, modes=MODES,
                withdrawal_reasons=WITHDRAWAL_REASONS, submission_states=SUBMISSION_STATES, needs=NEEDS)
