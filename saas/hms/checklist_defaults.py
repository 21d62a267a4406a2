"""The checklists and lists the product ships, as plain data that seeds database rows.

Standard library only. Everything is dicts, tuples, strings, ints, bools and None, so it is
JSON-safe (``json.dumps`` writes tuples as lists) and can be copied into a tenant's editable,
versioned rows. Treat these constants as read-only: seeding code copies, tenants edit the copies.

The texts are the product's own words in bokmål, with English alongside for the English UI.
Thresholds in the guidance follow DOMAIN.md ("Defaults the product ships", checked 2026).
"""

from __future__ import annotations

from typing import Any

from saas.norway import amu_required

CHECKLIST_FORMAT = 1

# How each checklist item is answered (DOMAIN.md): a finding then gets a grade, a risk score and
# an action-plan item.
ANSWER_OPTIONS = (
    {"key": "ok", "title_nb": "OK", "title_en": "OK"},
    {"key": "finding", "title_nb": "Avvik", "title_en": "Finding"},
    {"key": "not_relevant", "title_nb": "Ikke relevant", "title_en": "Not relevant"},
)
MEASUREMENT_UNITS = ("lx", "°C", "ppm", "dB")


def _item(
    key: str, text_nb: str, text_en: str, guidance_nb: str | None = None, unit: str | None = None
) -> dict[str, Any]:
    # Every item carries every field, None where absent, so seeding maps it onto one row shape.
    return {"key": key, "text_nb": text_nb, "text_en": text_en, "guidance_nb": guidance_nb, "unit": unit}


def _section(
    key: str, title_nb: str, title_en: str, *items: dict[str, Any], phase: str | None = None
) -> dict[str, Any]:
    section: dict[str, Any] = {"key": key, "title_nb": title_nb, "title_en": title_en, "items": items}
    if phase is not None:
        section["phase"] = phase
    return section


# --- (a) Fysisk kartlegging av arbeidsplassen --------------------------------------------------

PHYSICAL_MAPPING_CHECKLIST: dict[str, Any] = {
    "key": "physical_mapping",
    "format": CHECKLIST_FORMAT,
    "title_nb": "Fysisk kartlegging av arbeidsplassen",
    "title_en": "Physical mapping of the workplace",
    "answer_options": ANSWER_OPTIONS,
    "sections": (
        _section(
            "A", "Lokaler, orden og adkomst", "Premises, order and access",
            _item("A1", "Gulv, trapper og gangveier er jevne, sklisikre og fri for hindringer.",
                  "Floors, stairs and walkways are even, non-slip and free of obstacles."),
            _item("A2", "Det er ryddig og rent, og materialer og avfall er lagret slik at de ikke skaper fare.",
                  "The workplace is tidy and clean, and materials and waste are stored so they create no hazard."),
            _item("A3", "Adkomst, trafikkveier og lasteområder er trygge og merket, også om vinteren, og det er "
                        "rekkverk eller annen fallsikring der noen kan falle.",
                  "Access, traffic routes and loading areas are safe and marked, also in winter, with railings or "
                  "other fall protection wherever someone could fall.",
                  "Se særlig på skille mellom gående og kjøretøy, strøing og snørydding, og åpne kanter."),
        ),
        _section(
            "B", "Belysning", "Lighting",
            _item("B1", "Allmennbelysning og dagslys er tilstrekkelig, uten blending, refleksjoner eller flimmer.",
                  "General lighting and daylight are sufficient, without glare, reflections or flicker."),
            _item("B2", "Belysningen ved arbeidsflaten er god nok for oppgavene som utføres der.",
                  "Lighting at the work surface is adequate for the tasks done there.",
                  "≥ 500 lx ved arbeidsflaten på kontorarbeidsplasser (NS-EN 12464-1). Mål med luksmeter ved tvil.",
                  "lx"),
            _item("B3", "Nødlys og ledelys virker, viser vei til utgangene og er kontrollert.",
                  "Emergency and exit-route lighting works, shows the way to the exits and has been inspected.",
                  "Ledelyset skal lyse også ved strømbrudd; se etter dato for siste kontroll."),
        ),
        _section(
            "C", "Inneklima og ventilasjon", "Indoor climate and ventilation",
            _item("C1", "Temperaturen er tilpasset arbeidet som utføres.",
                  "The temperature suits the work being done.",
                  "Lett arbeid: 19–26 °C, og under 22 °C i fyringssesongen.", "°C"),
            _item("C2", "Luftkvaliteten er god, også når rommene er fullt i bruk.",
                  "Air quality is good, also when rooms are fully occupied.",
                  "CO₂ ≤ 1000 ppm. Mål gjerne mot slutten av arbeidsdagen eller et møte.", "ppm"),
            _item("C3", "Ventilasjonsanlegget er tilpasset bruken av lokalene, gir ikke trekk og er rengjort "
                        "og vedlikeholdt.",
                  "The ventilation system suits how the premises are used, causes no draught and is cleaned "
                  "and serviced.",
                  "Be om serviceavtale eller vedlikeholdslogg med dato for siste service og filterbytte."),
            _item("C4", "Det er ingen tegn til fukt, muggsopp eller vannskader.",
                  "There are no signs of damp, mould or water damage.",
                  "Se etter misfarging, muggsopplukt og skader i tak, vegger, gulv og rundt vinduer."),
        ),
        _section(
            "D", "Støy og vibrasjoner", "Noise and vibration",
            _item("D1", "Støyen er vurdert, og målt der den kan ligge over tiltaksverdien for arbeidet.",
                  "Noise has been assessed, and measured where it may exceed the action value for the work.",
                  "Tiltaksverdier: arbeidsgruppe I 55 dB, arbeidsgruppe II 70 dB, arbeidsgruppe III 80 dB LEX,8h.",
                  "dB"),
            _item("D2", "Støy over øvre tiltaksverdi er redusert ved kilden, og hørselvern er tilgjengelig og "
                        "brukes der det trengs.",
                  "Noise above the upper action value is reduced at the source, and hearing protection is "
                  "available and used where needed.",
                  "Øvre tiltaksverdi: 85 dB LEX,8h og 130 dB(C) toppverdi. Hørselvern stilles til rådighet fra "
                  "80 dB LEX,8h og skal brukes fra 85 dB LEX,8h.",
                  "dB"),
            _item("D3", "Vibrasjoner fra håndverktøy, maskiner og kjøretøy er vurdert, og eksponeringstiden "
                        "begrenses.",
                  "Vibration from hand tools, machines and vehicles has been assessed, and exposure time is "
                  "limited."),
        ),
        _section(
            "E", "Ergonomi", "Ergonomics",
            _item("E1", "Arbeidsbord og stoler kan stilles inn og er tilpasset den enkelte.",
                  "Work desks and chairs are adjustable and fitted to each person."),
            _item("E2", "Skjerm, tastatur og mus er riktig plassert, og ansatte med skjermarbeid får tilbud om "
                        "synsundersøkelse.",
                  "Screen, keyboard and mouse are placed correctly, and employees doing screen work are "
                  "offered an eye test.",
                  "Arbeidsgiver dekker spesialbriller når synsundersøkelsen viser behov for det."),
            _item("E3", "Tunge og vanskelige løft unngås eller gjøres med hjelpemidler, og ansatte har fått "
                        "opplæring i løfteteknikk.",
                  "Heavy and awkward lifts are avoided or done with lifting aids, and employees are trained in "
                  "lifting technique.",
                  "Vurder vekt, hvor ofte det løftes, avstand fra kroppen og arbeidsstilling."),
            _item("E4", "Ensidig gjentakende arbeid og belastende arbeidsstillinger er vurdert, og det legges "
                        "til rette for variasjon og pauser.",
                  "Repetitive work and straining postures have been assessed, and variation and breaks are "
                  "arranged for."),
        ),
        _section(
            "F", "Kjemikalier", "Chemicals",
            _item("F1", "Stoffkartoteket er oppdatert, har sikkerhetsdatablad på norsk for hvert farlig "
                        "kjemikalie og er på plass før kjemikaliet tas i bruk.",
                  "The chemical register is up to date, holds a Norwegian safety data sheet for every hazardous "
                  "chemical and is in place before the chemical is used.",
                  "Stoffkartoteket skal være tilgjengelig for de ansatte og verneombudet."),
            _item("F2", "Kjemikaliene er riktig merket og oppbevart: i originalemballasje, ventilert, "
                        "adskilt fra stoffer de kan reagere med, og låst der det trengs.",
                  "Chemicals are correctly labelled and stored: in original containers, ventilated, kept apart "
                  "from substances they can react with, and locked where needed."),
            _item("F3", "Eksponeringen er vurdert, farlige stoffer byttes ut der det er mulig, og riktig "
                        "verneutstyr brukes.",
                  "Exposure has been assessed, hazardous substances are replaced where possible, and the right "
                  "protective equipment is used.",
                  "Bytt til et mindre farlig stoff eller en annen metode før du velger verneutstyr."),
        ),
        _section(
            "G", "Maskiner og arbeidsutstyr", "Machines and work equipment",
            _item("G1", "Maskiner har vern på bevegelige deler og en nødstopp som virker og er lett å nå.",
                  "Machines have guards on moving parts and a working, easily reached emergency stop."),
            _item("G2", "Maskiner og arbeidsutstyr er CE-merket og har bruksanvisning på norsk.",
                  "Machines and work equipment are CE marked and have a manual in Norwegian."),
            _item("G3", "Truck, kran og løfteutstyr har dokumentert sakkyndig kontroll fra de siste 12 månedene.",
                  "Trucks, cranes and lifting gear have a documented expert inspection (sakkyndig kontroll) "
                  "from the last 12 months.",
                  "Se kontrollbevis eller kontrollmerke med dato. Kontrollen gjøres minst hver 12. måned."),
            _item("G4", "De som bruker arbeidsutstyr som krever det, har dokumentert opplæring.",
                  "People using work equipment that requires it have documented training.",
                  "Gjelder for eksempel truck, kran, løfteredskap og anleggsmaskiner."),
            _item("G5", "Elektrisk utstyr, ledninger og skjøteledninger er uten synlige skader, og "
                        "sikringsskap er merket og lett tilgjengelige.",
                  "Electrical equipment, cables and extension leads show no visible damage, and fuse boxes are "
                  "labelled and easy to reach."),
        ),
        _section(
            "H", "Brann og beredskap", "Fire and emergency",
            _item("H1", "Rømningsveier og nødutganger er merket, fri for hindringer og kan åpnes uten nøkkel.",
                  "Escape routes and emergency exits are marked, unobstructed and can be opened without a key."),
            _item("H2", "Håndslukkere og brannslanger er lett tilgjengelige, merket og kontrollert.",
                  "Fire extinguishers and hose reels are easy to reach, marked and inspected.",
                  "Se etter dato for siste kontroll på utstyret."),
            _item("H3", "Brannalarm og røykvarslere virker og blir testet.",
                  "Fire alarms and smoke detectors work and are tested."),
            _item("H4", "Branndører lukker seg selv og holdes ikke åpne med kiler eller lignende.",
                  "Fire doors close by themselves and are not wedged or propped open.",
                  "Dører som skal stå åpne, trenger en godkjent dørholder som slipper ved brannalarm."),
            _item("H5", "Det er holdt brannøvelse de siste 12 månedene, og de ansatte kjenner beredskapsplanen.",
                  "A fire drill has been held in the last 12 months, and employees know the emergency plan.",
                  "Dokumenter dato og deltakere for øvelsen."),
        ),
        _section(
            "I", "Førstehjelp og personlig verneutstyr", "First aid and personal protective equipment",
            _item("I1", "Førstehjelpsutstyr er lett tilgjengelig, merket og komplett, og det finnes "
                        "øyeskylling der det kan sprute.",
                  "First-aid equipment is easy to reach, marked and complete, with eyewash wherever splashes "
                  "can occur."),
            _item("I2", "Noen på hvert skift har oppdatert førstehjelpsopplæring, og nødnumrene er godt synlige.",
                  "Someone on every shift has current first-aid training, and emergency numbers are clearly "
                  "displayed."),
            _item("I3", "Nødvendig personlig verneutstyr finnes, passer den som bruker det, er vedlikeholdt og "
                        "blir brukt.",
                  "Necessary personal protective equipment is available, fits its user, is maintained and is used.",
                  "De ansatte skal ha fått opplæring i riktig bruk av verneutstyret."),
        ),
        _section(
            "J", "Velferd og organisering", "Welfare and organisation",
            _item("J1", "Garderober, toaletter, vaskemuligheter og spise- eller pauserom er tilstrekkelige og "
                        "holdes rene.",
                  "Wardrobes, toilets, washing facilities and eating or rest rooms are adequate and kept clean."),
            _item("J2", "Verneombud er valgt og har fullført 40 timers opplæring.",
                  "A safety representative is elected and has completed 40 hours of training.",
                  "Kreves fra 5 ansatte. Under 5 ansatte kan virksomheten avtale skriftlig en annen ordning."),
            _item("J3", "De ansatte kjenner avviksrutinen og vet hvordan de melder avvik og nestenulykker.",
                  "Employees know the deviation routine and how to report deviations and near misses."),
            _item("J4", "HMS-dokumentasjonen (mål, risikovurderinger, handlingsplan og rutiner) er oppdatert "
                        "og tilgjengelig for de ansatte.",
                  "The HMS documentation (goals, risk assessments, action plan and routines) is up to date and "
                  "available to employees."),
        ),
    ),
}


# --- (b) Vernerunde --------------------------------------------------------------------------
# No law fixes how often; yearly is normal. The three phases mirror DOMAIN.md's description of a
# round. Findings from the walk-through feed the action plan like mapping findings do.

SAFETY_ROUND_CHECKLIST: dict[str, Any] = {
    "key": "safety_round",
    "format": CHECKLIST_FORMAT,
    "title_nb": "Vernerunde",
    "title_en": "Safety inspection round",
    "answer_options": ANSWER_OPTIONS,
    "sections": (
        _section(
            "A", "Formøte", "Pre-meeting",
            _item("A1", "Status for tiltakene fra forrige vernerunde er gått gjennom: utført, pågår eller forfalt.",
                  "The status of the actions from the last round is reviewed: done, in progress or overdue.",
                  "Tiltak som har forfalt, får ny frist og ansvarlig i handlingsplanen."),
            _item("A2", "Leder og verneombud deltar, og ansatte fra området er invitert.",
                  "The manager and the safety representative take part, and employees from the area are invited."),
            _item("A3", "Område, tema og avvik, skader eller nestenulykker siden forrige runde er avklart.",
                  "The area, the themes and any deviations, injuries or near misses since the last round are "
                  "agreed."),
            phase="pre_meeting",
        ),
        _section(
            "B", "Befaring", "Walk-through",
            _item("B1", "Orden, renhold, adkomst og fallsikring.",
                  "Order, cleaning, access and fall protection."),
            _item("B2", "Maskiner og arbeidsutstyr: vern, nødstopp og kontroll.",
                  "Machines and work equipment: guards, emergency stops and inspections."),
            _item("B3", "Kjemikalier: merking, oppbevaring og stoffkartotek.",
                  "Chemicals: labelling, storage and the chemical register."),
            _item("B4", "Personlig verneutstyr finnes og brukes.",
                  "Personal protective equipment is available and used."),
            _item("B5", "Rømningsveier, brannslukkingsutstyr og førstehjelpsutstyr.",
                  "Escape routes, fire-fighting equipment and first-aid equipment."),
            _item("B6", "Belysning, støy, inneklima og ergonomi.",
                  "Lighting, noise, indoor climate and ergonomics."),
            _item("B7", "Arbeid utenfor egne lokaler: sikring av arbeidsstedet, rigg, arbeid i høyden og kjøretøy.",
                  "Work outside own premises: securing the work site, site facilities, work at height and "
                  "vehicles.",
                  "Besøk et pågående oppdrag når mye av arbeidet skjer hos kunder eller på byggeplass."),
            _item("B8", "De ansatte har fått si fra om forhold i arbeidsmiljøet de er bekymret for.",
                  "Employees have had the chance to raise concerns about their work environment."),
            phase="walk_through",
        ),
        _section(
            "C", "Avslutningsmøte", "Closing meeting",
            _item("C1", "Funnene er gått gjennom og gradert, og hvert avvik har et tiltak med ansvarlig og "
                        "frist i handlingsplanen.",
                  "Findings are reviewed and graded, and every deviation has an action with an owner and a "
                  "deadline in the action plan."),
            _item("C2", "Referat fra vernerunden er skrevet og sendt til deltakerne.",
                  "Minutes of the round are written and sent to the participants."),
            _item("C3", "Dato for neste vernerunde er satt.",
                  "The date of the next round is set."),
            phase="closing_meeting",
        ),
    ),
}


# --- (c) Compliance checks for class A, criterion A2 ------------------------------------------

COMPLIANCE_CHECKS: tuple[dict[str, Any], ...] = (
    {
        "key": "employment_contracts",
        "title_nb": "Skriftlige arbeidsavtaler med alle ansatte",
        "title_en": "Written employment contracts with all employees",
        "help_nb": "Alle ansatte skal ha skriftlig arbeidsavtale, også deltidsansatte og midlertidig ansatte. "
                   "Kontroller at avtalene finnes og er oppdatert.",
        "legal_ref": "Arbeidsmiljøloven § 14-5",
    },
    {
        "key": "equipment_inspection",
        "title_nb": "Arbeidsutstyr er kontrollert, og kontrollen er dokumentert",
        "title_en": "Work equipment inspected, with the inspection documented",
        "help_nb": "Arbeidsutstyr skal vedlikeholdes og kontrolleres. Truck, kran og løfteutstyr skal ha "
                   "sakkyndig kontroll minst hver 12. måned, med kontrollbevis.",
        "legal_ref": "Forskrift om utførelse av arbeid",
    },
    {
        "key": "safety_representative",
        "title_nb": "Verneombud er valgt og har opplæring",
        "title_en": "Safety representative elected and trained",
        "help_nb": "Virksomheter med 5 eller flere ansatte skal ha verneombud med 40 timers opplæring. "
                   "Under 5 ansatte oppfyller en skriftlig avtale om en annen ordning kravet.",
        "legal_ref": "Arbeidsmiljøloven §§ 6-1 og 6-5",
    },
    {
        "key": "amu",
        "title_nb": "Arbeidsmiljøutvalg (AMU) er etablert, og medlemmene har opplæring",
        "title_en": "Working environment committee (AMU) established, members trained",
        "help_nb": "AMU kreves fra 30 ansatte. Fra 10 ansatte kreves det når arbeidsgiveren eller de ansatte "
                   "ber om det.",
        "legal_ref": "Arbeidsmiljøloven § 7-1",
    },
    {
        "key": "regulations_available",
        "title_nb": "Oppdaterte lover, forskrifter og veiledere er tilgjengelige",
        "title_en": "Updated laws, regulations and guidance available",
        "help_nb": "Lover og forskrifter som gjelder virksomheten, skal være tilgjengelige for de ansatte, for "
                   "eksempel som lenker til Lovdata og Arbeidstilsynet, og virksomheten skal kjenne de "
                   "viktigste kravene.",
        "legal_ref": "Internkontrollforskriften § 5 nr. 1",
    },
    {
        "key": "internal_control_system",
        "title_nb": "Virksomheten har et system for internkontroll (HMS-system)",
        "title_en": "An internal control (HMS) system exists",
        "help_nb": "Det skal finnes et HMS-system med mål, organisering, risikovurderinger, handlingsplaner, "
                   "avviksbehandling og årlig gjennomgang, skriftlig der forskriften krever det.",
        "legal_ref": "Internkontrollforskriften § 5",
    },
)


def required_compliance_keys(employee_count: int | None, *, amu_requested: bool = False) -> tuple[str, ...]:
    """The A2 check keys that apply to a company of this size, in COMPLIANCE_CHECKS order.

    "amu" applies from 30 employees, or from 10 when ``amu_requested`` (either side asked).
    "safety_representative" always applies: below 5 employees the written agreement on another
    arrangement is the evidence. An unknown headcount (None, e.g. withheld by Enhetsregisteret)
    lists everything, so evidence is asked for rather than silently skipped.
    """
    if employee_count is None:
        include_amu = True
    else:
        requirement = amu_required(employee_count)
        include_amu = requirement == "required" or (requirement == "on_request" and amu_requested)
    return tuple(check["key"] for check in COMPLIANCE_CHECKS if check["key"] != "amu" or include_amu)


# --- (d) Internkontrollforskriften § 5: the 8 activities and the modules that document them ----

PRODUCT_MODULES: dict[str, dict[str, str]] = {
    "physical_mapping": {"title_nb": "Fysisk kartlegging", "title_en": "Physical mapping"},
    "psychosocial_mapping": {"title_nb": "Psykososial kartlegging", "title_en": "Psychosocial mapping"},
    "surveys": {"title_nb": "Psykososiale undersøkelser", "title_en": "Psychosocial surveys"},
    "risk_assessments": {"title_nb": "Risikovurderinger", "title_en": "Risk assessments"},
    "action_plans": {"title_nb": "Handlingsplaner", "title_en": "Action plans"},
    "findings": {"title_nb": "Funn og avvik", "title_en": "Findings and nonconformities"},
    "safety_rounds": {"title_nb": "Vernerunder", "title_en": "Safety inspection rounds"},
    "compliance_checks": {"title_nb": "Lovkrav", "title_en": "Compliance checks"},
    "documents": {"title_nb": "Dokumenter", "title_en": "Documents"},
    "yearly_report": {"title_nb": "Årsrapport", "title_en": "Yearly report"},
}

# The regulation requires written documentation for points 4–8 ("written_required").
INTERNAL_CONTROL_ACTIVITIES: tuple[dict[str, Any], ...] = (
    {
        "number": 1, "key": "regulations",
        "title_nb": "Lover og forskrifter som gjelder virksomheten, er tilgjengelige, og de viktigste kravene "
                    "er kjent",
        "title_en": "Applicable laws and regulations are available and the key requirements known",
        "written_required": False, "modules": ("compliance_checks", "documents"),
    },
    {
        "number": 2, "key": "competence",
        "title_nb": "Arbeidstakerne har tilstrekkelig kunnskap og ferdigheter i HMS-arbeidet",
        "title_en": "Employees have sufficient knowledge and skills in HMS work",
        "written_required": False, "modules": ("compliance_checks", "documents"),
    },
    {
        "number": 3, "key": "participation",
        "title_nb": "Arbeidstakerne medvirker, slik at kunnskap og erfaring blir brukt",
        "title_en": "Employees take part, so their knowledge and experience are used",
        "written_required": False, "modules": ("safety_rounds", "surveys", "psychosocial_mapping"),
    },
    {
        "number": 4, "key": "goals",
        "title_nb": "Mål for helse, miljø og sikkerhet er fastsatt",
        "title_en": "Goals for health, environment and safety are set",
        "written_required": True, "modules": ("documents", "yearly_report"),
    },
    {
        "number": 5, "key": "organisation",
        "title_nb": "Oversikt over organiseringen og hvordan ansvar, oppgaver og myndighet i HMS-arbeidet er "
                    "fordelt",
        "title_en": "Overview of the organisation and how HMS responsibility, tasks and authority are assigned",
        "written_required": True, "modules": ("compliance_checks", "documents"),
    },
    {
        "number": 6, "key": "risk_mapping",
        "title_nb": "Farer og problemer er kartlagt, risikoen vurdert, og planer og tiltak for å redusere den "
                    "er laget",
        "title_en": "Hazards and problems are mapped, the risk assessed, and plans and measures to reduce it made",
        "written_required": True,
        "modules": ("physical_mapping", "psychosocial_mapping", "risk_assessments", "action_plans"),
    },
    {
        "number": 7, "key": "deviation_handling",
        "title_nb": "Rutiner for å avdekke, rette opp og forebygge brudd på HMS-regelverket",
        "title_en": "Routines to detect, correct and prevent breaches of HMS rules",
        "written_required": True, "modules": ("findings", "action_plans", "safety_rounds"),
    },
    {
        "number": 8, "key": "review",
        "title_nb": "Internkontrollen følges opp og gjennomgås, så den virker som forutsatt",
        "title_en": "The internal control is monitored and reviewed so it works as intended",
        "written_required": True, "modules": ("yearly_report",),
    },
)
