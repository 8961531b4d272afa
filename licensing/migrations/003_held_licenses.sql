CREATE TABLE held_licenses (
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	product_id TEXT NOT NULL REFERENCES products (id),
	org_id TEXT NOT NULL,
	disabled_plans TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (user_id, product_id)
);
