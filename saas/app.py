"""The application factory: reads as the table of contents of the product."""
from __future__ import annotations

from flask import Flask, g, jsonify, make_response, render_template, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from saas.config import load_config
from saas.templating import PageEnvironment
from saas.urls import url_pattern

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def create_app(overrides: dict | None = None) -> Flask:
    from saas.resources import instance_root, resource_path

    root = instance_root()
    app = Flask(__name__, template_folder=str(resource_path("templates")), instance_path=str(root / "instance"))
    app.jinja_environment = PageEnvironment
    app.add_template_global(url_pattern)
    app.config.update(load_config(root=root))
    app.config.update(overrides or {})
    app.config["MIGRATION_DATABASE_URL"] = app.config.get("MIGRATION_DATABASE_URL") or app.config["DATABASE_URL"]
    _init_observability(app)

    _init_database(app)
    _init_extensions(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_security_headers(app)

    from saas.cli import register_cli

    register_cli(app)
    return app


def _init_observability(app: Flask) -> None:
    from saas.observability import configure_logging, init_proxy_fix, init_request_ids, init_sentry

    configure_logging(app)
    init_request_ids(app)
    init_proxy_fix(app)
    init_sentry(app)


def _init_database(app: Flask) -> None:
    from saas.db import Database, init_request_sessions
    from saas import models  # noqa: F401  (every model is mapped before the first query)

    database = Database(app.config["DATABASE_URL"], secret_key=app.config["SECRET_KEY"],
                        refuse_unsafe_role=app.config["PRODUCTION"], statement_timeout=app.config.get("DB_STATEMENT_TIMEOUT"),
                        connect_timeout=app.config.get("DB_CONNECT_TIMEOUT"), busy_timeout=app.config.get("DB_BUSY_TIMEOUT", 30.0))
    app.extensions["saas.db"] = database
    if database.is_postgres and app.config["PRODUCTION"]:
        _refuse_an_unsafe_database_role(app, database)
    init_request_sessions(app)


def _refuse_an_unsafe_database_role(app: Flask, database) -> None:
    """Fail now when DATABASE_URL's role is a superuser, has BYPASSRLS or owns the tables; when the
    database is not reachable yet, the same check runs on the first connection (``install_pg_guards``)."""
    from sqlalchemy.exc import OperationalError

    try:
        with database.engine.connect():
            pass
    except OperationalError as error:
        app.logger.warning("database not reachable at start; the role is checked on first connection: %s", error)


def _init_extensions(app: Flask) -> None:
    from saas.auth import configure_password_hasher, login_manager
    from saas.hygiene import IsoJSONProvider, init_input_hygiene
    from saas.i18n import init_i18n

    app.json = IsoJSONProvider(app)
    init_input_hygiene(app)  # before the blueprints: their rules use its ``int`` converter

    configure_password_hasher(app.config.get("PASSWORD_HASHER_PARAMS"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    init_i18n(app)


def _register_blueprints(app: Flask) -> None:
    from saas.api import api_blueprint, tenant_api
    from saas.audit.views import bp as audit
    from saas.clients.views import bp as clients
    from saas.outbox_views import bp as jobs, platform_bp as platform_jobs
    from saas.health import bp as health
    from saas.platform import bp as platform
    from saas.public import bp as public
    from saas.tenants.views import bp as tenants

    from saas.billing.views import BLUEPRINTS as billing
    from saas.certification.publication import BLUEPRINTS as publication
    from saas.certification.views import BLUEPRINTS as certification
    from saas.hms.views import BLUEPRINTS as hms
    from saas.schemes.views import BLUEPRINTS as schemes
    from saas.audits.views import BLUEPRINTS as audits
    from saas.certification.scheme_views import BLUEPRINTS as scheme_certs
    from saas.certification.complaint_views import BLUEPRINTS as complaints
    from saas.surveys.views import BLUEPRINTS as surveys
    from saas.persons.views import BLUEPRINTS as persons
    from saas.certification.queue_views import bp as review_queue
    from saas.notifications.views import bp as notifications
    from saas.calendar.views import bp as calendar
    from saas.search.views import bp as search

    for blueprint in (health, public, platform, platform_jobs, tenants, clients, audit, jobs, *hms, *schemes, *audits, *persons,
                      *certification, *scheme_certs, *complaints, *publication, *surveys, *billing, review_queue, notifications,
                      calendar, search):
        app.register_blueprint(blueprint)
    for blueprint in (api_blueprint, tenant_api):
        csrf.exempt(blueprint)  # bearer tokens only; the API never reads the session cookie
        app.register_blueprint(blueprint)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _register_error_handlers(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    messages = {
        400: _l("Forespørselen kunne ikke behandles."),
        401: _l("Du må logge inn."),
        403: _l("Du har ikke tilgang til denne siden."),
        404: _l("Siden finnes ikke."),
        405: _l("Metoden er ikke tillatt."),
        413: _l("Filen er for stor. Største tillatte størrelse er 20 MB."),
        429: _l("For mange forsøk. Vent litt og prøv igjen."),
        500: _l("Noe gikk galt hos oss. Prøv igjen om litt."),
        503: _l("Tjenesten er midlertidig utilgjengelig. Prøv igjen om litt."),
    }

    def render_error(code: int, message: str | None = None):
        message = message or messages.get(code, messages[500])
        if _wants_json():
            return jsonify(error=code, message=message), code
        return render_template("errors/error.html", code=code, message=message), code

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, "Skjemaet er utløpt eller mangler sikkerhetsnøkkel (CSRF). Last siden på nytt og prøv igjen.")

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.response is not None:
            return error.response
        if error.code == 401 and request.path.startswith("/api/"):
            from saas.auth import api_unauthorized

            return api_unauthorized()
        if error.code == 429 and error.description and not error.description[0].isdigit():
            return render_error(429, error.description)  # the limit's own message, e.g. for failed logins
        return render_error(error.code or 500)

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        # The database did not answer in time (connect or statement timeout) or went away: a clear 503, so a
        # load balancer retries elsewhere, instead of a 500 that looks like a bug.
        app.logger.error("database unavailable: %s", error.orig if getattr(error, "orig", None) else error)
        session = g.get("db_session")
        if session is not None:
            try:
                session.rollback()
            except Exception:  # noqa: BLE001  (the connection may be gone; the error page does not need it)
                pass
        response = make_response(render_error(503, messages[503]))
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def unexpected(error):
        app.logger.exception("unhandled error")
        session = g.get("db_session")
        if session is not None:
            try:
                session.rollback()  # the error page reads the user; a broken transaction must not break it too
            except Exception:  # a session caught mid-commit cannot even roll back: start the page afresh
                g.pop("db_session", None)
                session.close()
        return render_error(500)


def _register_security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if not request.path.startswith("/static/"):
            # Pages carry tenant data: never from a cache (nor the back button after logout).
            response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'self'; object-src 'none'",
        )
        if app.config["PRODUCTION"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
