-- Invoices are numbered in one gap-free sequence per calendar year of the operator
-- (2031-000001, 2031-000002, …), taken in the issuing transaction, and are due a fixed
-- term after issue.
CREATE TABLE invoice_numbers (
	year INTEGER PRIMARY KEY,
	last INTEGER NOT NULL
);
ALTER TABLE invoices ADD COLUMN due_at BIGINT NOT NULL DEFAULT 0;
UPDATE invoices SET due_at = issued_at + 2592000000000;
