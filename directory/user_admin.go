package directory

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/password"
	"github.com/atrium-admin/atrium/store"
)

// authorizeOn checks that p may do a on user u, taking u's admin rank into account.
func authorizeOn(p *access.Principal, a access.Action, u *User) error {
	return access.Require(p, a, access.Resource{Org: u.Org, TargetRank: access.RankOf(u.Roles), TargetOrg: u.Org})
}

// CreateUser adds a user to p's organization. Without a password one is generated and
// returned; the user must change an admin-set password at first sign-in unless
// MustChangePassword says otherwise. It returns invalid (naming the field) for bad input,
// conflict for a taken username, forbidden without permission.
func (s *Service) CreateUser(ctx context.Context, p *access.Principal, in UserInput) (*User, string, error) {
	u, pw, generated, err := s.newUser(ctx, p, in)
	if err != nil {
		return nil, "", err
	}
	hash, err := s.Passwords().Hash(ctx, pw)
	if err != nil {
		return nil, "", err
	}
	mustChange := true
	if in.MustChangePassword != nil {
		mustChange = *in.MustChangePassword
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := s.insertUser(ctx, tx, u, hash, mustChange); err != nil {
			return err
		}
		if err := s.publishUser(ctx, tx, u, UserCreated{UserRef: refOf(u), DisplayName: u.DisplayName, UsageLocation: u.UsageLocation}); err != nil {
			return err
		}
		if u.ContactEmail != "" {
			// A new user learns their username, in their organization's language; the
			// password stays with the admin, who was shown it.
			org, err := getOrg(ctx, tx, u.Org)
			if err != nil {
				return err
			}
			if err := s.mailer.Enqueue(ctx, tx, mail.Message{Org: u.Org, To: u.ContactEmail, Template: "user_welcome", Lang: org.Language,
				Data: map[string]string{"DisplayName": u.DisplayName, "OrgName": org.Name, "Username": u.Username, "SignInURL": s.cfg.PublicURL + "/signin"}}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, u.CreatedAt, audit.Entry{Org: u.Org, Action: "user.create", TargetType: "user",
			TargetID: string(u.ID), TargetName: u.Username, After: userSummary(u)})
	})
	if err != nil {
		return nil, "", err
	}
	u.Roles = []access.Role{}
	return u, generated, nil
}

// CheckNewUser runs every check CreateUser would on in, without adding anyone, and
// returns the user as it would be created (its username qualified, its usage location
// defaulted): the basics step of adding a user in the console.
func (s *Service) CheckNewUser(ctx context.Context, p *access.Principal, in UserInput) (*User, error) {
	u, _, _, err := s.newUser(ctx, p, in)
	if err != nil {
		return nil, err
	}
	var taken bool
	err = s.db.Read().QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE username_key = $1)`, strings.ToLower(u.Username)).Scan(&taken)
	if err != nil {
		return nil, store.Translate(err)
	}
	if taken {
		return nil, &atrium.Error{Code: atrium.CodeConflict, Message: "a user with this username already exists",
			Fields: map[string]string{"username": "is taken"}}
	}
	return u, nil
}

// newUser validates in for a new user of p's organization: the user to insert, the
// password to hash and, when none was given, the generated one.
func (s *Service) newUser(ctx context.Context, p *access.Principal, in UserInput) (u *User, pw, generated string, err error) {
	if err := access.Require(p, access.UserCreate, access.Resource{Org: p.Org}); err != nil {
		return nil, "", "", err
	}
	in.normalize()
	u = &User{Org: p.Org, DisplayName: in.DisplayName, FirstName: in.FirstName, LastName: in.LastName, ContactEmail: in.ContactEmail,
		JobTitle: in.JobTitle, Department: in.Department, UsageLocation: in.UsageLocation}
	probs := atrium.Problems{}
	if u.UsageLocation == "" {
		// New users work where their organization is, unless told otherwise.
		org, err := getOrg(ctx, s.db.Read(), p.Org)
		if err != nil {
			return nil, "", "", err
		}
		u.UsageLocation = org.Country
	}
	checkProfile(probs, u)
	pw = in.Password
	if pw == "" {
		pw = password.Generate()
		generated = pw
	} else if err := password.Check("password", pw); err != nil {
		probs.AddFrom(err)
	}
	domains, err := s.Domains(ctx, p.Org)
	if err != nil {
		return nil, "", "", err
	}
	u.Username = s.qualify(probs, in.Username, domains)
	if err := probs.Err(); err != nil {
		return nil, "", "", err
	}
	return u, pw, generated, nil
}

// qualify turns the username input into local@domain, checking the domain belongs to the
// organization; a bare local part gets the first (initial) domain.
func (s *Service) qualify(probs atrium.Problems, username string, domains []string) string {
	local, domain, hasAt := strings.Cut(strings.ToLower(username), "@")
	checkLocalPart(probs, "username", local)
	if !hasAt && len(domains) > 0 {
		domain = domains[0]
	}
	for _, d := range domains {
		if d == domain {
			return local + "@" + domain
		}
	}
	probs.Addf("username", "err.directory.username_domain", "the domain must be one of the organization's domains: {{.Domains}}",
		"Domains", strings.Join(domains, ", "))
	return ""
}

// GetUser returns a user of p's organization, active or deleted.
func (s *Service) GetUser(ctx context.Context, p *access.Principal, id atrium.UserID) (*User, error) {
	if err := access.Require(p, access.UserRead, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	return getUser(ctx, s.db.Read(), p.Org, id)
}

// ListUsers returns a page of p's organization's users.
func (s *Service) ListUsers(ctx context.Context, p *access.Principal, q UserQuery) (UserPage, error) {
	if err := access.Require(p, access.UserRead, access.Resource{Org: p.Org}); err != nil {
		return UserPage{}, err
	}
	return listUsers(ctx, s.db, p.Org, q)
}

// CountListed returns how many users of p's organization the list shows for uq's
// deleted flag and filter (its search, sort and cursor are ignored): the total the
// console shows above the list.
func (s *Service) CountListed(ctx context.Context, p *access.Principal, uq UserQuery) (int, error) {
	if err := access.Require(p, access.UserRead, access.Resource{Org: p.Org}); err != nil {
		return 0, err
	}
	filter, err := filterSQL(uq.Filter)
	if err != nil {
		return 0, err
	}
	deleted := "deleted_at IS NULL"
	if uq.Deleted {
		deleted = "deleted_at IS NOT NULL"
	}
	var n int
	err = s.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM users WHERE org_id = $1 AND `+deleted+filter, string(p.Org)).Scan(&n)
	return n, store.Translate(err)
}

// CountUsers returns the number of active users of org.
func (s *Service) CountUsers(ctx context.Context, org atrium.OrgID) (int, error) {
	var n int
	err := s.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM users WHERE org_id = $1 AND deleted_at IS NULL`, string(org)).Scan(&n)
	return n, store.Translate(err)
}

// UpdateUser applies patch to a user of p's organization. ifMatch, when not zero, must be
// the user's current version or the update fails with precondition_failed; concurrent
// updates with the same version let exactly one through. Blocking needs the block
// permission, ends the user's sessions, and is refused for the last Global administrator.
func (s *Service) UpdateUser(ctx context.Context, p *access.Principal, id atrium.UserID, patch UserPatch, ifMatch int64) (*User, error) {
	var out *User
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := getUser(ctx, tx, p.Org, id)
		if err != nil {
			return err
		}
		if u.DeletedAt != nil {
			return atrium.Errorf(atrium.CodeConflict, "the user is deleted; restore them first")
		}
		before := userSummary(u)
		profileChange := patch.DisplayName != nil || patch.FirstName != nil || patch.LastName != nil || patch.ContactEmail != nil ||
			patch.JobTitle != nil || patch.Department != nil || patch.UsageLocation != nil
		if profileChange || patch.Blocked == nil {
			if err := authorizeOn(p, access.UserUpdate, u); err != nil {
				return err
			}
		}
		// Sending the block flag needs the block permission even when it does not
		// change, or anyone could read (and bump) any user with {"blocked": false}.
		if patch.Blocked != nil {
			if err := authorizeOn(p, access.UserBlock, u); err != nil {
				return err
			}
		}
		if ifMatch != 0 && ifMatch != u.Version {
			return atrium.Errorf(atrium.CodePreconditionFailed, "the user was changed by someone else; reload and try again")
		}
		set := func(dst *string, v *string, upper bool) {
			if v != nil {
				*dst = strings.TrimSpace(*v)
				if upper {
					*dst = strings.ToUpper(*dst)
				}
			}
		}
		set(&u.DisplayName, patch.DisplayName, false)
		set(&u.FirstName, patch.FirstName, false)
		set(&u.LastName, patch.LastName, false)
		set(&u.ContactEmail, patch.ContactEmail, false)
		set(&u.JobTitle, patch.JobTitle, false)
		set(&u.Department, patch.Department, false)
		set(&u.UsageLocation, patch.UsageLocation, true)
		probs := atrium.Problems{}
		checkProfile(probs, u)
		if err := probs.Err(); err != nil {
			return err
		}
		blockChanged := patch.Blocked != nil && *patch.Blocked != u.Blocked
		if blockChanged {
			if err := authorizeOn(p, access.UserBlock, u); err != nil {
				return err
			}
			if *patch.Blocked {
				if u.ID == p.UserID {
					return atrium.FieldError("blocked", "you cannot block your own sign-in")
				}
				if err := s.ensureNotLastGlobalAdmin(ctx, tx, u, "blocked"); err != nil {
					return err
				}
			}
			u.Blocked = *patch.Blocked
		}
		// The sort key changes with the display name only; its language is read then.
		var sortKey *string
		if patch.DisplayName != nil {
			lang, err := orgLanguage(ctx, tx, u.Org)
			if err != nil {
				return err
			}
			k := sortName(lang, u.DisplayName)
			sortKey = &k
		}
		now := tx.Now()
		res, err := tx.ExecContext(ctx, `UPDATE users SET display_name = $1, sort_name = COALESCE($2, sort_name), first_name = $3, last_name = $4, contact_email = $5,
				job_title = $6, department = $7, usage_location = $8, blocked = $9, search = $10, updated_at = $11, version = version + 1
			WHERE id = $12 AND org_id = $13 AND version = $14`,
			u.DisplayName, sortKey, u.FirstName, u.LastName, u.ContactEmail, u.JobTitle, u.Department, u.UsageLocation,
			u.Blocked, searchText(u), store.Micros(now), string(u.ID), string(u.Org), u.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return atrium.Errorf(atrium.CodePreconditionFailed, "the user was changed by someone else; reload and try again")
		}
		u.UpdatedAt, u.Version = now, u.Version+1
		action := "user.update"
		if blockChanged && !profileChange {
			action = map[bool]string{true: "user.block", false: "user.unblock"}[u.Blocked]
		}
		out = u
		if profileChange {
			if err := s.publishUser(ctx, tx, u, UserUpdated{UserRef: refOf(u), DisplayName: u.DisplayName}); err != nil {
				return err
			}
		}
		if blockChanged {
			var ev events.Payload = UserUnblocked{UserRef: refOf(u)}
			if u.Blocked {
				ev = UserBlocked{UserRef: refOf(u)}
			}
			if err := s.publishUser(ctx, tx, u, ev); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, now, audit.Entry{Org: u.Org, Action: action, TargetType: "user", TargetID: string(u.ID),
			TargetName: u.Username, Before: before, After: userSummary(u)})
	})
	return out, err
}

// DeleteUser soft-deletes a user of p's organization: they cannot sign in, their sessions
// end, and they move to Deleted users, restorable for 30 days. You cannot delete yourself
// or the last Global administrator.
func (s *Service) DeleteUser(ctx context.Context, p *access.Principal, id atrium.UserID, ifMatch int64) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := getUser(ctx, tx, p.Org, id)
		if err != nil {
			return err
		}
		return s.deleteUser(ctx, tx, p, u, ifMatch)
	})
}

// deleteUser soft-deletes u in tx, as DeleteUser says.
func (s *Service) deleteUser(ctx context.Context, tx *store.Tx, p *access.Principal, u *User, ifMatch int64) error {
	if err := authorizeOn(p, access.UserDelete, u); err != nil {
		return err
	}
	if u.DeletedAt != nil {
		return atrium.Errorf(atrium.CodeConflict, "the user is already deleted")
	}
	if ifMatch != 0 && ifMatch != u.Version {
		return atrium.Errorf(atrium.CodePreconditionFailed, "the user was changed by someone else; reload and try again")
	}
	if u.ID == p.UserID {
		return atrium.Errorf(atrium.CodeInvalid, "you cannot delete yourself")
	}
	if err := s.ensureNotLastGlobalAdmin(ctx, tx, u, "deleted"); err != nil {
		return err
	}
	now := tx.Now()
	if _, err := tx.ExecContext(ctx, `UPDATE users SET deleted_at = $1, updated_at = $1, version = version + 1 WHERE id = $2 AND org_id = $3`,
		store.Micros(now), string(u.ID), string(u.Org)); err != nil {
		return err
	}
	if err := s.publishUser(ctx, tx, u, UserDeleted{UserRef: refOf(u)}); err != nil {
		return err
	}
	return audit.Record(ctx, tx, now, audit.Entry{Org: u.Org, Action: "user.delete", TargetType: "user", TargetID: string(u.ID),
		TargetName: u.Username, Before: userSummary(u), After: map[string]any{"restorable_until": now.Add(RestoreWindow)}})
}

// RestoreUser brings a deleted user of p's organization back. Subscribers of
// UserRestored give back what the deletion took (licenses, while seats last); what they could not give back is in
// the returned user's Notices.
func (s *Service) RestoreUser(ctx context.Context, p *access.Principal, id atrium.UserID) (*User, error) {
	var out *User
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := getUser(ctx, tx, p.Org, id)
		if err != nil {
			return err
		}
		if err := authorizeOn(p, access.UserRestore, u); err != nil {
			return err
		}
		if u.DeletedAt == nil {
			return atrium.Errorf(atrium.CodeConflict, "the user is not deleted")
		}
		now := tx.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET deleted_at = NULL, updated_at = $1, version = version + 1 WHERE id = $2 AND org_id = $3`,
			store.Micros(now), string(u.ID), string(u.Org)); err != nil {
			return err
		}
		u.DeletedAt, u.UpdatedAt, u.Version = nil, now, u.Version+1
		rep, err := s.publish(ctx, tx, u.Org, string(u.ID), UserRestored{UserRef: refOf(u)})
		if err != nil {
			return err
		}
		u.Notices = append(u.Notices, rep.Notices...)
		out = u
		after := userSummary(u)
		if len(u.Notices) > 0 {
			after["notices"] = u.Notices
		}
		return audit.Record(ctx, tx, now, audit.Entry{Org: u.Org, Action: "user.restore", TargetType: "user", TargetID: string(u.ID),
			TargetName: u.Username, After: after})
	})
	return out, err
}

// ResetPassword sets a new password for a user of p's organization: newPassword, or a
// generated one when empty (returned). The user must change it at next sign-in, their
// sessions end, and a notice goes to their contact email.
func (s *Service) ResetPassword(ctx context.Context, p *access.Principal, id atrium.UserID, newPassword string) (string, error) {
	generated := ""
	if newPassword == "" {
		newPassword = password.Generate()
		generated = newPassword
	} else if err := password.Check("password", newPassword); err != nil {
		return "", err
	}
	u, err := getUser(ctx, s.db.Read(), p.Org, id)
	if err != nil {
		return "", err
	}
	if err := authorizeOn(p, access.UserResetPassword, u); err != nil {
		return "", err
	}
	return generated, s.resetPassword(ctx, u, newPassword, generated != "")
}

// ResetPasswordFromMachine gives the user with username a new generated password that
// they must change at their next sign-in, and returns it: `atrium admin reset-password`,
// for an operator who lost theirs. Whoever can run commands on the machine is trusted
// already; the reset is audited as done from the command line. It returns not_found
// for an unknown or deleted username.
func (s *Service) ResetPasswordFromMachine(ctx context.Context, username string) (string, *User, error) {
	var org, id string
	err := s.db.Read().QueryRowContext(ctx, `SELECT org_id, id FROM users WHERE username_key = $1 AND deleted_at IS NULL`,
		strings.ToLower(strings.TrimSpace(username))).Scan(&org, &id)
	if err != nil {
		if atrium.ErrorCode(store.Translate(err)) == atrium.CodeNotFound {
			name := strings.TrimSpace(username)
			return "", nil, &atrium.Error{Code: atrium.CodeNotFound, Message: fmt.Sprintf("there is no user %q", name),
				ID: "err.directory.no_user", Args: []any{"Username", name}}
		}
		return "", nil, store.Translate(err)
	}
	u, err := getUser(ctx, s.db.Read(), atrium.OrgID(org), atrium.UserID(id))
	if err != nil {
		return "", nil, err
	}
	pw := password.Generate()
	ctx = audit.WithActor(ctx, audit.Actor{ID: "command-line", Name: "atrium admin reset-password (on the server)"})
	if err := s.resetPassword(ctx, u, pw, true); err != nil {
		return "", nil, err
	}
	return pw, u, nil
}

// resetPassword sets u's password to newPassword, to be changed at the next sign-in,
// ends their sessions (user.password_reset), mails them and audits it.
func (s *Service) resetPassword(ctx context.Context, u *User, newPassword string, generated bool) error {
	hash, err := s.Passwords().Hash(ctx, newPassword)
	if err != nil {
		return err
	}
	if u.Guest {
		// A password would let the guest account be signed in to, past the home account.
		return atrium.Errorf(atrium.CodeConflict, "a guest signs in with their home account; their password cannot be reset here")
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, must_change_password = TRUE, updated_at = $2, version = version + 1
			WHERE id = $3 AND org_id = $4 AND deleted_at IS NULL`, hash, store.Micros(now), string(u.ID), string(u.Org))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return atrium.Errorf(atrium.CodeNotFound, "user not found")
		}
		if err := s.publishUser(ctx, tx, u, UserPasswordReset{UserRef: refOf(u)}); err != nil {
			return err
		}
		if u.ContactEmail != "" {
			lang := u.Language
			if lang == "" {
				org, err := getOrg(ctx, tx, u.Org)
				if err != nil {
					return err
				}
				lang = org.Language
			}
			if err := s.mailer.Enqueue(ctx, tx, mail.Message{Org: u.Org, To: u.ContactEmail, Template: "password_reset", Lang: lang,
				Data: map[string]string{"DisplayName": u.DisplayName, "Username": u.Username, "SignInURL": s.cfg.PublicURL + "/signin"}}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, now, audit.Entry{Org: u.Org, Action: "user.reset_password", TargetType: "user", TargetID: string(u.ID),
			TargetName: u.Username, After: map[string]any{"must_change_password": true, "generated": generated}})
	})
}

// AssignRole gives a user of p's organization an organization-scope admin role. Operator
// roles can be held only in the operator organization.
func (s *Service) AssignRole(ctx context.Context, p *access.Principal, id atrium.UserID, role access.Role) (*User, error) {
	return s.changeRole(ctx, p, id, role, true)
}

// RemoveRole takes an organization-scope admin role from a user of p's organization. The
// last Global administrator keeps theirs.
func (s *Service) RemoveRole(ctx context.Context, p *access.Principal, id atrium.UserID, role access.Role) (*User, error) {
	return s.changeRole(ctx, p, id, role, false)
}

func (s *Service) changeRole(ctx context.Context, p *access.Principal, id atrium.UserID, role access.Role, assign bool) (*User, error) {
	if err := access.Require(p, access.RoleAssign, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	var out *User
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := lockOrg(ctx, tx, p.Org); err != nil {
			return err
		}
		u, err := getUser(ctx, tx, p.Org, id)
		if err != nil {
			return err
		}
		if u.DeletedAt != nil {
			return atrium.Errorf(atrium.CodeConflict, "the user is deleted")
		}
		now := tx.Now()
		action := "role.assign"
		var changed bool
		if role.Scope() != access.ScopeOrg {
			return atrium.FieldError("role", "a group's roles come with its membership and are not assigned here")
		}
		if assign {
			if role.Operator() {
				org, err := getOrg(ctx, tx, p.Org)
				if err != nil {
					return err
				}
				if !org.Operator {
					return atrium.FieldError("role", "operator roles exist only in the operator organization")
				}
			}
			changed, err = access.Assign(ctx, tx, now, u.Org, u.ID, role, access.OrgScope(u.Org))
		} else {
			action = "role.remove"
			if role == access.GlobalAdmin {
				if err := s.ensureNotLastGlobalAdmin(ctx, tx, u, "demoted"); err != nil {
					return err
				}
			}
			changed, err = access.Unassign(ctx, tx, u.ID, role, access.OrgScope(u.Org))
		}
		if err != nil {
			return err
		}
		u.Roles, err = access.OrgRolesOf(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		out = u
		if !changed {
			return nil
		}
		var ev events.Payload = RoleAssigned{UserRef: refOf(u), Role: role.String()}
		if !assign {
			ev = RoleRemoved{UserRef: refOf(u), Role: role.String()}
		}
		if err := s.publishUser(ctx, tx, u, ev); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, audit.Entry{Org: u.Org, Action: action, TargetType: "user", TargetID: string(u.ID),
			TargetName: u.Username, After: map[string]any{"role": role.String()}})
	})
	return out, err
}

// RoleHolders returns, for p's organization, every organization-scope role assignment
// with the holder's display name, for the Roles page.
func (s *Service) RoleHolders(ctx context.Context, p *access.Principal) (map[access.Role][]User, error) {
	if err := access.Require(p, access.RoleRead, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	as, err := access.OrgAssignments(ctx, s.db.Read(), p.Org)
	if err != nil {
		return nil, store.Translate(err)
	}
	out := map[access.Role][]User{}
	for _, a := range as {
		u, err := getUser(ctx, s.db.Read(), p.Org, a.User)
		if err != nil {
			continue // purged or foreign: nothing to show
		}
		out[a.Role] = append(out[a.Role], *u)
	}
	return out, nil
}

// ensureNotLastGlobalAdmin refuses a change that would leave u's organization without an
// active (not blocked, not deleted) Global administrator.
func (s *Service) ensureNotLastGlobalAdmin(ctx context.Context, tx *store.Tx, u *User, verb string) error {
	isGlobal := false
	for _, r := range u.Roles {
		if r == access.GlobalAdmin {
			isGlobal = true
		}
	}
	if !isGlobal {
		return nil
	}
	if err := lockOrg(ctx, tx, u.Org); err != nil {
		return err
	}
	holders, err := access.Holders(ctx, tx, u.Org, access.GlobalAdmin)
	if err != nil {
		return err
	}
	for _, h := range holders {
		if h == u.ID {
			continue
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL AND blocked = FALSE`,
			string(h), string(u.Org)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
	// verb ("blocked", "deleted", "demoted") is also the value the translations select on.
	return &atrium.Error{Code: atrium.CodeConflict, Message: fmt.Sprintf("%s is the last Global administrator of the organization and cannot be %s", u.Username, verb),
		ID: "err.directory.last_global_admin", Args: []any{"User", u.Username, "Change", verb}}
}

// purgeUsers removes for good the users deleted more than RestoreWindow ago.
func (s *Service) purgeUsers(ctx context.Context, _ *jobs.Job) error {
	cutoff := store.Micros(s.clock.Now().Add(-RestoreWindow))
	for {
		rows, err := s.db.Read().QueryContext(ctx, `SELECT id, org_id, username, display_name, contact_email FROM users
			WHERE deleted_at IS NOT NULL AND deleted_at < $1 ORDER BY deleted_at, id LIMIT 500`, cutoff)
		if err != nil {
			return err
		}
		var batch []purgeVictim
		for rows.Next() {
			var v purgeVictim
			if err := rows.Scan(&v.id, &v.org, &v.username, &v.name, &v.email); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		for _, v := range batch {
			err := s.db.Tx(ctx, func(tx *store.Tx) error {
				// Still deleted (not restored meanwhile)? The update also locks the row.
				res, err := tx.ExecContext(ctx, `UPDATE users SET version = version + 1 WHERE id = $1 AND deleted_at IS NOT NULL AND deleted_at < $2`, v.id, cutoff)
				if err != nil {
					return err
				}
				if n, err := res.RowsAffected(); err != nil || n == 0 {
					return err
				}
				return s.purgeOne(ctx, tx, v)
			})
			if err != nil {
				return fmt.Errorf("directory: purge %s: %w", v.id, err)
			}
		}
	}
}

// purgeVictim is a user being purged.
type purgeVictim struct{ id, org, username, name, email string }

// purgeOne removes user v for good in tx: their roles, every module's data about them
// (user.purged subscribers), their guest accounts and invitations, and the row.
func (s *Service) purgeOne(ctx context.Context, tx *store.Tx, v purgeVictim) error {
	if err := access.UnassignAll(ctx, tx, atrium.UserID(v.id)); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: atrium.OrgID(v.org), Action: "user.purge", TargetType: "user",
		TargetID: v.id, TargetName: v.username}); err != nil {
		return err
	}
	if err := s.purgeGuestData(ctx, tx, v); err != nil {
		return err
	}
	// Every module removes or anonymises what it keeps about the user first.
	if _, err := s.publish(ctx, tx, atrium.OrgID(v.org), v.id, UserPurged{ID: atrium.UserID(v.id), Org: atrium.OrgID(v.org),
		Username: v.username, DisplayName: v.name, Email: v.email}); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, v.id)
	return err
}

func userSummary(u *User) map[string]any {
	return map[string]any{"username": u.Username, "display_name": u.DisplayName, "contact_email": u.ContactEmail,
		"job_title": u.JobTitle, "department": u.Department, "usage_location": u.UsageLocation, "blocked": u.Blocked}
}

// PurgeCutoff returns the time before which deleted users are purged, for display.
func PurgeCutoff(deletedAt time.Time) time.Time { return deletedAt.Add(RestoreWindow) }

// GetUserUnchecked returns a user of org without a permission check, for the caller's
// own profile (GET /me) and sign-in responses.
func (s *Service) GetUserUnchecked(ctx context.Context, org atrium.OrgID, id atrium.UserID) (*User, error) {
	return getUser(ctx, s.db.Read(), org, id)
}

// UserExists reports whether org has an active (not deleted) user id.
func (s *Service) UserExists(ctx context.Context, org atrium.OrgID, id atrium.UserID) (bool, error) {
	var n int
	err := s.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM users WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL`, string(id), string(org)).Scan(&n)
	return n > 0, store.Translate(err)
}

// LockUser returns a user of org read in tx, with no permission check, and on
// PostgreSQL locks the row until tx ends: a module that changes what a user holds (a
// license, a seat) reads the user this way, so a user deleted at the same moment
// cannot keep it.
func (s *Service) LockUser(ctx context.Context, tx *store.Tx, org atrium.OrgID, id atrium.UserID) (*User, error) {
	if tx.Dialect == store.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT id FROM users WHERE id = $1 AND org_id = $2 FOR UPDATE`, string(id), string(org)); err != nil {
			return nil, err
		}
	}
	return getUser(ctx, tx, org, id)
}
