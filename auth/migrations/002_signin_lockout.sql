-- Failures are counted per account and source pair, per source and per account: the
-- account column (the username as typed) ties pair rows to their account.
ALTER TABLE signin_throttle ADD COLUMN account TEXT NOT NULL DEFAULT '';
CREATE INDEX signin_throttle_account ON signin_throttle (account, window_start);
CREATE INDEX signin_throttle_window ON signin_throttle (window_start);

-- Addresses a user signed in from, hashed with the username: the right password still
-- gets through from them while the account is locked for everyone else.
CREATE TABLE signin_known_addresses (
	key_hash TEXT PRIMARY KEY,
	user_id TEXT NOT NULL,
	org_id TEXT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX signin_known_addresses_user ON signin_known_addresses (user_id);
CREATE INDEX signin_known_addresses_org ON signin_known_addresses (org_id);
CREATE INDEX signin_known_addresses_expires ON signin_known_addresses (expires_at);
