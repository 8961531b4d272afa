package web_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/collab"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/store"
)

// TestCollabBrowser walks Collaborate in headless Chromium: a partner's user finds an
// engagement that needs approval and asks for access after accepting the terms; their
// organization's power user approves it from the requests queue, adds participants
// found by a fragment with "Select all", exports the list, copies the participants into
// another engagement and removes one after confirming.
func TestCollabBrowser(t *testing.T) {
	eachBrowserDialect(t, func(t *testing.T, d store.Dialect, m *app.Main, b *tab) { collabFlow(t, m, b) })
}

func collabFlow(t *testing.T, m *app.Main, b *tab) {
	ctx := context.Background()
	svc := app.Need[*collab.Service](m.Kernel)
	var opOrg, opAdmin string
	if err := m.DB.Read().QueryRowContext(ctx, `SELECT org_id, id FROM users WHERE username = 'admin@operator.atrium.localhost'`).Scan(&opOrg, &opAdmin); err != nil {
		t.Fatal(err)
	}
	grants, err := access.GrantsOf(ctx, m.DB.Read(), atrium.UserID(opAdmin))
	if err != nil {
		t.Fatal(err)
	}
	op := &access.Principal{Org: atrium.OrgID(opOrg), UserID: atrium.UserID(opAdmin), Name: "admin@operator.atrium.localhost", Grants: grants}
	prog, err := svc.CreateProgram(ctx, op, collab.ProgramInput{Name: "Insider program"})
	if err != nil {
		t.Fatal(err)
	}
	wave, err := svc.CreateEngagement(ctx, op, collab.EngagementInput{ProgramID: prog.ID, Name: "Preview wave", Description: "Early builds",
		TermsOfUse: "Keep the builds confidential.", JoinPolicy: collab.Request})
	if err != nil {
		t.Fatal(err)
	}
	second, err := svc.CreateEngagement(ctx, op, collab.EngagementInput{ProgramID: prog.ID, Name: "Second wave", TermsOfUse: "Same terms.",
		JoinPolicy: collab.Invitation})
	if err != nil {
		t.Fatal(err)
	}

	res, err := m.Directory.Signup(ctx, directory.SignupInput{OrganizationName: "Contoso", DomainPrefix: "contoso", AdminDisplayName: "Ada Admin",
		AdminUsername: "admin", AdminPassword: adminPassword, ContactEmail: "ada@example.com", Seats: 10})
	if err != nil {
		t.Fatal(err)
	}
	waitActive(t, m, res.Organization.ID)
	admin := &access.Principal{UserID: res.Admin.ID, Org: res.Organization.ID, Name: "admin",
		Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(res.Organization.ID)}}}
	no := false
	users := map[string]atrium.UserID{}
	for _, u := range [][2]string{{"pia", "Pia Power"}, {"rita", "Rita Requester"}, {"hanna", "Hanna Berg"}, {"johan", "Johan Bergqvist"}, {"olle", "Olle Other"}} {
		created, _, err := m.Directory.CreateUser(ctx, admin, directory.UserInput{Username: u[0], DisplayName: u[1], ContactEmail: u[0] + "@mail.example.com",
			Password: memberPassword, MustChangePassword: &no})
		if err != nil {
			t.Fatal(err)
		}
		users[u[0]] = created.ID
	}
	for _, e := range []string{wave.ID, second.ID} {
		if _, err := svc.AddMembers(ctx, op, e, collab.PowerUser, []atrium.UserID{users["pia"]}, false); err != nil {
			t.Fatal(err)
		}
	}

	// Rita has no engagement yet: Collaborate offers to join some.
	b.signIn("rita@contoso.atrium.localhost", memberPassword, false)
	b.open("/collab")
	b.see("Join engagements")
	b.click(`#join-cta a[href="/collab/available"]`)
	b.see("Preview wave")
	b.notSee("Second wave")
	b.click(`a[href="/collab/engagements/` + wave.ID + `"]`)
	b.see("Keep the builds confidential.", "I accept the terms of use", "Justification")
	b.fill("f-justification", "I test the builds for our team")
	b.do(chromedp.Click(chromedp.ID("f-accept_terms")))
	b.click("#request-submit")
	b.see("Your access request was sent.", "your request is waiting for a decision")
	b.signOut()

	// Pia, the power user, approves from the queue.
	b.signIn("pia@contoso.atrium.localhost", memberPassword, false)
	b.open("/collab/engagements/" + wave.ID + "/requests")
	b.see("Rita Requester", "I test the builds for our team")
	b.click(`li.card button[type=submit]`)
	b.see("Rita Requester is now a participant.")

	// She adds the two Bergs found by a fragment, with Select all.
	b.open("/collab/engagements/" + wave.ID + "/members?group=participant")
	b.see("Rita Requester")
	b.click("#add-members")
	b.fill("f-q", "berg")
	b.click("#find-submit")
	b.see("Hanna Berg", "Johan Bergqvist")
	b.notSee("Olle Other")
	b.do(chromedp.Click(chromedp.ID("f-all")))
	b.click("#add-selected")
	b.see("2 users were added.")
	b.open("/collab/engagements/" + wave.ID + "/members?group=participant")
	b.see("Hanna Berg", "Johan Bergqvist", "Rita Requester")

	// The export is the CSV of the three.
	if !b.eval(`(function(){var x=new XMLHttpRequest();x.open('GET',document.getElementById('export-members').href,false);x.send();
		var lines=x.responseText.trim().split('\n');return x.status===200&&lines.length===4&&x.responseText.indexOf('Johan Bergqvist')>=0})()`) {
		t.Error("the export is not the CSV of the three participants")
	}

	// Copy them into the second wave.
	b.open("/collab/engagements/" + second.ID + "/members/copy?from=" + wave.ID)
	b.see("Hanna Berg", "Johan Bergqvist", "Rita Requester")
	b.click("#copy-all")
	b.see("Copied: 3.")

	// Remove one after confirming; her account stays.
	b.open("/collab/engagements/" + second.ID + "/members?group=participant")
	b.click(`#member-` + string(users["johan"]) + ` a[href*="/remove"]`)
	b.see("Remove Johan Bergqvist from the group")
	b.click(`main form button[type=submit]`)
	b.see("Johan Bergqvist was removed.")
	if u, err := m.Directory.GetUser(ctx, admin, users["johan"]); err != nil || u.DeletedAt != nil {
		t.Errorf("removing the membership touched the account: %+v, %v", u, err)
	}
	names := map[string]bool{}
	page, err := svc.Members(ctx, op, second.ID, collab.Participant, collab.MemberQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, mem := range page.Items {
		names[mem.DisplayName] = true
	}
	if len(names) != 2 || names["Johan Bergqvist"] {
		t.Errorf("second wave participants after the removal: %v", names)
	}
}
