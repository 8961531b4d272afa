-- A subscription's sink settings besides the webhook URL: NATS servers and subject,
-- Kafka brokers, topic and SASL mechanism, as JSON. Their token or password is sealed
-- in secret_sealed, never here.
ALTER TABLE event_subscriptions ADD COLUMN sink_config TEXT NOT NULL DEFAULT '{}';
