-- Operator staff's subscriptions to every organization's events (org.created…), found
-- by the fan-out beside the event's own organization's.
ALTER TABLE event_subscriptions ADD COLUMN instance_wide BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX event_subscriptions_instance ON event_subscriptions (instance_wide) WHERE instance_wide;
