-- A trial marked for conversion becomes a paid subscription when the trial ends,
-- instead of expiring.
ALTER TABLE subscriptions ADD COLUMN convert_at_trial_end BOOLEAN NOT NULL DEFAULT FALSE;
