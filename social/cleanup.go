package social

import (
	"context"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
)

// Cleaner is the Social Engagement rule for a user who loses their last license giving
// the app: custom settings, alerts, and owned or shared streams are deleted for good;
// search topics the user owned are kept and shown as owned by a removed user.
type Cleaner struct{}

// Preview counts what Cleanup deletes (and the topics it keeps).
func (Cleaner) Preview(ctx context.Context, q store.Querier, org atrium.OrgID, user atrium.UserID) (map[string]int, error) {
	counts := map[string]int{}
	for kind, query := range map[string]string{
		"settings":           `SELECT count(*) FROM social_settings WHERE user_id = $1 AND org_id = $2`,
		"alerts":             `SELECT count(*) FROM social_alerts WHERE user_id = $1 AND org_id = $2`,
		"streams":            `SELECT count(*) FROM social_streams WHERE owner_id = $1 AND org_id = $2`,
		"shared_streams":     `SELECT count(*) FROM social_stream_shares ss JOIN social_streams s ON s.id = ss.stream_id WHERE ss.user_id = $1 AND s.org_id = $2`,
		"search_topics_kept": `SELECT count(*) FROM social_search_topics WHERE owner_id = $1 AND org_id = $2`,
	} {
		var n int
		if err := q.QueryRowContext(ctx, query, string(user), string(org)).Scan(&n); err != nil {
			return nil, err
		}
		counts[kind] = n
	}
	return counts, nil
}

// Cleanup applies the rule in tx.
func (Cleaner) Cleanup(ctx context.Context, tx *store.Tx, org atrium.OrgID, user atrium.UserID) error {
	for _, q := range []string{
		`DELETE FROM social_settings WHERE user_id = $1 AND org_id = $2`,
		`DELETE FROM social_alerts WHERE user_id = $1 AND org_id = $2`,
		`DELETE FROM social_stream_shares WHERE stream_id IN (SELECT id FROM social_streams WHERE owner_id = $1 AND org_id = $2)`,
		`DELETE FROM social_streams WHERE owner_id = $1 AND org_id = $2`,
		`DELETE FROM social_stream_shares WHERE user_id = $1 AND stream_id IN (SELECT id FROM social_streams WHERE org_id = $2)`,
		`UPDATE social_search_topics SET owner_removed = TRUE WHERE owner_id = $1 AND org_id = $2`,
	} {
		if _, err := tx.ExecContext(ctx, q, string(user), string(org)); err != nil {
			return err
		}
	}
	return nil
}
