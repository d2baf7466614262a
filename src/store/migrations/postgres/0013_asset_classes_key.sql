-- 0013: the asset an asset's class rows name is checked once per statement
-- (issue 3, the bulk import), PostgreSQL only, as 0010 and 0012 did for the
-- keys of assets.
-- The row foreign key asset_classes(tenant, asset_id) → assets(tenant, id)
-- looked its asset up, with a KEY SHARE lock, for every class row: half of
-- the COPY of 100,000 class rows (about 0.5 s; the rows and their two
-- indexes the other half). One statement trigger now joins the statement's
-- distinct (tenant, asset_id) with assets, locking each asset found as the
-- key's check locked it (it cannot go away, nor change its key, before the
-- writer commits); a row naming no asset fails the statement with SQLSTATE
-- 23503, as the key did. The other side of the key: deleting assets deletes
-- their classes (the key's ON DELETE CASCADE, once per statement), and
-- changing the key of an asset that has classes is refused (23503, the key's
-- NO ACTION).
CREATE FUNCTION mmr_classes_asset_known() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  wanted BIGINT;
  found BIGINT;
BEGIN
  SELECT count(*) INTO wanted FROM (SELECT DISTINCT tenant, asset_id FROM mmr_new) d;
  SELECT count(*) INTO found FROM (
    SELECT 1 FROM assets r JOIN (SELECT DISTINCT tenant, asset_id FROM mmr_new) n
      ON r.tenant = n.tenant AND r.id = n.asset_id
    FOR KEY SHARE OF r) k;
  IF found <> wanted THEN
    RAISE EXCEPTION 'insert or update on table "asset_classes" names an asset that does not exist'
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION mmr_asset_classes_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM asset_classes c USING mmr_old o WHERE c.tenant = o.tenant AND c.asset_id = o.id;
  RETURN NULL;
END $$;
CREATE FUNCTION mmr_asset_classes_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM asset_classes WHERE tenant = OLD.tenant AND asset_id = OLD.id) THEN
    RAISE EXCEPTION 'asset % is still named by asset_classes', OLD.id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER asset_classes_key_ins AFTER INSERT ON asset_classes REFERENCING NEW TABLE AS mmr_new
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_classes_asset_known();
CREATE TRIGGER asset_classes_key_upd AFTER UPDATE ON asset_classes REFERENCING NEW TABLE AS mmr_new
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_classes_asset_known();
CREATE TRIGGER assets_classes_del AFTER DELETE ON assets REFERENCING OLD TABLE AS mmr_old
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_asset_classes_delete();
CREATE TRIGGER assets_classes_key BEFORE UPDATE OF tenant, id ON assets
  FOR EACH ROW WHEN (NEW.tenant IS DISTINCT FROM OLD.tenant OR NEW.id IS DISTINCT FROM OLD.id)
  EXECUTE FUNCTION mmr_asset_classes_kept();
ALTER TABLE asset_classes DROP CONSTRAINT asset_classes_tenant_asset_id_fkey;
