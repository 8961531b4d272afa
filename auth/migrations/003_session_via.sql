-- Where a session was opened: the console's sign-in page or POST /api/v1/sessions, so
-- the session list can say which is which.
ALTER TABLE sessions ADD COLUMN via TEXT NOT NULL DEFAULT 'console';
