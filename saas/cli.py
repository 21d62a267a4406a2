"""The ``saas`` command: serve, demo data, tenants, users, tokens, migrations, worker, backup and restore."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext


def _create_app():
    from saas.app import create_app
    from saas.config import ConfigError
    from saas.db import UnsafeDatabaseRole

    try:
        return create_app()
    except (ConfigError, UnsafeDatabaseRole) as error:
        raise click.ClickException(str(error)) from None


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False)
def main():
    """HMS-sertifisering: administrasjonskommandoer."""


def _db():
    return current_app.extensions["saas.db"]


def ensure_schema() -> bool:
    """Create the schema on the embedded default (SQLite) when missing; True when it was created.

    Production databases are only ever changed by Alembic migrations (``saas db upgrade``).
    """
    from sqlalchemy import inspect

    db = _db()
    if "tenants" in inspect(db.engine).get_table_names():
        return False
    if not current_app.config["EMBEDDED"]:
        raise click.ClickException("Databasen har ikke skjema. Kjør `saas db upgrade` først.")
    from saas.migrate import upgrade

    upgrade(db.url)
    return True


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int):
    """Run the product.  On the embedded default, creates the schema and demo data on first start."""
    from werkzeug.serving import run_simple

    _default_public_base_url(host, port)
    if ensure_schema():
        from saas.demo import load_demo

        with _db().session_scope() as session:
            load_demo(session)
        click.echo("Opprettet database og demodata.")
    click.echo(f"HMS-sertifisering kjører på http://{host}:{port}")
    if current_app.config["JOBS_MODE"] == "thread":
        from saas.scheduler import start_in_background

        start_in_background(current_app._get_current_object())
    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)


def _default_public_base_url(host: str, port: int) -> None:
    """Without PUBLIC_BASE_URL, links in e-mails, QR codes and PDFs point where this server listens."""
    import os
    import socket

    if os.environ.get("PUBLIC_BASE_URL"):
        return
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:  # an IPv6 address
        shown = f"[{shown}]"
    current_app.config["PUBLIC_BASE_URL"] = f"http://{shown}:{port}"


@main.command()
@with_appcontext
def demo():
    """Load the demo data (idempotent)."""
    from saas.demo import load_demo

    from saas.migrate import analyze

    ensure_schema()
    with _db().session_scope() as session:
        created = load_demo(session)
    if created:
        analyze(current_app.config["MIGRATION_DATABASE_URL"])  # the planner's statistics for the new rows
    click.echo("Demodata lastet." if created else "Demodata finnes allerede.")


@main.command("create-tenant")
@click.option("--slug", required=True)
@click.option("--name", required=True)
@click.option("--org-number", required=True)
@click.option("--admin-email", required=True)
@click.option("--admin-name", default="Administrator")
@click.option("--admin-password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def create_tenant_cmd(slug, name, org_number, admin_email, admin_name, admin_password):
    """Create a provider with its first administrator."""
    from saas.schemas import FieldErrors, load_json
    from saas.tenancy import bind_tenant
    from saas.tenants import services
    from saas.tenants.schemas import TenantSchema

    try:
        data = load_json(TenantSchema(), {"slug": slug, "name": name, "org_number": org_number})
        with _db().session_scope() as session:
            tenant = services.create_tenant(session, data)
            bind_tenant(session, tenant.id)
            services.create_user(session, tenant.id, admin_email, admin_name, ["admin"], password=admin_password)
    except FieldErrors as error:
        raise click.ClickException("; ".join(f"{k}: {' '.join(v)}" for k, v in error.errors.items()))
    click.echo(f"Opprettet {name} ({slug}) med administrator {admin_email}.")


@main.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--tenant", "slug", help="tenant slug; omit with --operator")
@click.option("--role", "roles", multiple=True, type=click.Choice(["admin", "consultant", "reviewer", "client"]))
@click.option("--operator", is_flag=True, help="a platform operator (no tenant)")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def create_user_cmd(email, name, slug, roles, operator, password):
    """Create a user in a tenant, or a platform operator."""
    from sqlalchemy import select

    from saas.schemas import FieldErrors
    from saas.tenancy import bind_tenant, platform_access
    from saas.tenants import services
    from saas.tenants.models import Tenant

    if operator == bool(slug):
        raise click.UsageError("Oppgi enten --tenant eller --operator.")
    if slug and not roles:
        raise click.UsageError("Oppgi minst én --role.")
    try:
        with _db().session_scope() as session:
            tenant_id = None
            if slug:
                with platform_access(session):
                    tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == slug))
                if tenant_id is None:
                    raise click.ClickException(f"Fant ingen tilbyder med kortnavn {slug}.")
                bind_tenant(session, tenant_id)
            services.create_user(session, tenant_id, email, name, roles, password=password, is_operator=operator)
    except FieldErrors as error:
        raise click.ClickException("; ".join(" ".join(v) for v in error.errors.values()))
    click.echo(f"Opprettet {email}.")


@main.group()
def token():
    """Personal API tokens."""


@token.command("create")
@click.argument("email")
@click.option("--name", default="CLI")
@with_appcontext
def token_create(email, name):
    """Print a new API token for the user with EMAIL (shown once)."""
    from sqlalchemy import func, select

    from saas.auth import create_api_token
    from saas.tenancy import bind_tenant, platform_access
    from saas.tenants.models import User

    with _db().session_scope() as session:
        with platform_access(session):
            user = session.scalar(select(User).where(func.lower(User.email) == email.lower()))
        if user is None or user.tenant_id is None:
            raise click.ClickException(f"Fant ingen bruker i en tilbyder med e-post {email}.")
        bind_tenant(session, user.tenant_id)
        _, secret = create_api_token(session, user, name)
    click.echo(secret)


@main.group()
def db():
    """Database migrations (Alembic)."""


@db.command("analyze")
@with_appcontext
def db_analyze():
    """Gather the planner's statistics (ANALYZE) as the owner role (MIGRATION_DATABASE_URL): after a bulk
    import, or wherever autovacuum is off."""
    from saas.migrate import analyze

    done = analyze(current_app.config["MIGRATION_DATABASE_URL"])
    click.echo("Statistikken er oppdatert." if done else "SQLite: ingenting å gjøre.")


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision):
    """Migrate the database to REVISION (default: head), as the owner role (MIGRATION_DATABASE_URL), then
    grant the runtime role (DATABASE_URL) what the application needs."""
    from saas.db import scope_proof
    from saas.migrate import upgrade

    config = current_app.config
    upgrade(config["MIGRATION_DATABASE_URL"], revision, runtime_url=config["DATABASE_URL"],
            scope_proof=scope_proof(config["SECRET_KEY"]))
    click.echo(f"Databasen er migrert til {revision}.")


@main.command()
@click.option("--burst", is_flag=True, help="stop when the queue is empty")
@with_appcontext
def worker(burst):
    """Run the Procfile's RQ worker (saas.worker.PreloadedWorker, with the scheduler, which runs retries and the
    clock's ticks) for this application."""
    from rq import Queue

    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL er ikke satt; jobbene kjører i prosessen.")
    import saas.jobs
    from redis import Redis

    from saas.worker import PreloadedWorker

    saas.jobs._worker_app = app
    connection = Redis.from_url(app.config["REDIS_URL"])  # the worker's own: RQ sets its timeouts for blocking reads
    PreloadedWorker([Queue("default", connection=connection)], connection=connection).work(burst=burst, with_scheduler=True)


@main.command()
@click.option("--date", "on", default=None, help="the day to run for (YYYY-MM-DD), default today in Oslo")
@click.option("--wait", "wait", default=0, type=int, help="seconds to wait for the jobs to finish (0: just start them)")
@with_appcontext
def daily(on, wait):
    """Start the daily jobs once (reminders, expiry, retention, repairs).  Safe to run twice a day: a job
    already done today does not run again."""
    from datetime import date

    from saas.scheduler import run_daily

    from saas.db import utcnow

    app = current_app._get_current_object()
    started = utcnow()
    keys = run_daily(app, date.fromisoformat(on) if on else None)
    click.echo("Startet: " + (", ".join(keys) or "ingen daglige jobber"))
    if wait:
        states = _wait_for_jobs(app, keys, started, wait)
        for key in keys:
            click.echo(f"{key}: {states.get(key, 'ukjent')}")
        if any(states.get(key) != "done" for key in keys):
            raise SystemExit(1)


def _wait_for_jobs(app, keys: list[str], started, seconds: int) -> dict:
    """Wait until the daily jobs and the jobs they caused have finished; returns the daily jobs' states."""
    import time

    from sqlalchemy import func, select

    from saas.outbox import DONE, FAILED, PENDING, OutboxJob, wait_until_idle
    from saas.tenancy import platform_access

    if app.config["JOBS_MODE"] == "thread":
        wait_until_idle(app, seconds)
    deadline = time.monotonic() + seconds
    while True:
        with _db().session_scope(write_lock=False) as session, platform_access(session):
            states = dict(session.execute(select(OutboxJob.job_key, OutboxJob.status).where(OutboxJob.job_key.in_(keys))).all())
            caused = session.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.status == PENDING,
                                                                          OutboxJob.created_at >= started))
        if (all(states.get(k) in (DONE, FAILED) for k in keys) and not caused) or time.monotonic() > deadline:
            return states
        time.sleep(0.5)


@main.command()
@with_appcontext
def sweep():
    """Hand every job that waits in the outbox over to the queue again (the clock does this every minute)."""
    from saas.outbox import sweep as sweep_outbox

    count = sweep_outbox(current_app._get_current_object())
    click.echo(f"{count} jobber sendt til køen på nytt.")


@main.command()
@with_appcontext
def schedule():
    """The clock: RQ's cron scheduler with saas/cron.py (the same as ``rq cron saas.cron``); without
    REDIS_URL, ticks in this process every minute."""
    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        from saas.scheduler import run_forever

        run_forever(app)
        return
    from rq.cron import CronScheduler

    from saas.jobs import redis_connection

    scheduler = CronScheduler(connection=redis_connection(app))
    scheduler.load_config_from_file("saas.cron")
    scheduler.start()


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup(path):
    """Write every tenant's rows and every stored file to the archive PATH (a tar file)."""
    from saas.backup import BackupError, backup as make_backup

    try:
        summary = make_backup(current_app._get_current_object(), path, echo=click.echo)
    except BackupError as error:
        raise click.ClickException(str(error))
    for key in summary.skipped:
        click.echo(f"Hoppet over {key}: ikke en fil produktet har lagret.", err=True)
    click.echo(f"Sikkerhetskopi skrevet til {path}.")


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="restore over a database or store that is not empty")
@with_appcontext
def restore(path, force):
    """Restore the archive PATH into a fresh database and an empty store (checks every SHA-256)."""
    from saas.backup import BackupError, restore as run_restore

    try:
        run_restore(current_app._get_current_object(), path, force=force, echo=click.echo)
    except BackupError as error:
        raise click.ClickException(str(error))
    click.echo(f"Gjenopprettet fra {path}.")


def register_cli(app) -> None:
    """Also expose the commands through ``flask --app saas.app``."""
    for name, command in main.commands.items():
        app.cli.add_command(command, name)
