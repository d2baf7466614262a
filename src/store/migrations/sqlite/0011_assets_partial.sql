-- 0011: the indexes of an asset's information system and of its original
-- hold only the assets that name one (issue 3, the bulk import).
-- Most assets name neither (an imported file of documents names none): each
-- such asset still put an entry under a NULL key in both, two of the six
-- B-tree insertions of every imported row for nothing. Every lookup by them
-- names a value (system_id = ?, system_id IN (…), copy_of = ?, and the
-- foreign key checks when a system or an asset is deleted), which SQLite
-- takes to imply IS NOT NULL, so the partial indexes serve them (checked
-- with EXPLAIN QUERY PLAN).
DROP INDEX assets_system;
CREATE INDEX assets_system ON assets(tenant, system_id, id) WHERE system_id IS NOT NULL;
DROP INDEX assets_copy;
CREATE INDEX assets_copy ON assets(tenant, copy_of) WHERE copy_of IS NOT NULL;
