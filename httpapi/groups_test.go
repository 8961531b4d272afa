package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/groups"
	"github.com/atrium-admin/atrium/httpapi"
)

// createGroup creates a group as c and returns it.
func createGroup(t *testing.T, c *apptest.Client, name, nickname string, vis groups.Visibility) groups.Group {
	t.Helper()
	var g groups.Group
	c.Do("POST", "/api/v1/groups", map[string]any{"name": name, "mail_nickname": nickname, "visibility": vis,
		"description": name + " is a group"}).Want(http.StatusCreated).Decode(&g)
	return g
}

// memberNames returns the usernames of a group's members (or owners) as c sees them.
func memberNames(t *testing.T, c *apptest.Client, id, kind string) []string {
	t.Helper()
	var page httpapi.List[groups.Member]
	c.Do("GET", "/api/v1/groups/"+id+"/"+kind+"?limit=200", nil).Want(http.StatusOK).Decode(&page)
	var out []string
	for _, m := range page.Items {
		out = append(out, m.Username)
	}
	slices.Sort(out)
	return out
}

// TestGroupsVisibility: everyone in the organization sees every group's name; a
// private group's members only to its members, the organization's admins and readers;
// a public group's to everyone in the organization, who may join it at once. Only
// owners and group admins change a group, and another organization sees nothing.
func TestGroupsVisibility(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Visible Co", "visible")
		other := e.Signup("Other Co", "othervis")
		users := map[string]apptest.User{}
		for _, u := range []struct{ name, role string }{{"olive", ""}, {"max", ""}, {"nina", ""}, {"rita", "global_reader"}, {"gail", "groups_admin"}} {
			if u.role != "" {
				users[u.name] = o.Admin.CreateUser(u.name, u.role)
			} else {
				users[u.name] = o.Admin.CreateUser(u.name)
			}
		}
		as := map[string]*apptest.Client{"admin": o.Admin, "other org": other.Admin}
		for name, u := range users {
			as[name] = e.SignIn(u.Username, apptest.Password)
		}
		private := createGroup(t, as["olive"], "Design", "design", groups.Private)
		public := createGroup(t, as["olive"], "Town hall", "town-hall", groups.Public)
		for _, g := range []groups.Group{private, public} {
			var res httpapi.List[groups.AddResult]
			as["olive"].Do("POST", "/api/v1/groups/"+g.ID+"/members", map[string]any{"user_ids": []string{string(users["max"].ID)}}).
				Want(http.StatusOK).Decode(&res)
			if len(res.Items) != 1 || res.Items[0].Status != groups.Added {
				t.Fatalf("adding max = %+v", res.Items)
			}
		}
		if private.Membership != groups.AsOwner || private.OwnerCount != 1 || private.Mail != "design@"+o.Domain {
			t.Errorf("created group = %+v", private)
		}

		type want struct{ get, members, patch int }
		cases := map[string]want{
			"olive":     {200, 200, 200},
			"max":       {200, 200, 403},
			"nina":      {200, 403, 403},
			"rita":      {200, 200, 403},
			"gail":      {200, 200, 200},
			"admin":     {200, 200, 200},
			"other org": {404, 404, 404},
		}
		for who, w := range cases {
			c := as[who].For(t)
			if got := c.Do("GET", "/api/v1/groups/"+private.ID, nil).Status; got != w.get {
				t.Errorf("%s GET private group = %d, want %d", who, got, w.get)
			}
			if got := c.Do("GET", "/api/v1/groups/"+private.ID+"/members", nil).Status; got != w.members {
				t.Errorf("%s GET private members = %d, want %d", who, got, w.members)
			}
			if got := c.Do("PATCH", "/api/v1/groups/"+private.ID, map[string]any{"description": "changed by " + who}).Status; got != w.patch {
				t.Errorf("%s PATCH private group = %d, want %d", who, got, w.patch)
			}
			// A public group's members are open to the whole organization.
			wantPublic := http.StatusOK
			if who == "other org" {
				wantPublic = http.StatusNotFound
			}
			if got := c.Do("GET", "/api/v1/groups/"+public.ID+"/members", nil).Status; got != wantPublic {
				t.Errorf("%s GET public members = %d, want %d", who, got, wantPublic)
			}
		}
		var seen groups.Group
		as["nina"].Do("GET", "/api/v1/groups/"+private.ID, nil).Want(http.StatusOK).Decode(&seen)
		if seen.CanRead || seen.CanManage || seen.Membership != "" {
			t.Errorf("nina sees the private group as %+v", seen)
		}

		// The other organization's lists show none of it.
		var list httpapi.List[groups.Group]
		other.Admin.Do("GET", "/api/v1/groups?q=design", nil).Want(http.StatusOK).Decode(&list)
		if len(list.Items) != 0 {
			t.Errorf("another organization lists %+v", list.Items)
		}
		// Search finds a fragment of the name, case-insensitively.
		as["nina"].Do("GET", "/api/v1/groups?q=OWN+HA", nil).Want(http.StatusOK).Decode(&list)
		if len(list.Items) != 1 || list.Items[0].ID != public.ID {
			t.Errorf("q=OWN HA lists %+v", list.Items)
		}

		// Nina joins the public group at once; for the private one she asks, once.
		var jr groups.JoinResult
		as["nina"].Do("POST", "/api/v1/groups/"+public.ID+"/join", nil).Want(http.StatusOK).Decode(&jr)
		if !jr.Joined {
			t.Errorf("joining the public group = %+v", jr)
		}
		as["nina"].Do("POST", "/api/v1/groups/"+public.ID+"/join", nil).WantProblem(http.StatusConflict, "conflict")
		as["nina"].Do("POST", "/api/v1/groups/"+private.ID+"/join", map[string]any{"message": "I design too"}).Want(http.StatusOK).Decode(&jr)
		if jr.Joined || jr.Request == nil || jr.Request.State != "pending" {
			t.Errorf("asking to join the private group = %+v", jr)
		}
		as["nina"].Do("POST", "/api/v1/groups/"+private.ID+"/join", nil).WantProblem(http.StatusConflict, "conflict")
		as["max"].Do("POST", "/api/v1/groups/"+private.ID+"/join", nil).WantProblem(http.StatusConflict, "conflict")
		if n := e.Count(`SELECT count(*) FROM mail_outbox WHERE template = 'group_join_request' AND to_addr = 'olive@mail.example.com'`); n != 1 {
			t.Errorf("%d join request mails to the owner, want 1", n)
		}
		// A member may not answer; the owner may, once, whoever races.
		as["max"].Do("POST", "/api/v1/groups/"+private.ID+"/join-requests/"+jr.Request.ID+"/approve", nil).WantProblem(http.StatusForbidden, "forbidden")
		statuses := make([]int, 4)
		var wg sync.WaitGroup
		for i := range statuses {
			wg.Go(func() {
				verb := "approve"
				if i%2 == 1 {
					verb = "deny"
				}
				statuses[i] = as["olive"].Do("POST", "/api/v1/groups/"+private.ID+"/join-requests/"+jr.Request.ID+"/"+verb, nil).Status
			})
		}
		wg.Wait()
		if ok := slices.Index(statuses, http.StatusOK); ok < 0 || slices.Index(statuses[ok+1:], http.StatusOK) >= 0 {
			t.Errorf("racing answers = %v, want one 200 and the rest 409", statuses)
		}
		approved := e.Count(`SELECT count(*) FROM group_join_requests WHERE id = $1 AND state = 'approved'`, jr.Request.ID) == 1
		inGroup := e.Count(`SELECT count(*) FROM group_members WHERE group_id = $1 AND user_id = $2`, private.ID, string(users["nina"].ID))
		if (approved && inGroup != 1) || (!approved && inGroup != 0) {
			t.Errorf("approved %v, nina's memberships %d", approved, inGroup)
		}
		if n := e.Count(`SELECT count(*) FROM mail_outbox WHERE template = 'group_join_decided' AND to_addr = 'nina@mail.example.com'`); n != 1 {
			t.Errorf("%d decision mails to nina, want 1", n)
		}

		// Making a group public is audited and mailed to its owners.
		as["gail"].Do("PATCH", "/api/v1/groups/"+private.ID, map[string]any{"visibility": "public"}).Want(http.StatusOK)
		if n := e.Count(`SELECT count(*) FROM mail_outbox WHERE template = 'group_visibility_changed' AND to_addr = 'olive@mail.example.com'`); n != 1 {
			t.Errorf("%d visibility mails to the owner, want 1", n)
		}
		if e.Count(`SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'group.update' AND after_json LIKE '%public%'`, string(o.ID)) != 1 {
			t.Error("the visibility change is not audited")
		}
		as["gail"].Do("PATCH", "/api/v1/groups/"+private.ID, map[string]any{"visibility": "private"}).Want(http.StatusOK)
		// My groups lists the caller's groups.
		as["max"].Do("GET", "/api/v1/me/groups", nil).Want(http.StatusOK).Decode(&list)
		if len(list.Items) != 2 {
			t.Errorf("max's groups = %+v", list.Items)
		}
		// The events of it all.
		for _, typ := range []string{"group.created", "group.member_added", "group.updated"} {
			if e.Count(`SELECT count(*) FROM events WHERE org_id = $1 AND type = $2`, string(o.ID), typ) == 0 {
				t.Errorf("no %s event", typ)
			}
		}
		if e.Count(`SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'group.member.add'`, string(o.ID)) < 2 {
			t.Error("adding members is not audited")
		}
	})
}

// TestGroupOwnersAndMembers: the last owner stays; members are added by id or username
// one result per user (unknown ones fail, the rest are added), many times at once
// still once; a member leaves by themself; a deleted user leaves every group and comes
// back restored.
func TestGroupOwnersAndMembers(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Owners Co", "owners")
		ann := o.Admin.CreateUser("ann")
		ben := o.Admin.CreateUser("ben")
		cal := o.Admin.CreateUser("cal")
		g := createGroup(t, o.Admin, "Finance", "finance", groups.Private)
		base := "/api/v1/groups/" + g.ID

		// The creator is the only owner, and stays one.
		o.Admin.Do("DELETE", base+"/owners/"+string(o.AdminID), nil).WantProblem(http.StatusConflict, "conflict")
		o.Admin.Do("DELETE", base+"/members/"+string(o.AdminID), nil).WantProblem(http.StatusConflict, "conflict")

		var res httpapi.List[groups.AddResult]
		o.Admin.Do("POST", base+"/members", map[string]any{"usernames": []string{ann.Username, "nobody@" + o.Domain, ben.Username}}).
			Want(http.StatusOK).Decode(&res)
		statuses := map[string]string{}
		for _, r := range res.Items {
			statuses[r.Username] = r.Status
			if r.Status == groups.Failed && r.Error == "" {
				t.Errorf("failed row %+v says nothing", r)
			}
		}
		if statuses[ann.Username] != groups.Added || statuses[ben.Username] != groups.Added || statuses["nobody@"+o.Domain] != groups.Failed {
			t.Errorf("bulk add = %+v", res.Items)
		}
		o.Admin.Do("POST", base+"/members", map[string]any{"user_ids": []string{string(ann.ID)}, "usernames": []string{ben.Username}}).
			WantProblem(http.StatusBadRequest, "invalid", "usernames")

		// Eight adds of cal at once make one membership.
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				o.Admin.Do("POST", base+"/members", map[string]any{"user_ids": []string{string(cal.ID)}}).Want(http.StatusOK)
			})
		}
		wg.Wait()
		if n := e.Count(`SELECT count(*) FROM group_members WHERE group_id = $1 AND user_id = $2`, g.ID, string(cal.ID)); n != 1 {
			t.Errorf("cal has %d memberships", n)
		}
		var got groups.Group
		o.Admin.Do("GET", base, nil).Want(http.StatusOK).Decode(&got)
		if got.MemberCount != 4 || got.OwnerCount != 1 {
			t.Errorf("counts = %d members, %d owners; want 4 and 1", got.MemberCount, got.OwnerCount)
		}

		// A second owner lets the first one go.
		o.Admin.Do("POST", base+"/owners", map[string]any{"user_ids": []string{string(ann.ID)}}).Want(http.StatusOK)
		if names := memberNames(t, o.Admin, g.ID, "owners"); !slices.Equal(names, []string{o.AdminUsername, ann.Username}) &&
			!slices.Equal(names, []string{ann.Username, o.AdminUsername}) {
			t.Errorf("owners = %v", names)
		}
		o.Admin.Do("DELETE", base+"/owners/"+string(o.AdminID), nil).Want(http.StatusNoContent)

		// Ben leaves by himself; he may not remove cal.
		bc := e.SignIn(ben.Username, apptest.Password)
		bc.Do("DELETE", base+"/members/"+string(cal.ID), nil).WantProblem(http.StatusForbidden, "forbidden")
		bc.Do("DELETE", base+"/members/"+string(ben.ID), nil).Want(http.StatusNoContent)
		bc.Do("GET", base+"/members", nil).WantProblem(http.StatusForbidden, "forbidden")

		// Search the members by a fragment of the name.
		var page httpapi.List[groups.Member]
		o.Admin.Do("GET", base+"/members?q=AN", nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.Items[0].UserID != ann.ID {
			t.Errorf("q=AN = %+v", page.Items)
		}
		// Three characters or more go to the trigram index on SQLite: the same rows.
		o.Admin.Do("GET", base+"/members?q=Ann", nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.Items[0].UserID != ann.ID {
			t.Errorf("q=Ann = %+v", page.Items)
		}
		o.Admin.Do("GET", base+"/members?q=localhost&limit=2", nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) != 2 || page.NextCursor == "" {
			t.Errorf("q=localhost&limit=2 = %+v", page)
		}
		o.Admin.Do("GET", base+"/members?q=localhost&limit=2&cursor="+page.NextCursor, nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.NextCursor != "" {
			t.Errorf("the second page of q=localhost = %+v", page)
		}
		export := o.Admin.Do("GET", base+"/members/export", nil).Want(http.StatusOK)
		if ct := export.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(string(export.Body), ann.Username) {
			t.Errorf("export = %q %q", ct, export.Body)
		}

		// A deleted user leaves the group; restored, they are back.
		o.Admin.Do("DELETE", "/api/v1/users/"+string(cal.ID), nil).Want(http.StatusNoContent)
		e.RunJobs()
		if names := memberNames(t, o.Admin, g.ID, "members"); slices.Contains(names, cal.Username) {
			t.Errorf("deleted cal is still a member: %v", names)
		}
		o.Admin.Do("POST", "/api/v1/users/"+string(cal.ID)+"/restore", nil).Want(http.StatusOK)
		e.RunJobs()
		if names := memberNames(t, o.Admin, g.ID, "members"); !slices.Contains(names, cal.Username) {
			t.Errorf("restored cal is not a member again: %v", names)
		}
	})
}

// TestGroupBadInput: every bad field is named, and nothing is written.
func TestGroupBadInput(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Bad Input Co", "badgroups")
		createGroup(t, o.Admin, "Sales", "sales", groups.Public)
		before := e.Count(`SELECT count(*) FROM org_groups`)
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"mail_nickname": "x", "visibility": "public"}, "name"},
			{map[string]any{"name": "Sales again", "mail_nickname": "SALES", "visibility": "public"}, "mail_nickname"},
			{map[string]any{"name": "Bad", "mail_nickname": "bad nick!", "visibility": "public"}, "mail_nickname"},
			{map[string]any{"name": "Bad", "mail_nickname": "bad", "visibility": "secret"}, "visibility"},
			{map[string]any{"name": "Bad", "mail_nickname": "bad", "visibility": "public", "owner_ids": []string{"nobody"}}, "owner_ids"},
			{map[string]any{"name": "Bad", "mail_nickname": "bad", "visibility": "public", "classification": "Top secret"}, "classification"},
		} {
			o.Admin.Do("POST", "/api/v1/groups", c.body).WantProblem(http.StatusBadRequest, "invalid", c.field)
		}
		if after := e.Count(`SELECT count(*) FROM org_groups`); after != before {
			t.Errorf("bad input wrote %d groups", after-before)
		}
		if n := e.Count(`SELECT count(*) FROM group_members`); n != 1 {
			t.Errorf("%d memberships after bad input, want 1", n)
		}
	})
}

// TestGroupDeleteRestorePurge: a deleted group leaves the lists and can be restored
// with its members for 30 days; then the purge job removes it with everything in it.
func TestGroupDeleteRestorePurge(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Purge Co", "purgegroups")
		dan := o.Admin.CreateUser("dan")
		g := createGroup(t, o.Admin, "Ops", "ops", groups.Private)
		base := "/api/v1/groups/" + g.ID
		o.Admin.Do("POST", base+"/members", map[string]any{"user_ids": []string{string(dan.ID)}}).Want(http.StatusOK)

		o.Admin.Do("DELETE", base, nil).Want(http.StatusNoContent)
		o.Admin.Do("DELETE", base, nil).WantProblem(http.StatusConflict, "conflict")
		var list httpapi.List[groups.Group]
		o.Admin.Do("GET", "/api/v1/groups", nil).Want(http.StatusOK).Decode(&list)
		if len(list.Items) != 0 {
			t.Errorf("active groups after delete = %+v", list.Items)
		}
		o.Admin.Do("GET", "/api/v1/deleted-groups", nil).Want(http.StatusOK).Decode(&list)
		if len(list.Items) != 1 || list.Items[0].PurgeAt == nil {
			t.Fatalf("deleted groups = %+v", list.Items)
		}
		o.Admin.Do("GET", base+"/members", nil).WantProblem(http.StatusNotFound, "not_found")
		// The nickname is still taken while the group can be restored.
		o.Admin.Do("POST", "/api/v1/groups", map[string]any{"name": "Ops 2", "mail_nickname": "ops", "visibility": "public"}).
			WantProblem(http.StatusBadRequest, "invalid", "mail_nickname")

		o.Admin.Do("POST", base+"/restore", nil).Want(http.StatusOK)
		o.Admin.Do("POST", base+"/restore", nil).WantProblem(http.StatusConflict, "conflict")
		if names := memberNames(t, o.Admin, g.ID, "members"); !slices.Contains(names, dan.Username) {
			t.Errorf("restored group's members = %v", names)
		}

		o.Admin.Do("DELETE", base, nil).Want(http.StatusNoContent)
		runPeriodic(e, groups.RestoreWindow-time.Hour)
		if e.Count(`SELECT count(*) FROM org_groups WHERE id = $1`, g.ID) != 1 {
			t.Fatal("purged before the restore window ended")
		}
		runPeriodic(e, 2*time.Hour)
		for _, tbl := range []string{"org_groups", "group_members"} {
			col := "group_id"
			if tbl == "org_groups" {
				col = "id"
			}
			if n := e.Count(fmt.Sprintf(`SELECT count(*) FROM %s WHERE %s = $1`, tbl, col), g.ID); n != 0 {
				t.Errorf("%d rows of the purged group in %s", n, tbl)
			}
		}
		if e.Count(`SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'group.purge'`, string(o.ID)) != 1 {
			t.Error("the purge is not audited")
		}
		signInAgain(e, o).Do("GET", base, nil).WantProblem(http.StatusNotFound, "not_found")
	})
}

// TestPrivateGroupContentNeverLeaks: the topic, text and attachment name of a private
// group's conversation reach no one outside it: no GET route of the API (every list, with
// a search for the secret, and every route of the group, its threads, posts and
// attachments) shows them to a non-member, and no mail to the non-member holds them.
func TestPrivateGroupContentNeverLeaks(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Leak Co", "leakco")
		member := o.Admin.CreateUser("mona")
		outside := o.Admin.CreateUser("nils")
		g := createGroup(t, o.Admin, "Vault", "vault", groups.Private)
		o.Admin.Do("POST", "/api/v1/groups/"+g.ID+"/members", map[string]any{"user_ids": []string{string(member.ID)}}).Want(http.StatusOK)
		const topic, text, file = "Zebratopic", "Zebratext", "zebrafile.txt"
		var th groups.Thread
		e.SignIn(member.Username, apptest.Password).Do("POST", "/api/v1/groups/"+g.ID+"/threads", map[string]any{"topic": topic,
			"body": "<p>" + text + "</p>", "attachments": []map[string]any{{"name": file, "content_type": "text/plain", "data": []byte("x")}}}).
			Want(http.StatusCreated).Decode(&th)
		e.RunJobs()
		var atts []groups.Attachment
		if th.FirstPost != nil {
			atts = th.FirstPost.Attachments
		}
		if len(atts) != 1 {
			t.Fatalf("thread = %+v", th)
		}
		nils := e.SignIn(outside.Username, apptest.Password)
		fill := strings.NewReplacer("{id}", g.ID, "{tid}", th.ID, "{pid}", th.FirstPost.ID, "{aid}", atts[0].ID,
			"{user_id}", string(member.ID), "{rid}", "none", "{type}", "group.post_created", "{name}", "x", "{role}", "global_admin")
		secrets := []string{topic, text, file, "zebra"}
		checked := 0
		for _, rt := range e.Main.API.Routes() {
			if rt.Method != "GET" || rt.Public {
				continue
			}
			path := fill.Replace(rt.Path)
			for _, q := range []string{"", "?q=zebra", "?q=Zebratopic", "?format=csv"} {
				res := nils.Do("GET", path+q, nil)
				checked++
				for _, s := range secrets {
					if strings.Contains(strings.ToLower(string(res.Body)), strings.ToLower(s)) {
						t.Errorf("GET %s%s as a non-member = %d shows %q", path, q, res.Status, s)
					}
				}
			}
		}
		// The same requests show it to the member: the paths reach the content.
		mona := e.SignIn(member.Username, apptest.Password)
		for _, path := range []string{"/api/v1/groups/{id}/threads", "/api/v1/groups/{id}/threads/{tid}/posts"} {
			if body := string(mona.Do("GET", fill.Replace(path), nil).Want(http.StatusOK).Body); !strings.Contains(body, topic) && !strings.Contains(body, text) {
				t.Errorf("the member does not see the conversation at %s: %s", path, body)
			}
		}
		if checked < 100 {
			t.Errorf("checked only %d requests", checked)
		}
		if n := e.Count(`SELECT count(*) FROM mail_outbox WHERE to_addr = 'nils@mail.example.com' AND (lower(text_body) LIKE '%zebra%' OR lower(subject) LIKE '%zebra%')`); n != 0 {
			t.Errorf("%d mails to the non-member hold the conversation", n)
		}
		if n := e.Count(`SELECT count(*) FROM mail_outbox WHERE to_addr = 'mona@mail.example.com' AND template = 'group_post'`); n != 0 {
			t.Errorf("the author got %d mails of her own post", n)
		}
	})
}
