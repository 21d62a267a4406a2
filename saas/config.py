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
    ("SAAS_ENV", "development", "`production` turns on secure cookies and requires SECRET_KEY; implied when DATABASE_URL is set"),
    ("SECRET_KEY", None, "signs sessions and tokens; required in production (development keeps a random one in the instance folder)"),
    ("DATABASE_URL", "sqlite:///instance/saas.sqlite3", "any SQLAlchemy URL, e.g. postgresql+psycopg://saas@127.0.0.1/saas"),
    ("REDIS_URL", None, "RQ queue; without it jobs run in-process"),
    ("DB_STATEMENT_TIMEOUT", "15", "PostgreSQL: seconds a statement may run before the server cancels it"),
    ("DB_CONNECT_TIMEOUT", "5", "PostgreSQL: seconds to open a connection (a server that never answers fails fast)"),
    ("DB_BUSY_TIMEOUT", "30", "SQLite: seconds a writer waits for the write lock"),
    ("READYZ_TIMEOUT", "2", "seconds each check of `/readyz` (database, Redis, storage) may take"),
    ("PUBLIC_BASE_URL", "http://127.0.0.1:5000", "absolute base for links in e-mails, PDFs and QR codes"),
    ("MAIL_FROM", "noreply@hms-sertifikat.local", "sender address"),
    ("SMTP_URL", None, "smtp://user:pass@host:587 to send real e-mail; without it mail goes to the outbox"),
    ("STORAGE_DIR", "instance/files", "where uploaded files and PDFs are stored (outside any served folder)"),
    ("BRREG_URL", "https://data.brreg.no/enhetsregisteret/api", "Enhetsregisteret API base"),
    ("RATELIMIT_STORAGE_URI", None, "Flask-Limiter storage; defaults to REDIS_URL, else memory"),
    ("LOGIN_RATE_LIMIT", "10 per 5 minutes", "failed-login limit per e-mail address and client"),
    ("STRIPE_SECRET_KEY", None, "the platform's Stripe key: tenant subscriptions, and Connect payments for tenants"),
    ("STRIPE_PUBLISHABLE_KEY", None, "the platform's publishable key (Stripe.js on the card pages)"),
    ("STRIPE_WEBHOOK_SECRET", None, "signing secret of the platform endpoint /stripe/webhook"),
    ("STRIPE_API_BASE", "https://api.stripe.com", "Stripe API base (tests point it at localstripe)"),
    ("STRIPE_JS_URL", "https://js.stripe.com/v3/", "Stripe.js URL"),
)


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
    production = env.get("SAAS_ENV", "production" if env.get("DATABASE_URL") else "development") == "production"

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
        "REDIS_URL": redis_url,
        "DB_STATEMENT_TIMEOUT": _seconds(env, "DB_STATEMENT_TIMEOUT", 15),
        "DB_CONNECT_TIMEOUT": _seconds(env, "DB_CONNECT_TIMEOUT", 5),
        "DB_BUSY_TIMEOUT": _seconds(env, "DB_BUSY_TIMEOUT", 30),
        "READYZ_TIMEOUT": _seconds(env, "READYZ_TIMEOUT", 2),
        # "thread": in-process background thread (embedded default); "sync": right after commit (tests)
        "JOBS_MODE": env.get("JOBS_MODE") or ("rq" if redis_url else "thread"),
        "EMBEDDED": database_url.startswith("sqlite"),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "MAIL_FROM": env.get("MAIL_FROM", "noreply@hms-sertifikat.local"),
        "SMTP_URL": env.get("SMTP_URL") or None,
        "STORAGE_DIR": str(storage),
        "BRREG_URL": env.get("BRREG_URL", "https://data.brreg.no/enhetsregisteret/api").rstrip("/"),
        "BRREG_TIMEOUT": float(env.get("BRREG_TIMEOUT", "4")),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or (redis_url or "memory://"),
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
