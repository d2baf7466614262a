-- 0011: the index of an asset's information system holds only the assets
-- that name one (issue 3, the bulk import).
-- Most assets name no system (an imported file of documents names none):
-- every such asset still put an entry under the one NULL key, an index
-- insertion of each imported row for nothing. Every lookup by system names
-- one (system_id = $n, system_id IN (…), the key check of systems(tenant,
-- id) when a system is deleted), which implies NOT NULL, so the planner uses
-- the partial index for each of them (checked with EXPLAIN).
DROP INDEX assets_system;
CREATE INDEX assets_system ON assets(system_id, id) INCLUDE (tenant)
  WITH (deduplicate_items = off) WHERE system_id IS NOT NULL;
