-- Each message keeps the sender it was written with, so the outbox shows it and a
-- resend goes from the same address; resends point at the message they repeat.
ALTER TABLE mail_outbox ADD COLUMN from_addr TEXT NOT NULL DEFAULT '';
ALTER TABLE mail_outbox ADD COLUMN resend_of TEXT NOT NULL DEFAULT '';
