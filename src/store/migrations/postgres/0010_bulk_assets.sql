-- 0010: cheaper rows for a bulk import of assets (issue 3), PostgreSQL only.
-- Measured with callgrind on the server process of a 10,000-asset import
-- (4,498 M instructions before); each change below says what it saved.

-- An asset's tenant was checked by a row foreign key: one lookup of the
-- tenant, with its executor set up and torn down, for every asset (7.5% of
-- the import). It is checked once per statement now, over the distinct
-- tenants of the statement's rows (one, in practice), with the same lock the
-- foreign key took (KEY SHARE: the tenant cannot go away before the writer
-- commits). The other side of the key, a tenant deleted or renamed while
-- assets name it, is refused by mmr_tenant_still_used below, as the foreign
-- key refused it (SQLSTATE 23503 both).
CREATE FUNCTION mmr_assets_tenant_known() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  wanted BIGINT;
  found BIGINT;
BEGIN
  SELECT count(DISTINCT tenant) INTO wanted FROM mmr_new;
  SELECT count(*) INTO found FROM (
    SELECT 1 FROM tenants t WHERE t.id IN (SELECT tenant FROM mmr_new) FOR KEY SHARE OF t) k;
  IF found <> wanted THEN
    RAISE EXCEPTION 'insert or update on table "assets" names a tenant that does not exist'
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION mmr_tenant_still_used() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (TG_OP = 'DELETE' OR NEW.id IS DISTINCT FROM OLD.id)
     AND EXISTS (SELECT 1 FROM assets WHERE tenant = OLD.id) THEN
    RAISE EXCEPTION 'tenant "%" is still named by assets', OLD.id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER assets_tenant_ins AFTER INSERT ON assets REFERENCING NEW TABLE AS mmr_new
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_assets_tenant_known();
CREATE TRIGGER assets_tenant_upd AFTER UPDATE ON assets REFERENCING NEW TABLE AS mmr_new
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_assets_tenant_known();
CREATE TRIGGER tenants_assets BEFORE DELETE OR UPDATE ON tenants
  FOR EACH ROW EXECUTE FUNCTION mmr_tenant_still_used();
ALTER TABLE assets DROP CONSTRAINT assets_tenant_fkey;

-- Nearly every asset is an original (copy_of NULL): the index on copies held
-- one entry per asset under a single key, merged again and again into
-- posting lists (1.7%). Only copies are looked up by it (copy_of = $n, which
-- implies NOT NULL, and the key check of copy_of), so only copies are in it.
DROP INDEX assets_copy;
CREATE INDEX assets_copy ON assets(tenant, copy_of) WHERE copy_of IS NOT NULL;

-- These indexes end with the row's id or index, so no two entries are equal:
-- B-tree deduplication found nothing to merge, yet ran over the whole page
-- before every page split (2.6%).
ALTER INDEX assets_unit SET (deduplicate_items = off);
ALTER INDEX assets_segment SET (deduplicate_items = off);
ALTER INDEX assets_system SET (deduplicate_items = off);
ALTER INDEX asset_classes_level SET (deduplicate_items = off);
ALTER INDEX audit_leaves_actor SET (deduplicate_items = off);
ALTER INDEX audit_leaves_object SET (deduplicate_items = off);
