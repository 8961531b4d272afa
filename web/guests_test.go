package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/atrium-admin/atrium/directory"
)

var guestLinkRE = regexp.MustCompile(`/guest/accept\?token=(atg_[A-Za-z0-9_-]+)`)

// newestInvitationLink returns the path of the newest guest invitation link mailed to addr.
func (f *fixture) newestInvitationLink(t *testing.T, addr string) string {
	t.Helper()
	var body string
	if err := f.m.DB.Read().QueryRowContext(t.Context(), `SELECT text_body FROM mail_outbox WHERE template = 'guest_invitation' AND to_addr = $1
		ORDER BY created_at DESC, id DESC LIMIT 1`, addr).Scan(&body); err != nil {
		t.Fatalf("no invitation mailed to %s: %v", addr, err)
	}
	m := guestLinkRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the invitation mail has no link:\n%s", body)
	}
	return "/guest/accept?token=" + m[1]
}

// TestGuestPages: Contoso's admin invites a Fabrikam user from Users > Guest users; she
// follows the mailed link, signs in at home, accepts, works in Contoso without its
// administration, switches home in the header; the admin removes her after confirming.
func TestGuestPages(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		fab, err := f.m.Directory.Signup(ctx, directory.SignupInput{OrganizationName: "Fabrikam", DomainPrefix: "fabrikam", AdminDisplayName: "Fay Admin",
			AdminUsername: "admin", AdminPassword: adminPassword, ContactEmail: "fay@fabrikam.example", Seats: 10})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.m.Queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		const home = "admin@fabrikam.atrium.localhost"

		admin := f.browser()
		admin.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		list := admin.get("/guests")
		wantStatus(t, list, http.StatusOK)
		wantContains(t, list, "Guest users", "No guest users yet.", "No pending invitations.", "Send invitation")

		// A bad address is shown beside the field, and nothing is sent.
		p := admin.postForm("/guests", "/guests", url.Values{"email": {"not an address"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-email-error"`, `value="not an address"`)
		// The field takes a username too: the account of another organization.
		p = admin.postForm("/guests", "/guests", url.Values{"email": {home}, "message": {"Join our project"}})
		wantStatus(t, p, http.StatusSeeOther)
		list = admin.get("/guests")
		wantContains(t, list, home, "Ada Admin")
		// Twice is refused clearly.
		p = admin.postForm("/guests", "/guests", url.Values{"email": {home}})
		wantStatus(t, p, http.StatusConflict)
		wantContains(t, p, "has a pending invitation already")

		// The link needs a sign-in first, then shows who invites and where.
		link := f.newestInvitationLink(t, home)
		fay := f.browser()
		p = fay.get(link)
		wantStatus(t, p, http.StatusSeeOther)
		if want := "/signin?next=" + url.QueryEscape(link); p.location != want {
			t.Errorf("the link sends an anonymous visitor to %q, want %q", p.location, want)
		}
		fay.signIn(home, adminPassword, false)
		p = fay.get(link)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Ada Admin invited you to work in Contoso as a guest user.", "Join our project", "Accept invitation", home)
		wantStatus(t, fay.get("/guest/accept?token=atg_wrong"), http.StatusOK)
		wantContains(t, fay.get("/guest/accept?token=atg_wrong"), "This invitation link is not valid.")

		p = fay.postForm(link, "/guest/accept", url.Values{"token": {guestLinkRE.FindStringSubmatch(link)[1]}})
		wantStatus(t, p, http.StatusSeeOther)
		// She works in Contoso now: the header says so and offers the way home; Contoso's
		// administration is not hers.
		h := fay.get("/")
		wantStatus(t, h, http.StatusOK)
		wantContains(t, h, `action="/account/organization"`, "Fabrikam (home)", "Contoso (guest)")
		wantNotContains(t, h, `href="/users"`)
		wantStatus(t, fay.get("/users"), http.StatusForbidden)
		wantStatus(t, fay.get("/guests"), http.StatusForbidden)
		wantContains(t, fay.get(link), "This invitation was accepted already.")

		// The host lists her with her home organization.
		list = admin.get("/guests")
		wantContains(t, list, "Fay Admin", "Fabrikam", "No pending invitations.")
		wantContains(t, admin.get("/users"), "Fay Admin", `<span class="badge" title="Fabrikam">Guest</span>`)
		var guest directory.User
		page, err := f.m.Directory.ListGuests(ctx, f.adminPrincipal(), directory.UserQuery{})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("guests = %+v, %v", page.Items, err)
		}
		guest = page.Items[0]

		// Home again through the header.
		p = fay.postForm("/", "/account/organization", url.Values{"org_id": {string(fab.Organization.ID)}})
		wantStatus(t, p, http.StatusSeeOther)
		wantStatus(t, fay.get("/users"), http.StatusOK)
		wantContains(t, fay.get("/users"), "Fay Admin")
		p = fay.postForm("/", "/account/organization", url.Values{"org_id": {string(f.org)}})
		wantStatus(t, p, http.StatusSeeOther)

		// Removal asks first; then her session goes home and her account there stays.
		confirm := admin.get("/guests/" + string(guest.ID) + "/remove")
		wantStatus(t, confirm, http.StatusOK)
		wantContains(t, confirm, "Remove Fay Admin as a guest?", "Their account at Fabrikam stays as it is.")
		wantStatus(t, admin.get("/guests/"+string(f.member.ID)+"/remove"), http.StatusNotFound)
		p = admin.postForm("/guests/"+string(guest.ID)+"/remove", "/guests/"+string(guest.ID)+"/remove", nil)
		wantStatus(t, p, http.StatusSeeOther)
		wantContains(t, admin.get("/guests"), "No guest users yet.")
		h = fay.get("/")
		wantStatus(t, h, http.StatusOK)
		wantNotContains(t, h, "Contoso (guest)")
		wantStatus(t, fay.get("/users"), http.StatusOK)

		// An invitation can be revoked after confirming; its link then says so.
		p = admin.postForm("/guests", "/guests", url.Values{"email": {"someone@elsewhere.example"}})
		wantStatus(t, p, http.StatusSeeOther)
		invs, _, err := f.m.Directory.ListInvitations(ctx, f.adminPrincipal(), directory.InvitationQuery{Pending: true})
		if err != nil || len(invs) != 1 {
			t.Fatalf("pending = %+v, %v", invs, err)
		}
		revoke := "/guests/invitations/" + invs[0].ID + "/revoke"
		wantContains(t, admin.get(revoke), "Revoke the invitation?")
		wantStatus(t, admin.postForm(revoke, revoke, nil), http.StatusSeeOther)
		wantContains(t, fay.get(f.newestInvitationLink(t, "someone@elsewhere.example")), "This invitation was revoked.")
	})
}
