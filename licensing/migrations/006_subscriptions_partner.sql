-- The partner of record's list of its customers' subscriptions, newest first, pages on
-- this index (equality on partner_org_id, then the keyset on created_at, id). Most
-- subscriptions have no partner, so only those with one are indexed; partner_org_id = $1
-- implies the predicate, and both databases use the index for it.
CREATE INDEX subscriptions_partner ON subscriptions (partner_org_id, created_at, id) WHERE partner_org_id IS NOT NULL;
