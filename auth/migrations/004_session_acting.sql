-- The account a session works with: NULL for the home account it signed in with
-- (user_id), or a guest account of that person in another organization, chosen with
-- "Work with this account". Removing the guest account leaves the session at home.
ALTER TABLE sessions ADD COLUMN acting_user_id TEXT;
CREATE INDEX sessions_acting ON sessions (acting_user_id);
