-- 0005: self-inspection (自己点検) and audit (監査) (SQLite).
-- A checklist version is a snapshot of items: editing, adding or retiring an
-- item makes a new version, so every version stays as it was answered.
CREATE TABLE inspection_checklists (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES tenants(id),
  version INTEGER NOT NULL,
  note TEXT,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (tenant, id),
  UNIQUE (tenant, version)
);

CREATE TABLE inspection_items (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  checklist_id INTEGER NOT NULL,
  item_key TEXT NOT NULL,
  position INTEGER NOT NULL,
  chapter TEXT NOT NULL,
  clause TEXT NOT NULL,
  question TEXT NOT NULL,
  clause_text TEXT NOT NULL,
  how TEXT NOT NULL,
  fact TEXT,
  UNIQUE (tenant, id),
  UNIQUE (checklist_id, item_key),
  FOREIGN KEY (tenant, checklist_id) REFERENCES inspection_checklists(tenant, id)
);
CREATE INDEX inspection_items_list ON inspection_items(tenant, checklist_id, position);

CREATE TABLE inspection_rounds (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  fiscal_year INTEGER NOT NULL,
  checklist_id INTEGER NOT NULL,
  deadline TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  created_at TEXT NOT NULL,
  UNIQUE (tenant, id),
  UNIQUE (tenant, name),
  FOREIGN KEY (tenant, checklist_id) REFERENCES inspection_checklists(tenant, id)
);

-- One row per item assigned to a section (and optionally a system): the answer.
CREATE TABLE inspection_answers (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  round_id INTEGER NOT NULL,
  item_id INTEGER NOT NULL,
  unit_id INTEGER NOT NULL,
  system_id INTEGER,
  answer TEXT CHECK (answer IN ('yes', 'partial', 'no', 'na')),
  note TEXT,
  evidence TEXT,
  auto INTEGER NOT NULL DEFAULT 0,
  answered_by INTEGER,
  answered_at TEXT,
  UNIQUE (tenant, id),
  UNIQUE (round_id, item_id, unit_id, system_id),
  FOREIGN KEY (tenant, round_id) REFERENCES inspection_rounds(tenant, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant, item_id) REFERENCES inspection_items(tenant, id),
  FOREIGN KEY (tenant, unit_id) REFERENCES units(tenant, id),
  FOREIGN KEY (tenant, system_id) REFERENCES systems(tenant, id)
);
CREATE INDEX inspection_answers_round ON inspection_answers(tenant, round_id, unit_id, item_id);
CREATE INDEX inspection_answers_item ON inspection_answers(tenant, round_id, item_id, unit_id);

-- 改善策: an item not met, with an owner and a due date, followed to closure.
CREATE TABLE inspection_actions (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  round_id INTEGER NOT NULL,
  answer_id INTEGER,
  item_id INTEGER NOT NULL,
  unit_id INTEGER,
  description TEXT NOT NULL,
  owner_id INTEGER,
  due TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
  closing_note TEXT,
  closed_at TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (tenant, id),
  UNIQUE (tenant, answer_id),
  FOREIGN KEY (tenant, round_id) REFERENCES inspection_rounds(tenant, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant, item_id) REFERENCES inspection_items(tenant, id),
  FOREIGN KEY (tenant, owner_id) REFERENCES users(tenant, id)
);
CREATE INDEX inspection_actions_round ON inspection_actions(tenant, round_id, id);

-- 指摘事項: an auditor's finding against an item, with severity and follow-up.
CREATE TABLE audit_findings (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  round_id INTEGER NOT NULL,
  item_id INTEGER NOT NULL,
  unit_id INTEGER,
  auditor_id INTEGER,
  severity TEXT NOT NULL CHECK (severity IN ('high', 'medium', 'low')),
  finding TEXT NOT NULL,
  follow_up TEXT,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  created_at TEXT NOT NULL,
  closed_at TEXT,
  UNIQUE (tenant, id),
  FOREIGN KEY (tenant, round_id) REFERENCES inspection_rounds(tenant, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant, item_id) REFERENCES inspection_items(tenant, id)
);
CREATE INDEX audit_findings_round ON audit_findings(tenant, round_id, id);
