"""The class rules' reasons (bokmål, made by the pure saas.hms.rules) in the reader's language.

The rules stay pure and bokmål (the archive and the decision snapshot keep their exact words); pages translate
a reason when they draw it (the ``reason`` template filter).  Each reason the rules can give is listed here as a
template whose ``{name}`` parts are data (dates, counts, titles, notes) or one of the rules' own fragments,
which are translated in turn.  A reason no template matches is shown as it is.
"""
from __future__ import annotations

import re
from functools import lru_cache

from flask_babel import get_locale, gettext

STALE = " Den siste er fra {date}, mer enn 12 måneder tilbake."

TEMPLATES = (
    # B1
    "Fysisk kartlegging er gjennomført {date} {how}.",
    "Den fysiske kartleggingen er gjort av bedriften selv eller en tredjepart, men dokumentasjonen er ennå ikke kontrollert av en HMS-rådgiver.",
    "Det finnes ingen fysisk kartlegging datert de siste 12 månedene.",
    # B2
    "Det mangler skriftlig rapport og handlingsplan fra en fysisk kartlegging de siste 12 månedene.",
    "Det mangler skriftlig rapport fra den fysiske kartleggingen {date}.",
    "Kartleggingen {date} fant {n} forhold, men handlingsplanen har ingen tiltak for fysiske forhold.",
    "Skriftlig rapport finnes for kartleggingen {date}, og den fant ingen forhold som krever tiltak.",
    "Skriftlig rapport finnes for kartleggingen {date}, og handlingsplanen har {n} tiltak for fysiske forhold.",
    # B3
    "Risikovurdering er gjennomført {date}.",
    "Det finnes ingen risikovurdering datert de siste 12 månedene.",
    # B4, A3, A+3
    "Ikke alle tiltak for {what} er utført eller i aktiv utbedring: {problems}.",
    "Handlingsplanen har ingen tiltak for {what} som må følges opp.",
    "Alle tiltakene for {what} er utført eller i aktiv utbedring ({n} tiltak).",
    # B5
    "En vesentlig del av arbeidet skjer ikke utenfor egne lokaler, så vernerunder for slikt arbeid kreves ikke.",
    "Vernerunde er dokumentert {date}.",
    "Annen sikring av HMS ved arbeid utenfor egne lokaler er dokumentert.",
    "En vesentlig del av arbeidet skjer utenfor egne lokaler, men det er ikke dokumentert vernerunde de siste 12 månedene eller annen sikring av HMS for dette arbeidet.",
    # B-alt
    "Ikke brukt: det er ikke registrert noen begrunnelse for klasse B av andre grunner.",
    "Ikke brukt: begrunnelsen for klasse B av andre grunner er tom.",
    "Ikke brukt: kravene til klasse B er oppfylt uten unntak.",
    "Ikke brukt: klasse B av andre grunner kan ikke erstatte kravene om risikovurdering (B3) og vernerunder (B5).",
    "Klasse B tildeles av andre grunner, med skriftlig begrunnelse fra HMS-rådgiveren: «{note}»",
    # A1
    "Psykososial kartlegging med medarbeidersamtaler er gjennomført {date}, og rapporten ble gjennomgått med ledelsen {date2}.",
    "Forrige psykososiale kartlegging avdekket ikke forhold som gir grunn til å anta behov for ny kartlegging i år.",
    "Den psykososiale kartleggingen {date} {psy_problems}.",
    "Det finnes ingen psykososial kartlegging datert de siste 12 månedene.",
    # A2
    "Kartleggingene de siste 12 månedene er gjort med bistand fra HMS-leverandøren, så egen kontroll av arbeidsmiljøloven kreves ikke her.",
    "En kartlegging er gjort av andre enn HMS-leverandøren, og disse kravene i arbeidsmiljøloven er ikke dokumentert eller kontrollert: {checks}.",
    "En kartlegging er gjort av andre enn HMS-leverandøren, og sentrale krav i arbeidsmiljøloven er kontrollert: {checks}.",
    # A3
    "Det finnes ingen fysisk kartlegging datert de siste 12 månedene, så punktene i rapportene kan ikke vurderes.",
    "Det mangler skriftlig rapport fra fysisk kartlegging {dates}, så punktene i rapporten kan ikke følges opp.",
    # A4, A+2
    "{who} har ikke bekreftet at {attested}.",
    "Bekreftelsen fra {date} mangler en skriftlig begrunnelse.",
    "Bekreftelsen er datert {date}, utenfor de siste 12 månedene.",
    "{who} bekreftet {date} at {attested}: «{note}»",
    # A+1
    "Bedriften hadde ikke HMS-sertifikat for {year}.",
    "Forrige sertifikat gjelder {year}; klasse A+ krever sertifikat for {year2}.",
    "Sertifikatet for {year} (klasse {cert_class}) er trukket tilbake.",
    "Sertifikatet for {year} var klasse {cert_class}; klasse A+ krever klasse A eller A+ året før.",
    "Bedriften hadde sertifikat i klasse {cert_class} for {year}.",
    # A+3
    "Den psykososiale kartleggingen {date} avdekket ingen avvik av betydning, så egen handlingsplan kreves ikke.",
    "Det er ikke gjort ny psykososial kartlegging i år, og forrige kartlegging avdekket ingen avvik av betydning, så egen handlingsplan kreves ikke.",
    "Det finnes ingen psykososial kartlegging datert de siste 12 månedene, så handlingsplanen for psykososiale forhold kan ikke vurderes.",
    "Det er ikke laget en konkret handlingsplan etter den psykososiale kartleggingen {date}.",
)

# The rules' own words inside a reason, translated on their own.
FRAGMENTS = (
    "med bistand fra HMS-leverandøren",
    "av bedriften selv, og dokumentasjonen er kontrollert av en HMS-rådgiver",
    "av en tredjepart, og dokumentasjonen er kontrollert av en HMS-rådgiver",
    "fysiske forhold", "fysiske forhold i rapportene", "psykososiale forhold",
    "er ikke gjort med formaliserte medarbeidersamtaler", "mangler skriftlig rapport",
    "har ingen registrert gjennomgang av rapporten med ledelsen",
    "HMS-rådgiveren", "Den som utsteder sertifikatet",
    "bedriften arbeider kontinuerlig med psykososiale forbedringer",
    "ledelsen har kontinuerlig fokus på HMS, ikke minst psykososiale forhold, utover det som er vanlig i bransjen",
    "arbeidsavtaler med alle ansatte", "arbeidsutstyr kontrollert og kontrollen dokumentert", "verneombud valgt og opplært",
    "arbeidsmiljøutvalg (AMU) valgt og opplært", "oppdaterte forskrifter og veiledninger tilgjengelig",
    "internkontrollsystem (HMS-system) i virksomheten",
    " (under 5 ansatte: skriftlig avtale om annen ordning)", " (antall ansatte er ikke registrert)",
)
ITEM_PROBLEMS = ("«{title}» er ikke påbegynt", "«{title}» har passert fristen {date}")


def msgid(template: str) -> str:
    """The catalogue's msgid of a template: ``{name}`` becomes ``%(name)s``."""
    return re.sub(r"\{(\w+)\}", r"%(\1)s", template)


@lru_cache(maxsize=None)
def _compiled(template: str) -> re.Pattern:
    parts = re.split(r"(\{\w+\})", template)
    pattern = "".join(f"(?P<{p[1:-1]}>.+?)" if re.fullmatch(r"\{\w+\}", p) else re.escape(p) for p in parts)
    return re.compile(f"^{pattern}$", re.S)


class _NoMatch(Exception):
    """A template matched the shape but a part that must be one of the rules' fragments is not one."""


def _fragment(text: str) -> str:
    if text in FRAGMENTS:
        return gettext(text)
    for suffix in FRAGMENTS[-2:]:  # a compliance label with its note on small or unknown headcounts
        if text.endswith(suffix) and text[: -len(suffix)] in FRAGMENTS:
            return gettext(text[: -len(suffix)]) + gettext(suffix)
    raise _NoMatch(text)


def _value(name: str, value: str) -> str:
    if name == "problems":
        parts = [_match_one(p, ITEM_PROBLEMS) for p in value.split("; ")]
        if None in parts:
            raise _NoMatch(value)
        return "; ".join(parts)
    if name == "psy_problems":
        return gettext(" og ").join(_fragment(p) for p in value.split(" og "))
    if name == "checks":
        return "; ".join(_fragment(p) for p in value.split("; "))
    if name in ("how", "what", "who", "attested"):
        return _fragment(value)
    return value


def _match_one(text: str, templates) -> str | None:
    for template in templates:
        found = _compiled(template).match(text)
        if not found:
            continue
        try:
            values = {k: _value(k, v) for k, v in found.groupdict().items()}
        except _NoMatch:
            continue
        return gettext(msgid(template), **values) if values else gettext(msgid(template))
    return None


def translate(reason: str) -> str:
    """The reason in the request's language (bokmål stays as it is)."""
    locale = get_locale()
    # Bokmål is the msgid: the rules' own text is the page's text, with no templates to match (a year
    # page shows some 340 reasons and refs; matching them all cost a quarter of its render).
    if not reason or locale is None or locale.language == "nb":
        return reason
    tail = ""
    stale = _compiled(STALE.lstrip()).pattern[1:-1]
    found = re.search(" " + stale + "$", reason, re.S)
    if found:
        tail = " " + gettext(msgid(STALE.lstrip()), date=found.group("date"))
        reason = reason[: found.start()]
    return (_match_one(reason, TEMPLATES) or reason) + tail
