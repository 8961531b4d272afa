package directory

import (
	"context"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/store"
)

// FillUsageLocation gives country as usage location to those of users (at most 1000,
// of p's organization) who have none, in one transaction with an audit entry and a
// user.updated event each, and returns how many it changed. Bulk license assignment
// uses it so users without a country can be licensed in the same step. Users who
// have a country keep theirs. It needs user.update.
func (s *Service) FillUsageLocation(ctx context.Context, p *access.Principal, users []atrium.UserID, country string) (int, error) {
	if err := access.Require(p, access.UserUpdate, access.Resource{Org: p.Org}); err != nil {
		return 0, err
	}
	country = strings.ToUpper(strings.TrimSpace(country))
	probs := atrium.Problems{}
	if country == "" {
		probs.Add("usage_location", "is required")
	}
	checkCountry(probs, "usage_location", country)
	if len(users) > 1000 {
		probs.Add("user_ids", "give at most 1000 users at once")
	}
	if err := probs.Err(); err != nil {
		return 0, err
	}
	if len(users) == 0 {
		return 0, nil
	}
	args, marks := store.In([]any{string(p.Org)}, users)
	n := 0
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE org_id = $1 AND deleted_at IS NULL AND usage_location = ''
			AND id IN (`+marks+`)`, args...)
		if err != nil {
			return err
		}
		var todo []*User
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				rows.Close()
				return err
			}
			todo = append(todo, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		now := tx.Now()
		for _, u := range todo {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET usage_location = $1, updated_at = $2, version = version + 1 WHERE id = $3`,
				country, store.Micros(now), string(u.ID)); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, now, audit.Entry{Org: u.Org, Action: "user.update", TargetType: "user", TargetID: string(u.ID),
				TargetName: u.Username, Before: map[string]any{"usage_location": ""}, After: map[string]any{"usage_location": country}}); err != nil {
				return err
			}
			if err := s.publishUser(ctx, tx, u, UserUpdated{UserRef: refOf(u), DisplayName: u.DisplayName}); err != nil {
				return err
			}
		}
		n = len(todo)
		return nil
	})
	return n, err
}
