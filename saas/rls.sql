-- Row-level security support: how a policy knows which tenant (or platform-level work) the application
-- is doing, without trusting a setting that any session of the runtime role could SET.
--
-- The application proves itself with a secret derived from SECRET_KEY (saas.db.scope_proof); only its
-- SHA-256 is stored, in a table the runtime role cannot read.  enter_scope(tenant, platform, proof)
-- checks the proof and writes, transaction-locally, app.tenant_id, app.platform and app.scope_seal: a
-- SHA-256 over a random key (never readable by the runtime role), this backend's pid, this transaction's
-- start time and the scope.  The policies' functions recompute the seal once per statement; a session that
-- merely SETs app.tenant_id or app.platform, or replays a seal it read in another transaction, gets
-- nothing.  The owner role (migrations, backups with pg_dump --enable-row-security) sees every row.
--
-- Idempotent: run by every migration that enables row-level security.
CREATE SCHEMA IF NOT EXISTS saas_private;
REVOKE ALL ON SCHEMA saas_private FROM PUBLIC;
GRANT USAGE ON SCHEMA saas_private TO PUBLIC;

CREATE TABLE IF NOT EXISTS saas_private.scope_key (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    seal_key text NOT NULL,
    proof_hash text
);
REVOKE ALL ON saas_private.scope_key FROM PUBLIC;
INSERT INTO saas_private.scope_key (seal_key)
VALUES (replace(gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text, '-', ''))
ON CONFLICT DO NOTHING;

CREATE OR REPLACE FUNCTION saas_private.seal(tenant text, platform text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT encode(sha256(convert_to(
        k.seal_key || '|' || pg_backend_pid()::text || '|' || extract(epoch FROM transaction_timestamp())::text
        || '|' || tenant || '|' || platform, 'UTF8')), 'hex')
    FROM saas_private.scope_key k
$$;
REVOKE ALL ON FUNCTION saas_private.seal(text, text) FROM PUBLIC;

-- The seal is seal()'s formula written out: calling the SQL function from here planned it again in every
-- transaction (and read the key a second time); together some 0.07 ms of every request's first round trip.
CREATE OR REPLACE FUNCTION saas_private.enter_scope(tenant integer, platform boolean, proof text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    t text := coalesce(tenant::text, '');
    p text := CASE WHEN platform THEN 'on' ELSE 'off' END;
    key text;
BEGIN
    SELECT k.seal_key INTO key FROM saas_private.scope_key k
     WHERE k.proof_hash = encode(sha256(convert_to(coalesce(proof, ''), 'UTF8')), 'hex');
    IF NOT FOUND THEN
        RAISE EXCEPTION 'saas: the row-level security proof is wrong (run `saas db upgrade` with this SECRET_KEY)'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM set_config('app.tenant_id', t, true), set_config('app.platform', p, true),
            set_config('app.scope_seal', encode(sha256(convert_to(
                key || '|' || pg_backend_pid()::text || '|' || extract(epoch FROM transaction_timestamp())::text
                || '|' || t || '|' || p, 'UTF8')), 'hex'), true);
END $$;
GRANT EXECUTE ON FUNCTION saas_private.enter_scope(integer, boolean, text) TO PUBLIC;

CREATE OR REPLACE FUNCTION saas_private.sealed() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT coalesce(current_setting('app.scope_seal', true), '') = saas_private.seal(
        coalesce(current_setting('app.tenant_id', true), ''), coalesce(current_setting('app.platform', true), 'off'))
$$;
REVOKE ALL ON FUNCTION saas_private.sealed() FROM PUBLIC;

-- The policies' two functions check the seal inline (the formula of seal() and sealed() above), each in ONE
-- security-definer call: a definer function with SET search_path costs a GUC nesting level and a search
-- path recomputation per call, and calling sealed() and seal() from here made three of them per function.
-- They are PL/pgSQL, not SQL: a SQL function that cannot be inlined (a definer can't) is parsed and planned
-- again in every statement that calls it, 0.05 ms a call; PL/pgSQL keeps its plan for the session:
-- 0.002-0.008 ms (issue 16; every statement pays this for every table it reads under a policy).
-- tests/integration/test_least_privilege.py holds them to sealed() in every state a transaction can be put in.

-- The tenant the application sealed for this transaction, else NULL (no row matches).
CREATE OR REPLACE FUNCTION saas_private.rls_tenant() RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    key text;
BEGIN
    SELECT k.seal_key INTO key FROM saas_private.scope_key k;
    IF coalesce(current_setting('app.scope_seal', true), '') = encode(sha256(convert_to(
           key || '|' || pg_backend_pid()::text || '|' || extract(epoch FROM transaction_timestamp())::text
           || '|' || coalesce(current_setting('app.tenant_id', true), '')
           || '|' || coalesce(current_setting('app.platform', true), 'off'), 'UTF8')), 'hex') THEN
        RETURN NULLIF(current_setting('app.tenant_id', true), '')::integer;
    END IF;
    RETURN NULL;
END $$;
GRANT EXECUTE ON FUNCTION saas_private.rls_tenant() TO PUBLIC;

-- True for sealed platform-level work, and for the owner role (the definer of these functions).
CREATE OR REPLACE FUNCTION saas_private.rls_sees_all() RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    key text;
BEGIN
    IF pg_has_role(session_user, current_user, 'MEMBER') THEN
        RETURN true;
    END IF;
    IF current_setting('app.platform', true) IS DISTINCT FROM 'on' THEN
        RETURN false;
    END IF;
    SELECT k.seal_key INTO key FROM saas_private.scope_key k;
    RETURN coalesce(coalesce(current_setting('app.scope_seal', true), '') = encode(sha256(convert_to(
               key || '|' || pg_backend_pid()::text || '|' || extract(epoch FROM transaction_timestamp())::text
               || '|' || coalesce(current_setting('app.tenant_id', true), '') || '|on', 'UTF8')), 'hex'), false);
END $$;
GRANT EXECUTE ON FUNCTION saas_private.rls_sees_all() TO PUBLIC;
