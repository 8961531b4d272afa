-- The organization's tax identification (VAT) number, printed on invoices as seller
-- (the operator) or buyer.
ALTER TABLE organizations ADD COLUMN tax_id TEXT NOT NULL DEFAULT '';
