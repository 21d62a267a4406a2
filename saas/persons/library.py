"""The two person schemes a tenant can start from: kompetansebevis under forskrift § 8-2 for the work
equipment of forskrift om utførelse av arbeid § 10-3, and train-driver certification after seed 002."""
from __future__ import annotations

from dataclasses import dataclass

from saas.persons.requirements import MatrixRow, Need
from saas.persons.settings import PersonSchemeSettings, PracticeRules
from saas.persons.validity import ValidityRules

EQUIPMENT = (
    # (code, name): our own short names of the § 10-3 equipment classes used in training plans
    ("T1", "Truck: palletruck med førersete"), ("T2", "Truck: skyvemasttruck, støttebenstruck"),
    ("T4", "Truck: motvektstruck"), ("G1", "Kran: mobilkran"), ("G4", "Kran: tårnkran"),
    ("G11", "Kran: bro- og traverskran"), ("G20", "Løfteredskap og anhuking"), ("A", "Personløfter"),
)

DRIVER_COMPETENCES = (
    # (code, name, kind, line category, seasonal)
    ("TYPE-73", "Kjøretøytype 73", "vehicle", "", False),
    ("TYPE-DI4", "Diesellokomotiv Di 4", "vehicle", "", False),
    ("SNO-ROT", "Snørydder (sesongkjøretøy)", "vehicle", "", True),
    ("LINE-BERGEN", "Bergensbanen", "line", "C", False),
    ("LINE-DRAMMEN", "Drammenbanen", "line", "B", False),
    ("LINE-GARD", "Gardermobanen", "line", "A", False),
    ("LANG-NO-EN", "Språktest norsk–engelsk", "language", "", False),
)


@dataclass(frozen=True)
class PersonTemplate:
    code: str
    name: str
    description: str
    certificate_title: str
    person: PersonSchemeSettings
    competences: tuple[tuple[str, str, str, str, bool], ...]


KOMPETANSEBEVIS = PersonTemplate(
    code="kompetansebevis", name="Kompetansebevis (§ 8-2)",
    description="Sikkerhetsopplæring i bruk av arbeidsutstyr (forskrift om utførelse av arbeid § 10-3) med "
                "kompetansebevis etter forskrift om administrative ordninger § 8-2.",
    certificate_title="Kompetansebevis",
    person=PersonSchemeSettings(
        issues="kompetansebevis",
        validity=ValidityRules(periodic_test_months=0, unused_months=0, absence_months=0),
        matrix=(MatrixRow("new_candidate", {"internal_training": Need.REQUIRED, "type_training": Need.REQUIRED,
                                            "practical_test": Need.REQUIRED}),
                MatrixRow("documented_experience", {"internal_training": Need.UNLESS_DOCUMENTED,
                                                    "type_training": Need.REQUIRED,
                                                    "practical_test": Need.REQUIRED})),
        practice=PracticeRules(type_course_max_participants=12, extra_km=0),
        checklist=("Kontroll før bruk", "Sikker kjøring og manøvrering", "Lasthåndtering", "Parkering og sikring"),
    ),
    competences=tuple((code, name, "equipment", "", False) for code, name in EQUIPMENT),
)

TRAIN_DRIVER = PersonTemplate(
    code="forer", name="Sertifisering av førere",
    description="Intern opplæring og sertifisering av førere: kravmatrise, typeopplæring, infrastruktur, "
                "kjøretrening, prøving, periodisk prøve hvert 3. år og tilbakekall.",
    certificate_title="Førersertifikat",
    person=PersonSchemeSettings(
        issues="certificate",
        checklist=("Klargjøring og bremseprøve", "Framføring etter regelverket", "Skifting",
                   "Håndtering av feil og nøddrift", "Kommunikasjon"),
    ),
    competences=DRIVER_COMPETENCES,
)

TEMPLATES = (KOMPETANSEBEVIS, TRAIN_DRIVER)


def template(code: str) -> PersonTemplate:
    return next(t for t in TEMPLATES if t.code == code)
