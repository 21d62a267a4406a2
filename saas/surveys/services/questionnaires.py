"""Questionnaires: the built-in one (read-only, seeded per tenant on first need), and the tenant's own,
created or imported in the JSON format of ``questionnaire_format`` and versioned on every edit.

A survey points at the version it was sent with; versions are never changed or deleted.
"""
from __future__ import annotations

import copy
import json

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.clients.services import NotFound
from saas.schemas import FieldErrors
from saas.surveys.models import Questionnaire, QuestionnaireVersion, Survey
from saas.surveys.questionnaire_builtin import BUILTIN_KEY, BUILTIN_QUESTIONNAIRE, BUILTIN_VERSION
from saas.surveys.questionnaire_format import FACTORS_4_3, uncovered_factors, validate_questionnaire
from saas.tenants.models import User

MAX_JSON_BYTES = 1024 * 1024
MAX_ERRORS_SHOWN = 50


def ensure_builtin(session: Session) -> Questionnaire:
    """The tenant's copy of the built-in questionnaire, created on first need; a new built-in version in
    the code becomes a new version here.  Safe when two requests need it at once."""
    builtin = session.scalar(select(Questionnaire).where(Questionnaire.key == BUILTIN_KEY, Questionnaire.is_builtin.is_(True)))
    if builtin is None:
        try:
            with session.begin_nested():
                builtin = Questionnaire(key=BUILTIN_KEY, title=BUILTIN_QUESTIONNAIRE["title"]["nb"], is_builtin=True)
                session.add(builtin)
                session.flush()
        except IntegrityError:
            return session.scalar(select(Questionnaire).where(Questionnaire.key == BUILTIN_KEY))
    latest = latest_version(session, builtin)
    if latest is None or latest.label != BUILTIN_VERSION:
        version = QuestionnaireVersion(questionnaire_id=builtin.id, number=(latest.number + 1) if latest else 1,
                                       label=BUILTIN_VERSION, content=copy.deepcopy(BUILTIN_QUESTIONNAIRE))
        session.add(version)
        session.flush()
    return builtin


def latest_version(session: Session, questionnaire: Questionnaire) -> QuestionnaireVersion | None:
    return session.scalar(select(QuestionnaireVersion).where(QuestionnaireVersion.questionnaire_id == questionnaire.id)
                          .order_by(QuestionnaireVersion.number.desc()).limit(1))


def get_questionnaire(session: Session, questionnaire_id: int) -> Questionnaire:
    questionnaire = session.get(Questionnaire, questionnaire_id)
    if questionnaire is None:
        raise NotFound(questionnaire_id)
    return questionnaire


def list_questionnaires(session: Session) -> list[dict]:
    """Every questionnaire of the tenant (the built-in first) with its newest version, as plain data."""
    ensure_builtin(session)
    newest = (select(QuestionnaireVersion.questionnaire_id, func.max(QuestionnaireVersion.number).label("number"))
              .group_by(QuestionnaireVersion.questionnaire_id).subquery())
    used = (select(QuestionnaireVersion.questionnaire_id, func.count(Survey.id).label("surveys"))
            .join(Survey, Survey.questionnaire_version_id == QuestionnaireVersion.id)
            .group_by(QuestionnaireVersion.questionnaire_id).subquery())
    rows = session.execute(
        select(Questionnaire, QuestionnaireVersion, used.c.surveys)
        .join(newest, newest.c.questionnaire_id == Questionnaire.id)
        .join(QuestionnaireVersion, (QuestionnaireVersion.questionnaire_id == Questionnaire.id)
              & (QuestionnaireVersion.number == newest.c.number))
        .outerjoin(used, used.c.questionnaire_id == Questionnaire.id)
        .order_by(Questionnaire.is_builtin.desc(), Questionnaire.title, Questionnaire.id)
    ).all()
    return [dict(id=q.id, key=q.key, title=q.title, is_builtin=q.is_builtin, version=v.number, label=v.label,
                 items=len(v.content["items"]), dimensions=len(v.content["dimensions"]), surveys=surveys or 0)
            for q, v, surveys in rows]


def questionnaire_detail(session: Session, questionnaire: Questionnaire) -> dict:
    """The questionnaire, its versions and its newest content laid out for reading (plain data)."""
    versions = session.scalars(select(QuestionnaireVersion).where(QuestionnaireVersion.questionnaire_id == questionnaire.id)
                               .order_by(QuestionnaireVersion.number.desc())).all()
    content = versions[0].content
    return dict(id=questionnaire.id, key=questionnaire.key, title=questionnaire.title, is_builtin=questionnaire.is_builtin,
                versions=[dict(number=v.number, label=v.label, created_at=v.created_at) for v in versions],
                content=outline(content), uncovered=[FACTORS_4_3[f][0] for f in uncovered_factors(content)])


def outline(content: dict) -> dict:
    """Dimensions with their items and scale options, for showing a questionnaire."""
    scales = {s["key"]: [o.get("nb", "") for o in s["options"]] for s in content["scales"]}
    dims = []
    for d in content["dimensions"]:
        items = [dict(key=i["key"], text=i["text"].get("nb", ""), reversed=bool(i.get("reversed")),
                      options=scales.get(i["scale"], [])) for i in content["items"] if i["dimension"] == d["key"]]
        dims.append(dict(key=d["key"], name=d["name"].get("nb", ""), direction=d["direction"],
                         factor=FACTORS_4_3.get(d.get("factor_4_3") or "", ("",))[0],
                         prevalence=bool(d.get("prevalence")), items=items))
    return dict(title=content["title"].get("nb", ""), version=content["version"], source=content.get("source", ""),
                dimensions=dims, item_count=len(content["items"]))


def parse_json(text: str | bytes) -> object:
    """The JSON in ``text``; raises FieldErrors {"content"} with the line and column of a syntax error."""
    if isinstance(text, bytes):
        if len(text) > MAX_JSON_BYTES:
            raise FieldErrors({"content": "Filen er for stor (maks 1 MB)."})
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FieldErrors({"content": "Filen må være JSON i UTF-8."}) from None
    if not text.strip():
        raise FieldErrors({"content": "Lim inn eller last opp spørreskjemaet som JSON."})
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise FieldErrors({"content": f"Ugyldig JSON: linje {error.lineno}, kolonne {error.colno}: {error.msg}."}) from None


def check_format(data: object) -> dict:
    """``data`` if it is a valid questionnaire; FieldErrors {"content": ["$.items[3].text.nb: mangler", ...]}."""
    errors = validate_questionnaire(data)
    if errors:
        messages = [f"{path}: {message}" for path, message in errors[:MAX_ERRORS_SHOWN]]
        if len(errors) > MAX_ERRORS_SHOWN:
            messages.append(f"… og {len(errors) - MAX_ERRORS_SHOWN} feil til.")
        raise FieldErrors({"content": messages})
    return data  # type: ignore[return-value]


def warnings_for(content: dict) -> list[str]:
    """Norwegian warnings that don't stop an import: § 4-3 factors the questionnaire leaves uncovered."""
    missing = uncovered_factors(content)
    if not missing:
        return []
    names = ", ".join(FACTORS_4_3[f][0].lower() for f in missing)
    return [f"Spørreskjemaet dekker ikke alle faktorene i arbeidsmiljøloven § 4-3. Mangler: {names}."]


def create_questionnaire(session: Session, actor: User, content: object) -> tuple[Questionnaire, list[str]]:
    """A new tenant questionnaire from ``content`` (the import format), as version 1.

    Returns it with warnings; raises FieldErrors {"content"} for a format error or a key already in use.
    """
    content = check_format(content)
    if session.scalar(select(Questionnaire.id).where(Questionnaire.key == content["key"])) is not None:
        raise FieldErrors({"content": f"$.key: et spørreskjema med nøkkelen «{content['key']}» finnes fra før. "
                                      "Bruk en annen nøkkel, eller lag en ny versjon av det som finnes."})
    questionnaire = Questionnaire(key=content["key"], title=content["title"]["nb"][:1000], created_by=actor.id)
    try:
        with session.begin_nested():
            session.add(questionnaire)
            session.flush()
    except IntegrityError:
        raise FieldErrors({"content": f"$.key: et spørreskjema med nøkkelen «{content['key']}» finnes fra før."}) from None
    session.add(QuestionnaireVersion(questionnaire_id=questionnaire.id, number=1, label=content["version"],
                                     content=content, created_by=actor.id))
    session.flush()
    record(session, actor, "questionnaire.created", questionnaire, questionnaire.title, key=questionnaire.key)
    return questionnaire, warnings_for(content)


def new_version(session: Session, actor: User, questionnaire: Questionnaire, content: object) -> tuple[QuestionnaireVersion, list[str]]:
    """Save an edit as the next version (surveys already sent keep theirs).

    Raises FieldErrors for the built-in questionnaire, a format error, a changed key or no change at all.
    """
    if questionnaire.is_builtin:
        raise FieldErrors({"content": "Det innebygde spørreskjemaet kan ikke endres. Lag en kopi og endre den."})
    content = check_format(content)
    if content["key"] != questionnaire.key:
        raise FieldErrors({"content": f"$.key: nøkkelen må være «{questionnaire.key}» i alle versjoner."})
    latest = latest_version(session, questionnaire)
    if latest.content == content:
        raise FieldErrors({"content": "Ingen endringer å lagre."})
    version = QuestionnaireVersion(questionnaire_id=questionnaire.id, number=latest.number + 1, label=content["version"],
                                   content=content, created_by=actor.id)
    try:
        with session.begin_nested():
            session.add(version)
            session.flush()
    except IntegrityError:
        raise FieldErrors({"content": "Noen andre lagret en ny versjon samtidig. Last siden på nytt og prøv igjen."}) from None
    questionnaire.title = content["title"]["nb"][:1000]
    record(session, actor, "questionnaire.versioned", questionnaire, questionnaire.title, version=version.number)
    return version, warnings_for(content)


def copy_of(session: Session, questionnaire: Questionnaire) -> dict:
    """The newest content with a fresh key and version 1, as the starting point of a new questionnaire."""
    content = copy.deepcopy(latest_version(session, questionnaire).content)
    taken = set(session.scalars(select(Questionnaire.key)).all())
    base = f"{questionnaire.key}-kopi"[:60]
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    content["key"], content["version"] = key, "1"
    content["title"] = {**content["title"], "nb": f"{content['title']['nb']} (kopi)"}
    content.pop("source", None)
    return content


def export_json(session: Session, questionnaire: Questionnaire) -> str:
    return json.dumps(latest_version(session, questionnaire).content, ensure_ascii=False, indent=2)
