-- 0003: applications (申請) and their approvals, exceptions (例外措置) and the
-- records the policies ask for (two-person work, maintenance, server-room
-- entry, media handover) (SQLite). JSON columns hold what the decision point
-- read and answered, as it was at the time.
CREATE TABLE applications (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES tenants(id),
  type TEXT NOT NULL,
  action TEXT NOT NULL,
  applicant_id INTEGER NOT NULL,
  unit_id INTEGER,
  system_id INTEGER,
  asset_id INTEGER,
  title TEXT NOT NULL,
  detail TEXT NOT NULL,
  request TEXT NOT NULL,
  decision TEXT NOT NULL,
  route TEXT NOT NULL,
  obligations TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'denied',
    'withdrawn', 'active', 'returned', 'done')),
  due_on TEXT,
  started_at TEXT,
  returned_at TEXT,
  exception_id INTEGER,
  reminded_on TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (tenant, id),
  FOREIGN KEY (tenant, applicant_id) REFERENCES users(tenant, id),
  FOREIGN KEY (tenant, unit_id) REFERENCES units(tenant, id)
);
CREATE INDEX applications_state ON applications(tenant, state);
CREATE INDEX applications_applicant ON applications(tenant, applicant_id);

CREATE TABLE approvals (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  application_id INTEGER NOT NULL,
  approver_id INTEGER NOT NULL,
  role TEXT NOT NULL,
  deputy_for INTEGER,
  verdict TEXT NOT NULL CHECK (verdict IN ('approve', 'reject')),
  comment TEXT,
  at TEXT NOT NULL,
  FOREIGN KEY (tenant, application_id) REFERENCES applications(tenant, id),
  FOREIGN KEY (tenant, approver_id) REFERENCES users(tenant, id)
);
CREATE INDEX approvals_app ON approvals(tenant, application_id);

CREATE TABLE exceptions (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES tenants(id),
  application_id INTEGER NOT NULL,
  holder_id INTEGER NOT NULL,
  unit_id INTEGER,
  action TEXT NOT NULL,
  scope TEXT NOT NULL,
  reason TEXT NOT NULL,
  starts_on TEXT NOT NULL,
  ends_on TEXT NOT NULL CHECK (ends_on >= starts_on),
  emergency INTEGER NOT NULL DEFAULT 0,
  report_due_on TEXT,
  reported_at TEXT,
  report TEXT,
  approver_roles TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('granted', 'revoked')),
  next_review_on TEXT,
  reviewed_at TEXT,
  review_note TEXT,
  reminded_on TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (tenant, id),
  FOREIGN KEY (tenant, application_id) REFERENCES applications(tenant, id),
  FOREIGN KEY (tenant, holder_id) REFERENCES users(tenant, id)
);
CREATE INDEX exceptions_ends ON exceptions(tenant, ends_on);

CREATE TABLE work_records (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES tenants(id),
  kind TEXT NOT NULL CHECK (kind IN ('two_person', 'maintenance', 'room_entry',
    'media_handover')),
  system_id INTEGER,
  asset_id INTEGER,
  data TEXT NOT NULL,
  recorded_by INTEGER NOT NULL,
  partner_id INTEGER CHECK (partner_id IS NULL OR partner_id <> recorded_by),
  partner_confirmed_at TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (tenant, id),
  FOREIGN KEY (tenant, recorded_by) REFERENCES users(tenant, id),
  FOREIGN KEY (tenant, partner_id) REFERENCES users(tenant, id)
);
CREATE INDEX work_records_kind ON work_records(tenant, kind, id);
