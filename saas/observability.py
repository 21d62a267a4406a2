"""What operators see: logs (text or one JSON object per line), a request id on every request and log
line, optional error reports to Sentry, and the client's address behind trusted reverse proxies."""
from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-Id"
# An id from the proxy is kept only when it is short and plain, so it cannot forge log lines.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_HANDLER_MARK = "_saas_handler"


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` (or "-") on every record, for both formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if has_request_context():
            entry["method"], entry["path"] = request.method, request.path
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def configure_logging(app: Flask) -> None:
    """One handler on the root logger, in the configured format (idempotent: tests build many apps).
    Handlers that others installed (pytest's capture, gunicorn's) are left alone."""
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    handler = next((h for h in root.handlers if getattr(h, _HANDLER_MARK, False)), None)
    if handler is None:
        if root.handlers and not app.config["LOG_FORMAT"] == "json":
            return  # someone configured logging already; keep theirs (as logging.basicConfig did)
        handler = logging.StreamHandler()
        setattr(handler, _HANDLER_MARK, True)
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if app.config["LOG_FORMAT"] == "json" else logging.Formatter(TEXT_FORMAT))


def init_request_ids(app: Flask) -> None:
    """Honour the proxy's ``X-Request-Id`` (or make one), keep it in ``g.request_id`` for the logs, and
    echo it on the response."""

    @app.before_request
    def _request_id():
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response):
        if "request_id" in g:
            response.headers[REQUEST_ID_HEADER] = g.request_id
        return response


def init_proxy_fix(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` proxies, take the client's address, scheme, host and port from the
    X-Forwarded-* headers those proxies set (the rate limits key on the real client).  With 0, the headers
    are ignored: a client could set them itself."""
    count = app.config["TRUSTED_PROXIES"]
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count)


def init_sentry(app: Flask) -> None:
    """Report unhandled errors to Sentry when ``SENTRY_DSN`` is set; sentry-sdk is imported only then."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    try:
        import sentry_sdk
        from sentry_sdk.integrations.flask import FlaskIntegration
    except ImportError:
        from saas.config import ConfigError

        raise ConfigError("SENTRY_DSN er satt, men sentry-sdk er ikke installert (SENTRY_DSN is set but "
                          "sentry-sdk is not installed): pip install 'saas[sentry]'.") from None
    sentry_sdk.init(dsn=dsn, integrations=[FlaskIntegration()], environment=app.config["SAAS_ENV"],
                    send_default_pii=False, traces_sample_rate=0.0)
    sentry_sdk.set_tag("service", "saas")
