-- 0001: tenants, organisation, people, ledgers, sessions (SQLite).
-- Every row belongs to a tenant; references carry the tenant so that a row
-- can never point into another body ((tenant, id) foreign keys).
CREATE TABLE tenants (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  name TEXT NOT NULL,
  profile TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE units (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES tenants(id),
  parent_id INTEGER,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('department', 'section', 'office')),
  UNIQUE (tenant, id),
  UNIQUE (tenant, name),
  FOREIGN KEY (tenant, parent_id) REFERENCES units(tenant, id)
);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES tenants(id),
  login TEXT NOT NULL,
  name TEXT NOT NULL,
  kana TEXT,
  unit_id INTEGER,
  password_hash TEXT,
  password_temporary INTEGER NOT NULL DEFAULT 0,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_at TEXT,
  totp_secret TEXT,
  totp_last_step INTEGER NOT NULL DEFAULT 0,
  absent INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  UNIQUE (tenant, id),
  UNIQUE (tenant, login),
  FOREIGN KEY (tenant, unit_id) REFERENCES units(tenant, id)
);

CREATE TABLE user_roles (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  user_id INTEGER NOT NULL,
  role TEXT NOT NULL,
  scope_kind TEXT NOT NULL CHECK (scope_kind IN ('body', 'unit', 'system')),
  scope_id INTEGER,
  FOREIGN KEY (tenant, user_id) REFERENCES users(tenant, id) ON DELETE CASCADE
);
CREATE INDEX user_roles_user ON user_roles(tenant, user_id);

CREATE TABLE deputies (
  tenant TEXT NOT NULL,
  principal_id INTEGER NOT NULL,
  deputy_id INTEGER NOT NULL CHECK (deputy_id <> principal_id),
  PRIMARY KEY (tenant, principal_id, deputy_id),
  FOREIGN KEY (tenant, principal_id) REFERENCES users(tenant, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant, deputy_id) REFERENCES users(tenant, id) ON DELETE CASCADE
);

CREATE TABLE systems (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  segment TEXT,
  manager_id INTEGER,
  unit_id INTEGER,
  location TEXT,
  hosting TEXT CHECK (hosting IN ('cloud', 'onprem')),
  classes TEXT,
  contractor TEXT,
  maintenance_contract TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (tenant, id),
  UNIQUE (tenant, name),
  FOREIGN KEY (tenant, manager_id) REFERENCES users(tenant, id),
  FOREIGN KEY (tenant, unit_id) REFERENCES units(tenant, id)
);

CREATE TABLE assets (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  medium TEXT,
  unit_id INTEGER,
  manager_id INTEGER,
  system_id INTEGER,
  segment TEXT,
  location TEXT,
  retention TEXT,
  copy_of INTEGER,
  personal INTEGER NOT NULL DEFAULT 0,
  specific_personal INTEGER NOT NULL DEFAULT 0,
  classification TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (tenant, id),
  FOREIGN KEY (tenant, unit_id) REFERENCES units(tenant, id),
  FOREIGN KEY (tenant, manager_id) REFERENCES users(tenant, id),
  FOREIGN KEY (tenant, system_id) REFERENCES systems(tenant, id),
  FOREIGN KEY (tenant, copy_of) REFERENCES assets(tenant, id)
);
CREATE INDEX assets_unit ON assets(tenant, unit_id, id);
CREATE INDEX assets_segment ON assets(tenant, segment, id);
CREATE INDEX assets_system ON assets(tenant, system_id, id);
CREATE INDEX assets_copy ON assets(tenant, copy_of);

-- One row per axis of the tenant's profile: filtering by class stays an index look-up.
CREATE TABLE asset_classes (
  tenant TEXT NOT NULL,
  asset_id INTEGER NOT NULL,
  axis TEXT NOT NULL,
  level TEXT NOT NULL,
  PRIMARY KEY (tenant, asset_id, axis),
  FOREIGN KEY (tenant, asset_id) REFERENCES assets(tenant, id) ON DELETE CASCADE
);
CREATE INDEX asset_classes_level ON asset_classes(tenant, axis, level, asset_id);

CREATE TABLE devices (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES tenants(id),
  identifier TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('terminal', 'tablet', 'media', 'other')),
  mac TEXT,
  serial TEXT,
  holder_id INTEGER,
  unit_id INTEGER,
  segment TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (tenant, id),
  UNIQUE (tenant, identifier),
  FOREIGN KEY (tenant, holder_id) REFERENCES users(tenant, id),
  FOREIGN KEY (tenant, unit_id) REFERENCES units(tenant, id)
);

-- Sessions are found by the SHA-256 of their token: the token itself is never stored.
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  user_id INTEGER NOT NULL,
  csrf TEXT NOT NULL,
  mfa INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  FOREIGN KEY (tenant, user_id) REFERENCES users(tenant, id) ON DELETE CASCADE
);
