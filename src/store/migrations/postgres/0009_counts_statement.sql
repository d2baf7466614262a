-- 0009: the ledger counts (0007) are kept once per statement, not once per row
-- (PostgreSQL). A bulk import writes a thousand rows in one INSERT; a row
-- trigger ran a PL/pgSQL function for each of them (5 µs a row, measured with
-- EXPLAIN ANALYZE), a statement trigger with its transition table runs once.
-- A bulk import still sets mamori.bulk_import and adds its rows itself.
DROP TRIGGER units_count ON units;
DROP TRIGGER users_count ON users;
DROP TRIGGER systems_count ON systems;
DROP TRIGGER assets_count ON assets;
DROP TRIGGER devices_count ON devices;
DROP FUNCTION mmr_ledger_count();
CREATE FUNCTION mmr_ledger_count_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('mamori.bulk_import', true) = 'on' THEN
    RETURN NULL;
  END IF;
  INSERT INTO ledger_counts (tenant, ledger, n)
    SELECT tenant, TG_TABLE_NAME, count(*) FROM mmr_new GROUP BY tenant
    ON CONFLICT (tenant, ledger) DO UPDATE SET n = ledger_counts.n + EXCLUDED.n;
  RETURN NULL;
END $$;
CREATE FUNCTION mmr_ledger_count_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('mamori.bulk_import', true) = 'on' THEN
    RETURN NULL;
  END IF;
  UPDATE ledger_counts c SET n = c.n - d.k
    FROM (SELECT tenant, count(*) AS k FROM mmr_old GROUP BY tenant) d
    WHERE c.tenant = d.tenant AND c.ledger = TG_TABLE_NAME;
  RETURN NULL;
END $$;
CREATE TRIGGER units_count_ins AFTER INSERT ON units REFERENCING NEW TABLE AS mmr_new
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_ledger_count_ins();
CREATE TRIGGER units_count_del AFTER DELETE ON units REFERENCING OLD TABLE AS mmr_old
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_ledger_count_del();
CREATE TRIGGER users_count_ins AFTER INSERT ON users REFERENCING NEW TABLE AS mmr_new
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_ledger_count_ins();
CREATE TRIGGER users_count_del AFTER DELETE ON users REFERENCING OLD TABLE AS mmr_old
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_ledger_count_del();
CREATE TRIGGER systems_count_ins AFTER INSERT ON systems REFERENCING NEW TABLE AS mmr_new
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_ledger_count_ins();
CREATE TRIGGER systems_count_del AFTER DELETE ON systems REFERENCING OLD TABLE AS mmr_old
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_ledger_count_del();
CREATE TRIGGER assets_count_ins AFTER INSERT ON assets REFERENCING NEW TABLE AS mmr_new
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_ledger_count_ins();
CREATE TRIGGER assets_count_del AFTER DELETE ON assets REFERENCING OLD TABLE AS mmr_old
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_ledger_count_del();
CREATE TRIGGER devices_count_ins AFTER INSERT ON devices REFERENCING NEW TABLE AS mmr_new
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_ledger_count_ins();
CREATE TRIGGER devices_count_del AFTER DELETE ON devices REFERENCING OLD TABLE AS mmr_old
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_ledger_count_del();
