-- 0004: the incident desk (CSIRT), the emergency response plan, violations
-- and notifications (SQLite). Times are UTC ISO 8601 with milliseconds.
ALTER TABLE users ADD COLUMN email TEXT;

CREATE TABLE incidents (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES tenants(id),
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  occurred_at TEXT,
  aware_at TEXT NOT NULL,
  reporter_id INTEGER,
  state TEXT NOT NULL CHECK (state IN ('reported', 'not_incident', 'containment', 'recovery',
                                       'cause', 'prevention', 'closed')),
  severity TEXT CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  personal INTEGER NOT NULL DEFAULT 0,
  ppc_triggers TEXT NOT NULL DEFAULT '[]',
  wrongful INTEGER NOT NULL DEFAULT 0,
  assignee_id INTEGER,
  deadline TEXT,
  ppc_prompt_at TEXT,
  ppc_final_at TEXT,
  escalated_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (tenant, id),
  FOREIGN KEY (tenant, reporter_id) REFERENCES users(tenant, id),
  FOREIGN KEY (tenant, assignee_id) REFERENCES users(tenant, id)
);
CREATE INDEX incidents_state ON incidents(tenant, state, id);

CREATE TABLE incident_targets (
  tenant TEXT NOT NULL,
  incident_id INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('assets', 'systems', 'devices')),
  target_id INTEGER NOT NULL,
  PRIMARY KEY (tenant, incident_id, kind, target_id),
  FOREIGN KEY (tenant, incident_id) REFERENCES incidents(tenant, id) ON DELETE CASCADE
);

CREATE TABLE incident_events (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  incident_id INTEGER NOT NULL,
  at TEXT NOT NULL,
  actor_id INTEGER,
  actor_login TEXT NOT NULL,
  action TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT,
  subject_id INTEGER,
  note TEXT,
  FOREIGN KEY (tenant, incident_id) REFERENCES incidents(tenant, id) ON DELETE CASCADE
);
CREATE INDEX incident_events_case ON incident_events(tenant, incident_id, id);

CREATE TABLE incident_plans (
  tenant TEXT PRIMARY KEY REFERENCES tenants(id),
  contacts TEXT NOT NULL,
  report_items TEXT NOT NULL,
  measures TEXT NOT NULL,
  prevention TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL
);

CREATE TABLE notifications (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES tenants(id),
  user_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  link TEXT,
  created_at TEXT NOT NULL,
  read_at TEXT,
  email_state TEXT NOT NULL DEFAULT 'pending' CHECK (email_state IN ('pending', 'sent', 'failed', 'none')),
  email_attempts INTEGER NOT NULL DEFAULT 0,
  email_error TEXT,
  email_next_at TEXT,
  emailed_at TEXT,
  FOREIGN KEY (tenant, user_id) REFERENCES users(tenant, id) ON DELETE CASCADE
);
CREATE INDEX notifications_user ON notifications(tenant, user_id, id);
CREATE INDEX notifications_mail ON notifications(email_state, id);
