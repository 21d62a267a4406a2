"""Language and display formats: bokmål first, English second; Europe/Oslo on screen."""
from __future__ import annotations

import weakref
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import g, has_request_context, request, session
from flask_babel import Babel, get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

from saas.norway import display_org_number, format_date, format_money

LANGUAGES = {"nb": "Norsk (bokmål)", "en": "English"}
OSLO = ZoneInfo("Europe/Oslo")
babel = Babel()


def select_locale() -> str:
    if not has_request_context():  # jobs render PDFs and e-mails in bokmål
        return "nb"
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.locale in LANGUAGES:
        return current_user.locale
    return request.accept_languages.best_match(["nb", "no", "en"], "nb").replace("no", "nb") if request else "nb"


def today_in_oslo() -> date:
    """Today's date where the users are: deadlines, validity and "within the cycle" are Oslo dates."""
    return datetime.now(OSLO).date()


def local_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(OSLO).strftime("%d.%m.%Y %H:%M")


def display_date(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):  # schema dumps carry ISO dates; on screen every date is dd.mm.yyyy
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.astimezone(OSLO).date()
    return format_date(value)


def _translations():
    """The request's (or job's) catalogue, looked up once per app context: Flask-Babel's template
    callables look it up again for every ``_()`` (the domain, the locale and the cache through four
    context lookups each), a tenth of a big page's rendering time."""
    state = g._get_current_object()  # through the proxy once, not for every attribute
    locale = getattr(state.get("_flask_babel"), "babel_locale", None)  # a new object under force_locale()
    cached = state.get("_saas_translations")
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()
    state._saas_translations = (getattr(state.get("_flask_babel"), "babel_locale", None), translations)
    return translations


# Per catalogue: the finished Markup of each text drawn without variables (most of a page's ``_()``).
_DRAWN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_DRAWN_LIMIT = 5_000


@pass_eval_context
def _template_gettext(eval_ctx, text: str, **variables):
    """Templates' ``_()`` and ``gettext()``: Jinja's newstyle gettext (Markup, then ``%`` with the
    variables, so ``%%`` is ``%`` with or without them), with a text without variables finished once per
    catalogue: a big page draws some 140 of them, and each cost Jinja's alias, wrapper and formatting.
    It takes the evaluation context, not the template's: Jinja copies a template's whole context for a
    context function called inside a loop (the year page's verdict called it 50 times: 3 % of the page)."""
    translations = _translations()
    if variables or not eval_ctx.autoescape:
        return _newstyle(eval_ctx, translations.ugettext(text), variables)
    drawn = _DRAWN.get(translations)
    if drawn is None:
        drawn = _DRAWN[translations] = {}
    done = drawn.get(text)
    if done is None:
        if len(drawn) >= _DRAWN_LIMIT:  # some texts come from the data (a scheme's own titles): keep it bounded
            drawn.clear()
        done = drawn[text] = Markup(translations.ugettext(text)) % {}
    return done


@pass_eval_context
def _template_ngettext(eval_ctx, singular: str, plural: str, num: int, **variables):
    """Templates' ``ngettext()``, Jinja's newstyle (``num`` is a variable too), on the evaluation context like
    ``_()``: the i18n extension's own is a context function, and one call in a block copied the year page's
    whole context (3 % of the page)."""
    variables.setdefault("num", num)
    return _newstyle(eval_ctx, _translations().ungettext(singular, plural, num), variables)


@pass_eval_context
def _template_pgettext(eval_ctx, context: str, text: str, **variables):
    """Templates' ``pgettext()``, Jinja's newstyle, on the evaluation context (see ``_template_ngettext``)."""
    return _newstyle(eval_ctx, _translations().upgettext(context, text), variables)


def _newstyle(eval_ctx, text: str, variables: dict):
    """A translated text finished as Jinja's newstyle gettext does: Markup under autoescape, then ``%``."""
    return (Markup(text) if eval_ctx.autoescape else text) % variables


def init_i18n(app) -> None:
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # ``_`` straight to it, not through the i18n extension's alias that looks ``gettext`` up on every call; and
    # gettext, ngettext and pgettext replaced by ours (``{% trans %}`` calls them too), which take the evaluation
    # context.  The callables installed above stay for npgettext and the extension's newstyle setting.
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext,
                                 pgettext=_template_pgettext)
    app.jinja_env.filters.update(
        date=display_date, datetime=local_datetime, money=format_money, orgnr=display_org_number,
    )
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, get_locale=get_locale,
                                 has_endpoint=lambda name: name in app.view_functions)
