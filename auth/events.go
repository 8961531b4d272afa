package auth

import (
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/events"
)

// SignedIn: a user signed in and a session opened. Via is console or api (a session
// opened through POST /api/v1/sessions).
type SignedIn struct {
	User      atrium.UserID `json:"user_id"`
	Org       atrium.OrgID  `json:"org_id"`
	Username  string        `json:"username"`
	Via       string        `json:"via"`
	SourceIP  string        `json:"source_ip"`
	SessionID string        `json:"session_id"`
}

// SignInFailed: a sign-in to an existing account was refused. Reason is
// wrong_password, deleted, blocked or organization_inactive. A sign-in with a username
// no organization has is no event: there is no organization to tell.
type SignInFailed struct {
	User     atrium.UserID `json:"user_id"`
	Org      atrium.OrgID  `json:"org_id"`
	Username string        `json:"username"`
	Reason   string        `json:"reason"`
	SourceIP string        `json:"source_ip"`
}

// TokenCreated: an API token was created. The secret is never in an event.
type TokenCreated struct {
	Token     string       `json:"token_id"`
	Org       atrium.OrgID `json:"org_id"`
	Name      string       `json:"name"`
	Role      string       `json:"role"`
	CreatedBy string       `json:"created_by"`
	ExpiresAt *time.Time   `json:"expires_at"`
}

// TokenRevoked: an API token was revoked.
type TokenRevoked struct {
	Token string       `json:"token_id"`
	Org   atrium.OrgID `json:"org_id"`
	Name  string       `json:"name"`
}

func (SignedIn) EventType() events.Type     { return "user.signed_in" }
func (SignInFailed) EventType() events.Type { return "user.sign_in_failed" }
func (TokenCreated) EventType() events.Type { return "api_token.created" }
func (TokenRevoked) EventType() events.Type { return "api_token.revoked" }

// Reasons of SignInFailed.
const (
	failWrongPassword = "wrong_password"
	failDeleted       = "deleted"
	failBlocked       = "blocked"
	failOrgInactive   = "organization_inactive"
)
