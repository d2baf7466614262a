-- 0008: a narrower audit log (issue 4), SQLite.
-- * audit_leaves no longer stores `data`: the canonical leaf data is a pure
--   function of the row's columns (audit.c leaf_data), so verify rebuilds it
--   and checks it against the stored leaf hash; an edited column still fails.
-- * A leaf row's `nodes` keeps only the nodes of levels 1..4 it completes;
--   nodes of level >= 5 (one leaf in 16 completes one) live in audit_upper.
--   Its key groups them in bands of four levels (5-8, 9-12, …) under their
--   ancestor just above the band (anc = j >> (band top + 1 - level)), so the
--   siblings a proof needs in one band are one range of at most 30 rows: a
--   proof in a 10,000,000-leaf log reads its upper siblings in five ranges,
--   its low ones in one range of leaf rows. idx (the leaf that completes the
--   node) orders them for verify (audit_upper_row). The same split holds for
--   audit_pruned.
CREATE TABLE audit_upper (
  tenant TEXT NOT NULL,
  band INTEGER NOT NULL,  -- (level - 5) / 4
  anc INTEGER NOT NULL,   -- j >> (5 + 4 * band + 4 - level)
  level INTEGER NOT NULL CHECK (level >= 5),
  j INTEGER NOT NULL,     -- the node covers leaves [j * 2^level, (j + 1) * 2^level)
  idx INTEGER NOT NULL,   -- the leaf that completes it: (j + 1) * 2^level - 1
  hash TEXT NOT NULL,
  PRIMARY KEY (tenant, band, anc, level, j)
) WITHOUT ROWID;
CREATE INDEX audit_upper_row ON audit_upper(tenant, idx, level, hash);

WITH RECURSIVE lv(level) AS (SELECT 5 UNION ALL SELECT level + 1 FROM lv WHERE level < 63)
INSERT INTO audit_upper (tenant, band, anc, level, j, idx, hash)
SELECT l.tenant, (lv.level - 5) / 4,
  (((l.idx + 1) >> lv.level) - 1) >> (5 + 4 * ((lv.level - 5) / 4) + 4 - lv.level),
  lv.level, ((l.idx + 1) >> lv.level) - 1, l.idx, substr(l.nodes, (lv.level - 1) * 64 + 1, 64)
FROM audit_leaves l JOIN lv ON length(l.nodes) >= lv.level * 64;
WITH RECURSIVE lv(level) AS (SELECT 5 UNION ALL SELECT level + 1 FROM lv WHERE level < 63)
INSERT INTO audit_upper (tenant, band, anc, level, j, idx, hash)
SELECT p.tenant, (lv.level - 5) / 4,
  (((p.idx + 1) >> lv.level) - 1) >> (5 + 4 * ((lv.level - 5) / 4) + 4 - lv.level),
  lv.level, ((p.idx + 1) >> lv.level) - 1, p.idx, substr(p.nodes, (lv.level - 1) * 64 + 1, 64)
FROM audit_pruned p JOIN lv ON length(p.nodes) >= lv.level * 64;

CREATE TABLE audit_leaves_new (
  tenant TEXT NOT NULL,
  idx INTEGER NOT NULL CHECK (idx >= 0),
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  object_kind TEXT,
  object_id TEXT,
  before_digest TEXT,
  after_digest TEXT,
  decision TEXT,
  hash TEXT NOT NULL,
  nodes TEXT NOT NULL,
  PRIMARY KEY (tenant, idx)
) WITHOUT ROWID;
INSERT INTO audit_leaves_new (tenant, idx, at, actor, action, object_kind, object_id,
  before_digest, after_digest, decision, hash, nodes)
SELECT tenant, idx, at, actor, action, object_kind, object_id, before_digest, after_digest,
  decision, hash, substr(nodes, 1, 256) FROM audit_leaves;
DROP TABLE audit_leaves;
ALTER TABLE audit_leaves_new RENAME TO audit_leaves;
CREATE INDEX audit_leaves_actor ON audit_leaves(tenant, actor, idx);
CREATE INDEX audit_leaves_object ON audit_leaves(tenant, object_kind, object_id, idx);

CREATE TABLE audit_pruned_new (
  tenant TEXT NOT NULL,
  idx INTEGER NOT NULL,
  hash TEXT NOT NULL,
  nodes TEXT NOT NULL,
  PRIMARY KEY (tenant, idx)
) WITHOUT ROWID;
INSERT INTO audit_pruned_new (tenant, idx, hash, nodes)
SELECT tenant, idx, hash, substr(nodes, 1, 256) FROM audit_pruned;
DROP TABLE audit_pruned;
ALTER TABLE audit_pruned_new RENAME TO audit_pruned;

CREATE TRIGGER audit_leaves_no_update BEFORE UPDATE ON audit_leaves
BEGIN SELECT RAISE(ABORT, 'audit log rows cannot be changed'); END;
CREATE TRIGGER audit_leaves_no_delete BEFORE DELETE ON audit_leaves
WHEN NOT EXISTS (SELECT 1 FROM audit_prune_gate g WHERE g.tenant = OLD.tenant AND OLD.idx < g.below)
BEGIN SELECT RAISE(ABORT, 'audit log rows cannot be deleted'); END;
CREATE TRIGGER audit_pruned_no_update BEFORE UPDATE ON audit_pruned
BEGIN SELECT RAISE(ABORT, 'audit log rows cannot be changed'); END;
CREATE TRIGGER audit_pruned_no_delete BEFORE DELETE ON audit_pruned
BEGIN SELECT RAISE(ABORT, 'audit log rows cannot be deleted'); END;
CREATE TRIGGER audit_upper_no_update BEFORE UPDATE ON audit_upper
BEGIN SELECT RAISE(ABORT, 'audit log rows cannot be changed'); END;
CREATE TRIGGER audit_upper_no_delete BEFORE DELETE ON audit_upper
BEGIN SELECT RAISE(ABORT, 'audit log rows cannot be deleted'); END;
