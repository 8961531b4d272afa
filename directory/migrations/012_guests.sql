-- Guest accounts: a user row of a host organization that stands for a person whose
-- home account is in another organization. It has no password of its own (the person
-- signs in at home and switches to it); home_user_id and home_org_id link it to the
-- home account. Ordinary users have both NULL.
ALTER TABLE users ADD COLUMN home_user_id TEXT;
ALTER TABLE users ADD COLUMN home_org_id TEXT;
CREATE INDEX users_home ON users (home_user_id, org_id);
CREATE INDEX users_home_org ON users (home_org_id);
CREATE INDEX users_org_guests ON users (org_id, sort_name, id) WHERE home_user_id IS NOT NULL AND deleted_at IS NULL;

-- Invitations to become a guest of org_id: the token is mailed and only its hash kept;
-- it is used once, before expires_at. invitee_user_id is set when the invitation named
-- an existing account; accepted_user_id is the guest account acceptance created.
CREATE TABLE guest_invitations (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL REFERENCES organizations (id),
	token_hash TEXT NOT NULL UNIQUE,
	email TEXT NOT NULL,
	invitee_user_id TEXT,
	message TEXT NOT NULL DEFAULT '',
	invited_by TEXT NOT NULL,
	invited_by_name TEXT NOT NULL,
	state TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	decided_at BIGINT,
	accepted_user_id TEXT
);
CREATE INDEX guest_invitations_org ON guest_invitations (org_id, created_at, id);
CREATE INDEX guest_invitations_invitee ON guest_invitations (invitee_user_id);
CREATE INDEX guest_invitations_inviter ON guest_invitations (invited_by);
