"""The audit log in words: an action code ("evidence.uploaded") is shown as its object and what happened to it
("Fil lastet opp"), an object type ("ActionItem") as a noun.  Bokmål here, translated where drawn; unknown
codes fall back to the code itself so nothing disappears."""
from __future__ import annotations

OBJECTS = {
    "action": "Tiltak", "attestation": "Bekreftelse", "billing": "Fakturering", "certificate": "Sertifikat",
    "certification": "Sertifisering", "checklist_template": "Sjekkliste", "company": "Kunde", "compliance": "Lovkrav",
    "contact": "Kontaktperson", "evidence": "Fil", "hazard": "Fare", "invoice": "Faktura",
    "physical_mapping": "Fysisk kartlegging", "psychosocial_mapping": "Psykososial kartlegging",
    "questionnaire": "Spørreskjema", "risk_assessment": "Risikovurdering", "risk_matrix": "Risikomatrise",
    "safety_round": "Vernerunde", "sub_unit": "Underavdeling", "subscription": "Abonnement", "survey": "Undersøkelse",
    "tenant": "Tilbyder", "token": "API-nøkkel", "user": "Bruker", "year": "Sertifiseringsår",
}
VERBS = {
    "archived": "arkivert", "assigned": "tildelt", "approved": "godkjent", "card_requested": "kort etterspurt",
    "changed": "endret", "closed": "lukket", "completed": "fullført", "created": "opprettet", "credited": "kreditert",
    "deleted": "slettet", "edited": "redigert", "enabled": "aktivert", "exported": "eksportert", "generated": "laget",
    "import_started": "import startet", "imported": "importert", "invited": "invitert", "issued": "utstedt",
    "linked_to_mapping": "koblet til kartlegging", "opened": "åpnet", "password_changed": "passord endret",
    "payment_received": "betaling mottatt", "plan_changed": "plan endret", "price_list_updated": "prisliste endret",
    "progress": "oppdatert", "reactivated": "åpnet igjen", "proposal_withdrawn": "forslag trukket", "proposed": "foreslått",
    "raw_answers_deleted": "rådata slettet", "reinstated": "gjeninnsatt", "reminded": "påminnelse sendt",
    "renamed": "omdøpt", "reopened": "åpnet igjen", "replaced": "erstattet", "report_requested": "rapport bestilt",
    "returned": "sendt tilbake", "revoked": "trukket tilbake", "settings_changed": "innstillinger endret",
    "started": "startet", "started_from_previous": "startet fra i fjor", "stripe_connected": "Stripe koblet til",
    "stripe_disconnected": "Stripe koblet fra", "suspended": "suspendert", "updated": "endret", "uploaded": "lastet opp",
    "verified": "verifisert", "versioned": "ny versjon", "withdrawn": "trukket tilbake", "yearly_run_started": "årlig gjennomgang startet",
    "a4": "A4 registrert", "a_plus_2": "A+2 registrert", "held": "venter på kontonummer",
}
# Model class names as the log stores them.
TYPES = {
    "ActionItem": "Tiltak", "Attestation": "Bekreftelse", "AuditEvent": "Logg", "BackgroundTask": "Jobb",
    "BillingSettings": "Fakturainnstillinger", "Certificate": "Sertifikat", "CertificationDecision": "Beslutning",
    "CertificationProposal": "Forslag", "ChecklistTemplate": "Sjekkliste", "ClientCompany": "Kunde",
    "ComplianceCheck": "Lovkrav", "ContactPerson": "Kontaktperson", "CertificationYear": "Sertifiseringsår",
    "Evidence": "Fil", "Hazard": "Fare", "Invoice": "Faktura", "PhysicalMapping": "Fysisk kartlegging",
    "PsychosocialMapping": "Psykososial kartlegging", "Questionnaire": "Spørreskjema", "RiskAssessment": "Risikovurdering",
    "RiskMatrixVersion": "Risikomatrise", "SafetyRound": "Vernerunde", "SubUnit": "Underavdeling", "Survey": "Undersøkelse",
    "User": "Bruker", "ApiToken": "API-nøkkel", "StripeConnection": "Stripe-tilkobling", "TenantSubscription": "Abonnement", "Tenant": "Tilbyder",
}


def action_parts(action: str) -> tuple[str, str]:
    """(object noun, verb) in bokmål for an action code; the code's own words when unknown."""
    obj, _, verb = action.partition(".")
    return OBJECTS.get(obj, obj), VERBS.get(verb, verb.replace("_", " "))


def type_label(object_type: str) -> str:
    return TYPES.get(object_type, object_type)
