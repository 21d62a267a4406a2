"""The public answering pages, /s/<token>: no login, no tenant in the session, nothing stored before the
one submit.  Each page posts every answer given so far (the other pages' answers ride along as hidden
fields), and static/js/survey.js keeps a copy in the browser's localStorage in case the page is closed."""
from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext

from saas.db import current_session
from saas.schemas import FieldErrors
from saas.surveys import pages
from saas.surveys.services import answering, oslo_today
from saas.surveys.views import answer_bp

MESSAGES = {
    answering.CLOSED: (lazy_gettext("Undersøkelsen er avsluttet"),
                       lazy_gettext("Det er ikke lenger mulig å svare. Takk for interessen!")),
    answering.NOT_YET: (lazy_gettext("Undersøkelsen er ikke åpnet ennå"), lazy_gettext("Prøv igjen fra startdatoen.")),
    answering.USED: (lazy_gettext("Lenken er allerede brukt"), lazy_gettext("Svaret ditt er registrert. Takk for at du svarte!")),
}


def _message(kind: str, link: answering.Link | None = None, status: int = 200):
    title, text = MESSAGES.get(kind, (gettext("Lenken finnes ikke"),
                                      gettext("Sjekk at hele lenken ble med, eller spør den som sendte den.")))
    opens_on = link.opens_on if link is not None and kind == answering.NOT_YET else None
    return render_template("surveys/answer_message.html", title=title, text=text, opens_on=opens_on), status


def _page(link: answering.Link, content: dict, layout: list[list[str]], number: int, answers: dict, group: str,
          nonce: str, errors: dict | None = None, status: int = 200, code: str = "", fixed_group: int | None = None):
    survey = answering.page_facts(current_session(), link)
    dims = {d["key"]: d for d in content["dimensions"]}
    scales = {s["key"]: [pages.text(o) for o in s["options"]] for s in content["scales"]}
    on_page = pages.items_on_page(content, layout[number - 1]) if number else []
    shown = {item["key"] for item in on_page}
    sections = [dict(name=pages.text(dims[key]["name"]),
                     items=[dict(key=i["key"], field=pages.field_name(i["key"]), text=pages.text(i["text"]),
                                 options=scales[i["scale"]], answer=answers.get(i["key"]))
                            for i in on_page if i["dimension"] == key])
                for key in (layout[number - 1] if number else [])]
    hidden = [(pages.field_name(key), value) for key, value in answers.items() if key not in shown]
    return render_template(
        "surveys/answer_page.html", token=request.view_args["token"], number=number, total=len(layout),
        sections=sections, hidden=hidden, group=group, nonce=nonce, errors=errors or {},
        groups=[dict(id=str(id_), name=name) for id_, name in survey.groups], no_group=answering.NO_GROUP,
        needs_code=link.needs_code, code=code, fixed_group=dict(survey.groups).get(fixed_group),
        survey=dict(id=link.survey_id, title=survey.title, intro=survey.intro, closes_on=survey.closes_on,
                    company=survey.company, k=survey.k, items=len(content["items"])),
        answered=len(answers)), status


@answer_bp.after_request
def _private(response):
    # Pages with someone's answers must not come back from a cache or the back button on a shared device,
    # and survey links are not for search engines.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@answer_bp.route("/<token>", methods=["GET", "POST"])
def answer(token: str):
    session = current_session()
    form = request.form
    if request.method == "POST" and form.get("nav") == "submit":
        return _submit(session, token, form)
    link = answering.resolve(session, token)
    if link is None:
        return _message("unknown", status=404)
    g.tenant = link.tenant
    current = answering.state(link, link.responded, oslo_today())
    if current != answering.OPEN:
        return _message(current, link)
    content = answering.questionnaire(session, link)
    layout = pages.paginate(content)
    if request.method == "GET":
        return _page(link, content, layout, 0, {}, "", answering.new_nonce(), fixed_group=link.group_id)
    answers = pages.parse_answers(form, content)
    group, nonce, number = _posted(form, layout)
    nav = form.get("nav", "next")
    code, fixed_group = "", link.group_id
    if link.needs_code:
        # The shared link without an open link: a valid unused code before any question.
        try:
            checked = answering.check_code(session, link.survey_id, form.get("code"))
        except FieldErrors as error:
            return _page(link, content, layout, 0, answers, group, nonce, error.errors, status=422,
                         code=form.get("code", "")[:40])
        code, fixed_group = checked.code, checked.group_id
    state = dict(code=code, fixed_group=fixed_group)
    if nav == "back":
        return _page(link, content, layout, max(number - 1, 0), answers, group, nonce, **state)
    if number == 0 and fixed_group is None and not answering.posted_group(session, link, group)[1]:
        return _page(link, content, layout, 0, answers, group, nonce,
                     {"group": [gettext("Velg avdelingen din (eller «Vil ikke oppgi»).")]}, status=422, **state)
    return _page(link, content, layout, min(number + 1, len(layout)), answers, group, nonce, **state)


def _submit(session, token: str, form):
    """The final submit: on the link as this process read it before, in one statement (``answering.remembered``),
    else, or when that link no longer holds, on the link read now."""
    today = oslo_today()
    link = answering.remembered(session, token)
    outcome = answering.submit(session, link, form, today) if link is not None else answering.RECHECK
    if outcome == answering.RECHECK:
        link = answering.resolve(session, token)
        if link is None:
            return _message("unknown", status=404)
        g.tenant = link.tenant
        current = answering.state(link, link.responded, today)
        # A used personal link may still be posting its own answers again (a double click): submit tells.
        if current not in (answering.OPEN, answering.USED):
            return _message(current, link)
        try:
            outcome = answering.submit(session, link, form, today)
        except FieldErrors as error:
            return _refused(link, form, error.errors)
    g.tenant = link.tenant
    if outcome in (answering.STORED, answering.DUPLICATE):
        return redirect(url_for("survey_answer.thanks", token=token), 303)
    return _message(outcome, link)


def _posted(form, layout: list[list[str]]) -> tuple[str, str, int]:
    """(the group field, the form's nonce or a new one, the page number posted)."""
    nonce = form.get("nonce", "") if answering.NONCE.fullmatch(form.get("nonce", "")) else answering.new_nonce()
    raw_page = form.get("page", "0")
    number = min(int(raw_page), len(layout)) if raw_page.isascii() and raw_page.isdigit() and len(raw_page) < 4 else 0
    return form.get("group", ""), nonce, number


def _refused(link: answering.Link, form, errors: dict):
    """The page a refused submit goes back to: the first page for the group or the code, else the last one."""
    content = answering.questionnaire(current_session(), link)
    layout = pages.paginate(content)
    group, nonce, number = _posted(form, layout)
    back_to = 0 if {"group", "code"} & set(errors) else max(number, 1)
    return _page(link, content, layout, back_to, pages.parse_answers(form, content), group, nonce, errors, status=422,
                 code=form.get("code", "")[:40], fixed_group=link.group_id)


@answer_bp.get("/<token>/takk")
def thanks(token: str):
    link = answering.resolve(current_session(), token)
    if link is not None:
        g.tenant = link.tenant
    return render_template("surveys/answer_thanks.html", survey_id=link.survey_id if link else None)
