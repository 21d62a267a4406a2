"""Catalog entries for bokmål text that is translated where it is shown, not where it is written.

* Labels that services put into page data (status, area, grade, criterion titles ...): templates translate
  them when they are drawn (``{{ _(item.status_label) }}``).  The services keep plain bokmål because jobs,
  PDFs and e-mails use it, so nothing marks the strings for extraction there.
* Constant validation messages of the feature schemas: ``saas.schemas.flatten_errors`` translates them.

``pybabel extract`` reads this file (babel.cfg: saas/**.py); nothing imports it at run time except the test
(tests/functional/test_i18n.py) that checks every such label and message is listed here and translated.
"""


def N_(message: str) -> str:  # marks a message for extraction; translation happens in the template
    return message


MESSAGES = (
    # saas.hms.services.actions.STATUS_LABELS
    N_("Åpen"),
    N_("Pågår"),
    N_("Utført"),
    # saas.hms.services.actions.AREA_LABELS
    N_("Fysisk"),
    N_("Psykososialt"),
    # saas.hms.services.years.STATUS_LABELS
    N_("Åpent"),
    N_("Besluttet"),
    N_("Avsluttet"),
    # saas.hms.services.years.METHOD_LABELS
    N_("Med tilbyderen"),
    N_("Av virksomheten selv"),
    N_("Av tredjepart"),
    # saas.hms.services.reports.GRADE_LABELS
    N_("Alvorlig avvik"),
    N_("Mindre alvorlig avvik"),
    N_("Observasjon"),
    # saas.hms.services.reports.ACTION_STATUS_LABELS: all listed above
    # saas.hms.services.compliance.STATUS_LABELS
    N_("Ikke kontrollert"),
    N_("Kontrollert"),
    N_("Ikke i orden"),
    # saas.hms.services.risks.ASSESSMENT_STATUS_LABELS
    N_("Utkast"),
    N_("Fullført"),
    # saas.hms.services.checklists.KINDS
    N_("Fysisk kartlegging"),
    N_("Vernerunde"),
    # saas.hms.services.evidence.TARGET_LABELS
    N_("Tiltak"),
    N_("Sjekklistepunkt"),
    N_("Psykososial kartlegging"),
    N_("Rapport fra fysisk kartlegging"),
    N_("Rapport fra psykososial kartlegging"),
    N_("Fare i risikovurdering"),
    N_("Risikovurdering"),
    N_("Dokumentasjon av lovkrav"),
    N_("Annen sikring av HMS utenfor egne lokaler"),
    # saas.hms.rules_facts.COMPLIANCE_LABELS
    N_("arbeidsavtaler med alle ansatte"),
    N_("arbeidsutstyr kontrollert og kontrollen dokumentert"),
    N_("verneombud valgt og opplært"),
    N_("arbeidsmiljøutvalg (AMU) valgt og opplært"),
    N_("oppdaterte forskrifter og veiledninger tilgjengelig"),
    N_("internkontrollsystem (HMS-system) i virksomheten"),
    # saas.hms.risk.COLOUR_NAMES_NB
    N_("grønn"),
    N_("gul"),
    N_("rød"),
    # saas.certification.labels.CRITERION_TITLES
    N_("Fysisk kartlegging gjennomført siste 12 måneder"),
    N_("Skriftlig rapport og handlingsplan for fysiske forhold"),
    N_("Risikovurdering gjennomført siste 12 måneder"),
    N_("Tiltak for fysiske forhold utført eller i aktiv utbedring"),
    N_("Vernerunder ved arbeid utenfor egne lokaler"),
    N_("Klasse B av andre grunner (skriftlig begrunnelse)"),
    N_("Psykososial kartlegging med medarbeidersamtaler, rapport gjennomgått med ledelsen"),
    N_("Sentrale krav i arbeidsmiljøloven dokumentert (når andre har kartlagt)"),
    N_("Alle fysiske forhold i rapportene utbedret eller i aktiv utbedring"),
    N_("Kontinuerlig psykososialt forbedringsarbeid (bekreftet av HMS-rådgiver)"),
    N_("Sertifikat i klasse A eller A+ forrige år"),
    N_("Ledelsens kontinuerlige HMS-fokus (bekreftet av den som beslutter)"),
    N_("Handlingsplan etter psykososial kartlegging fulgt opp"),
    # saas.certification.labels.CLIENT_STEPS
    N_("Den fysiske arbeidsplassen må kartlegges (med oss, eller av dere selv med dokumentasjon vi kontrollerer)."),
    N_("Kartleggingen må ha en skriftlig rapport og en handlingsplan for det som ble funnet."),
    N_("Det må gjøres en risikovurdering av arbeidsplassen."),
    N_("Alle tiltak i handlingsplanen for fysiske forhold må være utført, eller påbegynt og innenfor fristen."),
    N_("Arbeid utenfor egne lokaler må følges opp med vernerunde eller annen dokumentert sikring."),
    N_("Det må gjennomføres medarbeidersamtaler om arbeidsmiljøet, og rapporten må gjennomgås med ledelsen."),
    N_("Arbeidsavtaler, kontroll av arbeidsutstyr, verneombud og internkontroll må dokumenteres."),
    N_("Alle forhold i kartleggingsrapporten må være rettet, eller påbegynt og innenfor fristen."),
    N_("HMS-rådgiveren må bekrefte at dere arbeider jevnlig med det psykososiale arbeidsmiljøet."),
    N_("Klasse A+ krever at dere hadde sertifikat i klasse A eller A+ i fjor."),
    N_("Den som beslutter sertifikatet, må bekrefte at ledelsen har et tydelig og varig HMS-fokus."),
    N_("Tiltakene etter den psykososiale kartleggingen må være utført, eller påbegynt og innenfor fristen."),
    # saas.certification.labels.OUTCOME_LABELS
    N_("Oppfylt"),
    N_("Ikke oppfylt"),
    N_("Gjelder ikke"),
    # saas.certification.labels.STATE_LABELS
    N_("Gyldig"),
    N_("Suspendert"),
    N_("Trukket tilbake"),
    N_("Utløpt"),
    N_("Erstattet"),
    # saas.certification.labels.PROPOSAL_STATUS_LABELS
    N_("Venter på beslutning"),
    N_("Godkjent"),
    N_("Sendt tilbake"),
    N_("Trukket"),
    # saas.certification.labels.ATTESTATION_LABELS
    N_("A4: bedriften arbeider kontinuerlig med psykososiale forbedringer"),
    N_("A+2: ledelsen har kontinuerlig fokus på HMS utover det som er vanlig i bransjen"),
    # saas.certification.labels.STATE_ACTIONS
    N_("Suspender"),
    N_("Trekk tilbake"),
    N_("Gjeninnsett"),
    # saas.surveys.services.surveys.STATUS_LABELS
    N_("Publisert"),
    # saas.surveys.services.results.COLOUR_LABELS
    N_("God"),
    N_("Middels"),
    N_("Svak"),
    # saas.surveys.services.results.DIRECTION_LABELS
    N_("høy score er bra"),
    N_("høy score er belastende"),
    # saas.hms.checklist_defaults.COMPLIANCE_CHECKS: title_nb, help_nb and legal_ref (their title_en is the translation)
    N_("Skriftlige arbeidsavtaler med alle ansatte"),
    N_("Alle ansatte skal ha skriftlig arbeidsavtale, også deltidsansatte og midlertidig ansatte. "
       "Kontroller at avtalene finnes og er oppdatert."),
    N_("Arbeidsmiljøloven § 14-5"),
    N_("Arbeidsutstyr er kontrollert, og kontrollen er dokumentert"),
    N_("Arbeidsutstyr skal vedlikeholdes og kontrolleres. Truck, kran og løfteutstyr skal ha sakkyndig "
       "kontroll minst hver 12. måned, med kontrollbevis."),
    N_("Forskrift om utførelse av arbeid"),
    N_("Verneombud er valgt og har opplæring"),
    N_("Virksomheter med 5 eller flere ansatte skal ha verneombud med 40 timers opplæring. Under 5 ansatte "
       "oppfyller en skriftlig avtale om en annen ordning kravet."),
    N_("Arbeidsmiljøloven §§ 6-1 og 6-5"),
    N_("Arbeidsmiljøutvalg (AMU) er etablert, og medlemmene har opplæring"),
    N_("AMU kreves fra 30 ansatte. Fra 10 ansatte kreves det når arbeidsgiveren eller de ansatte ber om det."),
    N_("Arbeidsmiljøloven § 7-1"),
    N_("Oppdaterte lover, forskrifter og veiledere er tilgjengelige"),
    N_("Lover og forskrifter som gjelder virksomheten, skal være tilgjengelige for de ansatte, for eksempel "
       "som lenker til Lovdata og Arbeidstilsynet, og virksomheten skal kjenne de viktigste kravene."),
    N_("Internkontrollforskriften § 5 nr. 1"),
    N_("Virksomheten har et system for internkontroll (HMS-system)"),
    N_("Det skal finnes et HMS-system med mål, organisering, risikovurderinger, handlingsplaner, "
       "avviksbehandling og årlig gjennomgang, skriftlig der forskriften krever det."),
    N_("Internkontrollforskriften § 5"),
    # Constant validation messages of the feature schemas (error=..., ValidationError(...)) and of saas.norway
    # (MSG_*): they reach saas.schemas.flatten_errors as plain str, which translates them
    N_("Mellom 0 og 90 dager."),
    N_("Ugyldig størrelsesgruppe."),
    N_("Ugyldig pris."),
    N_("Mellom 1 og 50 linjer."),
    N_("Konto-ID-en begynner med acct_."),
    N_("Nøkkelen begynner med rk_live_, rk_test_, sk_live_ eller sk_test_."),
    N_("Nøkkelen begynner med pk_live_ eller pk_test_."),
    N_("Signeringshemmeligheten begynner med whsec_."),
    N_("Velg mellom 1 og 730 dager."),
    N_("Velg minst én bedrift."),
    N_("Postnummer har 4 siffer."),
    N_("Næringskode skrives som 43.221."),
    N_("Må være mellom 0 og 1 000 000."),
    N_("Velg et år mellom 2000 og 2100."),
    N_("Verdien er utenfor gyldig område."),
    N_("Må være mellom 0 og 100 000."),
    N_("Ugyldig valg."),
    N_("Minst 5 (kan heves, aldri senkes)."),
    N_("Bruk 2–39 små bokstaver, tall og bindestrek."),
    N_("1–8 store bokstaver eller tall."),
    N_("Mellom 0 og 3650 dager."),
    N_("Mellom 1 og 365 dager."),
    N_("Ugyldig rolle."),
    N_("Organisasjonsnummeret må ha 9 siffer."),
    N_("Organisasjonsnummeret har feil kontrollsiffer."),
    N_("KID-grunnlaget kan bare inneholde siffer."),
    N_("Ugyldig beløp. Skriv for eksempel 1 250,50."),
    N_("Ugyldig beløp."),
    N_("Ugyldig antall."),
    N_("Perioden kan ikke slutte før den begynner."),
    N_("Velg klassen som foreslås."),
    N_("Bruk hele dager fra 1 til 365, skilt med komma (f.eks. 30, 7, 1)."),
    N_("Skriv hvem som utførte kartleggingen."),
    N_("Velg intervjuer, spørreundersøkelse eller begge."),
    N_("Kan ikke være før første samtale."),
    N_("Må være tekst."),
    N_("Velg minst én rolle."),
    # saas.certification.labels.class_label() and saas.certification.services.facts (an unused B-alt)
    N_("Klasse B"), N_("Klasse A"), N_("Klasse A+"), N_("Ingen klasse"), N_("Ikke brukt"),
    # saas.billing.schemas: amounts and quantities within the integer columns
    N_("Fakturabeløpet er for stort (høyst 21 474 836,47 kr)."),
    N_("Antallet er for stort (høyst 1 000 000)."),
    N_("Antallet er for stort."),
)
