package collab

import (
	"context"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
)

// subscribe keeps the module's copies of users in step and forgets what is purged.
func (s *Service) subscribe(bus *events.Bus) {
	events.Subscribe(bus, "collab.user_updated", s.userUpdated)
	events.Subscribe(bus, "collab.user_deleted", userDeleted)
	events.Subscribe(bus, "collab.user_restored", userRestored)
	events.Subscribe(bus, "collab.user_purged", userPurged)
	events.Subscribe(bus, "collab.org_purged", forgetOrg)
}

// userUpdated rewrites the names a user is listed and found by in their memberships.
func (s *Service) userUpdated(ctx context.Context, tx *events.Tx, ev directory.UserUpdated) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM collab_members WHERE user_id = $1`, string(ev.ID)).Scan(&n); err != nil || n == 0 {
		return err
	}
	cards, err := s.users.CardsAnywhere(ctx, tx.Tx, []atrium.UserID{ev.ID})
	if err != nil || len(cards) == 0 {
		return err
	}
	c := cards[0]
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT p.org_id FROM collab_members m JOIN collab_engagements e ON e.id = m.scope_id
		JOIN collab_programs p ON p.id = e.program_id WHERE m.user_id = $1
		UNION SELECT DISTINCT p.org_id FROM collab_members m JOIN collab_programs p ON p.id = m.scope_id WHERE m.user_id = $1`, string(ev.ID))
	if err != nil {
		return err
	}
	var orgs []atrium.OrgID
	for rows.Next() {
		var o atrium.OrgID
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return err
		}
		orgs = append(orgs, o)
	}
	rows.Close()
	lang := ""
	if len(orgs) > 0 {
		f, err := s.users.Facts(ctx, tx.Tx, orgs[0])
		if err != nil {
			return err
		}
		lang = f.Language
	}
	sortName, search := memberNames(c, lang)
	if _, err := tx.ExecContext(ctx, `UPDATE collab_members SET username = $1, display_name = $2, email = $3, sort_name = $4, search = $5 WHERE user_id = $6`,
		c.Username, c.DisplayName, c.ContactEmail, sortName, search, string(c.ID)); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE collab_requests SET username = $1, display_name = $2 WHERE user_id = $3`, c.Username, c.DisplayName, string(c.ID))
	return err
}

// userDeleted sets a deleted user's memberships aside (departed: never listed, giving
// nothing) and withdraws their pending requests; a restore gives the memberships back.
func userDeleted(ctx context.Context, tx *events.Tx, ev directory.UserDeleted) error {
	if _, err := tx.ExecContext(ctx, `UPDATE collab_members SET state = 'departed' WHERE user_id = $1 AND state = 'active'`, string(ev.ID)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE collab_requests SET state = 'expired', decided_at = $1 WHERE user_id = $2 AND state = 'pending'`,
		tx.Now().UnixMicro(), string(ev.ID))
	return err
}

// userRestored gives a restored user their memberships back.
func userRestored(ctx context.Context, tx *events.Tx, ev directory.UserRestored) error {
	_, err := tx.ExecContext(ctx, `UPDATE collab_members SET state = 'active' WHERE user_id = $1 AND state = 'departed'`, string(ev.ID))
	return err
}

// userPurged forgets a purged user: their memberships, requests and activity.
func userPurged(ctx context.Context, tx *events.Tx, ev directory.UserPurged) error {
	for _, q := range []string{
		`DELETE FROM collab_members WHERE user_id = $1`,
		`DELETE FROM collab_requests WHERE user_id = $1`,
		`DELETE FROM collab_people WHERE user_id = $1`,
		`UPDATE collab_members SET added_by = '' WHERE added_by = $1`,
		`UPDATE collab_requests SET decided_by = '', decided_by_name = '' WHERE decided_by = $1`,
		`UPDATE collab_programs SET created_by = '' WHERE created_by = $1`,
		`UPDATE collab_engagements SET created_by = '' WHERE created_by = $1`,
		`UPDATE collab_packages SET created_by = '', created_by_name = '' WHERE created_by = $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, string(ev.ID)); err != nil {
			return err
		}
	}
	return nil
}

// forgetOrg forgets a purged organization: its users' memberships, requests and
// activity, its place on engagements' visibility lists, and (were it the operator's)
// its programs and engagements.
func forgetOrg(ctx context.Context, tx *events.Tx, ev directory.OrgPurged) error {
	org := string(ev.Org)
	for _, q := range []string{
		`DELETE FROM collab_members WHERE org_id = $1`,
		`DELETE FROM collab_requests WHERE org_id = $1`,
		`DELETE FROM collab_people WHERE org_id = $1`,
		`DELETE FROM collab_engagement_orgs WHERE org_id = $1`,
		`DELETE FROM collab_members WHERE scope_id IN (SELECT id FROM collab_engagements WHERE org_id = $1) OR scope_id IN (SELECT id FROM collab_programs WHERE org_id = $1)`,
		`DELETE FROM collab_requests WHERE engagement_id IN (SELECT id FROM collab_engagements WHERE org_id = $1)`,
		`DELETE FROM collab_engagement_orgs WHERE engagement_id IN (SELECT id FROM collab_engagements WHERE org_id = $1)`,
		`DELETE FROM collab_terms WHERE engagement_id IN (SELECT id FROM collab_engagements WHERE org_id = $1)`,
		`DELETE FROM collab_file_chunks WHERE file_id IN (SELECT f.id FROM collab_package_files f JOIN collab_engagements e ON e.id = f.engagement_id WHERE e.org_id = $1)`,
		`DELETE FROM collab_package_files WHERE engagement_id IN (SELECT id FROM collab_engagements WHERE org_id = $1)`,
		`DELETE FROM collab_packages WHERE engagement_id IN (SELECT id FROM collab_engagements WHERE org_id = $1)`,
		`DELETE FROM collab_engagements WHERE org_id = $1`,
		`DELETE FROM collab_programs WHERE org_id = $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, org); err != nil {
			return err
		}
	}
	return nil
}
