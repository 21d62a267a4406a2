"""The product's built-in scheme library (bokmål), seeded into every tenant.

Plain data only.  Requirement texts are copied only where they are law (forskrift om administrative
ordninger på Arbeidstilsynets område, FOR-2011-12-06-1360, § 8-1 a–n and § 8-6 a–e; Norwegian
statutes and regulations are free of copyright, åndsverkloven § 14).  The NS 9600 standards are
copyrighted: their catalogues hold only our own short titles of what an auditor checks, with ids
("NS 9600-5 K1" ...) that a tenant maps onto the clause numbers of its licensed copy.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from saas.schemes.settings import (SEED_000_GRADES, SURVEILLANCE_COUNT, SURVEILLANCE_EVERY_PERIOD,
                                   SURVEILLANCE_NONE, Grade, SchemeSettings, StepDeadlines, SurveillanceRule)

FORSKRIFT = "Forskrift om administrative ordninger på Arbeidstilsynets område (FOR-2011-12-06-1360)"
UTFORELSE = "Forskrift om utførelse av arbeid (FOR-2011-12-06-1357)"


@dataclass(frozen=True)
class BuiltinRequirement:
    clause: str
    title: str
    text: str = ""
    section: str = ""


@dataclass(frozen=True)
class BuiltinScheme:
    code: str
    kind: str
    name: str
    description: str
    settings: SchemeSettings
    requirements: tuple[BuiltinRequirement, ...] = ()
    scopes: tuple[tuple[str, str], ...] = field(default=())  # (code, name)


HMS_CODE = "hms"

_HMS = BuiltinScheme(
    code=HMS_CODE, kind="hms", name="HMS-sertifikat",
    description="Årlig HMS-sertifikat i klasse B, A eller A+ etter kartlegging, risikovurdering og handlingsplan.",
    settings=SchemeSettings(
        validity_months=12,
        normative_documents=("Klassekriterier for HMS-sertifikat (B, A, A+)", "Arbeidsmiljøloven",
                             "Internkontrollforskriften (FOR-1996-12-06-1127)"),
        surveillance=SurveillanceRule(mode=SURVEILLANCE_NONE, period_months=12, min_count=0,
                                      document_only_after_clean=False, warn_days=0),
        recertification_lead_months=0,
        recertification_warning_days=(60,),
        grades=(),
        deadlines=StepDeadlines(),
        certificate_fields=("issuer_name", "issuer_address", "issued_on", "holder_name", "holder_address",
                            "holder_org_number", "certificate_type", "cert_class", "sub_units", "valid_until",
                            "duration", "number", "signatory"),
        certificate_title="HMS-sertifikat",
    ),
    requirements=tuple(BuiltinRequirement(c, t, section=s) for c, t, s in (
        ("B1", "Fysisk kartlegging gjennomført i perioden", "Klasse B"),
        ("B2", "Skriftlig rapport og handlingsplan for de fysiske forholdene", "Klasse B"),
        ("B3", "Risikovurderinger gjennomført i perioden", "Klasse B"),
        ("B4", "Tiltak for fysiske forhold utført eller i aktiv forbedringsprosess", "Klasse B"),
        ("B5", "Vernerunder eller annen ivaretakelse av HMS for arbeid utenfor egne lokaler", "Klasse B"),
        ("A1", "Psykososial kartlegging med medarbeidersamtaler, rapport gjennomgått med ledelsen", "Klasse A"),
        ("A2", "Sentrale deler av arbeidsmiljøloven dokumentert eller verifisert", "Klasse A"),
        ("A3", "Alle punkter om fysiske forhold rettet eller i aktiv forbedringsprosess", "Klasse A"),
        ("A4", "Kontinuerlig arbeid med psykososiale forbedringer", "Klasse A"),
        ("A+1", "Klasse A eller A+ året før", "Klasse A+"),
        ("A+2", "Ledelsens vedvarende fokus på HMS, ikke minst psykososiale forhold", "Klasse A+"),
        ("A+3", "Konkret handlingsplan fra den psykososiale kartleggingen", "Klasse A+"),
    )),
)

_AUDIT_FIELDS = ("issuer_name", "issuer_address", "issued_on", "holder_name", "holder_address", "holder_org_number",
                 "certificate_type", "scopes", "sub_units", "valid_until", "duration", "number", "signatory")

_ASAS_SETTINGS = dict(
    validity_months=48,
    surveillance=SurveillanceRule(mode=SURVEILLANCE_EVERY_PERIOD, period_months=12, min_count=0,
                                  document_only_after_clean=True, warn_days=60),
    recertification_lead_months=3,
    recertification_warning_days=(90, 30, 7),
    grades=SEED_000_GRADES,
    close_document_findings_before_audit=False,
    deadlines=StepDeadlines(),
    retention_years=10,
    certificate_fields=_AUDIT_FIELDS,
)

_LAW_8_1 = (
    ("a", "Opplæring etter planer for sikkerhetsopplæring",
     "opplæringen skal drives i henhold til planer for sikkerhetsopplæring,"),
    ("b", "Kravene i forskrift om utførelse av arbeid § 10-2",
     "kravene i forskrift om utførelse av arbeid § 10-2 skal oppfylles,"),
    ("c", "Instruktørenes kunnskaper og erfaring",
     "den som skal utføre sikkerhetsopplæringen, skal ha nødvendige kunnskaper og erfaring for å gjennomføre opplæringen,"),
    ("d", "Kunnskap om lover, forskrifter og standarder",
     "den skal ha kunnskap om gjeldende lover, forskrifter og standarder på det aktuelle området,"),
    ("e", "Arbeidsutstyr i samsvar med forskriften",
     "den skal bare bruke arbeidsutstyr under sikkerhetsopplæringen som er i samsvar med kravene i denne forskriften,"),
    ("f", "Kapasitet", "den skal ha kapasitet for sikkerhetsopplæringen,"),
    ("g", "Uavhengig organisering",
     "sikkerhetsopplæringen skal organiseres uavhengig av virksomhetens øvrige aktivitet,"),
    ("h", "Lokaler og utstyr", "den skal disponere nødvendige lokaler og utstyr,"),
    ("i", "Tilrettelegging for personer med funksjonshemming",
     "den skal så langt det er rimelig og mulig kunne tilrettelegge opplæringen slik at personer med "
     "funksjonshemming også kan gis sikkerhetsopplæring hvis funksjonshemmingen ikke er til hinder for å utføre arbeidet,"),
    ("j", "Egnethetsprøve og prøveperiode for EØS-borgere",
     "den skal kunne avholde egnethetsprøve og prøveperiode for borger fra annet EØS-land eller Sveits som søker "
     "Arbeidstilsynet om tillatelse etter § 9-1 og § 9-2,"),
    ("k", "Avsluttende prøver", "den skal avholde avsluttende prøver etter gjennomgått sikkerhetsopplæring,"),
    ("l", "Utstedelse av dokumentasjon for bestått opplæring",
     "den skal ha de nødvendige forutsetninger for å kunne utstede dokumentasjon for bestått sikkerhetsopplæring,"),
    ("m", "Registrering av opplærte personer",
     "den skal sørge for å registrere opplærte personer i registre med nødvendig konsesjon,"),
    ("n", "Forsikring for personskade",
     "den skal ha forsikring for personskade som kan oppstå i forbindelse med sikkerhetsopplæringen."),
)

_LAW_8_6 = (
    ("a", "Tilpasset organisasjon", "en organisasjon som er tilpasset den virksomhet som skal drives,"),
    ("b", "Kompetent personale", "nødvendig kompetent personale,"),
    ("c", "Utstyr og hjelpemidler", "nødvendig utstyr og hjelpemidler,"),
    ("d", "Tilgang til utstyr virksomheten ikke har selv",
     "tilgang til utstyr som de selv ikke har, og som er nødvendig for å kunne gjennomføre kontrollen,"),
    ("e", "Rutiner for den sakkyndige kontrollen", "beskrivelse av rutinene for den sakkyndige kontrollen."),
)

# Equipment categories (our own short names; the codes follow the usual training-plan letters).
_EQUIPMENT_SCOPES = (
    ("A", "Personløftere"), ("C", "Masseforflytningsmaskiner"), ("G4", "Tårnkran"), ("G8", "Mobilkran"),
    ("G11", "Traverskran"), ("G20", "Løfteredskap og anhuking"), ("T", "Truck"),
)

_OPPLAERING = BuiltinScheme(
    code="opplaering-8-1", kind="audit", name="Sertifisert opplæringsvirksomhet (§ 8-1)",
    description="Sertifisering av virksomheter som driver sertifisert sikkerhetsopplæring i bruk av arbeidsutstyr.",
    settings=SchemeSettings(
        normative_documents=(f"{FORSKRIFT} § 8-1", f"{UTFORELSE} kapittel 10",
                             "Tilleggskriterier for opplæringsvirksomhet",
                             "Opplæringsplaner for sertifisert sikkerhetsopplæring", "Norm for bedriftsopplæring"),
        certificate_title="Sertifikat for sertifisert opplæringsvirksomhet", **_ASAS_SETTINGS),
    requirements=tuple(BuiltinRequirement(f"§ 8-1 {letter}", title, text, "Forskrift § 8-1")
                       for letter, title, text in _LAW_8_1)
    + (BuiltinRequirement("§ 8-1 dok", "Oppfyllelse av kravene er dokumentert",
                          "Oppfyllelse av kravene i annet ledd skal dokumenteres.", "Forskrift § 8-1"),),
    scopes=_EQUIPMENT_SCOPES,
)

_SAKKYNDIG = BuiltinScheme(
    code="sakkyndig-8-6", kind="audit", name="Sertifisert sakkyndig virksomhet (§ 8-6)",
    description="Sertifisering av sakkyndige virksomheter som kontrollerer arbeidsutstyr (§ 8-6 og § 8-7).",
    settings=SchemeSettings(
        normative_documents=(f"{UTFORELSE} § 13", f"{FORSKRIFT} § 8-6 og § 8-7",
                             "Tilleggskriterier for sakkyndig virksomhet", "Normer for kontrollomfang"),
        certificate_title="Sertifikat for sertifisert sakkyndig virksomhet", **_ASAS_SETTINGS),
    requirements=tuple(BuiltinRequirement(f"§ 8-6 {letter}", title, text, "Forskrift § 8-6, virksomheten")
                       for letter, title, text in _LAW_8_6)
    + (
        BuiltinRequirement("§ 8-6 p-a", "Personalets tekniske bakgrunn", "god teknisk bakgrunn,",
                           "Forskrift § 8-6, personalet"),
        BuiltinRequirement("§ 8-6 p-b", "Personalets kunnskap om regelverk",
                           "kunnskap om gjeldende lover, forskrifter og standarder,", "Forskrift § 8-6, personalet"),
        BuiltinRequirement("§ 8-6 p-c", "Personalets erfaring med kontrollen",
                           "kunnskap og erfaring med den kontrollen som skal utføres,", "Forskrift § 8-6, personalet"),
        BuiltinRequirement("§ 8-6 p-d", "Dokumentasjon av utført kontroll",
                           "den ferdighet som kreves for å utarbeide dokumentasjon for utført kontroll.",
                           "Forskrift § 8-6, personalet"),
        BuiltinRequirement("§ 8-6 uavh", "Faglig integritet og uavhengighet",
                           "Sakkyndig virksomhet skal utføre arbeidet med faglig integritet, teknisk dyktighet og "
                           "uavhengighet.", "Forskrift § 8-6"),
        BuiltinRequirement("§ 8-6 fors", "Ansvarsforsikring", "Sakkyndig virksomhet skal tegne ansvarsforsikring.",
                           "Forskrift § 8-6"),
        BuiltinRequirement("§ 8-7", "Kontrollens omfang og dokumentasjon", "", "Forskrift § 8-7"),
    ),
    scopes=_EQUIPMENT_SCOPES,
)

_NS_SETTINGS = dict(
    validity_months=36,
    surveillance=SurveillanceRule(mode=SURVEILLANCE_COUNT, period_months=12, min_count=2,
                                  document_only_after_clean=False, warn_days=60),
    recertification_lead_months=3,
    recertification_warning_days=(90, 30, 7),
    grades=(Grade("serious", "Alvorlig avvik", True, 14), Grade("minor", "Mindre alvorlig avvik", True, 30),
            Grade("observation", "Observasjon", False, None)),
    close_document_findings_before_audit=True,
    certificate_fields=_AUDIT_FIELDS,
)


def _ns_requirements(part: str, topics: tuple[tuple[str, str], ...]) -> tuple[BuiltinRequirement, ...]:
    return tuple(BuiltinRequirement(f"NS 9600-{part} K{i}", title, "", section)
                 for i, (section, title) in enumerate(topics, start=1))


_NS_COMMON = (
    ("Styringssystem", "Styringssystem og dokumentstyring"),
    ("Styringssystem", "Ledelsens ansvar og organisering"),
    ("Styringssystem", "Avvikshåndtering og korrigerende tiltak"),
    ("Styringssystem", "Internrevisjon og ledelsens gjennomgang"),
)

_NS4 = BuiltinScheme(
    code="ns9600-4", kind="audit", name="NS 9600-4 opplæringsvirksomhet",
    description="Sertifisering av opplæringsvirksomheter for tilkomstteknikk etter NS 9600-4.",
    settings=SchemeSettings(normative_documents=("NS 9600-4:2020 Krav til opplæringsvirksomheter",),
                            certificate_title="Sertifikat NS 9600-4 opplæringsvirksomhet", **_NS_SETTINGS),
    requirements=_ns_requirements("4", _NS_COMMON + (
        ("Opplæring", "Kursplaner og kursgjennomføring"),
        ("Opplæring", "Instruktørenes kvalifikasjoner"),
        ("Opplæring", "Lokaler og treningsanlegg"),
        ("Opplæring", "Utstyr til opplæringen og kontroll av det"),
        ("Opplæring", "Vurdering, prøving og dokumentasjon av kandidater"),
    )),
    scopes=(("N1", "Nivå 1"), ("N2", "Nivå 2"), ("N3", "Nivå 3")),
)

_NS5 = BuiltinScheme(
    code="ns9600-5", kind="audit", name="NS 9600-5 tjenestevirksomhet",
    description="Sertifisering av virksomheter som leverer tilkomsttekniske tjenester etter NS 9600-5.",
    settings=SchemeSettings(normative_documents=("NS 9600-5:2020 Krav til tjenestevirksomheter",),
                            certificate_title="Sertifikat NS 9600-5 tjenestevirksomhet", **_NS_SETTINGS),
    requirements=_ns_requirements("5", _NS_COMMON + (
        ("Tjenesteutførelse", "Risikovurdering og arbeidsplan for oppdraget"),
        ("Tjenesteutførelse", "Redningsplan og beredskap"),
        ("Tjenesteutførelse", "Sertifisert personell og bemanning"),
        ("Tjenesteutførelse", "Utstyr, kontroll og sporbarhet"),
        ("Tjenesteutførelse", "Tilsyn og dokumentasjon i prosjekt"),
    )),
    scopes=(("TT", "Tilkomstteknikk"), ("TT-R", "Tilkomstteknikk med redning")),
)

BUILTIN: tuple[BuiltinScheme, ...] = (_HMS, _OPPLAERING, _SAKKYNDIG, _NS4, _NS5)


def builtin(code: str) -> BuiltinScheme:
    return next(s for s in BUILTIN if s.code == code)
