"""Bokmål wording for criteria, outcomes, states and proposals, for staff and for client contacts.

Staff read the criterion titles next to the rules' own reasons; client contacts read the plain
``CLIENT_STEPS`` (what to do) instead of the rule wording.
"""
from __future__ import annotations

CRITERION_TITLES = {
    "B1": "Fysisk kartlegging gjennomført siste 12 måneder",
    "B2": "Skriftlig rapport og handlingsplan for fysiske forhold",
    "B3": "Risikovurdering gjennomført siste 12 måneder",
    "B4": "Tiltak for fysiske forhold utført eller i aktiv utbedring",
    "B5": "Vernerunder ved arbeid utenfor egne lokaler",
    "B-alt": "Klasse B av andre grunner (skriftlig begrunnelse)",
    "A1": "Psykososial kartlegging med medarbeidersamtaler, rapport gjennomgått med ledelsen",
    "A2": "Sentrale krav i arbeidsmiljøloven dokumentert (når andre har kartlagt)",
    "A3": "Alle fysiske forhold i rapportene utbedret eller i aktiv utbedring",
    "A4": "Kontinuerlig psykososialt forbedringsarbeid (bekreftet av HMS-rådgiver)",
    "A+1": "Sertifikat i klasse A eller A+ forrige år",
    "A+2": "Ledelsens kontinuerlige HMS-fokus (bekreftet av den som beslutter)",
    "A+3": "Handlingsplan etter psykososial kartlegging fulgt opp",
}

# What a client contact can do about a missing criterion, in plain words.
CLIENT_STEPS = {
    "B1": "Den fysiske arbeidsplassen må kartlegges (med oss, eller av dere selv med dokumentasjon vi kontrollerer).",
    "B2": "Kartleggingen må ha en skriftlig rapport og en handlingsplan for det som ble funnet.",
    "B3": "Det må gjøres en risikovurdering av arbeidsplassen.",
    "B4": "Alle tiltak i handlingsplanen for fysiske forhold må være utført, eller påbegynt og innenfor fristen.",
    "B5": "Arbeid utenfor egne lokaler må følges opp med vernerunde eller annen dokumentert sikring.",
    "A1": "Det må gjennomføres medarbeidersamtaler om arbeidsmiljøet, og rapporten må gjennomgås med ledelsen.",
    "A2": "Arbeidsavtaler, kontroll av arbeidsutstyr, verneombud og internkontroll må dokumenteres.",
    "A3": "Alle forhold i kartleggingsrapporten må være rettet, eller påbegynt og innenfor fristen.",
    "A4": "HMS-rådgiveren må bekrefte at dere arbeider jevnlig med det psykososiale arbeidsmiljøet.",
    "A+1": "Klasse A+ krever at dere hadde sertifikat i klasse A eller A+ i fjor.",
    "A+2": "Den som beslutter sertifikatet, må bekrefte at ledelsen har et tydelig og varig HMS-fokus.",
    "A+3": "Tiltakene etter den psykososiale kartleggingen må være utført, eller påbegynt og innenfor fristen.",
}

OUTCOME_LABELS = {"met": "Oppfylt", "not_met": "Ikke oppfylt", "waived": "Gjelder ikke"}
OUTCOME_BADGES = {"met": "ok", "not_met": "bad", "waived": "warn"}

STATE_LABELS = {
    "active": "Gyldig",
    "suspended": "Suspendert",
    "withdrawn": "Trukket tilbake",
    "expired": "Utløpt",
    "superseded": "Erstattet",
}
STATE_BADGES = {"active": "ok", "suspended": "warn", "withdrawn": "bad", "expired": "bad", "superseded": ""}

PROPOSAL_STATUS_LABELS = {
    "pending": "Venter på beslutning",
    "approved": "Godkjent",
    "returned": "Sendt tilbake",
    "withdrawn": "Trukket",
}

ATTESTATION_LABELS = {
    "a4": "A4: bedriften arbeider kontinuerlig med psykososiale forbedringer",
    "a_plus_2": "A+2: ledelsen har kontinuerlig fokus på HMS utover det som er vanlig i bransjen",
}

STATE_ACTIONS = {
    "suspend": "Suspender",
    "withdraw": "Trekk tilbake",
    "reinstate": "Gjeninnsett",
}


def class_label(cert_class: str | None) -> str:
    return f"Klasse {cert_class}" if cert_class else "Ingen klasse"
