-- 0002: the tamper-evident audit log (issue 4), PostgreSQL.
-- See the SQLite version for the design; the refusals are triggers here.
CREATE TABLE audit_leaves (
  tenant TEXT NOT NULL,
  idx BIGINT NOT NULL CHECK (idx >= 0),
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
);
CREATE INDEX audit_leaves_actor ON audit_leaves(tenant, actor, idx);
CREATE INDEX audit_leaves_object ON audit_leaves(tenant, object_kind, object_id, idx);

CREATE TABLE audit_pruned (
  tenant TEXT NOT NULL,
  idx BIGINT NOT NULL,
  hash TEXT NOT NULL,
  nodes TEXT NOT NULL,
  PRIMARY KEY (tenant, idx)
);

CREATE TABLE audit_checkpoints (
  tenant TEXT NOT NULL,
  size BIGINT NOT NULL,
  root TEXT NOT NULL,
  note TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant, size)
);

CREATE TABLE audit_exports (
  tenant TEXT NOT NULL,
  upto BIGINT NOT NULL,
  file TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant, upto, created_at)
);

CREATE TABLE audit_prune_gate (
  tenant TEXT NOT NULL,
  below BIGINT NOT NULL
);

CREATE FUNCTION mmr_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_leaves' THEN
    IF EXISTS (SELECT 1 FROM audit_prune_gate g
               WHERE g.tenant = OLD.tenant AND OLD.idx < g.below) THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit log rows cannot be changed or deleted (%)', TG_TABLE_NAME
    USING ERRCODE = 'check_violation';
END
$$;
CREATE TRIGGER audit_leaves_refuse BEFORE UPDATE OR DELETE ON audit_leaves
  FOR EACH ROW EXECUTE FUNCTION mmr_audit_refuse();
CREATE TRIGGER audit_pruned_refuse BEFORE UPDATE OR DELETE ON audit_pruned
  FOR EACH ROW EXECUTE FUNCTION mmr_audit_refuse();
CREATE TRIGGER audit_checkpoints_refuse BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION mmr_audit_refuse();
CREATE TRIGGER audit_exports_refuse BEFORE UPDATE OR DELETE ON audit_exports
  FOR EACH ROW EXECUTE FUNCTION mmr_audit_refuse();
CREATE TRIGGER audit_leaves_no_truncate BEFORE TRUNCATE ON audit_leaves
  FOR EACH STATEMENT EXECUTE FUNCTION mmr_audit_refuse();
