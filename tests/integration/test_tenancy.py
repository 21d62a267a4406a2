"""The tenancy module on its own: scoping, fail-closed, refused writes, and PostgreSQL's second wall."""
import pytest
from sqlalchemy import bindparam, delete, func, select, text, update

from saas.clients.models import ClientCompany
from saas.tenancy import CrossTenantWrite, TenantNotBound, bind_tenant, platform_access, tenant_models, tenant_tables


def test_every_orm_query_sees_only_the_bound_tenants_rows(db, two_tenants):
    a, b = two_tenants["a"], two_tenants["b"]
    bind_tenant(db, a["tenant"].id)
    for model in tenant_models():
        tenants = set(db.scalars(select(model.tenant_id)).all())
        assert tenants <= {a["tenant"].id}, model.__name__
        assert db.get(model, _id_in(db, model, b["tenant"].id)) is None, model.__name__


def _id_in(db, model, tenant_id):
    with platform_access(db):
        return db.scalar(select(model.id).where(model.tenant_id == tenant_id))


_BUILT_ONCE = select(ClientCompany.tenant_id, func.count()).group_by(ClientCompany.tenant_id)


def test_a_statement_built_once_is_scoped_afresh_for_each_tenant_it_runs_for(db, two_tenants):
    """Statements built once (module level) keep one tenant-scoped copy per tenant: each tenant still reads
    only its own rows, run after run."""
    from saas.tenancy import _scoped

    a, b = two_tenants["a"]["tenant"].id, two_tenants["b"]["tenant"].id
    for _ in range(2):
        for tenant_id in (a, b, a):
            bind_tenant(db, tenant_id)
            assert {row.tenant_id for row in db.execute(_BUILT_ONCE)} == {tenant_id}
    assert _scoped(_BUILT_ONCE, a) is _scoped(_BUILT_ONCE, a) and _scoped(_BUILT_ONCE, a) is not _scoped(_BUILT_ONCE, b)


_NOTES_OF = (update(ClientCompany).where(ClientCompany.name.like(bindparam("pattern")))
             .values(notes=bindparam("new_notes"), updated_at=ClientCompany.updated_at)
             .returning(ClientCompany.tenant_id, ClientCompany.notes))


def test_a_statement_run_built_sees_and_changes_only_the_bound_tenants_rows(db, two_tenants, count_queries):
    """``run_built`` compiles once with the tenant's criteria and binds each run's tenant: a run for A and
    then for B with the same statement object each touch their own rows; each run is one counted statement."""
    from saas.tenancy import run_built

    a, b = two_tenants["a"]["tenant"].id, two_tenants["b"]["tenant"].id
    for tenant_id, notes in ((a, "endret av A"), (b, "endret av B"), (a, "igjen A")):
        bind_tenant(db, tenant_id)
        with count_queries() as counted:
            rows = run_built(db, _NOTES_OF, {"pattern": "%", "new_notes": notes}).all()
        assert rows and {row.tenant_id for row in rows} == {tenant_id} and {row.notes for row in rows} == {notes}
        assert counted.count == 1
        db.commit()
    with platform_access(db):
        notes = dict(db.execute(select(ClientCompany.tenant_id, func.min(ClientCompany.notes))
                                .group_by(ClientCompany.tenant_id)).all())
        everyone = run_built(db, select(func.count(ClientCompany.id)), {}).scalar()
        assert everyone == db.scalar(text("SELECT count(*) FROM client_companies")) > len(rows)
    assert notes == {a: "igjen A", b: "endret av B"}


def test_a_statement_run_built_with_no_tenant_bound_fails_closed(db, two_tenants):
    from saas.tenancy import run_built

    bind_tenant(db, None)
    with pytest.raises(TenantNotBound):
        run_built(db, _NOTES_OF, {"pattern": "%", "new_notes": "x"})


@pytest.mark.postgres
def test_run_built_refuses_what_it_would_leave_undone(db, two_tenants):
    """SQLAlchemy's execution computes ``updated_at``'s onupdate in Python and converts a ``UTCDateTime`` read
    back; run_built does neither, so it refuses such statements (on PostgreSQL: elsewhere the session runs them)."""
    from saas.tenancy import run_built

    bind_tenant(db, two_tenants["a"]["tenant"].id)
    with pytest.raises(TypeError, match="Python-side"):
        run_built(db, update(ClientCompany).values(notes="x"), {})
    with pytest.raises(TypeError, match="created_at"):
        run_built(db, select(ClientCompany.id, ClientCompany.created_at), {})


def test_bulk_update_and_delete_never_touch_another_tenant(db, two_tenants):
    a, b = two_tenants["a"], two_tenants["b"]
    bind_tenant(db, a["tenant"].id)
    db.execute(update(ClientCompany).values(notes="endret"))
    db.execute(delete(ClientCompany).where(ClientCompany.name.like("Annen%")))
    with platform_access(db):
        b_rows = db.execute(select(ClientCompany.notes, ClientCompany.name).where(ClientCompany.tenant_id == b["tenant"].id)).all()
    assert len(b_rows) == 2 and all(notes == "" for notes, _ in b_rows)


def test_a_query_with_no_tenant_bound_fails_closed(db, two_tenants):
    bind_tenant(db, None)
    with pytest.raises(TenantNotBound):
        db.scalars(select(ClientCompany)).all()
    with pytest.raises(TenantNotBound):
        db.scalar(select(func.count(ClientCompany.id)))


def test_writing_another_tenants_row_is_refused(db, two_tenants):
    a, b = two_tenants["a"], two_tenants["b"]
    a_id, b_id = a["tenant"].id, b["tenant"].id  # tenant B's row is invisible once bound to A (RLS)
    with platform_access(db):
        foreign = db.get(ClientCompany, b["company"].id)
    bind_tenant(db, a_id)
    foreign.name = "Kapret AS"
    with pytest.raises(CrossTenantWrite):
        db.flush()
    db.rollback()
    bind_tenant(db, a_id)
    db.add(ClientCompany(name="Ny", org_number="974760673", tenant_id=b_id))
    with pytest.raises(CrossTenantWrite):
        db.flush()
    db.rollback()


def test_new_rows_are_stamped_with_the_bound_tenant(db, two_tenants):
    a = two_tenants["a"]
    bind_tenant(db, a["tenant"].id)
    company = ClientCompany(name="Stemplet AS", org_number="974760673")
    db.add(company)
    db.flush()
    assert company.tenant_id == a["tenant"].id


@pytest.mark.postgres
def test_raw_sql_with_tenant_a_bound_returns_none_of_tenant_bs_rows(db, two_tenants):
    a, b = two_tenants["a"], two_tenants["b"]
    bind_tenant(db, a["tenant"].id)
    for table in tenant_tables():
        rows = db.execute(text(f'SELECT tenant_id FROM "{table}"')).scalars().all()
        assert b["tenant"].id not in rows, table
        assert rows, f"{table} should still show tenant A's rows"


@pytest.mark.postgres
def test_raw_sql_cannot_insert_into_another_tenant(db, two_tenants):
    a, b = two_tenants["a"], two_tenants["b"]
    bind_tenant(db, a["tenant"].id)
    with pytest.raises(Exception, match="row-level security"):
        with db.begin_nested():
            db.execute(text("INSERT INTO client_companies (tenant_id, name, org_number, org_form, address, postcode, city, "
                            "postal_address, industry_code, works_off_premises, follow_up_agreement, notes, created_at, updated_at) "
                            "VALUES (:t, 'X', '974760673', '', '', '', '', '', '', false, false, '', now(), now())"), {"t": b["tenant"].id})


@pytest.mark.postgres
def test_every_tenant_table_has_forced_row_level_security(db):
    rows = db.execute(text(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
        "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) FROM pg_class c WHERE c.relname = ANY(:names)"
    ), {"names": tenant_tables()}).all()
    assert {r[0] for r in rows} == set(tenant_tables())
    for name, enabled, forced, policies in rows:
        assert enabled and forced and policies >= 1, name


@pytest.mark.postgres
def test_the_application_role_is_not_exempt_from_row_level_security(db):
    assert db.execute(text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")).scalar() is False


@pytest.mark.postgres
def test_the_audit_log_is_append_only_even_for_raw_sql(db, two_tenants):
    """The runtime role holds no UPDATE or DELETE grant on it; the trigger stops even the owner."""
    bind_tenant(db, two_tenants["a"]["tenant"].id)
    for statement in ("DELETE FROM audit_events", "UPDATE audit_events SET summary = ''"):
        with pytest.raises(Exception, match="permission denied for table audit_events"):
            with db.begin_nested():
                db.execute(text(statement))
