package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/directory"
)

// listCase is one list endpoint: who asks, and how to make sure it has at least n rows.
type listCase struct {
	path   string
	client func() *apptest.Client
	seed   func(n int)
}

// listPaths are the list routes TestListsCostTheSameQueriesPerPage covers; a new list
// route (one that takes a cursor) that is not here fails TestEveryListIsCounted.
var listPaths = []string{
	"/api/v1/users", "/api/v1/deleted-users", "/api/v1/audit-log", "/api/v1/api-tokens", "/api/v1/organizations",
	"/api/v1/outgoing-mail", "/api/v1/social/settings", "/api/v1/social/alerts", "/api/v1/social/streams",
	"/api/v1/social/search-topics", "/api/v1/subscriptions", "/api/v1/partner/subscriptions", "/api/v1/products",
	"/api/v1/licenses", "/api/v1/invoices", "/api/v1/event-subscriptions", "/api/v1/event-subscriptions/{id}/deliveries",
	"/api/v1/groups", "/api/v1/me/groups", "/api/v1/deleted-groups", "/api/v1/groups/{id}/members", "/api/v1/groups/{id}/owners",
	"/api/v1/groups/{id}/join-requests", "/api/v1/groups/{id}/threads", "/api/v1/groups/{id}/threads/{tid}/posts",
	"/api/v1/programs", "/api/v1/programs/{id}/members", "/api/v1/engagements", "/api/v1/engagements/{id}/members",
	"/api/v1/engagements/{id}/access-requests", "/api/v1/engagements/{id}/copy-candidates",
	"/api/v1/engagements/{id}/feedback", "/api/v1/engagements/{id}/feedback/{fid}/comments", "/api/v1/engagements/{id}/packages",
	"/api/v1/guests", "/api/v1/guest-invitations",
	"/api/v1/service-health/issues",
	// The pull API pages with after rather than cursor, so TestEveryListIsCounted does
	// not ask for it; it is counted all the same.
	"/api/v1/events",
}

func TestEveryListIsCounted(t *testing.T) {
	e := apptest.Start(t, "sqlite")
	for _, rt := range e.Main.API.Routes() {
		if rt.Method == "GET" && slices.Contains(rt.Query, "cursor") && !slices.Contains(listPaths, rt.Path) {
			t.Errorf("list %s has no query-count check in TestListsCostTheSameQueriesPerPage", rt.Path)
		}
	}
}

// TestListsCostTheSameQueriesPerPage: a page of 50 rows runs as many statements as a
// page of 5 — no list runs a query per row (N+1). Statements are counted on the server
// (store.CountQueries), including authentication's.
func TestListsCostTheSameQueriesPerPage(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Counted Co", "counted")
		partner := e.Signup("Partner Co", "partnerco")
		op := e.Operator()
		ids := products(t, o.Admin)
		se := ids["SOCIAL_ENGAGEMENT"]
		buy(o.Admin, se, 100)
		me := licensedUser(o.Admin, "counter", "global_admin")
		o.Admin.Do("PUT", "/api/v1/users/"+string(me.ID)+"/licenses", licenseSet(se)).Want(http.StatusOK)
		mc := e.SignIn(me.Username, apptest.Password)
		others := []atrium.UserID{o.AdminID}

		// Through the service: sign-up over HTTP is rate limited per address.
		signup := func(prefix string) {
			if _, err := e.Main.Directory.Signup(t.Context(), directory.SignupInput{OrganizationName: "Org " + prefix, DomainPrefix: prefix,
				AdminDisplayName: "Admin", AdminUsername: "admin", AdminPassword: apptest.Password, ContactEmail: "admin@mail.example.com", Seats: 1}); err != nil {
				t.Fatal(err)
			}
			e.RunJobs()
		}
		count := func(table, where string, args ...any) int {
			return e.Count(fmt.Sprintf("SELECT count(*) FROM %s WHERE %s", table, where), args...)
		}
		users, deleted, orgs, tokens, alerts, streams, topics, settings, products := 0, 0, 0, 0, 0, 0, 0, 0, 0
		newProducts := []string{}
		var sub struct {
			ID string `json:"id"`
		}
		o.Admin.Do("POST", "/api/v1/event-subscriptions", map[string]any{"name": "logged", "event_types": []string{"seats.low"},
			"sink": map[string]any{"type": "webhook", "url": "https://93.184.215.14/hook"}}).Want(http.StatusCreated).Decode(&sub)
		hook := sub.ID
		var grp struct {
			ID string `json:"id"`
		}
		o.Admin.Do("POST", "/api/v1/groups", map[string]any{"name": "Counted crew", "mail_nickname": "counted-crew", "visibility": "private"}).
			Want(http.StatusCreated).Decode(&grp)
		groupsMade, groupsGone := 0, 0
		newGroup := func() string {
			var g struct {
				ID string `json:"id"`
			}
			o.Admin.Do("POST", "/api/v1/groups", map[string]any{"name": fmt.Sprintf("Group %03d", groupsMade),
				"mail_nickname": fmt.Sprintf("group-%03d", groupsMade), "visibility": "public"}).Want(http.StatusCreated).Decode(&g)
			groupsMade++
			return g.ID
		}
		// addToGroup makes the first n users of o (from the users case, which runs first)
		// members, or owners, of grp.
		addToGroup := func(kind string, n int) {
			ids := e.Strings("SELECT id FROM users WHERE org_id = $1 AND deleted_at IS NULL ORDER BY username", string(o.ID))
			if len(ids) < n {
				t.Fatalf("%d users to add to the group, want %d", len(ids), n)
			}
			o.Admin.Do("POST", "/api/v1/groups/"+grp.ID+"/"+kind, map[string]any{"user_ids": ids[:n]}).Want(http.StatusOK)
		}
		// A conversation of grp whose posts are listed; the thread list counts it.
		var convo struct {
			ID string `json:"id"`
		}
		o.Admin.Do("POST", "/api/v1/groups/"+grp.ID+"/threads", map[string]any{"topic": "Counted talk", "body": "first"}).
			Want(http.StatusCreated).Decode(&convo)
		// A program and two engagements of the operator: o's users (from the users case)
		// are their participants, the operator's staff the program's owners.
		var prog, eng, from struct {
			ID string `json:"id"`
		}
		op.Do("POST", "/api/v1/programs", map[string]any{"name": "Counted program"}).Want(http.StatusCreated).Decode(&prog)
		newEngagement := func(name string) string {
			var x struct {
				ID string `json:"id"`
			}
			op.Do("POST", "/api/v1/engagements", map[string]any{"program_id": prog.ID, "name": name, "terms_of_use": "Terms",
				"join_policy": "request"}).Want(http.StatusCreated).Decode(&x)
			return x.ID
		}
		eng.ID, from.ID = newEngagement("Counted wave"), newEngagement("Counted source")
		// An engagement that takes feedback, with an item whose comments are listed; the
		// operator's admin, a program owner, submits and comments.
		var heard, heardItem struct {
			ID string `json:"id"`
		}
		op.Do("POST", "/api/v1/engagements", map[string]any{"program_id": prog.ID, "name": "Counted feedback", "terms_of_use": "Terms",
			"join_policy": "request", "feedback_enabled": true}).Want(http.StatusCreated).Decode(&heard)
		op.Do("POST", "/api/v1/engagements/"+heard.ID+"/feedback", map[string]any{"title": "Counted item", "type": "bug"}).
			Want(http.StatusCreated).Decode(&heardItem)
		programs, engagements, staff, guests := 1, 3, 0, 0
		participants := func(id string, n int) {
			ids := e.Strings("SELECT id FROM users WHERE org_id = $1 AND deleted_at IS NULL ORDER BY username", string(o.ID))
			if len(ids) < n {
				t.Fatalf("%d users to add to the engagement, want %d", len(ids), n)
			}
			op.Do("POST", "/api/v1/engagements/"+id+"/members?group=participant", map[string]any{"user_ids": ids[:n]}).Want(http.StatusOK)
		}
		cases := []listCase{
			{"/api/v1/users", func() *apptest.Client { return o.Admin }, func(n int) {
				for ; count("users", "org_id = $1", string(o.ID)) < n; users++ {
					o.Admin.CreateUser(fmt.Sprintf("u%03d", users))
				}
			}},
			{"/api/v1/deleted-users", func() *apptest.Client { return o.Admin }, func(n int) {
				for ; deleted < n; deleted++ {
					u := o.Admin.CreateUser(fmt.Sprintf("gone%03d", deleted))
					o.Admin.Do("DELETE", "/api/v1/users/"+string(u.ID), nil).Want(http.StatusNoContent)
				}
			}},
			{"/api/v1/audit-log", func() *apptest.Client { return o.Admin }, func(n int) {
				for ; count("audit_log", "org_id = $1", string(o.ID)) < n; users++ {
					o.Admin.CreateUser(fmt.Sprintf("u%03d", users))
				}
			}},
			{"/api/v1/events", func() *apptest.Client { return o.Admin }, func(n int) {
				for ; count("events", "org_id = $1 AND type = 'user.created'", string(o.ID)) < n; users++ {
					o.Admin.CreateUser(fmt.Sprintf("u%03d", users))
				}
			}},
			{"/api/v1/api-tokens", func() *apptest.Client { return o.Admin }, func(n int) {
				for ; tokens < n; tokens++ {
					o.Admin.Do("POST", "/api/v1/api-tokens", map[string]any{"name": fmt.Sprintf("t%d", tokens), "role": "user_admin"}).Want(http.StatusCreated)
				}
			}},
			{"/api/v1/organizations", func() *apptest.Client { return op }, func(n int) {
				for ; count("organizations", "TRUE") < n; orgs++ {
					signup(fmt.Sprintf("org%03d", orgs))
				}
			}},
			{"/api/v1/outgoing-mail", func() *apptest.Client { return op }, func(n int) {
				for ; count("mail_outbox", "TRUE") < n; orgs++ {
					signup(fmt.Sprintf("org%03d", orgs)) // each sign-up mails its contact
				}
			}},
			{"/api/v1/social/settings", func() *apptest.Client { return mc }, func(n int) {
				for ; settings < n; settings++ {
					mc.Do("PUT", fmt.Sprintf("/api/v1/social/settings/s%03d", settings), map[string]any{"value": "v"}).Want(http.StatusNoContent)
				}
			}},
			{"/api/v1/social/alerts", func() *apptest.Client { return mc }, func(n int) {
				for ; alerts < n; alerts++ {
					mc.Do("POST", "/api/v1/social/alerts", map[string]any{"name": "a", "query": "q"}).Want(http.StatusCreated)
				}
			}},
			{"/api/v1/social/streams", func() *apptest.Client { return mc }, func(n int) {
				for ; streams < n; streams++ {
					mc.Do("POST", "/api/v1/social/streams", map[string]any{"name": "s", "query": "q", "shared_with": others}).Want(http.StatusCreated)
				}
			}},
			{"/api/v1/social/search-topics", func() *apptest.Client { return mc }, func(n int) {
				for ; topics < n; topics++ {
					mc.Do("POST", "/api/v1/social/search-topics", map[string]any{"name": "t", "keywords": "k"}).Want(http.StatusCreated)
				}
			}},
			{"/api/v1/products", func() *apptest.Client { return o.Admin }, func(n int) {
				for ; count("products", "TRUE") < n; products++ {
					var p struct{ ID string }
					op.Do("POST", "/api/v1/products", newProduct(fmt.Sprintf("COUNTED_%03d", products))).Want(http.StatusCreated).Decode(&p)
					newProducts = append(newProducts, p.ID)
				}
			}},
			{"/api/v1/subscriptions", func() *apptest.Client { return o.Admin }, func(n int) {
				for count("subscriptions", "org_id = $1", string(o.ID)) < n {
					buyNext(t, e, op, o, &products, &newProducts)
				}
			}},
			{"/api/v1/licenses", func() *apptest.Client { return o.Admin }, func(n int) {
				for count("seat_pools", "org_id = $1", string(o.ID)) < n {
					buyNext(t, e, op, o, &products, &newProducts)
				}
			}},
			{"/api/v1/partner/subscriptions", func() *apptest.Client { return partner.Admin }, func(n int) {
				for count("subscriptions", "partner_org_id = $1", string(partner.ID)) < n {
					sub := buyNext(t, e, op, o, &products, &newProducts)
					o.Admin.Do("PUT", "/api/v1/subscriptions/"+sub+"/partner", map[string]any{"partner_org_id": partner.ID}).Want(http.StatusOK)
				}
			}},
			// Last: a month passes, and every subscription above is billed.
			{"/api/v1/event-subscriptions", func() *apptest.Client { return o.Admin }, func(n int) {
				for i := count("event_subscriptions", "org_id = $1", string(o.ID)); i < n; i++ {
					o.Admin.Do("POST", "/api/v1/event-subscriptions", map[string]any{"name": fmt.Sprintf("hook %d", i), "event_types": []string{"seats.low"},
						"sink": map[string]any{"type": "webhook", "url": "https://93.184.215.14/hook"}}).Want(http.StatusCreated)
				}
			}},
			{"/api/v1/event-subscriptions/" + hook + "/deliveries", func() *apptest.Client { return o.Admin }, func(n int) {
				for i := count("event_deliveries", "subscription_id = $1", hook); i < n; i++ {
					if _, err := e.Main.DB.Write().ExecContext(t.Context(), `INSERT INTO event_deliveries (id, subscription_id, org_id, event_id, event_type,
						attempted_at, ok, status_code, latency_us, response, error) VALUES ($1, $2, $3, 'e', 'user.created', $4, TRUE, 200, 1000, '', '')`,
						fmt.Sprintf("d%04d", i), hook, string(o.ID), int64(i)); err != nil {
						t.Fatal(err)
					}
				}
			}},
			{"/api/v1/groups", func() *apptest.Client { return o.Admin }, func(n int) {
				for count("org_groups", "org_id = $1 AND deleted_at IS NULL", string(o.ID)) < n {
					newGroup()
				}
			}},
			{"/api/v1/me/groups", func() *apptest.Client { return o.Admin }, func(n int) {
				for count("group_members", "org_id = $1 AND user_id = $2", string(o.ID), string(o.AdminID)) < n {
					newGroup()
				}
			}},
			{"/api/v1/deleted-groups", func() *apptest.Client { return o.Admin }, func(n int) {
				for ; groupsGone < n; groupsGone++ {
					o.Admin.Do("DELETE", "/api/v1/groups/"+newGroup(), nil).Want(http.StatusNoContent)
				}
			}},
			{"/api/v1/groups/" + grp.ID + "/members", func() *apptest.Client { return o.Admin }, func(n int) { addToGroup("members", n) }},
			{"/api/v1/groups/" + grp.ID + "/owners", func() *apptest.Client { return o.Admin }, func(n int) { addToGroup("owners", n) }},
			{"/api/v1/groups/" + grp.ID + "/join-requests", func() *apptest.Client { return o.Admin }, func(n int) {
				for i := count("group_join_requests", "group_id = $1", grp.ID); i < n; i++ {
					if _, err := e.Main.DB.Write().ExecContext(t.Context(), `INSERT INTO group_join_requests (id, group_id, org_id, user_id, username,
						display_name, message, state, created_at) VALUES ($1, $2, $3, $4, $4, $4, '', 'pending', $5)`,
						fmt.Sprintf("r%04d", i), grp.ID, string(o.ID), fmt.Sprintf("asker%04d", i), int64(i)); err != nil {
						t.Fatal(err)
					}
				}
			}},
			{"/api/v1/groups/" + grp.ID + "/threads", func() *apptest.Client { return o.Admin }, func(n int) {
				for i := count("group_threads", "group_id = $1", grp.ID); i < n; i++ {
					o.Admin.Do("POST", "/api/v1/groups/"+grp.ID+"/threads", map[string]any{"topic": fmt.Sprintf("Talk %03d", i), "body": "hi"}).
						Want(http.StatusCreated)
				}
			}},
			{"/api/v1/groups/" + grp.ID + "/threads/" + convo.ID + "/posts", func() *apptest.Client { return o.Admin }, func(n int) {
				for i := count("group_posts", "thread_id = $1", convo.ID); i < n; i++ {
					// Every other post carries a file: attachments are listed in one query.
					var atts []map[string]any
					if i%2 == 0 {
						atts = []map[string]any{{"name": fmt.Sprintf("f%03d.txt", i), "data": []byte("x")}}
					}
					o.Admin.Do("POST", "/api/v1/groups/"+grp.ID+"/threads/"+convo.ID+"/posts", map[string]any{"body": fmt.Sprintf("reply %d", i),
						"attachments": atts}).Want(http.StatusCreated)
				}
			}},
			{"/api/v1/programs", func() *apptest.Client { return op }, func(n int) {
				for ; programs < n; programs++ {
					op.Do("POST", "/api/v1/programs", map[string]any{"name": fmt.Sprintf("Program %03d", programs)}).Want(http.StatusCreated)
				}
			}},
			{"/api/v1/programs/" + prog.ID + "/members", func() *apptest.Client { return op }, func(n int) {
				for ; staff < n; staff++ {
					u := op.CreateUser(fmt.Sprintf("staff%03d", staff))
					op.Do("POST", "/api/v1/programs/"+prog.ID+"/members?group=program_owner", map[string]any{"user_ids": []atrium.UserID{u.ID}}).
						Want(http.StatusOK)
				}
			}},
			{"/api/v1/engagements", func() *apptest.Client { return op }, func(n int) {
				for ; engagements < n; engagements++ {
					newEngagement(fmt.Sprintf("Wave %03d", engagements))
				}
			}},
			{"/api/v1/engagements/" + eng.ID + "/members", func() *apptest.Client { return op }, func(n int) { participants(eng.ID, n) }},
			{"/api/v1/engagements/" + eng.ID + "/copy-candidates?from=" + from.ID, func() *apptest.Client { return op }, func(n int) {
				participants(from.ID, n)
			}},
			{"/api/v1/engagements/" + eng.ID + "/access-requests", func() *apptest.Client { return op }, func(n int) {
				for i := count("collab_requests", "engagement_id = $1", eng.ID); i < n; i++ {
					if _, err := e.Main.DB.Write().ExecContext(t.Context(), `INSERT INTO collab_requests (id, engagement_id, user_id, org_id, org_name,
						username, display_name, justification, terms_version, state, created_at) VALUES ($1, $2, $3, $4, 'Counted Co', $3, $3, 'why', 1,
						'pending', $5)`, fmt.Sprintf("r%04d", i), eng.ID, fmt.Sprintf("asker%04d", i), string(o.ID), int64(i)); err != nil {
						t.Fatal(err)
					}
				}
			}},
			{"/api/v1/engagements/" + eng.ID + "/packages", func() *apptest.Client { return op }, func(n int) {
				for i := count("collab_packages", "engagement_id = $1", eng.ID); i < n; i++ {
					// Every other package holds two files: files are listed in one query.
					files := []upload{{fmt.Sprintf("p%03d.txt", i), "text/plain", []byte("x")}}
					if i%2 == 0 {
						files = append(files, upload{"readme.txt", "text/plain", []byte("y")})
					}
					body, h := packageForm(t, map[string]string{"name": fmt.Sprintf("Package %03d", i)}, files...)
					op.DoHeader("POST", "/api/v1/engagements/"+eng.ID+"/packages", body, h).Want(http.StatusCreated)
				}
			}},
			{"/api/v1/engagements/" + heard.ID + "/feedback", func() *apptest.Client { return op }, func(n int) {
				for i := count("collab_feedback", "engagement_id = $1", heard.ID); i < n; i++ {
					// Every other item carries a file: attachments are listed in one query.
					var atts []map[string]any
					if i%2 == 0 {
						atts = []map[string]any{{"name": fmt.Sprintf("f%03d.txt", i), "data": []byte("x")}}
					}
					op.Do("POST", "/api/v1/engagements/"+heard.ID+"/feedback", map[string]any{"title": fmt.Sprintf("Item %03d", i),
						"type": "suggestion", "attachments": atts}).Want(http.StatusCreated)
				}
			}},
			{"/api/v1/engagements/" + heard.ID + "/feedback/" + heardItem.ID + "/comments", func() *apptest.Client { return op }, func(n int) {
				for i := count("collab_feedback_comments", "feedback_id = $1", heardItem.ID); i < n; i++ {
					op.Do("POST", "/api/v1/engagements/"+heard.ID+"/feedback/"+heardItem.ID+"/comments", map[string]any{"text": fmt.Sprintf("comment %d", i)}).
						Want(http.StatusCreated)
				}
			}},
			{"/api/v1/service-health/issues", func() *apptest.Client { return o.Admin }, func(n int) {
				for i := count("servicehealth_issues", "TRUE"); i < n; i++ {
					op.Do("POST", "/api/v1/service-health/issues", map[string]any{"title": fmt.Sprintf("Issue %03d", i), "classification": "advisory",
						"services": []string{"mail"}, "status": "investigating", "impact": "Some mail is late"}).Want(http.StatusCreated)
				}
			}},
			{"/api/v1/guests", func() *apptest.Client { return o.Admin }, func(n int) {
				for ; guests < n; guests++ {
					home := partner.Admin.CreateUser(fmt.Sprintf("guest%03d", guests))
					_, token, err := e.Main.Directory.InviteGuest(t.Context(), mustPrincipal(t, e, o), directory.GuestInvite{Username: home.Username})
					if err != nil {
						t.Fatal(err)
					}
					if _, err := e.Main.Directory.AcceptInvitation(t.Context(), partner.ID, home.ID, token); err != nil {
						t.Fatal(err)
					}
				}
			}},
			{"/api/v1/guest-invitations", func() *apptest.Client { return o.Admin }, func(n int) {
				for i := count("guest_invitations", "org_id = $1", string(o.ID)); i < n; i++ {
					o.Admin.Do("POST", "/api/v1/guests", map[string]any{"email": fmt.Sprintf("invitee%03d@elsewhere.example", i)}).Want(http.StatusCreated)
				}
			}},
			{"/api/v1/invoices", func() *apptest.Client { return signInAgain(e, o) }, func(n int) {
				for month := 0; count("invoices", "org_id = $1", string(o.ID)) < n; month++ {
					if month == 3 {
						t.Fatalf("three months issued only %d invoices", count("invoices", "org_id = $1", string(o.ID)))
					}
					runPeriodic(e, 31*24*time.Hour)
				}
			}},
		}
		for _, lc := range cases {
			t.Run(strings.TrimPrefix(lc.path, "/api/v1/"), func(t *testing.T) {
				per := func(n int) int {
					lc.seed(n)
					c := lc.client()
					page := lc.path + "?limit=50"
					if strings.Contains(lc.path, "?") {
						page = lc.path + "&limit=50"
					}
					c.Do("GET", page, nil).Want(http.StatusOK) // warm
					return e.Queries(func() { c.Do("GET", page, nil).Want(http.StatusOK) })
				}
				few, many := per(5), per(50)
				if few != many || many == 0 {
					t.Errorf("GET %s: %d statements for 5 rows, %d for 50", lc.path, few, many)
				}
			})
		}
	})
}

// buyNext buys one seat of a product o has no subscription of yet, adding a product to
// the catalog when the catalog runs out, and returns the subscription's id.
func buyNext(t *testing.T, e *apptest.Env, op *apptest.Client, o *apptest.Org, added *int, fresh *[]string) string {
	t.Helper()
	if len(*fresh) == 0 {
		var p struct{ ID string }
		op.Do("POST", "/api/v1/products", newProduct(fmt.Sprintf("COUNTED_%03d", *added))).Want(http.StatusCreated).Decode(&p)
		*added++
		*fresh = append(*fresh, p.ID)
	}
	id := (*fresh)[0]
	*fresh = (*fresh)[1:]
	return buy(o.Admin, id, 1).ID
}
