package httpapi_test

import (
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/groups"
	"github.com/atrium-admin/atrium/httpapi"
)

var invitationLink = regexp.MustCompile(`/guest/accept\?token=(atg_[A-Za-z0-9_-]+)`)

// invitationToken returns the token of the newest guest invitation mailed to addr.
func invitationToken(t *testing.T, e *apptest.Env, addr string) string {
	t.Helper()
	bodies := e.Strings(`SELECT text_body FROM mail_outbox WHERE template = 'guest_invitation' AND to_addr = $1 ORDER BY created_at DESC, id DESC`, addr)
	if len(bodies) == 0 {
		t.Fatalf("no guest invitation was mailed to %s", addr)
	}
	m := invitationLink.FindStringSubmatch(bodies[0])
	if m == nil {
		t.Fatalf("the invitation mail to %s has no link:\n%s", addr, bodies[0])
	}
	return m[1]
}

type myOrg struct {
	Org     atrium.OrgID  `json:"org_id"`
	Name    string        `json:"name"`
	User    atrium.UserID `json:"user_id"`
	Home    bool          `json:"home"`
	Current bool          `json:"current"`
}

func myOrgs(t *testing.T, c *apptest.Client) []myOrg {
	t.Helper()
	var list httpapi.List[myOrg]
	c.Do("GET", "/api/v1/me/organizations", nil).Want(http.StatusOK).Decode(&list)
	return list.Items
}

// TestGuests: a host invites people of other organizations, they accept with their home
// account, switch to the guest account and act in the host only with what the host gave
// them; removing the guest leaves the home account as it was.
func TestGuests(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		host, home := e.Signup("Contoso", "contoso"), e.Signup("Fabrikam", "fabrikam")
		ada, bob := home.Admin.CreateUser("ada"), home.Admin.CreateUser("bob")
		hostUser := host.Admin.CreateUser("hanna")
		adaC, bobC := e.SignIn(ada.Username, apptest.Password), e.SignIn(bob.Username, apptest.Password)

		// Bad invitations name their field, and nothing is stored.
		host.Admin.Do("POST", "/api/v1/guests", map[string]any{}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "email")
		host.Admin.Do("POST", "/api/v1/guests", map[string]any{"email": "x@example.com", "username": ada.Username}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "username")
		host.Admin.Do("POST", "/api/v1/guests", map[string]any{"email": "not an address"}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "email")
		host.Admin.Do("POST", "/api/v1/guests", map[string]any{"username": "nobody@nowhere.example"}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "username")
		host.Admin.Do("POST", "/api/v1/guests", map[string]any{"username": hostUser.Username}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "username")
		if n := e.Count(`SELECT count(*) FROM guest_invitations`); n != 0 {
			t.Fatalf("refused invitations stored %d rows", n)
		}
		// Only those who add users invite guests.
		e.SignIn(hostUser.Username, apptest.Password).Do("POST", "/api/v1/guests", map[string]any{"username": ada.Username}).
			WantProblem(http.StatusForbidden, atrium.CodeForbidden)

		// Inviting ada by username mails her contact address.
		var inv directory.GuestInvitation
		host.Admin.Do("POST", "/api/v1/guests", map[string]any{"username": ada.Username, "message": "Welcome aboard"}).
			Want(http.StatusCreated).Decode(&inv)
		if inv.State != directory.InvitationPending || inv.Email != "ada@mail.example.com" || inv.Invitee != ada.ID {
			t.Fatalf("invitation = %+v", inv)
		}
		host.Admin.Do("POST", "/api/v1/guests", map[string]any{"username": ada.Username}).WantProblem(http.StatusConflict, atrium.CodeConflict, "username")
		adaToken := invitationToken(t, e, "ada@mail.example.com")

		// The invitation names ada: bob cannot use her link, and nor can a host user.
		bobC.Do("POST", "/api/v1/guest-invitations/accept", map[string]any{"token": adaToken}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "token")
		bobC.Do("POST", "/api/v1/guest-invitations/accept", map[string]any{"token": "atg_nonsense"}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "token")
		// An API token cannot accept: acceptance is the person's, signed in.
		var tok struct {
			Token string `json:"token"`
		}
		home.Admin.Do("POST", "/api/v1/api-tokens", map[string]any{"name": "script", "role": "global_reader"}).Want(http.StatusCreated).Decode(&tok)
		e.Bearer(tok.Token).Do("POST", "/api/v1/guest-invitations/accept", map[string]any{"token": adaToken}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)

		if got := myOrgs(t, adaC); len(got) != 1 || !got[0].Home || got[0].Org != home.ID || !got[0].Current {
			t.Fatalf("before accepting ada's organizations = %+v", got)
		}
		var guest directory.User
		adaC.Do("POST", "/api/v1/guest-invitations/accept", map[string]any{"token": adaToken}).Want(http.StatusCreated).Decode(&guest)
		if !guest.Guest || guest.Org != host.ID || guest.HomeUser != ada.ID || guest.HomeOrg != home.ID || guest.HomeOrgName != "Fabrikam" {
			t.Fatalf("guest account = %+v", guest)
		}
		adaC.Do("POST", "/api/v1/guest-invitations/accept", map[string]any{"token": adaToken}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "token")
		// The guest account has no password: nobody signs in to it directly.
		e.Anonymous().Do("POST", "/api/v1/sessions", map[string]any{"username": guest.Username, "password": apptest.Password}).
			Want(http.StatusUnauthorized)

		// The host sees its guest in the guest list and not in searches of another org.
		var page directory.UserPage
		host.Admin.Do("GET", "/api/v1/guests", nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.Items[0].ID != guest.ID {
			t.Fatalf("host guests = %+v", page.Items)
		}
		home.Admin.Do("GET", "/api/v1/guests", nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) != 0 {
			t.Fatalf("the home organization lists guests %+v", page.Items)
		}
		var invs httpapi.List[directory.GuestInvitation]
		host.Admin.Do("GET", "/api/v1/guest-invitations", nil).Want(http.StatusOK).Decode(&invs)
		if len(invs.Items) != 1 || invs.Items[0].State != directory.InvitationAccepted || invs.Items[0].GuestUser != guest.ID {
			t.Fatalf("host invitations = %+v", invs.Items)
		}

		// Ada switches to the host: from then on her session acts there only.
		got := myOrgs(t, adaC)
		if len(got) != 2 || got[1].Org != host.ID || got[1].User != guest.ID || got[1].Home || got[1].Current {
			t.Fatalf("ada's organizations = %+v", got)
		}
		adaC.Do("POST", "/api/v1/me/organization", map[string]any{"org_id": "00000000-0000-0000-0000-000000000000"}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "org_id")
		e.Bearer(tok.Token).Do("POST", "/api/v1/me/organization", map[string]any{"org_id": host.ID}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		adaC.Do("POST", "/api/v1/me/organization", map[string]any{"org_id": host.ID}).Want(http.StatusOK)
		var me httpapi.Me
		adaC.Do("GET", "/api/v1/me", nil).Want(http.StatusOK).Decode(&me)
		if !me.Guest || me.User.ID != guest.ID || me.Organization.ID != host.ID || me.HomeOrgID != home.ID || len(me.Roles) != 0 {
			t.Fatalf("ada as a guest: %+v", me)
		}
		// No role in the host: no administration there, and home is out of reach.
		adaC.Do("GET", "/api/v1/users", nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		adaC.Do("GET", "/api/v1/users/"+string(ada.ID), nil).Want(http.StatusForbidden, http.StatusNotFound)
		// The host gives the guest account a role: she administers the host's users, not home's.
		host.Admin.Do("PUT", "/api/v1/users/"+string(guest.ID)+"/roles/user_admin", nil).Want(http.StatusOK)
		var users directory.UserPage
		adaC.Do("GET", "/api/v1/users?q=bob", nil).Want(http.StatusOK).Decode(&users)
		if len(users.Items) != 0 {
			t.Fatalf("as a guest ada finds home users %+v", users.Items)
		}
		adaC.Do("GET", "/api/v1/users?q=hanna", nil).Want(http.StatusOK).Decode(&users)
		if len(users.Items) != 1 || users.Items[0].ID != hostUser.ID {
			t.Fatalf("as a guest ada finds %+v", users.Items)
		}
		adaC.Do("GET", "/api/v1/users/"+string(bob.ID), nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		// A guest works in the host's groups like its own users: added to a private
		// group, she reads it; her home organization's groups stay out of sight.
		team := createGroup(t, host.Admin, "Contoso project", "project", groups.Private)
		host.Admin.Do("POST", "/api/v1/groups/"+team.ID+"/members", map[string]any{"user_ids": []atrium.UserID{guest.ID}}).Want(http.StatusOK)
		homeTeam := createGroup(t, home.Admin, "Fabrikam team", "team", groups.Public)
		var mine httpapi.List[groups.Group]
		adaC.Do("GET", "/api/v1/me/groups", nil).Want(http.StatusOK).Decode(&mine)
		if len(mine.Items) != 1 || mine.Items[0].ID != team.ID {
			t.Fatalf("as a guest ada's groups = %+v", mine.Items)
		}
		adaC.Do("GET", "/api/v1/groups/"+team.ID+"/threads", nil).Want(http.StatusOK)
		adaC.Do("GET", "/api/v1/groups/"+homeTeam.ID, nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		// Back home she is herself again.
		adaC.Do("POST", "/api/v1/me/organization", map[string]any{"org_id": home.ID}).Want(http.StatusOK)
		adaC.Do("GET", "/api/v1/me", nil).Want(http.StatusOK).Decode(&me)
		if me.Guest || me.User.ID != ada.ID || me.Organization.ID != home.ID {
			t.Fatalf("ada back home: %+v", me)
		}
		adaC.Do("GET", "/api/v1/users", nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)

		// By email: a person without an account anywhere yet, then a revoked and an
		// expired invitation.
		var byMail directory.GuestInvitation
		host.Admin.Do("POST", "/api/v1/guests", map[string]any{"email": "Bob@Mail.Example.com"}).Want(http.StatusCreated).Decode(&byMail)
		if byMail.Email != "bob@mail.example.com" || byMail.Invitee != "" {
			t.Fatalf("invitation by email = %+v", byMail)
		}
		revokedToken := invitationToken(t, e, "bob@mail.example.com")
		host.Admin.Do("DELETE", "/api/v1/guest-invitations/"+byMail.ID, nil).Want(http.StatusNoContent)
		host.Admin.Do("DELETE", "/api/v1/guest-invitations/"+byMail.ID, nil).WantProblem(http.StatusConflict, atrium.CodeConflict)
		bobC.Do("POST", "/api/v1/guest-invitations/accept", map[string]any{"token": revokedToken}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "token")
		host.Admin.Do("POST", "/api/v1/guests", map[string]any{"email": "bob@mail.example.com"}).Want(http.StatusCreated)
		lateToken := invitationToken(t, e, "bob@mail.example.com")
		var pending httpapi.List[directory.GuestInvitation]
		host.Admin.Do("GET", "/api/v1/guest-invitations?state=pending", nil).Want(http.StatusOK).Decode(&pending)
		if len(pending.Items) != 1 || pending.Items[0].Email != "bob@mail.example.com" {
			t.Fatalf("pending invitations = %+v", pending.Items)
		}
		host.Admin.Do("GET", "/api/v1/guest-invitations?state=bogus", nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "state")
		e.Clock.Advance(directory.GuestInvitationLifetime + time.Minute)
		bobC = e.SignIn(bob.Username, apptest.Password)
		bobC.Do("POST", "/api/v1/guest-invitations/accept", map[string]any{"token": lateToken}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "token")
		host.Admin = e.SignIn(host.AdminUsername, apptest.Password)
		host.Admin.Do("GET", "/api/v1/guest-invitations?state=pending", nil).Want(http.StatusOK).Decode(&pending)
		if len(pending.Items) != 0 {
			t.Fatalf("expired invitations still pending: %+v", pending.Items)
		}
		if n := e.Count(`SELECT count(*) FROM users WHERE home_user_id = $1`, string(bob.ID)); n != 0 {
			t.Fatalf("bob holds %d guest accounts", n)
		}

		// Removing the guest: the session working there goes home, the home account stays.
		adaC = e.SignIn(ada.Username, apptest.Password)
		adaC.Do("POST", "/api/v1/me/organization", map[string]any{"org_id": host.ID}).Want(http.StatusOK)
		etag := host.Admin.Do("GET", "/api/v1/users/"+string(guest.ID), nil).Want(http.StatusOK).Header.Get("ETag")
		host.Admin.Do("DELETE", "/api/v1/guests/"+string(hostUser.ID), nil).Want(http.StatusNotFound, http.StatusPreconditionRequired, http.StatusBadRequest)
		host.Admin.DoHeader("DELETE", "/api/v1/guests/"+string(guest.ID), nil, http.Header{"If-Match": {etag}}).Want(http.StatusNoContent)
		adaC.Do("GET", "/api/v1/me", nil).Want(http.StatusOK).Decode(&me)
		if me.Guest || me.User.ID != ada.ID || me.Organization.ID != home.ID {
			t.Fatalf("after removal ada's session: %+v", me)
		}
		if got := myOrgs(t, adaC); len(got) != 1 || !got[0].Home {
			t.Fatalf("after removal ada's organizations = %+v", got)
		}
		e.SignIn(ada.Username, apptest.Password)
		home.Admin = e.SignIn(home.AdminUsername, apptest.Password)
		home.Admin.Do("GET", "/api/v1/users/"+string(ada.ID), nil).Want(http.StatusOK)

		// She can be invited again, and the audit log of the host tells the story.
		host.Admin.Do("POST", "/api/v1/guests", map[string]any{"username": ada.Username}).Want(http.StatusCreated)
		actions := e.Strings(`SELECT action FROM audit_log WHERE org_id = $1 AND action LIKE 'guest.%' ORDER BY at, id`, string(host.ID))
		for _, want := range []string{"guest.invite", "guest.accept", "guest.revoke_invitation", "guest.remove"} {
			if !slices.Contains(actions, want) {
				t.Errorf("host audit actions %v lack %s", actions, want)
			}
		}
		for _, typ := range []string{"guest.invited", "guest.accepted", "guest.removed"} {
			if n := e.Count(`SELECT count(*) FROM events WHERE org_id = $1 AND type = $2`, string(host.ID), typ); n == 0 {
				t.Errorf("no %s event", typ)
			}
		}
	})
}
