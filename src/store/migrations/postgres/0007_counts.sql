-- 0007: how many rows each ledger of a tenant holds, so that an unfiltered
-- ledger page does not count 100,000 rows for its total (PostgreSQL).
-- The table is kept by triggers on SQLite only: on PostgreSQL a counter row
-- updated by every insert of a bulk import (one subtransaction per row) grows
-- a chain of row versions that each update walks, and concurrent writers of a
-- tenant would queue on it. PostgreSQL counts with an index-only scan
-- instead; the table stays empty here so that both schemas have the same
-- tables and versions.
CREATE TABLE ledger_counts (
  tenant TEXT NOT NULL,
  ledger TEXT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (tenant, ledger)
);
