-- 0012: an asset's manager, system and original checked once per statement,
-- like its tenant and unit since 0010 (issue 3, the bulk import), PostgreSQL
-- only.
-- Measured with EXPLAIN ANALYZE on an INSERT of 100,000 assets: the three
-- row foreign keys cost 40 ms each although no imported asset names a
-- manager, system or original (a trigger event queued and run for every
-- row and key), and the statement trigger of 0010 read the statement's rows
-- four times (190 ms). Now one pass gathers the distinct keys of the
-- statement's rows (a handful in an import) and each kind of key is checked
-- over those, with the lock the foreign keys took (KEY SHARE: the row named
-- cannot go away, nor change its key, before the writer commits).
-- The other side of each key keeps refusing as the foreign keys did, with
-- SQLSTATE 23503: deleting a user, a system or an asset that assets still
-- name, or changing its key. For assets naming an original, the check runs
-- after the statement (an original and its copies deleted together may go,
-- as the key's NO ACTION allowed).
-- Whether every distinct (tenant, id) of t and ids (NULL ids left out)
-- names a row of `tbl`, each found row locked as a foreign key's check locks
-- it; otherwise the statement fails naming `what`, with SQLSTATE 23503.
CREATE FUNCTION mmr_keys_known(tbl REGCLASS, what TEXT, t TEXT[], ids BIGINT[])
  RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
  wanted BIGINT;
  found BIGINT;
BEGIN
  SELECT count(*) INTO wanted FROM (
    SELECT DISTINCT x, y FROM unnest(t, ids) p(x, y) WHERE y IS NOT NULL) d;
  IF wanted = 0 THEN
    RETURN;
  END IF;
  EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %s r WHERE (r.tenant, r.id) IN ('
                 'SELECT x, y FROM unnest($1, $2) p(x, y) WHERE y IS NOT NULL) '
                 'FOR KEY SHARE OF r) k', tbl)
    INTO found USING t, ids;
  IF found <> wanted THEN
    RAISE EXCEPTION 'insert or update on table "assets" names a % that does not exist', what
      USING ERRCODE = 'foreign_key_violation';
  END IF;
END $$;
CREATE OR REPLACE FUNCTION mmr_assets_keys_known() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  t TEXT[];
  u BIGINT[];
  m BIGINT[];
  s BIGINT[];
  c BIGINT[];
  wanted BIGINT;
  found BIGINT;
BEGIN
  SELECT array_agg(k.tenant), array_agg(k.unit_id), array_agg(k.manager_id),
         array_agg(k.system_id), array_agg(k.copy_of)
    INTO t, u, m, s, c
    FROM (SELECT tenant, unit_id, manager_id, system_id, copy_of FROM mmr_new
          GROUP BY tenant, unit_id, manager_id, system_id, copy_of) k;
  IF t IS NULL THEN
    RETURN NULL; -- no row
  END IF;
  SELECT count(DISTINCT x) INTO wanted FROM unnest(t) x;
  SELECT count(*) INTO found FROM (
    SELECT 1 FROM tenants r WHERE r.id IN (SELECT unnest(t)) FOR KEY SHARE OF r) k;
  IF found <> wanted THEN
    RAISE EXCEPTION 'insert or update on table "assets" names a tenant that does not exist'
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  PERFORM mmr_keys_known('units', 'unit', t, u);
  PERFORM mmr_keys_known('users', 'manager', t, m);
  PERFORM mmr_keys_known('systems', 'system', t, s);
  PERFORM mmr_keys_known('assets', 'original', t, c);
  RETURN NULL;
END $$;

-- a user, system or asset that assets name (in column TG_ARGV[0]) stays,
-- with its key; TG_ARGV[1] names it in the error
CREATE FUNCTION mmr_still_named() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  used BOOLEAN;
BEGIN
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM assets WHERE tenant = $1 AND %I = $2)',
                 TG_ARGV[0])
    INTO used USING OLD.tenant, OLD.id;
  IF used THEN
    RAISE EXCEPTION '% % is still named by assets (%)', TG_ARGV[1], OLD.id, TG_ARGV[0]
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END $$;
-- originals deleted while copies of them remain after the statement
CREATE FUNCTION mmr_original_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM mmr_old o JOIN assets a ON a.tenant = o.tenant AND a.copy_of = o.id) THEN
    RAISE EXCEPTION 'an asset is still named as the original of a copy'
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER users_assets_del BEFORE DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION mmr_still_named('manager_id', 'user');
CREATE TRIGGER users_assets_key BEFORE UPDATE OF tenant, id ON users
  FOR EACH ROW WHEN (NEW.tenant IS DISTINCT FROM OLD.tenant OR NEW.id IS DISTINCT FROM OLD.id)
  EXECUTE FUNCTION mmr_still_named('manager_id', 'user');
CREATE TRIGGER systems_assets_del BEFORE DELETE ON systems
  FOR EACH ROW EXECUTE FUNCTION mmr_still_named('system_id', 'system');
CREATE TRIGGER systems_assets_key BEFORE UPDATE OF tenant, id ON systems
  FOR EACH ROW WHEN (NEW.tenant IS DISTINCT FROM OLD.tenant OR NEW.id IS DISTINCT FROM OLD.id)
  EXECUTE FUNCTION mmr_still_named('system_id', 'system');
CREATE TRIGGER assets_originals_del AFTER DELETE ON assets REFERENCING OLD TABLE AS mmr_old
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_original_deleted();
CREATE TRIGGER assets_originals_key BEFORE UPDATE OF tenant, id ON assets
  FOR EACH ROW WHEN (NEW.tenant IS DISTINCT FROM OLD.tenant OR NEW.id IS DISTINCT FROM OLD.id)
  EXECUTE FUNCTION mmr_still_named('copy_of', 'asset');
ALTER TABLE assets DROP CONSTRAINT assets_tenant_manager_id_fkey;
ALTER TABLE assets DROP CONSTRAINT assets_tenant_system_id_fkey;
ALTER TABLE assets DROP CONSTRAINT assets_tenant_copy_of_fkey;
