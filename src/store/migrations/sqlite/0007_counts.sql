-- 0007: how many rows each ledger of a tenant holds, kept by triggers, so that
-- an unfiltered ledger page does not count 100,000 rows for its total (SQLite).
CREATE TABLE ledger_counts (
  tenant TEXT NOT NULL,
  ledger TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (tenant, ledger)
) WITHOUT ROWID;
INSERT INTO ledger_counts (tenant, ledger, n) SELECT tenant, 'units', count(*) FROM units GROUP BY tenant;
INSERT INTO ledger_counts (tenant, ledger, n) SELECT tenant, 'users', count(*) FROM users GROUP BY tenant;
INSERT INTO ledger_counts (tenant, ledger, n) SELECT tenant, 'systems', count(*) FROM systems GROUP BY tenant;
INSERT INTO ledger_counts (tenant, ledger, n) SELECT tenant, 'assets', count(*) FROM assets GROUP BY tenant;
INSERT INTO ledger_counts (tenant, ledger, n) SELECT tenant, 'devices', count(*) FROM devices GROUP BY tenant;
CREATE TRIGGER units_count_ins AFTER INSERT ON units BEGIN
  INSERT INTO ledger_counts (tenant, ledger, n) VALUES (NEW.tenant, 'units', 1)
    ON CONFLICT (tenant, ledger) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER units_count_del AFTER DELETE ON units BEGIN
  UPDATE ledger_counts SET n = n - 1 WHERE tenant = OLD.tenant AND ledger = 'units';
END;
CREATE TRIGGER users_count_ins AFTER INSERT ON users BEGIN
  INSERT INTO ledger_counts (tenant, ledger, n) VALUES (NEW.tenant, 'users', 1)
    ON CONFLICT (tenant, ledger) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER users_count_del AFTER DELETE ON users BEGIN
  UPDATE ledger_counts SET n = n - 1 WHERE tenant = OLD.tenant AND ledger = 'users';
END;
CREATE TRIGGER systems_count_ins AFTER INSERT ON systems BEGIN
  INSERT INTO ledger_counts (tenant, ledger, n) VALUES (NEW.tenant, 'systems', 1)
    ON CONFLICT (tenant, ledger) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER systems_count_del AFTER DELETE ON systems BEGIN
  UPDATE ledger_counts SET n = n - 1 WHERE tenant = OLD.tenant AND ledger = 'systems';
END;
CREATE TRIGGER assets_count_ins AFTER INSERT ON assets BEGIN
  INSERT INTO ledger_counts (tenant, ledger, n) VALUES (NEW.tenant, 'assets', 1)
    ON CONFLICT (tenant, ledger) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER assets_count_del AFTER DELETE ON assets BEGIN
  UPDATE ledger_counts SET n = n - 1 WHERE tenant = OLD.tenant AND ledger = 'assets';
END;
CREATE TRIGGER devices_count_ins AFTER INSERT ON devices BEGIN
  INSERT INTO ledger_counts (tenant, ledger, n) VALUES (NEW.tenant, 'devices', 1)
    ON CONFLICT (tenant, ledger) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER devices_count_del AFTER DELETE ON devices BEGIN
  UPDATE ledger_counts SET n = n - 1 WHERE tenant = OLD.tenant AND ledger = 'devices';
END;
