package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/store"
)

// TestGroupsBrowser walks Teams & groups in headless Chromium: a Global admin creates a
// private group and adds two members found by a fragment of their names; one member
// starts a conversation, the other reads it; a user who is not a member is refused
// it; the admin deletes the group and restores it from Deleted groups.
func TestGroupsBrowser(t *testing.T) {
	eachBrowserDialect(t, func(t *testing.T, d store.Dialect, m *app.Main, b *tab) { groupsFlow(t, m, b) })
}

func groupsFlow(t *testing.T, m *app.Main, b *tab) {
	ctx := context.Background()
	res, err := m.Directory.Signup(ctx, directory.SignupInput{OrganizationName: "Contoso", DomainPrefix: "contoso", AdminDisplayName: "Ada Admin",
		AdminUsername: "admin", AdminPassword: adminPassword, ContactEmail: "ada@example.com", Seats: 10})
	if err != nil {
		t.Fatal(err)
	}
	waitActive(t, m, res.Organization.ID)
	admin := &access.Principal{UserID: res.Admin.ID, Org: res.Organization.ID, Name: "admin",
		Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(res.Organization.ID)}}}
	no := false
	for _, u := range [][2]string{{"bruno", "Bruno Berglund"}, {"carla", "Carla Bergman"}, {"nils", "Nils Outsider"}} {
		if _, _, err := m.Directory.CreateUser(ctx, admin, directory.UserInput{Username: u[0], DisplayName: u[1], Password: memberPassword,
			MustChangePassword: &no}); err != nil {
			t.Fatal(err)
		}
	}
	b.signIn("admin@contoso.atrium.localhost", adminPassword, false)

	// Teams & groups > Active groups, from the navigation (behind the menu button on
	// narrow screens).
	if !b.eval(`!!document.querySelector('nav.sidenav a[href="/groups"]')`) {
		t.Fatal("the navigation has no Active groups entry")
	}
	if !b.eval(`document.querySelector('nav.sidenav a[href="/groups"]').offsetParent !== null`) {
		b.openMenu()
	}
	b.click(`nav.sidenav a[href="/groups"]`)
	b.see("Active groups", "There are no groups yet.")

	// A private group (the form's default).
	b.click(`a#new-group`)
	b.see("New group", "Mail nickname", "Private group", "Public group")
	b.fill("f-name", "Sales team")
	b.fill("f-description", "Deals and leads")
	b.fill("f-mail_nickname", "sales")
	if !b.eval(`document.getElementById("f-visibility-private").checked`) {
		t.Fatal("a new group is not private by default")
	}
	b.click(`form[action="/groups/new"] button[type=submit]`)
	b.see("The group “Sales team” was created.", "sales@contoso.atrium.localhost", "Private group")
	group := strings.TrimPrefix(b.location(), b.base)
	if !strings.HasPrefix(group, "/groups/") {
		t.Fatalf("the new group is at %s", group)
	}
	b.screenshot("groups-detail")

	// Two members, found by a fragment of their names and picked.
	b.click(`nav.actions a[href$="/members"]`)
	b.fill("f-find", "berg")
	b.click(`button#find-users`)
	b.see("People found", "Bruno Berglund", "Carla Bergman")
	b.notSee("Nils Outsider")
	b.do(chromedp.Click(chromedp.ID("f-user-0")), chromedp.Click(chromedp.ID("f-user-1")))
	if !b.eval(`document.querySelectorAll('#found-users input[name="user_id"]:checked').length === 2`) {
		t.Fatal("could not pick the two people found")
	}
	b.screenshot("groups-find")
	b.click(`button#add-selected`)
	b.see("Added: 2. Already in the group: 0. Not added: 0.", "Bruno Berglund", "Carla Bergman")
	b.signOut()

	// Bruno starts a conversation.
	b.signIn("bruno@contoso.atrium.localhost", memberPassword, false)
	b.open(group + "/conversations")
	b.see("There are no conversations yet.", "New conversation")
	b.fill("f-topic", "Quarterly numbers")
	b.fill("f-body", "The numbers are in the shared folder.")
	b.click(`form#new-thread button[type=submit]`)
	b.see("The conversation “Quarterly numbers” was started.", "The numbers are in the shared folder.", "Bruno Berglund")
	thread := strings.TrimPrefix(b.location(), b.base)
	b.signOut()

	// Carla reads it.
	b.signIn("carla@contoso.atrium.localhost", memberPassword, false)
	b.open(group + "/conversations")
	b.click(`table a[href^="` + group + `/conversations/"]`)
	b.see("Quarterly numbers", "The numbers are in the shared folder.", "Bruno Berglund")
	if loc := strings.TrimPrefix(b.location(), b.base); loc != thread {
		t.Fatalf("Carla is at %s, not %s", loc, thread)
	}
	b.screenshot("groups-thread")
	b.signOut()

	// Nils is not a member: refused.
	b.signIn("nils@contoso.atrium.localhost", memberPassword, false)
	b.open(thread)
	b.see("You don't have permission")
	b.notSee("The numbers are in the shared folder.")
	b.open(group)
	b.see("Sales team", "Request access")
	b.signOut()

	// The admin deletes the group, after confirming, and restores it.
	b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
	b.open(group)
	b.click(`a#delete-group`)
	b.see("Delete the group “Sales team”?")
	b.click(`form[action="` + group + `/delete"] button[type=submit]`)
	b.see("The group “Sales team” was deleted.")
	b.notSee("Deals and leads")
	if !b.eval(`document.querySelector('nav.sidenav a[href="/deleted-groups"]').offsetParent !== null`) {
		b.openMenu()
	}
	b.click(`nav.sidenav a[href="/deleted-groups"]`)
	b.see("Deleted groups", "Sales team")
	b.click(`form[action$="/restore"] button[type=submit]`)
	b.see("The group “Sales team” was restored with its members and conversations.")
	b.open(group + "/conversations")
	b.see("Quarterly numbers")
}
