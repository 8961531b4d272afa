CREATE TABLE products (
	id TEXT PRIMARY KEY,
	sku TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL,
	parent_id TEXT REFERENCES products (id),
	preview_of TEXT REFERENCES products (id),
	name TEXT NOT NULL,
	description TEXT NOT NULL,
	apps TEXT NOT NULL,
	price_minor BIGINT NOT NULL,
	currency TEXT NOT NULL,
	billing_period TEXT NOT NULL,
	trial_available BOOLEAN NOT NULL,
	is_default BOOLEAN NOT NULL DEFAULT FALSE,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX products_name ON products (kind, name, id);

CREATE TABLE service_plans (
	id TEXT PRIMARY KEY,
	product_id TEXT NOT NULL REFERENCES products (id),
	name TEXT NOT NULL,
	UNIQUE (product_id, name)
);

CREATE TABLE subscriptions (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL REFERENCES organizations (id),
	product_id TEXT NOT NULL REFERENCES products (id),
	parent_id TEXT REFERENCES subscriptions (id),
	quantity INTEGER NOT NULL,
	state TEXT NOT NULL,
	trial BOOLEAN NOT NULL,
	period_start BIGINT NOT NULL,
	period_end BIGINT NOT NULL,
	cancel_at_period_end BOOLEAN NOT NULL DEFAULT FALSE,
	partner_org_id TEXT,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX subscriptions_org ON subscriptions (org_id, created_at, id);
CREATE INDEX subscriptions_due ON subscriptions (state, period_end);

CREATE TABLE seat_pools (
	org_id TEXT NOT NULL REFERENCES organizations (id),
	product_id TEXT NOT NULL REFERENCES products (id),
	purchased INTEGER NOT NULL,
	assigned INTEGER NOT NULL,
	low_seat_warned BOOLEAN NOT NULL DEFAULT FALSE,
	PRIMARY KEY (org_id, product_id)
);

CREATE TABLE license_assignments (
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	product_id TEXT NOT NULL REFERENCES products (id),
	org_id TEXT NOT NULL,
	disabled_plans TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (user_id, product_id)
);
CREATE INDEX license_assignments_org_product ON license_assignments (org_id, product_id, user_id);

CREATE TABLE orders (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL REFERENCES organizations (id),
	product_id TEXT NOT NULL REFERENCES products (id),
	subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
	quantity INTEGER NOT NULL,
	unit_price_minor BIGINT NOT NULL,
	total_minor BIGINT NOT NULL,
	currency TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX orders_org ON orders (org_id, created_at, id);
