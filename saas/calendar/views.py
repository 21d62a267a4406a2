"""/t/<slug>/calendar: month and agenda views with filters, the private feed's settings, and the feed itself
(/t/<slug>/calendar/feed/<token>.ics: no login, the token is the key)."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from saas.auth import public, require_roles, tenant_blueprint
from saas.calendar import ical, services
from saas.clients.services import visible_companies
from saas.db import current_session, utcnow
from saas.scheduler import today_in_oslo
from saas.tenants.models import Role

bp = tenant_blueprint("calendar", __name__, "/calendar")
any_user = require_roles(*Role)
AGENDA_DAYS = 60


def filters_from_args(args) -> dict:
    kinds = [k for k in args.getlist("kind") if k in services.KINDS] or list(services.KINDS)
    company = args.get("company", "")
    return dict(kinds=kinds, company_id=int(company) if company.isdigit() else None, mine=args.get("mine") == "1")


def _month(args, today: date) -> tuple[int, int]:
    raw = args.get("month", "")
    try:
        year, month = (int(p) for p in raw.split("-"))
        date(year, month, 1)
        if not 2000 <= year <= 2100:
            raise ValueError
        return year, month
    except ValueError:
        return today.year, today.month


@bp.get("/")
@any_user
def index():
    session, today = current_session(), today_in_oslo()
    flt = filters_from_args(request.args)
    view = "agenda" if request.args.get("view") == "agenda" else "month"
    year, month = _month(request.args, today)
    if view == "month":
        start, end = services.month_range(year, month)
    else:
        start = date.fromisoformat(request.args["from"]) if _iso(request.args.get("from")) else today
        end = start + timedelta(days=AGENDA_DAYS)
    items = services.events(session, current_user, start, end, flt["kinds"], company_id=flt["company_id"],
                            mine_only=flt["mine"], today=today)
    first = date(year, month, 1)
    previous = (first - timedelta(days=1)).strftime("%Y-%m")
    following = (first + timedelta(days=32)).replace(day=1).strftime("%Y-%m")
    companies = _company_options(session)
    return render_template("calendar/index.html", view=view, items=items, weeks=services.month_grid(year, month, items),
                           month=first, previous=previous, following=following, start=start, end=end, flt=flt,
                           kinds=services.KIND_LABELS, companies=companies, today=today,
                           feed=services.feed_status(session, current_user.id))


def _iso(value) -> bool:
    try:
        date.fromisoformat(value or "")
        return True
    except ValueError:
        return False


def _company_options(session) -> list[tuple[int, str]]:
    from saas.clients.models import ClientCompany

    query = visible_companies(current_user).with_only_columns(ClientCompany.id, ClientCompany.name)
    return [(r.id, r.name) for r in session.execute(query.order_by(ClientCompany.name).limit(500))]


def feed_url(token: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    return base + url_for("calendar.feed", token=token)


@bp.post("/feed/new")
@any_user
def new_feed():
    token = services.new_feed(current_session(), current_user)
    flash(gettext("Ny kalenderlenke er laget. Den gamle virker ikke lenger. Kopier lenken nå; den vises bare denne ene gangen."), "success")
    return render_template("calendar/feed_created.html", url=feed_url(token))


@bp.post("/feed/revoke")
@any_user
def revoke_feed():
    services.revoke_feed(current_session(), current_user)
    flash(gettext("Kalenderlenken er slått av."), "success")
    return redirect(url_for("calendar.index"))


@bp.get("/feed/<token>.ics")
@public
def feed(token: str):
    session = current_session()
    user = services.feed_user(session, token)
    if user is None:
        abort(404)
    today = today_in_oslo()
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    host = base.split("//")[-1] or "hms"
    events = []
    for e in services.feed_events(session, user, today):
        endpoint = EVENT_ENDPOINTS.get(e["target_type"])
        url = base + url_for(endpoint[0], **{endpoint[1]: e["target_id"]}) if endpoint else ""
        events.append(ical.Event(uid=f"{e['kind']}-{e['target_id']}@{host}", on=e["on"],
                                 summary=f"{e['company']}: {e['title']}", description=e["kind_label"], url=url,
                                 category=e["kind_label"]))
    body = ical.calendar(f"{g.tenant.name} – {user.name}", events, utcnow())
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'attachment; filename="hms-kalender.ics"', "Cache-Control": "private, max-age=300"})


EVENT_ENDPOINTS = {
    "action": ("actions.detail", "action_id"),
    "certificate": ("certification.certificate", "certificate_id"),
    "physical_mapping": ("years.mapping", "mapping_id"),
    "safety_round": ("years.safety_round", "round_id"),
}

MONTHS = ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november",
          "desember")


@bp.app_template_filter("month_name")
def month_name(value: date) -> str:
    """"desember 2026" (translated)."""
    return f"{gettext(MONTHS[value.month - 1])} {value.year}"
