-- 0006: results of the three-layer check (mamori zones) kept as evidence for
-- the self-inspection: what was checked (digests of the inputs), the result
-- and its picture (SQLite).
CREATE TABLE zone_checks (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES tenants(id),
  checked_by INTEGER,
  zones_name TEXT NOT NULL,
  rules_name TEXT NOT NULL,
  zones_sha256 TEXT NOT NULL,
  rules_sha256 TEXT NOT NULL,
  clean INTEGER NOT NULL,
  violations INTEGER NOT NULL,
  result TEXT NOT NULL,
  svg TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (tenant, id)
);
CREATE INDEX zone_checks_tenant ON zone_checks(tenant, id);
