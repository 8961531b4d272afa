-- The warnings mailed before a subscription ends (a trial that is not converted, or a
-- cancelled subscription): one row per subscription, period end and threshold (7 or 1
-- days before), so each is mailed once even when several nodes run the sweep.
CREATE TABLE subscription_end_warnings (
	subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
	org_id TEXT NOT NULL REFERENCES organizations (id),
	period_end BIGINT NOT NULL,
	days_before INTEGER NOT NULL,
	sent_at BIGINT NOT NULL,
	PRIMARY KEY (subscription_id, period_end, days_before)
);
CREATE INDEX subscription_end_warnings_org ON subscription_end_warnings (org_id);
