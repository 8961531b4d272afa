ALTER TABLE organizations ADD COLUMN deleted_at BIGINT;
CREATE INDEX organizations_deleted ON organizations (deleted_at, id) WHERE deleted_at IS NOT NULL;
