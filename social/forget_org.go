package social

import (
	"context"

	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
)

// forgetOrg deletes everything Social Engagement keeps for a purged organization.
func forgetOrg(ctx context.Context, tx *events.Tx, ev directory.OrgPurged) error {
	for _, q := range []string{
		`DELETE FROM social_stream_shares WHERE stream_id IN (SELECT id FROM social_streams WHERE org_id = $1)`,
		`DELETE FROM social_streams WHERE org_id = $1`,
		`DELETE FROM social_alerts WHERE org_id = $1`,
		`DELETE FROM social_settings WHERE org_id = $1`,
		`DELETE FROM social_search_topics WHERE org_id = $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, string(ev.Org)); err != nil {
			return err
		}
	}
	return nil
}
