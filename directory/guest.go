package directory

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/store"
)

// Guests: a person with a home account in one organization may be invited into another
// (the host) as a guest. Accepting the invitation creates a guest account: an ordinary
// user row of the host organization, linked to the home account, without a password of
// its own. The person signs in at home and switches to the guest account (auth); while
// they work with it every request acts in the host organization only, with the roles,
// groups and licenses the host gave the guest account. Hosts manage guests with the
// user actions (user.create to invite, user.delete to remove): whoever manages the
// organization's own users manages its guests.

// GuestInvitationLifetime is how long an invitation link can be accepted.
const GuestInvitationLifetime = 14 * 24 * time.Hour

// InvitationState is where a guest invitation stands.
type InvitationState string

// States of a guest invitation. Expired is not stored: a pending invitation past its
// expiry reads as expired.
const (
	InvitationPending  InvitationState = "pending"
	InvitationAccepted InvitationState = "accepted"
	InvitationRevoked  InvitationState = "revoked"
	InvitationExpired  InvitationState = "expired"
)

// GuestInvitation is an invitation into an organization as a guest.
type GuestInvitation struct {
	ID  string       `json:"id"`
	Org atrium.OrgID `json:"org_id"`
	// Email is where the invitation went.
	Email string `json:"email"`
	// Invitee is the home account the invitation names, when it named one; anyone who
	// holds the link may accept an invitation without.
	Invitee       atrium.UserID   `json:"invitee_user_id,omitempty"`
	Message       string          `json:"message"`
	InvitedBy     atrium.UserID   `json:"invited_by"`
	InvitedByName string          `json:"invited_by_name"`
	State         InvitationState `json:"state"`
	CreatedAt     time.Time       `json:"created_at"`
	ExpiresAt     time.Time       `json:"expires_at"`
	DecidedAt     *time.Time      `json:"decided_at,omitempty"`
	// GuestUser is the guest account the acceptance created.
	GuestUser atrium.UserID `json:"guest_user_id,omitempty"`
	// OrgName is the host organization's name, set where the invitee reads it.
	OrgName string `json:"org_name,omitempty"`
}

// GuestInvite is what inviting a guest takes: the person's email or the username of
// their home account, and an optional message for the invitation mail.
type GuestInvite struct {
	Email    string `json:"email"`
	Username string `json:"username"`
	Message  string `json:"message"`
}

// GuestAccount is an organization a person may work in: their home organization or one
// where they hold an active guest account.
type GuestAccount struct {
	Org     atrium.OrgID  `json:"org_id"`
	OrgName string        `json:"name"`
	User    atrium.UserID `json:"user_id"`
	Home    bool          `json:"home"`
}

// GuestInvited: someone was invited into the organization as a guest.
type GuestInvited struct {
	Org        atrium.OrgID `json:"org_id"`
	Invitation string       `json:"invitation_id"`
	Email      string       `json:"email"`
}

// GuestAccepted: an invitation was accepted and the guest account created.
type GuestAccepted struct {
	UserRef
	Invitation string        `json:"invitation_id"`
	HomeUser   atrium.UserID `json:"home_user_id"`
	HomeOrg    atrium.OrgID  `json:"home_org_id"`
}

// GuestRemoved: a guest account was removed from the host organization (soft-deleted
// like any user); the home account is untouched.
type GuestRemoved struct{ UserRef }

func (GuestInvited) EventType() events.Type  { return "guest.invited" }
func (GuestAccepted) EventType() events.Type { return "guest.accepted" }
func (GuestRemoved) EventType() events.Type  { return "guest.removed" }

func declareGuestEvents(bus *events.Bus) {
	events.Declare[GuestInvited](bus, "Someone was invited into the organization as a guest.")
	events.Declare[GuestAccepted](bus, "A guest invitation was accepted; the guest user was added.")
	events.Declare[GuestRemoved](bus, "A guest user was removed from the organization.")
}

func newInvitationToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("directory: no randomness: " + err.Error())
	}
	return "atg_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// hashInvitationToken is the stored form of a token: 256 random bits need no slow hash.
func hashInvitationToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// InviteGuest invites a person of another organization into p's organization as a guest
// and mails them the link to accept, valid for GuestInvitationLifetime. It returns
// forbidden unless p may add users, invalid naming email or username for a missing or
// bad address, an unknown username, a user of p's own organization or a guest account,
// and conflict naming the field for a person who is a guest already or has a pending
// invitation.
func (s *Service) InviteGuest(ctx context.Context, p *access.Principal, in GuestInvite) (*GuestInvitation, string, error) {
	if err := access.Require(p, access.UserCreate, access.Resource{Org: p.Org}); err != nil {
		return nil, "", err
	}
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.Message = strings.TrimSpace(in.Message)
	probs := atrium.Problems{}
	field := "email"
	switch {
	case in.Email == "" && in.Username == "":
		probs.Add("email", "give the email address or the username of the person to invite")
	case in.Email != "" && in.Username != "":
		probs.Add("username", "give the email address or the username, not both")
	case in.Email != "":
		checkEmail(probs, "email", in.Email, true)
	default:
		field = "username"
		checkText(probs, "username", in.Username, true, 320)
	}
	checkText(probs, "message", in.Message, false, 1000)
	if err := probs.Err(); err != nil {
		return nil, "", err
	}
	db := s.db.Read()
	var invitee *User
	key := in.Email
	if field == "username" {
		key = in.Username
	}
	var org, id string
	err := db.QueryRowContext(ctx, `SELECT org_id, id FROM users WHERE username_key = $1 AND deleted_at IS NULL`, key).Scan(&org, &id)
	switch code := atrium.ErrorCode(store.Translate(err)); {
	case err == nil:
		if invitee, err = getUser(ctx, db, atrium.OrgID(org), atrium.UserID(id)); err != nil {
			return nil, "", err
		}
	case code == atrium.CodeNotFound:
		if field == "username" {
			return nil, "", atrium.FieldError("username", "there is no account with this username")
		}
	default:
		return nil, "", store.Translate(err)
	}
	email := in.Email
	if invitee != nil {
		switch {
		case invitee.Org == p.Org:
			return nil, "", atrium.FieldError(field, "is a user of this organization already")
		case invitee.Guest:
			return nil, "", atrium.FieldError(field, "is a guest account; invite the person's home account")
		}
		if _, err := s.guestOf(ctx, db, p.Org, invitee.ID); err == nil {
			return nil, "", &atrium.Error{Code: atrium.CodeConflict, Message: "this person is a guest of the organization already",
				Fields: map[string]string{field: "is a guest of this organization already"}}
		} else if atrium.ErrorCode(err) != atrium.CodeNotFound {
			return nil, "", err
		}
		if email == "" {
			email = invitee.ContactEmail
			if email == "" {
				email = invitee.Username
			}
		}
	}
	host, err := getOrg(ctx, db, p.Org)
	if err != nil {
		return nil, "", err
	}
	// The invitation names the inviter as people know them: their display name.
	inviter := p.Name
	if u, err := getUser(ctx, db, p.Org, p.UserID); err == nil && u.DisplayName != "" {
		inviter = u.DisplayName
	}
	token := newInvitationToken()
	inv := &GuestInvitation{ID: uuid.Must(uuid.NewV7()).String(), Org: p.Org, Email: email, Message: in.Message,
		InvitedBy: p.UserID, InvitedByName: inviter, State: InvitationPending, OrgName: host.Name}
	if invitee != nil {
		inv.Invitee = invitee.ID
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		var pending int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM guest_invitations WHERE org_id = $1 AND email = $2 AND state = 'pending' AND expires_at > $3`,
			string(p.Org), email, store.Micros(now)).Scan(&pending); err != nil {
			return err
		}
		if pending > 0 {
			return &atrium.Error{Code: atrium.CodeConflict, Message: "this person has a pending invitation already; revoke it to send a new one",
				Fields: map[string]string{field: "has a pending invitation already"}}
		}
		inv.CreatedAt, inv.ExpiresAt = now, now.Add(GuestInvitationLifetime)
		var invitee any
		if inv.Invitee != "" {
			invitee = string(inv.Invitee)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO guest_invitations (id, org_id, token_hash, email, invitee_user_id, message, invited_by, invited_by_name,
				state, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10)`,
			inv.ID, string(inv.Org), hashInvitationToken(token), inv.Email, invitee, inv.Message, string(inv.InvitedBy), inv.InvitedByName,
			store.Micros(now), store.Micros(inv.ExpiresAt)); err != nil {
			return err
		}
		lang := host.Language
		if u := invitee; u != nil {
			if l, err := s.languageOf(ctx, tx, inv.Invitee); err == nil && l != "" {
				lang = l
			}
		}
		if err := s.mailer.Enqueue(ctx, tx, mail.Message{Org: p.Org, To: inv.Email, Template: "guest_invitation", Lang: lang,
			Data: map[string]string{"OrgName": host.Name, "InviterName": inviter, "Message": inv.Message,
				"AcceptURL": s.cfg.PublicURL + "/guest/accept?token=" + token, "ExpiresAt": inv.ExpiresAt.UTC().Format("2006-01-02")}}); err != nil {
			return err
		}
		if _, err := s.publish(ctx, tx, p.Org, inv.ID, GuestInvited{Org: p.Org, Invitation: inv.ID, Email: inv.Email}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "guest.invite", TargetType: "guest_invitation", TargetID: inv.ID,
			TargetName: inv.Email, After: map[string]any{"email": inv.Email, "expires_at": inv.ExpiresAt}})
	})
	if err != nil {
		return nil, "", err
	}
	return inv, token, nil
}

// languageOf returns the display language of user id: their own, else their
// organization's.
func (s *Service) languageOf(ctx context.Context, q store.Querier, id atrium.UserID) (string, error) {
	var lang, orgLang string
	err := q.QueryRowContext(ctx, `SELECT u.language, o.language FROM users u JOIN organizations o ON o.id = u.org_id WHERE u.id = $1`, string(id)).Scan(&lang, &orgLang)
	if err != nil {
		return "", store.Translate(err)
	}
	if lang != "" {
		return lang, nil
	}
	return orgLang, nil
}

// ListGuests returns a page of p's organization's active guest users; uq searches and
// pages as the user list does (its Filter and Deleted are ignored).
func (s *Service) ListGuests(ctx context.Context, p *access.Principal, uq UserQuery) (UserPage, error) {
	uq.Filter, uq.Deleted = FilterGuests, false
	return s.ListUsers(ctx, p, uq)
}

// InvitationQuery selects a page of guest invitations, newest first.
type InvitationQuery struct {
	Limit  int
	Cursor string
	// Pending lists only the invitations that can still be accepted.
	Pending bool
}

// newestInvitations is the order of the invitation list, on guest_invitations_org.
var newestInvitations = store.Keyset{Columns: []string{"created_at", "id"}, Desc: true}

const invitationColumns = `id, org_id, email, COALESCE(invitee_user_id, ''), message, invited_by, invited_by_name, state, created_at, expires_at,
	decided_at, COALESCE(accepted_user_id, '')`

func scanInvitation(row interface{ Scan(...any) error }, now time.Time) (GuestInvitation, error) {
	var inv GuestInvitation
	var created, expires int64
	var decided *int64
	if err := row.Scan(&inv.ID, &inv.Org, &inv.Email, &inv.Invitee, &inv.Message, &inv.InvitedBy, &inv.InvitedByName, &inv.State,
		&created, &expires, &decided, &inv.GuestUser); err != nil {
		return GuestInvitation{}, err
	}
	inv.CreatedAt, inv.ExpiresAt, inv.DecidedAt = store.Time(created), store.Time(expires), timePtr(decided)
	if inv.State == InvitationPending && !now.Before(inv.ExpiresAt) {
		inv.State = InvitationExpired
	}
	return inv, nil
}

// ListInvitations returns a page of p's organization's guest invitations, newest first,
// and the next page's cursor. It returns forbidden unless p may read users.
func (s *Service) ListInvitations(ctx context.Context, p *access.Principal, q InvitationQuery) ([]GuestInvitation, string, error) {
	if err := access.Require(p, access.UserRead, access.Resource{Org: p.Org}); err != nil {
		return nil, "", err
	}
	now := s.clock.Now()
	args := []any{string(p.Org)}
	where := "org_id = $1"
	if q.Pending {
		args = append(args, store.Micros(now))
		where += " AND state = 'pending' AND expires_at > $2"
	}
	var at int64
	var id string
	page, err := newestInvitations.Page(args, q.Cursor, clampLimit(q.Limit), &at, &id)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+invitationColumns+` FROM guest_invitations WHERE `+where+` AND `+page.Where+` `+page.OrderLimit, page.Args...)
	if err != nil {
		return nil, "", store.Translate(err)
	}
	defer rows.Close()
	out := []GuestInvitation{}
	for rows.Next() {
		inv, err := scanInvitation(rows, now)
		if err != nil {
			return nil, "", store.Translate(err)
		}
		out = append(out, inv)
	}
	if err := rows.Err(); err != nil {
		return nil, "", store.Translate(err)
	}
	out, next := store.NextPage(page, out, func(i GuestInvitation) []any { return []any{store.Micros(i.CreatedAt), i.ID} })
	return out, next, nil
}

// RevokeInvitation withdraws a pending invitation of p's organization; its link stops
// working. It returns not_found for an invitation of another organization and conflict
// for one that is no longer pending.
func (s *Service) RevokeInvitation(ctx context.Context, p *access.Principal, id string) error {
	if err := access.Require(p, access.UserCreate, access.Resource{Org: p.Org}); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		inv, err := scanInvitation(tx.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM guest_invitations WHERE id = $1 AND org_id = $2`, id, string(p.Org)), now)
		if err != nil {
			return invitationNotFound(err)
		}
		if inv.State != InvitationPending {
			return atrium.Errorf(atrium.CodeConflict, "the invitation is no longer pending")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE guest_invitations SET state = 'revoked', decided_at = $1 WHERE id = $2 AND org_id = $3`,
			store.Micros(now), id, string(p.Org)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "guest.revoke_invitation", TargetType: "guest_invitation", TargetID: id,
			TargetName: inv.Email})
	})
}

func invitationNotFound(err error) error {
	err = store.Translate(err)
	if atrium.ErrorCode(err) == atrium.CodeNotFound {
		return &atrium.Error{Code: atrium.CodeNotFound, Message: "invitation not found", Cause: err}
	}
	return err
}

// InvitationByToken returns the invitation a link's token opens, with its host's name,
// for the acceptance page. It returns not_found for a token that opens none.
func (s *Service) InvitationByToken(ctx context.Context, token string) (*GuestInvitation, error) {
	inv, err := scanInvitation(s.db.Read().QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM guest_invitations WHERE token_hash = $1`,
		hashInvitationToken(strings.TrimSpace(token))), s.clock.Now())
	if err != nil {
		return nil, invitationNotFound(err)
	}
	org, err := getOrg(ctx, s.db.Read(), inv.Org)
	if err != nil {
		return nil, err
	}
	inv.OrgName = org.Name
	return &inv, nil
}

// AcceptInvitation accepts the invitation that token opens for the home account home
// (of organization homeOrg), the person signed in, and creates their guest account in
// the host organization: one transaction with its audit entries and its user.created
// and guest.accepted events. It returns invalid naming token for a token that opens
// no invitation, one used, revoked or expired, one meant for another account and for a
// person of the host organization itself; conflict for a person who is a guest there
// already or a host organization that is not active.
func (s *Service) AcceptInvitation(ctx context.Context, homeOrg atrium.OrgID, home atrium.UserID, token string) (*User, error) {
	var out *User
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		if tx.Dialect == store.Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT id FROM guest_invitations WHERE token_hash = $1 FOR UPDATE`, hashInvitationToken(token)); err != nil {
				return err
			}
		}
		inv, err := scanInvitation(tx.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM guest_invitations WHERE token_hash = $1`, hashInvitationToken(strings.TrimSpace(token))), now)
		if err != nil {
			if atrium.ErrorCode(store.Translate(err)) == atrium.CodeNotFound {
				return atrium.FieldError("token", "is not a valid invitation link")
			}
			return err
		}
		switch inv.State {
		case InvitationAccepted:
			return atrium.FieldError("token", "the invitation was accepted already")
		case InvitationRevoked:
			return atrium.FieldError("token", "the invitation was revoked")
		case InvitationExpired:
			return atrium.FieldError("token", "the invitation has expired; ask for a new one")
		}
		u, err := getUser(ctx, tx, homeOrg, home)
		if err != nil {
			return err
		}
		switch {
		case u.Guest:
			return atrium.FieldError("token", "sign in with your home account to accept the invitation")
		case u.Org == inv.Org:
			return atrium.FieldError("token", "you are a user of this organization already")
		case inv.Invitee != "" && inv.Invitee != u.ID:
			return atrium.FieldError("token", "the invitation is for another account")
		}
		if _, err := s.guestOf(ctx, tx, inv.Org, u.ID); err == nil {
			return &atrium.Error{Code: atrium.CodeConflict, Message: "you are a guest of this organization already",
				Fields: map[string]string{"token": "you are a guest of this organization already"}}
		} else if atrium.ErrorCode(err) != atrium.CodeNotFound {
			return err
		}
		host, err := getOrg(ctx, tx, inv.Org)
		if err != nil {
			return err
		}
		if host.State != OrgActive {
			return atrium.Errorf(atrium.CodeConflict, "the organization is not active; the invitation cannot be accepted now")
		}
		homeOrgRow, err := getOrg(ctx, tx, u.Org)
		if err != nil {
			return err
		}
		g := &User{Org: inv.Org, DisplayName: u.DisplayName, FirstName: u.FirstName, LastName: u.LastName, ContactEmail: u.ContactEmail,
			JobTitle: u.JobTitle, Department: u.Department, UsageLocation: u.UsageLocation, Guest: true, HomeUser: u.ID, HomeOrg: u.Org,
			HomeOrgName: homeOrgRow.Name}
		if g.UsageLocation == "" {
			g.UsageLocation = host.Country
		}
		if g.Username, err = guestUsername(ctx, tx, u.Username, host.InitialDomain); err != nil {
			return err
		}
		// No password: a guest account is used by switching to it, never signed in to.
		if err := s.insertUser(ctx, tx, g, "", false); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET home_user_id = $1, home_org_id = $2 WHERE id = $3`, string(u.ID), string(u.Org), string(g.ID)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE guest_invitations SET state = 'accepted', decided_at = $1, accepted_user_id = $2 WHERE id = $3 AND state = 'pending'`,
			store.Micros(now), string(g.ID), inv.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return atrium.FieldError("token", "the invitation was accepted already")
		}
		if err := s.publishUser(ctx, tx, g, UserCreated{UserRef: refOf(g), DisplayName: g.DisplayName, UsageLocation: g.UsageLocation}); err != nil {
			return err
		}
		if err := s.publishUser(ctx, tx, g, GuestAccepted{UserRef: refOf(g), Invitation: inv.ID, HomeUser: u.ID, HomeOrg: u.Org}); err != nil {
			return err
		}
		ctx := audit.WithActor(ctx, audit.Actor{ID: string(g.ID), Name: g.Username})
		after := userSummary(g)
		after["guest"] = true
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: g.Org, Action: "user.create", TargetType: "user", TargetID: string(g.ID),
			TargetName: g.Username, After: after}); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: g.Org, Action: "guest.accept", TargetType: "user", TargetID: string(g.ID),
			TargetName: g.Username, After: map[string]any{"invitation": inv.ID}}); err != nil {
			return err
		}
		g.Roles = []access.Role{}
		out = g
		return nil
	})
	return out, err
}

// guestUsername derives the guest account's username from the home username: its @ and
// an "_ext" suffix in the local part, under the host's initial domain, so that it is a
// valid, unique username of the host ("ada_contoso.example_ext@fabrikam.example").
func guestUsername(ctx context.Context, tx *store.Tx, homeUsername, hostDomain string) (string, error) {
	base := strings.ReplaceAll(strings.ToLower(homeUsername), "@", "_")
	base = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '-'
	}, base)
	if len(base) > 52 {
		sum := sha256.Sum256([]byte(homeUsername))
		base = base[:44] + "-" + hex.EncodeToString(sum[:])[:7]
	}
	base = strings.Trim(base, "._-")
	for i := 1; i < 100; i++ {
		local := base + "_ext"
		if i > 1 {
			local = fmt.Sprintf("%s_ext%d", base, i)
		}
		name := local + "@" + hostDomain
		var taken bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE username_key = $1)`, name).Scan(&taken); err != nil {
			return "", err
		}
		if !taken {
			return name, nil
		}
	}
	return "", atrium.Errorf(atrium.CodeConflict, "no free username for the guest account")
}

// guestOf returns the active (not deleted) guest account of home in org, or not_found.
func (s *Service) guestOf(ctx context.Context, q store.Querier, org atrium.OrgID, home atrium.UserID) (atrium.UserID, error) {
	var id string
	err := q.QueryRowContext(ctx, `SELECT id FROM users WHERE home_user_id = $1 AND org_id = $2 AND deleted_at IS NULL`, string(home), string(org)).Scan(&id)
	if err != nil {
		return "", userNotFound(err)
	}
	return atrium.UserID(id), nil
}

// RemoveGuest removes a guest user of p's organization as DeleteUser deletes a user
// (restorable for 30 days, then purged); the person's home account and its sessions
// stay. It returns not_found for a user who is not a guest of p's organization.
func (s *Service) RemoveGuest(ctx context.Context, p *access.Principal, id atrium.UserID, ifMatch int64) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := getUser(ctx, tx, p.Org, id)
		if err != nil {
			return err
		}
		if !u.Guest {
			return atrium.Errorf(atrium.CodeNotFound, "guest not found")
		}
		if err := s.deleteUser(ctx, tx, p, u, ifMatch); err != nil {
			return err
		}
		if err := s.publishUser(ctx, tx, u, GuestRemoved{UserRef: refOf(u)}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: u.Org, Action: "guest.remove", TargetType: "user", TargetID: string(u.ID),
			TargetName: u.Username})
	})
}

// Accounts returns the organizations the person with home account home may work in:
// the home organization first, then each active organization where they hold an
// active (not blocked, not deleted) guest account, by name.
func (s *Service) Accounts(ctx context.Context, home atrium.UserID) ([]GuestAccount, error) {
	db := s.db.Read()
	var a GuestAccount
	err := db.QueryRowContext(ctx, `SELECT u.org_id, o.name, u.id FROM users u JOIN organizations o ON o.id = u.org_id WHERE u.id = $1 AND u.home_user_id IS NULL`,
		string(home)).Scan(&a.Org, &a.OrgName, &a.User)
	if err != nil {
		return nil, userNotFound(err)
	}
	a.Home = true
	out := []GuestAccount{a}
	rows, err := db.QueryContext(ctx, `SELECT u.org_id, o.name, u.id FROM users u JOIN organizations o ON o.id = u.org_id
		WHERE u.home_user_id = $1 AND u.deleted_at IS NULL AND u.blocked = FALSE AND o.state = 'active'
		ORDER BY o.name_key, o.id LIMIT 500`, string(home))
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var g GuestAccount
		if err := rows.Scan(&g.Org, &g.OrgName, &g.User); err != nil {
			return nil, store.Translate(err)
		}
		out = append(out, g)
	}
	return out, store.Translate(rows.Err())
}

// purgeGuestData removes what the guest tables keep about user v in tx, as v is purged:
// v's guest accounts in other organizations (purged with v, each with its own
// user.purged), the invitations meant for v, and v's name on the invitations v sent.
func (s *Service) purgeGuestData(ctx context.Context, tx *store.Tx, v purgeVictim) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, org_id, username, display_name, contact_email FROM users WHERE home_user_id = $1`, v.id)
	if err != nil {
		return err
	}
	var guests []purgeVictim
	for rows.Next() {
		var g purgeVictim
		if err := rows.Scan(&g.id, &g.org, &g.username, &g.name, &g.email); err != nil {
			rows.Close()
			return err
		}
		guests = append(guests, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, g := range guests {
		if err := s.purgeOne(ctx, tx, g); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM guest_invitations WHERE invitee_user_id = $1 OR lower(email) = lower($2) OR (lower(email) = lower($3) AND $3 <> '')`,
		v.id, v.username, v.email); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE guest_invitations SET accepted_user_id = NULL WHERE accepted_user_id = $1`, v.id); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE guest_invitations SET invited_by = $1, invited_by_name = $1 WHERE invited_by = $2`, audit.PurgedName, v.id)
	if err != nil {
		return err
	}
	return nil
}

// purgeOrgGuests removes, as organization org is purged in tx, the guest accounts its
// people hold in other organizations and the invitations of and to its people.
func (s *Service) purgeOrgGuests(ctx context.Context, tx *store.Tx, org string) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, org_id, username, display_name, contact_email FROM users WHERE home_org_id = $1 AND org_id <> $1`, org)
	if err != nil {
		return err
	}
	var guests []purgeVictim
	for rows.Next() {
		var g purgeVictim
		if err := rows.Scan(&g.id, &g.org, &g.username, &g.name, &g.email); err != nil {
			rows.Close()
			return err
		}
		guests = append(guests, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, g := range guests {
		if err := s.purgeOne(ctx, tx, g); err != nil {
			return err
		}
	}
	for _, q := range []string{
		`DELETE FROM guest_invitations WHERE org_id = $1`,
		`DELETE FROM guest_invitations WHERE invitee_user_id IN (SELECT id FROM users WHERE org_id = $1)
			OR lower(email) IN (SELECT username_key FROM users WHERE org_id = $1)
			OR lower(email) IN (SELECT lower(contact_email) FROM users WHERE org_id = $1 AND contact_email <> '')`,
	} {
		if _, err := tx.ExecContext(ctx, q, org); err != nil {
			return err
		}
	}
	return nil
}
