package access

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the access module's schema changes.
var Migrations = store.LoadMigrations("access", migrationFS, "migrations")

// Assignment is a stored role assignment.
type Assignment struct {
	ID      string        `json:"id"`
	Org     atrium.OrgID  `json:"org_id"`
	User    atrium.UserID `json:"user_id"`
	Role    Role          `json:"role"`
	Scope   Scope         `json:"-"`
	Created time.Time     `json:"created_at"`
}

// GrantsOf returns the roles user holds, at every scope.
func GrantsOf(ctx context.Context, q store.Querier, user atrium.UserID) ([]Grant, error) {
	rows, err := q.QueryContext(ctx, `SELECT role, scope_kind, scope_id FROM role_assignments WHERE user_id = $1 ORDER BY role`, string(user))
	if err != nil {
		return nil, fmt.Errorf("access: grants of %s: %w", user, err)
	}
	defer rows.Close()
	var out []Grant
	for rows.Next() {
		var role, kind, id string
		if err := rows.Scan(&role, &kind, &id); err != nil {
			return nil, err
		}
		r, ok := LookupRole(role)
		k, kok := ParseScopeKind(kind)
		if !ok || !kok {
			continue // a role this binary (or the registry) no longer knows grants nothing
		}
		out = append(out, Grant{Role: r, Scope: Scope{Kind: k, ID: id}})
	}
	return out, rows.Err()
}

// OrgRolesOf returns the roles user holds at organization scope.
func OrgRolesOf(ctx context.Context, q store.Querier, user atrium.UserID) ([]Role, error) {
	grants, err := GrantsOf(ctx, q, user)
	if err != nil {
		return nil, err
	}
	var out []Role
	for _, g := range grants {
		if g.Scope.Kind == ScopeOrg {
			out = append(out, g.Role)
		}
	}
	return out, nil
}

// OrgRolesOfUsers returns the organization-scope roles of each of users (members of
// org, at most 500) in one query, for a page of a user list.
func OrgRolesOfUsers(ctx context.Context, q store.Querier, org atrium.OrgID, users []atrium.UserID) (map[atrium.UserID][]Role, error) {
	out := map[atrium.UserID][]Role{}
	if len(users) == 0 {
		return out, nil
	}
	if len(users) > 500 {
		return nil, fmt.Errorf("access: roles of %d users at once; at most 500", len(users))
	}
	args, marks := store.In([]any{string(org)}, users)
	rows, err := q.QueryContext(ctx, `SELECT user_id, role FROM role_assignments WHERE org_id = $1 AND scope_kind = 'org' AND scope_id = $1
		AND user_id IN (`+marks+`) ORDER BY user_id, role`, args...)
	if err != nil {
		return nil, fmt.Errorf("access: roles of users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var user, key string
		if err := rows.Scan(&user, &key); err != nil {
			return nil, err
		}
		if r, ok := LookupRole(key); ok {
			out[atrium.UserID(user)] = append(out[atrium.UserID(user)], r)
		}
	}
	return out, rows.Err()
}

// Assign gives user role at scope in tx. It reports false when the user already held it.
func Assign(ctx context.Context, tx *store.Tx, now time.Time, org atrium.OrgID, user atrium.UserID, role Role, scope Scope) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO role_assignments (id, org_id, user_id, role, scope_kind, scope_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, role, scope_kind, scope_id) DO NOTHING`,
		uuid.Must(uuid.NewV7()).String(), string(org), string(user), role.String(), scope.Kind.String(), scope.ID, store.Micros(now))
	if err != nil {
		return false, fmt.Errorf("access: assign %s: %w", role, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Unassign removes role at scope from user in tx. It reports false when the user did
// not hold it.
func Unassign(ctx context.Context, tx *store.Tx, user atrium.UserID, role Role, scope Scope) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM role_assignments WHERE user_id = $1 AND role = $2 AND scope_kind = $3 AND scope_id = $4`,
		string(user), role.String(), scope.Kind.String(), scope.ID)
	if err != nil {
		return false, fmt.Errorf("access: unassign %s: %w", role, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UnassignAll removes every role of user, when the user is purged.
func UnassignAll(ctx context.Context, tx *store.Tx, user atrium.UserID) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM role_assignments WHERE user_id = $1`, string(user))
	return err
}

// UnassignOrg removes every assignment held by members of a purged organization, or
// held at its scope.
func UnassignOrg(ctx context.Context, tx *store.Tx, org atrium.OrgID) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM role_assignments WHERE org_id = $1 OR (scope_kind = $2 AND scope_id = $1)`,
		string(org), ScopeOrg.String())
	return err
}

// UnassignRole removes every assignment of the role whose key is key, when a
// data-defined role is deleted, and returns how many it removed.
func UnassignRole(ctx context.Context, tx *store.Tx, key string) (int64, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM role_assignments WHERE role = $1`, key)
	if err != nil {
		return 0, fmt.Errorf("access: unassign role %s: %w", key, err)
	}
	return res.RowsAffected()
}

// Holders returns the users holding role at the organization scope of org.
func Holders(ctx context.Context, q store.Querier, org atrium.OrgID, role Role) ([]atrium.UserID, error) {
	rows, err := q.QueryContext(ctx, `SELECT user_id FROM role_assignments WHERE org_id = $1 AND role = $2 AND scope_kind = 'org' AND scope_id = $1 ORDER BY user_id`,
		string(org), role.String())
	if err != nil {
		return nil, fmt.Errorf("access: holders of %s: %w", role, err)
	}
	defer rows.Close()
	var out []atrium.UserID
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, atrium.UserID(id))
	}
	return out, rows.Err()
}

// OrgAssignments returns every organization-scope assignment of org, for the Roles page.
func OrgAssignments(ctx context.Context, q store.Querier, org atrium.OrgID) ([]Assignment, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, user_id, role, created_at FROM role_assignments
		WHERE org_id = $1 AND scope_kind = 'org' AND scope_id = $1 ORDER BY role, created_at`, string(org))
	if err != nil {
		return nil, fmt.Errorf("access: assignments of %s: %w", org, err)
	}
	defer rows.Close()
	var out []Assignment
	for rows.Next() {
		a := Assignment{Org: org, Scope: OrgScope(org)}
		var role string
		var created int64
		if err := rows.Scan(&a.ID, &a.User, &role, &created); err != nil {
			return nil, err
		}
		r, ok := LookupRole(role)
		if !ok {
			continue
		}
		a.Role, a.Created = r, store.Time(created)
		out = append(out, a)
	}
	return out, rows.Err()
}
