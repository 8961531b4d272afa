-- Two companies may share a name: only the domain prefix is unique.
ALTER TABLE organizations DROP CONSTRAINT organizations_name_key_key;
