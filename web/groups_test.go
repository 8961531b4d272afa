package web_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/groups"
)

// groupsSvc returns the fixture's groups service.
func (f *fixture) groupsSvc() *groups.Service { return app.Need[*groups.Service](f.m.Kernel) }

// pseudoGroup makes a private group with Mia as a member, a conversation with a reply
// and a deleted group, for the pseudo-language test; it returns the pages to walk and
// the data the pages show.
func (f *fixture) pseudoGroup() (pages, data []string) {
	f.t.Helper()
	ctx := context.Background()
	svc := f.groupsSvc()
	g, err := svc.Create(ctx, f.adminPrincipal(), groups.Input{Name: "Sales team", Description: "Deals and leads", MailNickname: "sales", Visibility: groups.Private})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := svc.AddMembers(ctx, f.adminPrincipal(), g.ID, []atrium.UserID{f.member.ID}); err != nil {
		f.t.Fatal(err)
	}
	th, err := svc.CreateThread(ctx, f.principalOf(f.member), g.ID, groups.ThreadInput{Topic: "Quarterly numbers", Body: "<p>Here they are</p>"})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := svc.CreatePost(ctx, f.adminPrincipal(), g.ID, th.ID, groups.PostInput{Body: "<p>Thanks</p>"}); err != nil {
		f.t.Fatal(err)
	}
	nora := f.newUser("nora", "Nora Outsider", "US")
	if _, err := svc.Join(ctx, f.principalOf(nora), g.ID, "Please"); err != nil {
		f.t.Fatal(err)
	}
	old, err := svc.Create(ctx, f.adminPrincipal(), groups.Input{Name: "Old project", MailNickname: "old", Visibility: groups.Public})
	if err != nil {
		f.t.Fatal(err)
	}
	if err := svc.Delete(ctx, f.adminPrincipal(), old.ID); err != nil {
		f.t.Fatal(err)
	}
	posts, err := svc.Posts(ctx, f.adminPrincipal(), g.ID, th.ID, groups.ListQuery{})
	if err != nil || len(posts.Items) != 2 {
		f.t.Fatalf("posts %+v %v", posts, err)
	}
	base := "/groups/" + g.ID
	pages = []string{"/groups?q=sales", "/groups?q=nothing", base, base + "/members", base + "/members?find=mia", base + "/members?find=nobody", base + "/requests", base + "/conversations",
		base + "/conversations/" + th.ID, base + "/delete", base + "/members/" + string(f.member.ID) + "/remove",
		base + "/owners/" + string(f.admin) + "/remove", base + "/conversations/" + th.ID + "/posts/" + posts.Items[1].ID + "/delete"}
	data = []string{"Sales team", "Deals and leads", "sales", "sales@contoso.atrium.localhost", "Quarterly numbers", "Here they are", "Thanks",
		"Old project", "old", "old@contoso.atrium.localhost", "admin", "mia",
		"Nora Outsider", "nora@contoso.atrium.localhost", "Please", "Nora Outsider asked to join Sales team"}
	return pages, data
}

var groupLocationRE = regexp.MustCompile(`^/groups/([0-9a-f-]{36})$`)

// TestGroupsPages: a Global admin finds Teams & groups in the navigation, creates a
// group through the form (its errors beside the fields first), adds a member found by
// a fragment of her name, who starts a conversation the admin replies to; a user who
// is not a member is refused its members and conversations; the admin removes a post
// and the member after confirming, deletes the group and restores it from Deleted
// groups.
func TestGroupsPages(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		svc := f.groupsSvc()
		f.newUser("nora", "Nora Outsider", "US")
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)

		p := b.get("/groups")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, `id="nav-teams-groups"`, `href="/groups"`, `href="/deleted-groups"`, "Active groups", "Deleted groups",
			"There are no groups yet.", `href="/groups/new"`, `href="/groups/mine"`)
		form := b.get("/groups/new")
		wantStatus(t, form, http.StatusOK)
		wantContains(t, form, `action="/groups/new"`, `name="csrf_token"`, `name="name"`, `name="description"`, `name="mail_nickname"`,
			`name="visibility" value="private" checked`, `name="owners"`)

		// Errors beside the fields, what was typed kept.
		p = b.postForm("/groups/new", "/groups/new", url.Values{"name": {""}, "description": {"Deals"}, "mail_nickname": {"-bad"}, "visibility": {"private"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-name-error"`, `id="f-mail_nickname-error"`, "is required", "Please correct the fields marked below.", `value="-bad"`, ">Deals</textarea>")
		p = b.postForm("/groups/new", "/groups/new", url.Values{"name": {"Sales"}, "mail_nickname": {"sales"}, "visibility": {"private"}, "owners": {"ghost, mia"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-owners-error"`, "No active user of your organization has these usernames: ghost")
		if page, err := svc.List(ctx, f.adminPrincipal(), groups.ListQuery{}); err != nil || len(page.Items) != 0 {
			t.Fatalf("groups after failed forms: %+v %v", page.Items, err)
		}

		// Created, with the admin as its owner.
		p = b.postForm("/groups/new", "/groups/new", url.Values{"name": {"Sales team"}, "description": {"Deals and leads"}, "mail_nickname": {"sales"},
			"visibility": {"private"}})
		wantStatus(t, p, http.StatusSeeOther)
		m := groupLocationRE.FindStringSubmatch(p.location)
		if m == nil {
			t.Fatalf("create went to %q", p.location)
		}
		id := m[1]
		base := "/groups/" + id
		p = b.get(base)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "The group “Sales team” was created.", "<h1>Sales team</h1>", "sales@contoso.atrium.localhost", "Private group",
			`href="`+base+`/members"`, `href="`+base+`/requests"`, `href="`+base+`/conversations"`, `href="`+base+`/delete"`)
		// A second group with the same nickname is refused beside the field.
		p = b.postForm("/groups/new", "/groups/new", url.Values{"name": {"Other"}, "mail_nickname": {"SALES"}, "visibility": {"public"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-mail_nickname-error"`, "is taken")

		// Listed, and found by a fragment.
		wantContains(t, b.get("/groups?q=lead"), `<a href="`+base+`">Sales team</a>`)
		wantNotContains(t, b.get("/groups?q=zzz"), `<a href="`+base+`">`)
		wantContains(t, b.get("/groups/mine"), `<a href="`+base+`">Sales team</a>`)

		// Members: find Mia by a fragment of her name, pick her.
		members := base + "/members"
		p = b.get(members + "?find=mem")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Ada Admin", `name="user_id" value="`+string(f.member.ID)+`"`, "Mia Member", `href="/api/v1/groups/`+id+`/members/export"`)
		p = b.postForm(members, members, url.Values{"user_id": {string(f.member.ID)}, "role": {"member"}})
		wantStatus(t, p, http.StatusSeeOther)
		p = b.get(members)
		wantContains(t, p, "Added: 1. Already in the group: 0. Not added: 0.", "Mia Member", `href="`+members+`/`+string(f.member.ID)+`/remove"`)
		// Nothing picked: the error is beside the usernames field.
		p = b.postForm(members, members, url.Values{"usernames": {""}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-usernames-error"`)
		// By username, an unknown one reported.
		wantStatus(t, b.postForm(members, members, url.Values{"usernames": {"nobody"}}), http.StatusSeeOther)
		wantContains(t, b.get(members), "Not added: 1. nobody")
		// The CSV export the page links to.
		csv := b.get("/api/v1/groups/" + id + "/members/export")
		wantStatus(t, csv, http.StatusOK)
		wantContains(t, csv, "mia@contoso.atrium.localhost")

		// Mia starts a conversation; the form's errors first.
		mia := f.browser()
		mia.signIn("mia@contoso.atrium.localhost", memberPassword, false)
		conv := base + "/conversations"
		p = mia.postForm(conv, conv, url.Values{"topic": {""}, "body": {""}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-topic-error"`, `id="f-body-error"`)
		p = mia.postForm(conv, conv, url.Values{"topic": {"Quarterly numbers"}, "body": {"Here <they> are\n\nSecond paragraph"}})
		wantStatus(t, p, http.StatusSeeOther)
		threads, err := svc.Threads(ctx, f.adminPrincipal(), id, groups.ListQuery{})
		if err != nil || len(threads.Items) != 1 {
			t.Fatalf("threads %+v %v", threads, err)
		}
		thread := conv + "/" + threads.Items[0].ID
		if p.location != thread {
			t.Fatalf("new thread went to %q", p.location)
		}
		wantContains(t, mia.get(thread), "Quarterly numbers", "<p>Here &lt;they&gt; are</p><p>Second paragraph</p>", "Mia Member")
		// The admin sees it and replies.
		wantContains(t, b.get(conv), `<a href="`+thread+`">Quarterly numbers</a>`)
		wantStatus(t, b.postForm(thread, thread, url.Values{"body": {"Thanks!"}}), http.StatusSeeOther)
		wantContains(t, mia.get(thread), "Thanks!", "Ada Admin")
		// Mia, a member, has no moderation.
		wantNotContains(t, mia.get(thread), `class="delete-post"`, `id="lock-thread"`)

		// Nora is not a member of the private group: its name only.
		nb := f.browser()
		nb.signIn("nora@contoso.atrium.localhost", memberPassword, false)
		wantContains(t, nb.get(base), "Sales team", "Request access")
		wantStatus(t, nb.get(conv), http.StatusForbidden)
		wantStatus(t, nb.get(thread), http.StatusForbidden)
		wantStatus(t, nb.get(members), http.StatusForbidden)
		wantStatus(t, nb.postForm(base, thread, url.Values{"body": {"Let me in"}}), http.StatusForbidden)
		wantStatus(t, nb.postForm(base, base, url.Values{"name": {"Mine now"}, "mail_nickname": {"sales"}, "visibility": {"public"}}), http.StatusForbidden)
		// She asks to join; the admin approves.
		wantStatus(t, nb.postForm(base, base+"/join", url.Values{"message": {"I sell too"}}), http.StatusSeeOther)
		p = b.get(base + "/requests")
		wantContains(t, p, "Nora Outsider", "I sell too")
		reqs, err := svc.JoinRequests(ctx, f.adminPrincipal(), id, true, groups.ListQuery{})
		if err != nil || len(reqs.Items) != 1 {
			t.Fatalf("requests %+v %v", reqs, err)
		}
		wantStatus(t, b.postForm(base+"/requests", base+"/requests/"+reqs.Items[0].ID+"/approve", nil), http.StatusSeeOther)
		wantContains(t, b.get(base+"/requests"), "Nora Outsider is now a member of the group.")
		wantStatus(t, nb.get(thread), http.StatusOK)

		// Lock: no reply form; unlock.
		wantStatus(t, b.postForm(thread, thread+"/lock", url.Values{"locked": {"1"}}), http.StatusSeeOther)
		p = mia.get(thread)
		wantContains(t, p, `id="thread-locked"`)
		wantNotContains(t, p, `id="reply"`)
		wantStatus(t, b.postForm(thread, thread+"/lock", url.Values{"locked": {"0"}}), http.StatusSeeOther)
		wantContains(t, mia.get(thread), `id="reply"`)

		// Delete the reply after confirming.
		posts, err := svc.Posts(ctx, f.adminPrincipal(), id, threads.Items[0].ID, groups.ListQuery{})
		if err != nil || len(posts.Items) != 2 {
			t.Fatalf("posts %+v %v", posts, err)
		}
		del := thread + "/posts/" + posts.Items[1].ID + "/delete"
		wantStatus(t, mia.get(del), http.StatusForbidden)
		wantContains(t, b.get(del), "Delete this post from “Quarterly numbers”?", `action="`+del+`"`)
		wantStatus(t, b.postForm(del, del, nil), http.StatusSeeOther)
		wantNotContains(t, b.get(thread), "Thanks!")

		// Remove Mia after confirming.
		rm := members + "/" + string(f.member.ID) + "/remove"
		wantContains(t, b.get(rm), "Remove Mia Member from Sales team?")
		wantStatus(t, b.postForm(rm, rm, nil), http.StatusSeeOther)
		wantContains(t, b.get(members), "Mia Member was removed from the group.")
		wantStatus(t, mia.get(conv), http.StatusForbidden)

		// Delete after confirming, restore from Deleted groups.
		wantContains(t, b.get(base+"/delete"), "Delete the group “Sales team”?", "30 days")
		if _, err := svc.Get(ctx, f.adminPrincipal(), id); err != nil {
			t.Fatalf("the confirmation page deleted the group: %v", err)
		}
		p = b.postForm(base+"/delete", base+"/delete", nil)
		wantStatus(t, p, http.StatusSeeOther)
		if p.location != "/groups" {
			t.Fatalf("delete went to %q", p.location)
		}
		p = b.get("/groups")
		wantContains(t, p, "The group “Sales team” was deleted.")
		wantNotContains(t, p, `<a href="`+base+`">`)
		p = b.get("/deleted-groups")
		wantContains(t, p, "Sales team", `action="/deleted-groups/`+id+`/restore"`)
		wantStatus(t, nb.get(base), http.StatusNotFound)
		wantStatus(t, b.postForm("/deleted-groups", "/deleted-groups/"+id+"/restore", nil), http.StatusSeeOther)
		wantContains(t, b.get(base), "The group “Sales team” was restored with its members and conversations.")
		wantNotContains(t, b.get("/deleted-groups"), "Sales team")
		if g, err := svc.Get(ctx, f.adminPrincipal(), id); err != nil || g.DeletedAt != nil {
			t.Fatalf("restored group %+v %v", g, err)
		}
	})
}

// TestGroupsPagesRender: every group page renders for the group's owner, and the
// ones with rows show them.
func TestGroupsPagesRender(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		pages, _ := f.pseudoGroup()
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		for _, path := range append(pages, "/groups", "/groups/mine", "/groups/new", "/deleted-groups") {
			p := b.get(path)
			if p.status != http.StatusOK {
				t.Errorf("%s: status %d\n%s", path, p.status, p.body)
			}
		}
		wantContains(t, b.get("/deleted-groups"), "Old project")
		wantContains(t, b.get(pages[2]+"/requests"), "Nora Outsider", "Please")
		wantContains(t, b.get(pages[2]+"/members?find=mia"), "Mia Member", `name="user_id"`)
		wantContains(t, b.get(pages[2]+"/conversations"), "Quarterly numbers")

		// An attachment, linked from its post and downloaded, never rendered.
		ctx := context.Background()
		group := strings.TrimPrefix(pages[2], "/groups/")
		threads, err := f.groupsSvc().Threads(ctx, f.adminPrincipal(), group, groups.ListQuery{})
		if err != nil || len(threads.Items) != 1 {
			t.Fatalf("threads %+v %v", threads, err)
		}
		tid := threads.Items[0].ID
		post, err := f.groupsSvc().CreatePost(ctx, f.adminPrincipal(), group, tid, groups.PostInput{Body: "<p>The file</p>",
			Attachments: []groups.AttachmentInput{{Name: "numbers.html", ContentType: "text/html", Data: []byte("<script>alert(1)</script>")}}})
		if err != nil || len(post.Attachments) != 1 {
			t.Fatalf("post %+v %v", post, err)
		}
		href := pages[2] + "/conversations/" + tid + "/posts/" + post.ID + "/attachments/" + post.Attachments[0].ID
		wantContains(t, b.get(pages[2]+"/conversations/"+tid), `href="`+href+`"`, "numbers.html")
		file := b.get(href)
		wantStatus(t, file, http.StatusOK)
		if file.body != "<script>alert(1)</script>" || file.header.Get("Content-Type") != "application/octet-stream" ||
			!strings.HasPrefix(file.header.Get("Content-Disposition"), "attachment;") {
			t.Fatalf("attachment %q %v", file.body, file.header)
		}

		// Mia leaves the group on her own, after confirming.
		mia := f.browser()
		mia.signIn("mia@contoso.atrium.localhost", memberPassword, false)
		leave := pages[2] + "/members/" + string(f.member.ID) + "/remove"
		wantContains(t, mia.get(pages[2]), `href="`+leave+`"`, "Leave group")
		wantContains(t, mia.get(leave), "Leave the group “Sales team”?")
		// She may not remove others.
		wantStatus(t, mia.get(pages[2]+"/members/"+string(f.admin)+"/remove"), http.StatusForbidden)
		p := mia.postForm(leave, leave, nil)
		wantStatus(t, p, http.StatusSeeOther)
		if p.location != "/groups" {
			t.Fatalf("leaving went to %q", p.location)
		}
		wantContains(t, mia.get("/groups"), "You left the group “Sales team”.")
		wantStatus(t, mia.get(pages[2]+"/conversations"), http.StatusForbidden)
	})
}

// TestGroupsTranslated: a Swedish reader gets the group pages in Swedish.
func TestGroupsTranslated(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		if _, err := f.m.Directory.SetLanguage(context.Background(), f.adminPrincipal(), "sv"); err != nil {
			t.Fatal(err)
		}
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.get("/groups")
		wantStatus(t, p, http.StatusOK)
		if !strings.Contains(p.body, "Aktiva grupper") || !strings.Contains(p.body, "Borttagna grupper") || !strings.Contains(p.body, "Ny grupp") {
			t.Fatalf("not in Swedish:\n%s", p.body)
		}
	})
}

// TestGroupsMembersImportAndSelectAll: a group's managers add everyone a search found
// at once ("Select everyone found"), and the usernames of a CSV file, each unknown one
// named in the message; a file that is no CSV is refused beside the field.
func TestGroupsMembersImportAndSelectAll(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		svc := f.groupsSvc()
		g, err := svc.Create(ctx, f.adminPrincipal(), groups.Input{Name: "Imports", MailNickname: "imports", Visibility: groups.Private})
		if err != nil {
			t.Fatal(err)
		}
		f.newUser("pia", "Pia Picked", "US")
		f.newUser("pim", "Pim Picked", "US")
		f.newUser("carl", "Carl Csv", "US")
		f.newUser("cora", "Cora Csv", "US")
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		members := "/groups/" + g.ID + "/members"
		p := b.get(members + "?find=picked")
		wantContains(t, p, `name="all_found" value="1"`, "Select everyone found", "Pia Picked", "Pim Picked", `enctype="multipart/form-data"`)
		form := url.Values{"all_found": {"1"}, "role": {"member"}}
		for _, m := range foundIDRE.FindAllStringSubmatch(p.body, -1) {
			form.Add("found_id", m[1])
		}
		if len(form["found_id"]) != 2 {
			t.Fatalf("found ids %v", form["found_id"])
		}
		p = b.postForm(members, members, form)
		wantStatus(t, p, http.StatusSeeOther)

		upload := func(file string) page {
			var body bytes.Buffer
			w := multipart.NewWriter(&body)
			w.WriteField("csrf_token", b.csrf(members))
			fw, _ := w.CreateFormFile("file", "members.csv")
			fw.Write([]byte(file))
			w.Close()
			req, _ := http.NewRequest("POST", b.base+members+"/import", &body)
			req.Header.Set("Content-Type", w.FormDataContentType())
			req.Header.Set("Origin", b.base)
			return b.do(req)
		}
		p = upload("username\ncarl\n\"cora\",extra\nghost\n")
		wantStatus(t, p, http.StatusSeeOther)
		wantContains(t, b.get(p.location), "ghost@contoso.atrium.localhost")
		page, err := svc.Members(ctx, f.adminPrincipal(), g.ID, false, groups.ListQuery{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, m := range page.Items {
			names = append(names, m.DisplayName)
		}
		for _, want := range []string{"Pia Picked", "Pim Picked", "Carl Csv", "Cora Csv"} {
			if !slices.Contains(names, want) {
				t.Errorf("members %v lack %s", names, want)
			}
		}
		p = upload("\"unterminated\n")
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-file-error"`, "is not a CSV file")
	})
}

var foundIDRE = regexp.MustCompile(`name="found_id" value="([^"]+)"`)

// TestGroupsSettingsAndFollowing: a Global admin sets the organization's group
// settings (who may create groups, the classification labels) and labels a group; a
// member stops and starts following the group's mail; a member outside the creators'
// group may no longer create groups.
func TestGroupsSettingsAndFollowing(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		svc := f.groupsSvc()
		g, err := svc.Create(ctx, f.adminPrincipal(), groups.Input{Name: "Creators", MailNickname: "creators", Visibility: groups.Private})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddMembers(ctx, f.adminPrincipal(), g.ID, []atrium.UserID{f.member.ID}); err != nil {
			t.Fatal(err)
		}
		admin := f.browser()
		admin.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := admin.get("/group-settings")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, `name="creators_group_id"`, `<option value="`+g.ID+`">Creators</option>`, `name="classifications"`)
		p = admin.postForm("/group-settings", "/group-settings", url.Values{"creators_group_id": {g.ID}, "classifications": {"Confidential\nConfidential"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-classifications-error"`, "is listed twice")
		p = admin.postForm("/group-settings", "/group-settings", url.Values{"creators_group_id": {g.ID}, "classifications": {"Confidential\n General \n"}})
		wantStatus(t, p, http.StatusSeeOther)
		st, err := svc.Settings(ctx, f.adminPrincipal())
		if err != nil || st.CreatorsGroupID != g.ID || !slices.Equal(st.Classifications, []string{"Confidential", "General"}) {
			t.Fatalf("settings = %+v, %v", st, err)
		}

		// The label is chosen from the list.
		base := "/groups/" + g.ID
		wantContains(t, admin.get(base), `name="classification"`, `<option value="Confidential">Confidential</option>`)
		form := url.Values{"name": {"Creators"}, "description": {""}, "mail_nickname": {"creators"}, "visibility": {"private"}, "classification": {"Secret"}}
		p = admin.postForm(base, base, form)
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-classification-error"`)
		form.Set("classification", "Confidential")
		wantStatus(t, admin.postForm(base, base, form), http.StatusSeeOther)
		if got, err := svc.Get(ctx, f.adminPrincipal(), g.ID); err != nil || got.Classification != "Confidential" {
			t.Fatalf("classification = %+v, %v", got, err)
		}

		// Mia, a member, stops and starts the group's mail.
		mia := f.browser()
		mia.signIn("mia@contoso.atrium.localhost", memberPassword, false)
		wantContains(t, mia.get(base), `id="following-state"`, "You get this group&#39;s mail", `name="following" value="0"`)
		wantStatus(t, mia.postForm(base, base+"/following", url.Values{"following": {"0"}}), http.StatusSeeOther)
		if on, err := svc.Following(ctx, f.principalOf(f.member), g.ID); err != nil || on {
			t.Fatalf("following after stopping = %v, %v", on, err)
		}
		wantContains(t, mia.get(base), `name="following" value="1"`)
		wantStatus(t, mia.postForm(base, base+"/following", url.Values{"following": {"1"}}), http.StatusSeeOther)
		if on, _ := svc.Following(ctx, f.principalOf(f.member), g.ID); !on {
			t.Error("following did not start again")
		}
		// Mia is in the creators' group and may create groups; Nora is not.
		wantStatus(t, mia.postForm("/groups/new", "/groups/new", url.Values{"name": {"Mia's"}, "mail_nickname": {"mias"}, "visibility": {"public"}}),
			http.StatusSeeOther)
		f.newUser("nora", "Nora Outsider", "US")
		nora := f.browser()
		nora.signIn("nora@contoso.atrium.localhost", memberPassword, false)
		p = nora.postForm("/groups/new", "/groups/new", url.Values{"name": {"Nora's"}, "mail_nickname": {"noras"}, "visibility": {"public"}})
		wantStatus(t, p, http.StatusForbidden)
		wantNotContains(t, mia.get("/group-settings"), `name="creators_group_id"`)
	})
}

// TestGroupsPostAttachment: a member starts a conversation with a file from the form; it
// is stored with its checksum and downloads as sent; a reply with a file over the limit
// is refused beside the field, and nothing is posted.
func TestGroupsPostAttachment(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		svc := f.groupsSvc()
		g, err := svc.Create(ctx, f.adminPrincipal(), groups.Input{Name: "Files", MailNickname: "files", Visibility: groups.Private})
		if err != nil {
			t.Fatal(err)
		}
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		threads := "/groups/" + g.ID + "/conversations"
		post := func(from, path string, fields map[string]string, name string, data []byte) page {
			var body bytes.Buffer
			w := multipart.NewWriter(&body)
			w.WriteField("csrf_token", b.csrf(from))
			for k, v := range fields {
				w.WriteField(k, v)
			}
			fw, _ := w.CreateFormFile("attachment", name)
			fw.Write(data)
			w.Close()
			req, _ := http.NewRequest("POST", b.base+path, &body)
			req.Header.Set("Content-Type", w.FormDataContentType())
			req.Header.Set("Origin", b.base)
			return b.do(req)
		}
		wantContains(t, b.get(threads), `enctype="multipart/form-data"`, `name="attachment" type="file"`, "10 MiB")
		p := post(threads, threads, map[string]string{"topic": "Plans", "body": "See the file"}, "plan.txt", []byte("the plan\n"))
		wantStatus(t, p, http.StatusSeeOther)
		thread := p.location
		p = b.get(thread)
		m := regexp.MustCompile(`href="(` + regexp.QuoteMeta(threads) + `/[^"]+/attachments/[^"]+)" download>plan.txt<`).FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no attachment link on %s", thread)
		}
		dl := b.get(m[1])
		wantStatus(t, dl, http.StatusOK)
		if dl.body != "the plan\n" {
			t.Errorf("download = %q", dl.body)
		}
		big := bytes.Repeat([]byte("x"), int(svc.MaxAttachment())+1024)
		p = post(thread, thread, map[string]string{"body": "Too big"}, "big.bin", big)
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-attachment-error"`)
		tid := strings.TrimPrefix(thread, threads+"/")
		posts, err := svc.Posts(ctx, f.adminPrincipal(), g.ID, tid, groups.ListQuery{})
		if err != nil || len(posts.Items) != 1 {
			t.Errorf("posts after the refused reply = %+v, %v", posts.Items, err)
		}
	})
}
