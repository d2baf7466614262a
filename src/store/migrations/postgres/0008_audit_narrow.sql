-- 0008: a narrower audit log (issue 4), PostgreSQL. See the SQLite version:
-- audit_leaves drops `data` (rebuilt from the columns), and nodes of level
-- >= 5 move from the leaf rows' `nodes` to audit_upper, keyed by band of four
-- levels and ancestor above the band so that a proof reads ranges.
CREATE TABLE audit_upper (
  tenant TEXT NOT NULL,
  band INTEGER NOT NULL,
  anc BIGINT NOT NULL,
  level INTEGER NOT NULL CHECK (level >= 5),
  j BIGINT NOT NULL,
  idx BIGINT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (tenant, band, anc, level, j)
);
CREATE INDEX audit_upper_row ON audit_upper(tenant, idx, level, hash);
INSERT INTO audit_upper (tenant, band, anc, level, j, idx, hash)
SELECT l.tenant, (lv - 5) / 4,
  (((l.idx + 1) >> lv) - 1) >> (5 + 4 * ((lv - 5) / 4) + 4 - lv),
  lv, ((l.idx + 1) >> lv) - 1, l.idx, substr(l.nodes, (lv - 1) * 64 + 1, 64)
FROM audit_leaves l JOIN generate_series(5, 63) lv ON length(l.nodes) >= lv * 64;
INSERT INTO audit_upper (tenant, band, anc, level, j, idx, hash)
SELECT p.tenant, (lv - 5) / 4,
  (((p.idx + 1) >> lv) - 1) >> (5 + 4 * ((lv - 5) / 4) + 4 - lv),
  lv, ((p.idx + 1) >> lv) - 1, p.idx, substr(p.nodes, (lv - 1) * 64 + 1, 64)
FROM audit_pruned p JOIN generate_series(5, 63) lv ON length(p.nodes) >= lv * 64;

ALTER TABLE audit_leaves DISABLE TRIGGER audit_leaves_refuse;
ALTER TABLE audit_pruned DISABLE TRIGGER audit_pruned_refuse;
UPDATE audit_leaves SET nodes = substr(nodes, 1, 256) WHERE length(nodes) > 256;
UPDATE audit_pruned SET nodes = substr(nodes, 1, 256) WHERE length(nodes) > 256;
ALTER TABLE audit_leaves DROP COLUMN data;
ALTER TABLE audit_leaves ENABLE TRIGGER audit_leaves_refuse;
ALTER TABLE audit_pruned ENABLE TRIGGER audit_pruned_refuse;

CREATE TRIGGER audit_upper_refuse BEFORE UPDATE OR DELETE ON audit_upper
  FOR EACH ROW EXECUTE FUNCTION mmr_audit_refuse();
CREATE TRIGGER audit_upper_no_truncate BEFORE TRUNCATE ON audit_upper
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_audit_refuse();
