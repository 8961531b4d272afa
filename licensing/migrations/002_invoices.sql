CREATE TABLE subscription_changes (
	id TEXT PRIMARY KEY,
	root_id TEXT NOT NULL REFERENCES subscriptions (id),
	subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
	at BIGINT NOT NULL,
	delta INTEGER NOT NULL,
	unit_price_minor BIGINT NOT NULL,
	period_start BIGINT NOT NULL,
	period_end BIGINT NOT NULL,
	invoice_id TEXT
);
CREATE INDEX subscription_changes_pending ON subscription_changes (root_id, invoice_id);

CREATE TABLE invoices (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL REFERENCES organizations (id),
	subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
	number TEXT NOT NULL UNIQUE,
	period_start BIGINT NOT NULL,
	period_end BIGINT NOT NULL,
	state TEXT NOT NULL,
	currency TEXT NOT NULL,
	total_minor BIGINT NOT NULL,
	issued_at BIGINT NOT NULL,
	paid_at BIGINT,
	UNIQUE (subscription_id, period_start)
);
CREATE INDEX invoices_org ON invoices (org_id, issued_at, id);

CREATE TABLE invoice_lines (
	id TEXT PRIMARY KEY,
	invoice_id TEXT NOT NULL REFERENCES invoices (id),
	position INTEGER NOT NULL,
	kind TEXT NOT NULL,
	description TEXT NOT NULL,
	quantity INTEGER NOT NULL,
	unit_price_minor BIGINT NOT NULL,
	amount_minor BIGINT NOT NULL
);
CREATE INDEX invoice_lines_invoice ON invoice_lines (invoice_id, position);
