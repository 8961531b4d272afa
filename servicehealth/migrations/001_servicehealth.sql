-- Service health issues (incidents and advisories) the operator publishes, and the
-- posts of their timelines.
CREATE TABLE servicehealth_issues (
	id TEXT PRIMARY KEY,
	-- org_id is the operator organization, whose staff publish the issue.
	org_id TEXT NOT NULL,
	classification TEXT NOT NULL,
	title TEXT NOT NULL,
	-- search is the title, case and accents folded (i18n.Fold).
	search TEXT NOT NULL,
	impact TEXT NOT NULL,
	feature TEXT NOT NULL,
	status TEXT NOT NULL,
	-- services are the affected services' codes, comma-separated, in Services order.
	services TEXT NOT NULL,
	-- target is whom the issue affects: 'all' organizations in this version.
	target TEXT NOT NULL,
	started_at BIGINT NOT NULL,
	-- ended_at is set when the issue is resolved; NULL while it is active.
	ended_at BIGINT,
	post_incident_report TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1
);
-- The dashboard's active issues and the history's order, newest first.
CREATE INDEX servicehealth_issues_active ON servicehealth_issues (ended_at);
CREATE INDEX servicehealth_issues_started ON servicehealth_issues (started_at, id);

CREATE TABLE servicehealth_posts (
	id TEXT PRIMARY KEY,
	issue_id TEXT NOT NULL REFERENCES servicehealth_issues (id),
	org_id TEXT NOT NULL,
	text TEXT NOT NULL,
	-- status is the issue's status once the post was added.
	status TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX servicehealth_posts_issue ON servicehealth_posts (issue_id, created_at, id);
