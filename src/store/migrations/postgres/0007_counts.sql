-- 0007: how many rows each ledger of a tenant holds, kept by triggers, so that
-- an unfiltered ledger page does not count 100,000 rows for its total (PostgreSQL).
-- A bulk import sets mamori.bulk_import for its transaction: the triggers then
-- stand aside (each row is a subtransaction, and a counter row updated by every
-- one of them would grow a chain of versions that each update walks); the
-- import holds the counter row from its start and adds its rows at its end.
CREATE TABLE ledger_counts (
  tenant TEXT NOT NULL,
  ledger TEXT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (tenant, ledger)
);
INSERT INTO ledger_counts (tenant, ledger, n) SELECT tenant, 'units', count(*) FROM units GROUP BY tenant;
INSERT INTO ledger_counts (tenant, ledger, n) SELECT tenant, 'users', count(*) FROM users GROUP BY tenant;
INSERT INTO ledger_counts (tenant, ledger, n) SELECT tenant, 'systems', count(*) FROM systems GROUP BY tenant;
INSERT INTO ledger_counts (tenant, ledger, n) SELECT tenant, 'assets', count(*) FROM assets GROUP BY tenant;
INSERT INTO ledger_counts (tenant, ledger, n) SELECT tenant, 'devices', count(*) FROM devices GROUP BY tenant;
CREATE FUNCTION mmr_ledger_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('mamori.bulk_import', true) = 'on' THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ledger_counts (tenant, ledger, n) VALUES (NEW.tenant, TG_TABLE_NAME, 1)
      ON CONFLICT (tenant, ledger) DO UPDATE SET n = ledger_counts.n + 1;
  ELSE
    UPDATE ledger_counts SET n = n - 1 WHERE tenant = OLD.tenant AND ledger = TG_TABLE_NAME;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER units_count AFTER INSERT OR DELETE ON units FOR EACH ROW EXECUTE FUNCTION mmr_ledger_count();
CREATE TRIGGER users_count AFTER INSERT OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION mmr_ledger_count();
CREATE TRIGGER systems_count AFTER INSERT OR DELETE ON systems FOR EACH ROW EXECUTE FUNCTION mmr_ledger_count();
CREATE TRIGGER assets_count AFTER INSERT OR DELETE ON assets FOR EACH ROW EXECUTE FUNCTION mmr_ledger_count();
CREATE TRIGGER devices_count AFTER INSERT OR DELETE ON devices FOR EACH ROW EXECUTE FUNCTION mmr_ledger_count();
