-- 0010: cheaper rows for a bulk import of assets (issue 3), PostgreSQL only.
-- Measured with callgrind on the server process of a 10,000-asset import
-- (4,498 M instructions before); each change below says what it saved.

-- An asset's tenant and its unit (所管課) were checked by row foreign keys:
-- a lookup, with its executor set up and torn down, for every asset and key
-- (the tenant's alone was 7.5% of the import). They are checked once per
-- statement now, over the distinct keys of the statement's rows (one tenant
-- and a few units, in practice), with the lock the foreign keys took (KEY
-- SHARE: the row named cannot go away before the writer commits). The other
-- side of each key, a tenant or unit deleted or renumbered while assets name
-- it, is refused by the row triggers on tenants and units below, as the
-- foreign keys refused it (SQLSTATE 23503 both). The asset's other keys
-- (manager, system, original) stay foreign keys: a bulk import rarely fills
-- them, and an empty one costs little.
CREATE FUNCTION mmr_assets_keys_known() RETURNS trigger LANGUAGE plpgsql AS $$
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
  SELECT count(*) INTO wanted FROM (
    SELECT DISTINCT tenant, unit_id FROM mmr_new WHERE unit_id IS NOT NULL) d;
  SELECT count(*) INTO found FROM (
    SELECT 1 FROM units u WHERE (u.tenant, u.id) IN (
      SELECT tenant, unit_id FROM mmr_new WHERE unit_id IS NOT NULL) FOR KEY SHARE OF u) k;
  IF found <> wanted THEN
    RAISE EXCEPTION 'insert or update on table "assets" names a unit that does not exist'
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
CREATE FUNCTION mmr_unit_still_used() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (TG_OP = 'DELETE' OR (NEW.tenant, NEW.id) IS DISTINCT FROM (OLD.tenant, OLD.id))
     AND EXISTS (SELECT 1 FROM assets WHERE tenant = OLD.tenant AND unit_id = OLD.id) THEN
    RAISE EXCEPTION 'unit % is still named by assets', OLD.id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER assets_keys_ins AFTER INSERT ON assets REFERENCING NEW TABLE AS mmr_new
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_assets_keys_known();
CREATE TRIGGER assets_keys_upd AFTER UPDATE ON assets REFERENCING NEW TABLE AS mmr_new
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_assets_keys_known();
CREATE TRIGGER tenants_assets BEFORE DELETE OR UPDATE ON tenants
  FOR EACH ROW EXECUTE FUNCTION mmr_tenant_still_used();
CREATE TRIGGER units_assets BEFORE DELETE OR UPDATE ON units
  FOR EACH ROW EXECUTE FUNCTION mmr_unit_still_used();
ALTER TABLE assets DROP CONSTRAINT assets_tenant_fkey;
ALTER TABLE assets DROP CONSTRAINT assets_tenant_unit_id_fkey;

-- The indexes of an asset's unit, system and original began with the
-- tenant: every step down them compared the tenant's text first (the same
-- for all rows of a tenant) and then found the next column behind it, slowly.
-- A unit's, system's or asset's id is unique across tenants (their own
-- identity keys), so the id alone picks one tenant's rows: the lookups by
-- tenant and unit (or system, or original) use these as well (2.9%). The
-- tenant is kept in them, outside the key, so that a count by unit still
-- reads the index alone.
-- Nearly every asset is an original (copy_of NULL): the index on copies held
-- one entry per asset under a single key, merged again and again into
-- posting lists (1.7%). Only copies are looked up by it (copy_of = $n, which
-- implies NOT NULL, and the key check of copy_of), so only copies are in it.
DROP INDEX assets_unit;
CREATE INDEX assets_unit ON assets(unit_id, id) INCLUDE (tenant);
DROP INDEX assets_system;
CREATE INDEX assets_system ON assets(system_id, id) INCLUDE (tenant);
DROP INDEX assets_copy;
CREATE INDEX assets_copy ON assets(copy_of) INCLUDE (tenant) WHERE copy_of IS NOT NULL;

-- These indexes end with the row's id or index, so no two entries are equal:
-- B-tree deduplication found nothing to merge, yet ran over the whole page
-- before every page split (2.6%).
ALTER INDEX assets_unit SET (deduplicate_items = off);
ALTER INDEX assets_segment SET (deduplicate_items = off);
ALTER INDEX assets_system SET (deduplicate_items = off);
ALTER INDEX asset_classes_level SET (deduplicate_items = off);
ALTER INDEX audit_leaves_actor SET (deduplicate_items = off);
ALTER INDEX audit_leaves_object SET (deduplicate_items = off);
