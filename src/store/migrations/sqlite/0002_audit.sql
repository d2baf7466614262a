-- 0002: the tamper-evident audit log (issue 4), SQLite.
-- One RFC 6962 Merkle tree per tenant. Each leaf row carries its data (the
-- canonical JSON that is hashed), its leaf hash and the hashes of the tree
-- nodes it completes (levels 1.., hex, concatenated), so an append writes one
-- row and a proof reads stored nodes. Rows are never changed; old leaves may
-- only be pruned through mamori (the gate row), their hashes kept in
-- audit_pruned so that the tree and its proofs still hold.
CREATE TABLE audit_leaves (
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
  data TEXT NOT NULL,
  hash TEXT NOT NULL,
  nodes TEXT NOT NULL,
  PRIMARY KEY (tenant, idx)
) WITHOUT ROWID;
CREATE INDEX audit_leaves_actor ON audit_leaves(tenant, actor, idx);
CREATE INDEX audit_leaves_object ON audit_leaves(tenant, object_kind, object_id, idx);

CREATE TABLE audit_pruned (
  tenant TEXT NOT NULL,
  idx INTEGER NOT NULL,
  hash TEXT NOT NULL,
  nodes TEXT NOT NULL,
  PRIMARY KEY (tenant, idx)
) WITHOUT ROWID;

CREATE TABLE audit_checkpoints (
  tenant TEXT NOT NULL,
  size INTEGER NOT NULL,
  root TEXT NOT NULL,
  note TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant, size)
);

CREATE TABLE audit_exports (
  tenant TEXT NOT NULL,
  upto INTEGER NOT NULL,
  file TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant, upto, created_at)
);

CREATE TABLE audit_prune_gate (
  tenant TEXT NOT NULL,
  below INTEGER NOT NULL
);

CREATE TRIGGER audit_leaves_no_update BEFORE UPDATE ON audit_leaves
BEGIN SELECT RAISE(ABORT, 'audit log rows cannot be changed'); END;
CREATE TRIGGER audit_leaves_no_delete BEFORE DELETE ON audit_leaves
WHEN NOT EXISTS (SELECT 1 FROM audit_prune_gate g WHERE g.tenant = OLD.tenant AND OLD.idx < g.below)
BEGIN SELECT RAISE(ABORT, 'audit log rows cannot be deleted'); END;
CREATE TRIGGER audit_pruned_no_update BEFORE UPDATE ON audit_pruned
BEGIN SELECT RAISE(ABORT, 'audit log rows cannot be changed'); END;
CREATE TRIGGER audit_pruned_no_delete BEFORE DELETE ON audit_pruned
BEGIN SELECT RAISE(ABORT, 'audit log rows cannot be deleted'); END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints cannot be changed'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints cannot be deleted'); END;
CREATE TRIGGER audit_exports_no_update BEFORE UPDATE ON audit_exports
BEGIN SELECT RAISE(ABORT, 'audit exports cannot be changed'); END;
CREATE TRIGGER audit_exports_no_delete BEFORE DELETE ON audit_exports
BEGIN SELECT RAISE(ABORT, 'audit exports cannot be deleted'); END;
