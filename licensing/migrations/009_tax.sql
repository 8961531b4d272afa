-- Tax the operator charges, per buyer country (ISO 3166-1 alpha-2), in basis points
-- (2500 = 25 %); reverse_charge marks countries where the buyer accounts for the tax
-- (B2B in another EU country). Each invoice keeps what was applied when it was issued.
CREATE TABLE tax_rates (
	country TEXT PRIMARY KEY,
	rate_bp INTEGER NOT NULL,
	reverse_charge BOOLEAN NOT NULL DEFAULT FALSE,
	updated_at BIGINT NOT NULL
);
ALTER TABLE invoices ADD COLUMN buyer_country TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN tax_rate_bp INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN tax_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN reverse_charge BOOLEAN NOT NULL DEFAULT FALSE;
