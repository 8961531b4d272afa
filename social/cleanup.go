package social

import (
	"context"
	"slices"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/store"
)

// subscribe applies the Social Engagement rules to other modules' events.
func (s *Service) subscribe(bus *events.Bus) {
	events.Subscribe(bus, "social.license_removed", licenseRemoved)
	events.Subscribe(bus, "social.user_purged", userPurged)
	events.Subscribe(bus, "social.org_purged", forgetOrg)
}

// licenseRemoved is the rule for a user who loses their last license giving the app:
// custom settings, alerts, and owned or shared streams are deleted for good; search
// topics the user owned are kept and shown as owned by a removed user. It counts what it
// does, so a preview (a rolled-back publication) tells the same numbers.
func licenseRemoved(ctx context.Context, tx *events.Tx, ev licensing.LicenseRemoved) error {
	if !slices.Contains(ev.LostApps, App) {
		return nil
	}
	for _, step := range []struct{ kind, query string }{
		{"settings", `DELETE FROM social_settings WHERE user_id = $1 AND org_id = $2`},
		{"alerts", `DELETE FROM social_alerts WHERE user_id = $1 AND org_id = $2`},
		{"shared_streams", `DELETE FROM social_stream_shares WHERE user_id = $1 AND stream_id IN (SELECT id FROM social_streams WHERE org_id = $2 AND owner_id <> $1)`},
		{"", `DELETE FROM social_stream_shares WHERE stream_id IN (SELECT id FROM social_streams WHERE owner_id = $1 AND org_id = $2)`},
		{"streams", `DELETE FROM social_streams WHERE owner_id = $1 AND org_id = $2`},
		{"search_topics_kept", `UPDATE social_search_topics SET owner_removed = TRUE WHERE owner_id = $1 AND org_id = $2`},
	} {
		res, err := tx.ExecContext(ctx, step.query, string(ev.User), string(ev.Org))
		if err != nil {
			return err
		}
		if step.kind == "" {
			continue
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		tx.Count(step.kind, int(n))
	}
	return nil
}

// userPurged removes everything of a purged user; the organization's search topics they
// owned stay, owned by nobody, until an admin reassigns them.
func userPurged(ctx context.Context, tx *events.Tx, ev directory.UserPurged) error {
	for _, q := range []string{
		`DELETE FROM social_settings WHERE user_id = $1`,
		`DELETE FROM social_alerts WHERE user_id = $1`,
		`DELETE FROM social_stream_shares WHERE user_id = $1`,
		`DELETE FROM social_stream_shares WHERE stream_id IN (SELECT id FROM social_streams WHERE owner_id = $1)`,
		`DELETE FROM social_streams WHERE owner_id = $1`,
		`UPDATE social_search_topics SET owner_id = '', owner_removed = TRUE WHERE owner_id = $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, string(ev.ID)); err != nil {
			return err
		}
	}
	return nil
}

// Holdings counts, per kind, the app data a user of org has now: what losing the
// license would delete (and the search topics it would keep).
func Holdings(ctx context.Context, q store.Querier, org atrium.OrgID, user atrium.UserID) (map[string]int, error) {
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
