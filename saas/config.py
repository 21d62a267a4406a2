"""Settings from the environment.

With no settings at all the product runs on its embedded default: a SQLite file in the instance
folder, jobs in-process, e-mail to a local outbox.  Setting ``DATABASE_URL`` (or
``SAAS_ENV=production``) means production, which refuses to start without ``SECRET_KEY``.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """A production setting is missing or wrong; the process must not start."""


SETTINGS = (
    # name, default, description (the README's table is written from this list)
    ("SAAS_ENV", "development", "`development` or `production` (anything else refuses to start); `production` turns on secure cookies, requires SECRET_KEY and a least-privilege database role; implied when DATABASE_URL is set"),
    ("SECRET_KEY", None, "signs sessions and tokens; required in production (development keeps a random one in the instance folder)"),
    ("DATABASE_URL", "sqlite:///instance/saas.sqlite3", "any SQLAlchemy URL; on PostgreSQL the RUNTIME role, e.g. postgresql+psycopg://saas_app@127.0.0.1/saas"),
    ("MIGRATION_DATABASE_URL", "DATABASE_URL", "the OWNER role's URL, used by `saas db upgrade` (and backups); e.g. postgresql+psycopg://saas_owner@127.0.0.1/saas"),
    ("REDIS_URL", None, "RQ queue; without it jobs run in-process"),
    ("DB_STATEMENT_TIMEOUT", "15", "PostgreSQL: seconds a statement may run before the server cancels it"),
    ("DB_CONNECT_TIMEOUT", "5", "PostgreSQL: seconds to open a connection (a server that never answers fails fast)"),
    ("DB_BUSY_TIMEOUT", "30", "SQLite: seconds a writer waits for the write lock"),
    ("READYZ_TIMEOUT", "2", "seconds each check of `/readyz` (database, Redis, storage) may take"),
    ("PUBLIC_BASE_URL", None, "absolute base for links in e-mails, PDFs and QR codes; default: where `saas serve` listens (http://127.0.0.1:$PORT, port 5000 unless PORT is set)"),
    ("MAIL_FROM", "noreply@hms-sertifikat.local", "sender address"),
    ("JOB_RETRY_INTERVALS", "10,60,300", "seconds between the attempts of a failing background job (four attempts in all)"),
    ("SMTP_URL", None, "smtp://user:pass@host:587 to send real e-mail; without it mail goes to the outbox"),
    ("STORAGE_DIR", "instance/files", "where uploaded files and PDFs are stored (outside any served folder)"),
    ("STORAGE_URL", None, "`file:///srv/saas/files` (the local disk, default STORAGE_DIR) or `s3://bucket/prefix?endpoint_url=https://…&region=…` (credentials from the AWS_* variables)"),
    ("MAX_IMAGE_PIXELS", "40000000", "largest uploaded image, in pixels, checked from the header before decoding"),
    ("BRREG_URL", "https://data.brreg.no/enhetsregisteret/api", "Enhetsregisteret API base"),
    ("RATELIMIT_STORAGE_URI", None, "Flask-Limiter storage; defaults to REDIS_URL, else memory"),
    ("LOGIN_RATE_LIMIT", "10 per 5 minutes", "failed-login limit per e-mail address and client"),
    ("STRIPE_SECRET_KEY", None, "the platform's Stripe key: tenant subscriptions, and Connect payments for tenants"),
    ("STRIPE_PUBLISHABLE_KEY", None, "the platform's publishable key (Stripe.js on the card pages)"),
    ("STRIPE_WEBHOOK_SECRET", None, "signing secret of the platform endpoint /stripe/webhook"),
    ("STRIPE_API_BASE", "https://api.stripe.com", "Stripe API base (tests point it at localstripe)"),
    ("STRIPE_JS_URL", "https://js.stripe.com/v3/", "Stripe.js URL"),
    ("TRUSTED_PROXIES", "0", "how many reverse proxies in front of the product set X-Forwarded-For/-Proto/-Host/-Port (Werkzeug ProxyFix); 0 trusts none"),
    ("LOG_FORMAT", "text", "`text`, or `json`: one JSON object per line with the request id"),
    ("SENTRY_DSN", None, "report errors to Sentry (install the extra: `pip install 'saas[sentry]'`)"),
)

ENVIRONMENTS = ("development", "production")
LOG_FORMATS = ("text", "json")


def _instance_path(root: Path) -> Path:
    path = root / "instance"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _development_secret(instance: Path) -> str:
    """A random key kept in the instance folder, so dev sessions survive restarts without a default secret."""
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _positive_int(env: dict, name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    if not raw.isdigit() or int(raw) <= 0:
        raise ConfigError(f"{name} må være et positivt heltall ({name} must be a positive integer).")
    return int(raw)


def _storage_url(url: str | None) -> str | None:
    if url and not url.startswith(("file://", "s3://")):
        raise ConfigError("STORAGE_URL må begynne med file:// eller s3:// (STORAGE_URL must start with file:// or s3://).")
    return url


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name) or str(default)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} må være et antall sekunder ({name} must be a number of seconds), not {raw!r}.") from None
    if not 0 < value <= 3600:
        raise ConfigError(f"{name} må være mellom 0 og 3600 sekunder ({name} must be between 0 and 3600 seconds).")
    return value


def load_config(env: dict[str, str] | None = None, root: Path | None = None) -> dict:
    """Build the Flask config mapping from ``env`` (default: ``os.environ``)."""
    env = dict(os.environ if env is None else env)
    root = root or Path(env.get("SAAS_ROOT", Path.cwd()))
    instance = _instance_path(root)
    saas_env = env.get("SAAS_ENV") or ("production" if env.get("DATABASE_URL") else "development")
    if saas_env not in ENVIRONMENTS:
        raise ConfigError(f"SAAS_ENV={saas_env!r} er ukjent; bruk development eller production "
                          f"(unknown SAAS_ENV {saas_env!r}: use development or production).")
    production = saas_env == "production"
    try:
        trusted_proxies = int(env.get("TRUSTED_PROXIES") or 0)
        if trusted_proxies < 0:
            raise ValueError
    except ValueError:
        raise ConfigError(f"TRUSTED_PROXIES må være et helt tall, 0 eller mer (TRUSTED_PROXIES must be a whole "
                          f"number of proxies, 0 or more), not {env.get('TRUSTED_PROXIES')!r}.") from None
    log_format = (env.get("LOG_FORMAT") or "text").lower()
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT må være text eller json (LOG_FORMAT must be text or json), not {log_format!r}.")

    secret = env.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError("SECRET_KEY må være satt i produksjon (SECRET_KEY is required in production).")
        secret = _development_secret(instance)
    elif production and len(secret) < 32:
        raise ConfigError("SECRET_KEY må være minst 32 tegn (SECRET_KEY must be at least 32 characters).")

    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'saas.sqlite3'}"
    redis_url = env.get("REDIS_URL") or None
    storage = Path(env.get("STORAGE_DIR") or instance / "files")
    return {
        "PRODUCTION": production,
        "SECRET_KEY": secret,
        "DATABASE_URL": database_url,
        # the owner (migration) role; create_app() falls back to DATABASE_URL (also when that is overridden)
        "MIGRATION_DATABASE_URL": env.get("MIGRATION_DATABASE_URL") or None,
        "SAAS_ENV": saas_env,
        "TRUSTED_PROXIES": trusted_proxies,
        "LOG_FORMAT": log_format,
        "SENTRY_DSN": env.get("SENTRY_DSN") or None,
        "REDIS_URL": redis_url,
        "DB_STATEMENT_TIMEOUT": _seconds(env, "DB_STATEMENT_TIMEOUT", 15),
        "DB_CONNECT_TIMEOUT": _seconds(env, "DB_CONNECT_TIMEOUT", 5),
        "DB_BUSY_TIMEOUT": _seconds(env, "DB_BUSY_TIMEOUT", 30),
        "READYZ_TIMEOUT": _seconds(env, "READYZ_TIMEOUT", 2),
        # "thread": in-process background thread (embedded default); "sync": right after commit (tests)
        "JOBS_MODE": env.get("JOBS_MODE") or ("rq" if redis_url else "thread"),
        "EMBEDDED": database_url.startswith("sqlite"),
        "PUBLIC_BASE_URL": (env.get("PUBLIC_BASE_URL") or f"http://127.0.0.1:{env.get('PORT') or 5000}").rstrip("/"),
        "MAIL_FROM": env.get("MAIL_FROM", "noreply@hms-sertifikat.local"),
        "SMTP_URL": env.get("SMTP_URL") or None,
        "JOB_RETRY_INTERVALS": tuple(int(s) for s in (env.get("JOB_RETRY_INTERVALS") or "10,60,300").split(",") if s.strip()),
        "STORAGE_DIR": str(storage),
        "STORAGE_URL": _storage_url(env.get("STORAGE_URL") or None),
        "MAX_IMAGE_PIXELS": _positive_int(env, "MAX_IMAGE_PIXELS", 40_000_000),
        "BRREG_URL": env.get("BRREG_URL", "https://data.brreg.no/enhetsregisteret/api").rstrip("/"),
        "BRREG_TIMEOUT": float(env.get("BRREG_TIMEOUT", "4")),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or (redis_url or "memory://"),
        # With Redis down the limits are kept in memory meanwhile: login keeps working, and limited.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per 5 minutes"),
        "MAX_CONTENT_LENGTH": 21 * 1024 * 1024,
        "MAX_UPLOAD_BYTES": 20 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 12,
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "nb",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Oslo",
        "LOAD_DEMO": False,
    }
