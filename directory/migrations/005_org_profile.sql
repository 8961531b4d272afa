-- The organization profile that Global admins edit: the country new users default to,
-- a postal address and a technical contact for invoices and notices, and the console's
-- default language.
ALTER TABLE organizations ADD COLUMN country TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN technical_contact TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
UPDATE organizations SET country = COALESCE((SELECT u.usage_location FROM users u
	WHERE u.org_id = organizations.id AND u.usage_location <> '' ORDER BY u.created_at LIMIT 1), '');
