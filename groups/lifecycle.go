package groups

import (
	"context"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/store"
)

// subscribe keeps the module's copies of users in step and forgets what is purged.
func (s *Service) subscribe(bus *events.Bus) {
	events.Subscribe(bus, "groups.user_updated", s.userUpdated)
	events.Subscribe(bus, "groups.user_deleted", userDeleted)
	events.Subscribe(bus, "groups.user_restored", userRestored)
	events.Subscribe(bus, "groups.user_purged", userPurged)
	events.Subscribe(bus, "groups.org_purged", forgetOrg)
}

// userUpdated rewrites the names a user is listed and found by in their groups.
func (s *Service) userUpdated(ctx context.Context, tx *events.Tx, ev directory.UserUpdated) error {
	cards, err := s.users.Cards(ctx, tx.Tx, ev.Org, []atrium.UserID{ev.ID})
	if err != nil || len(cards) == 0 {
		return err
	}
	facts, err := s.users.Facts(ctx, tx.Tx, ev.Org)
	if err != nil {
		return err
	}
	c := cards[0]
	sortName, search := memberNames(c, facts.Language)
	if _, err := tx.ExecContext(ctx, `UPDATE group_members SET username = $1, display_name = $2, sort_name = $3, search = $4 WHERE user_id = $5`,
		c.Username, c.DisplayName, sortName, search, string(c.ID)); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE group_join_requests SET username = $1, display_name = $2 WHERE user_id = $3`, c.Username, c.DisplayName, string(c.ID))
	return err
}

// memberCounts recomputes the counts of the groups user belongs to (in table).
const memberCounts = `UPDATE org_groups SET
	members = (SELECT count(*) FROM group_members m WHERE m.group_id = org_groups.id),
	owners = (SELECT count(*) FROM group_members m WHERE m.group_id = org_groups.id AND m.owner)
	WHERE id IN (SELECT group_id FROM %s WHERE user_id = $1)`

// userDeleted takes a deleted user out of their groups, keeping the memberships aside
// for a restore. A group whose last owner is deleted keeps no owner until an
// administrator names one (the group list shows it).
func userDeleted(ctx context.Context, tx *events.Tx, ev directory.UserDeleted) error {
	return moveMemberships(ctx, tx, string(ev.ID), "group_members", "group_departed_members")
}

// userRestored gives a restored user their memberships back.
func userRestored(ctx context.Context, tx *events.Tx, ev directory.UserRestored) error {
	return moveMemberships(ctx, tx, string(ev.ID), "group_departed_members", "group_members")
}

func moveMemberships(ctx context.Context, tx *events.Tx, user, from, to string) error {
	cols := `group_id, user_id, org_id, owner, following, username, display_name, sort_name, search, added_at`
	for _, q := range []string{
		`INSERT INTO ` + to + ` (` + cols + `) SELECT ` + cols + ` FROM ` + from + ` WHERE user_id = $1 ON CONFLICT (group_id, user_id) DO NOTHING`,
		`DELETE FROM ` + from + ` WHERE user_id = $1`,
		sprintf(memberCounts, to), // the groups the memberships moved out of or into
	} {
		if _, err := tx.ExecContext(ctx, q, user); err != nil {
			return err
		}
	}
	return nil
}

// userPurged forgets a purged user: their memberships and requests, and their posts
// (conversations.go).
func userPurged(ctx context.Context, tx *events.Tx, ev directory.UserPurged) error {
	// A purged user was deleted first, so their memberships are aside already; a
	// membership added while the deletion's event was being handled is taken too.
	if err := moveMemberships(ctx, tx, string(ev.ID), "group_members", "group_departed_members"); err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM group_departed_members WHERE user_id = $1`,
		`DELETE FROM group_join_requests WHERE user_id = $1`,
		`UPDATE org_groups SET created_by = '' WHERE created_by = $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, string(ev.ID)); err != nil {
			return err
		}
	}
	return forgetAuthor(ctx, tx, ev.ID)
}

// forgetOrg deletes every group of a purged organization.
func forgetOrg(ctx context.Context, tx *events.Tx, ev directory.OrgPurged) error {
	for _, q := range orgTables {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+q+` WHERE org_id = $1`, string(ev.Org)); err != nil {
			return err
		}
	}
	return nil
}

// orgTables are the module's tables, children first.
var orgTables = []string{"group_post_attachments", "group_posts", "group_threads", "group_members", "group_departed_members", "group_join_requests", "group_settings", "org_groups"}

// groupTables are the tables holding one group's rows (by group_id), children first.
var groupTables = []string{"group_members", "group_departed_members", "group_join_requests"}

// purge removes the groups deleted more than RestoreWindow ago, a group per
// transaction.
func (s *Service) purge(ctx context.Context, _ *jobs.Job) error {
	cutoff := store.Micros(s.clock.Now().Add(-RestoreWindow))
	for {
		rows, err := s.db.Read().QueryContext(ctx, `SELECT `+groupColumns+` FROM org_groups g WHERE g.deleted_at IS NOT NULL AND g.deleted_at < $1
			ORDER BY g.deleted_at, g.id LIMIT 100`, cutoff)
		if err != nil {
			return err
		}
		var batch []row
		for rows.Next() {
			g, err := scanGroup(rows)
			if err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		for _, g := range batch {
			if err := s.purgeGroup(ctx, &g.Group, cutoff); err != nil {
				return err
			}
		}
	}
}

func (s *Service) purgeGroup(ctx context.Context, g *Group, cutoff int64) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM org_groups WHERE id = $1 AND deleted_at IS NOT NULL AND deleted_at < $2`, g.ID, cutoff)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // restored meanwhile
		}
		for _, t := range groupTables {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE group_id = $1`, g.ID); err != nil {
				return err
			}
		}
		if err := s.purgeContent(ctx, tx, g.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE group_settings SET creators_group_id = '' WHERE creators_group_id = $1`, g.ID); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: g.Org, Action: "group.purge", TargetType: "group", TargetID: g.ID, TargetName: g.Name}); err != nil {
			return err
		}
		_, err = s.bus.Publish(ctx, tx, g.Org, g.ID, GroupPurged{GroupRef: refOf(g)})
		return err
	})
}

func sprintf(format, table string) string { return strings.Replace(format, "%s", table, 1) }
