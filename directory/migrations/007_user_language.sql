-- The user's own display language (en, sv, nb, pl); empty follows the organization's.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';
