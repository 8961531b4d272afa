package social_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/password"
	"github.com/atrium-admin/atrium/social"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// migrations is the whole schema, as the binary applies it.
func migrations() []store.Migration { return app.Migrations() }

type env struct {
	db     *store.DB
	clock  *atrium.ManualClock
	dir    *directory.Service
	lic    *licensing.Service
	social *social.Service
	admin  *access.Principal
	full   string // Social Engagement
	prev   string // its preview product
	other  string // Customer Engagement
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	ctx := context.Background()
	clock := atrium.NewManualClock(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
	cfg := app.Defaults()
	cfg.BaseDomain, cfg.MailFrom, cfg.PasswordParams = "atrium.test", "a@example.test", password.TestParams
	k, err := app.NewModules(ctx, db, cfg, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, clock: clock, dir: app.Need[*directory.Service](k), lic: app.Need[*licensing.Service](k), social: app.Need[*social.Service](k)}
	res, err := e.dir.Signup(ctx, directory.SignupInput{OrganizationName: "Contoso", DomainPrefix: "contoso", AdminDisplayName: "Admin",
		AdminUsername: "admin", AdminPassword: "Correct-Horse-9", ContactEmail: "admin@contoso.example", Seats: 5})
	if err != nil {
		t.Fatal(err)
	}
	e.admin = &access.Principal{UserID: res.Admin.ID, Org: res.Organization.ID, Name: "admin",
		Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(res.Organization.ID)}}}
	products, err := e.lic.Products(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range products {
		switch p.SKU {
		case "SOCIAL_ENGAGEMENT":
			e.full = p.ID
		case "SOCIAL_ENGAGEMENT_MARKET_INSIGHTS":
			e.prev = p.ID
		case "CUSTOMER_ENGAGEMENT":
			e.other = p.ID
		}
	}
	for _, id := range []string{e.full, e.prev, e.other} {
		if _, _, err := e.lic.PlaceOrder(ctx, e.admin, licensing.OrderInput{ProductID: id, Quantity: 10}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *env) member(t *testing.T, name string) *access.Principal {
	t.Helper()
	u, _, err := e.dir.CreateUser(context.Background(), e.admin, directory.UserInput{Username: name, DisplayName: name, UsageLocation: "US", Password: "Correct-Horse-9"})
	if err != nil {
		t.Fatal(err)
	}
	return &access.Principal{UserID: u.ID, Org: u.Org, Name: u.Username}
}

func (e *env) license(t *testing.T, p *access.Principal, products ...string) {
	t.Helper()
	var ls []licensing.License
	for _, id := range products {
		ls = append(ls, licensing.License{ProductID: id})
	}
	if _, err := e.lic.SetUserLicenses(context.Background(), e.admin, p.UserID, ls); err != nil {
		t.Fatal(err)
	}
}

// fill gives p one of each kind of social data and shares a stream of other's with p.
func (e *env) fill(t *testing.T, p, other *access.Principal) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.social.PutSetting(ctx, p, social.Setting{Name: "theme", Value: "dark"}))
	_, err := e.social.CreateAlert(ctx, p, social.Alert{Name: "Mentions", Query: "contoso"})
	must(err)
	_, err = e.social.CreateStream(ctx, p, social.Stream{Name: "Mine", Query: "brand", SharedWith: []atrium.UserID{other.UserID}})
	must(err)
	_, err = e.social.CreateStream(ctx, other, social.Stream{Name: "Theirs", Query: "launch", SharedWith: []atrium.UserID{p.UserID}})
	must(err)
	_, err = e.social.CreateTopic(ctx, p, social.SearchTopic{Name: "Competitors", Keywords: "fabrikam, litware"})
	must(err)
}

func TestLicenseGate(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		p := e.member(t, "nolicense")
		if _, err := e.social.Alerts(ctx, p, social.ListQuery{}); atrium.ErrorCode(err) != atrium.CodeLicenseRequired {
			t.Fatalf("without a license: err = %v, want license_required", err)
		}
		e.license(t, p, e.other)
		if _, err := e.social.Alerts(ctx, p, social.ListQuery{}); atrium.ErrorCode(err) != atrium.CodeLicenseRequired {
			t.Fatalf("with another app's license: err = %v, want license_required", err)
		}
		e.license(t, p, e.other, e.full)
		if _, err := e.social.Alerts(ctx, p, social.ListQuery{}); err != nil {
			t.Fatalf("with the license: %v", err)
		}
		apps, err := e.lic.Apps(ctx, p)
		if err != nil || len(apps) != 3 || apps[0] != "crm" || apps[1] != "groups" || apps[2] != "social" {
			t.Fatalf("apps = %v, %v", apps, err)
		}
		// Turning off every service plan of the product takes the app away.
		if _, err := e.lic.SetUserLicenses(ctx, e.admin, p.UserID, []licensing.License{{ProductID: e.full, DisabledServicePlans: []string{"Listening", "Publishing"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.social.Alerts(ctx, p, social.ListQuery{}); atrium.ErrorCode(err) != atrium.CodeLicenseRequired {
			t.Fatalf("with every plan off: err = %v, want license_required", err)
		}
	})
}

func TestRemovingLastLicenseCleansUp(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		p, other := e.member(t, "pat"), e.member(t, "olu")
		e.license(t, p, e.full, e.other)
		e.license(t, other, e.full)
		e.fill(t, p, other)

		preview, err := e.lic.RemovalPreview(ctx, e.admin, p.UserID, []string{e.full})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"settings": 1, "alerts": 1, "streams": 1, "shared_streams": 1, "search_topics_kept": 1}
		for k, v := range want {
			if preview["social"][k] != v {
				t.Errorf("preview[social][%s] = %d, want %d (%v)", k, preview["social"][k], v, preview)
			}
		}
		e.license(t, p, e.other) // drop Social Engagement, keep Customer Engagement
		count := func(q string) int {
			var n int
			if err := db.Read().QueryRowContext(ctx, q, string(p.UserID)).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(`SELECT count(*) FROM social_settings WHERE user_id = $1`); n != 0 {
			t.Errorf("settings left: %d", n)
		}
		if n := count(`SELECT count(*) FROM social_alerts WHERE user_id = $1`); n != 0 {
			t.Errorf("alerts left: %d", n)
		}
		if n := count(`SELECT count(*) FROM social_streams WHERE owner_id = $1`); n != 0 {
			t.Errorf("owned streams left: %d", n)
		}
		if n := count(`SELECT count(*) FROM social_stream_shares WHERE user_id = $1`); n != 0 {
			t.Errorf("shares to the user left: %d", n)
		}
		topics, err := e.social.Topics(ctx, other, social.ListQuery{})
		if err != nil || len(topics.Items) != 1 || !topics.Items[0].OwnerRemoved || topics.Items[0].OwnerID != p.UserID {
			t.Fatalf("topics = %+v, %v; want the topic kept, owned by a removed user", topics, err)
		}
		// The other user's own stream survives, minus the share.
		streams, err := e.social.Streams(ctx, other, social.ListQuery{})
		if err != nil || len(streams.Items) != 1 || streams.Items[0].Name != "Theirs" || len(streams.Items[0].SharedWith) != 0 {
			t.Fatalf("other's streams = %+v, %v", streams, err)
		}
		if _, err := e.social.ReassignTopic(ctx, e.admin, topics.Items[0].ID, other.UserID); err != nil {
			t.Fatal(err)
		}
		topics, err = e.social.Topics(ctx, other, social.ListQuery{})
		if err != nil || len(topics.Items) != 1 || topics.Items[0].OwnerRemoved || topics.Items[0].OwnerID != other.UserID {
			t.Fatalf("after reassign: %+v, %v", topics, err)
		}
		var audited int
		db.Read().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = 'app_data.cleanup' AND target_id = $1`, string(p.UserID)).Scan(&audited)
		if audited != 1 {
			t.Errorf("cleanup audit entries = %d, want 1", audited)
		}
	})
}

func TestPreviewSwapKeepsData(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		p, other := e.member(t, "sam"), e.member(t, "kim")
		e.license(t, p, e.full)
		e.license(t, other, e.full)
		e.fill(t, p, other)
		preview, err := e.lic.RemovalPreview(ctx, e.admin, p.UserID, []string{e.full})
		if err != nil || len(preview) != 1 {
			t.Fatalf("preview before swap = %v, %v", preview, err)
		}
		e.license(t, p, e.prev) // full → preview in one change
		e.license(t, p, e.full) // and back
		alerts, err := e.social.Alerts(ctx, p, social.ListQuery{})
		if err != nil || len(alerts.Items) != 1 {
			t.Fatalf("alerts after swapping = %v, %v", alerts, err)
		}
		settings, err := e.social.Settings(ctx, p, social.ListQuery{})
		if err != nil {
			t.Fatal(err)
		}
		streams, err := e.social.Streams(ctx, p, social.ListQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(settings.Items) != 1 || len(streams.Items) != 2 {
			t.Fatalf("after swapping: %d settings, %d streams; want 1 and 2", len(settings.Items), len(streams.Items))
		}
	})
}

// walk reads every page of a list, limit items at a time, and returns the items in
// order. It fails the test when a page holds more than limit items, when a page before
// the last holds fewer, or when the pages do not end.
func walk[T any](t *testing.T, limit int, list func(social.ListQuery) (social.Page[T], error)) []T {
	t.Helper()
	var all []T
	q := social.ListQuery{Limit: limit}
	for n := 1; ; n++ {
		if n > 1000 {
			t.Fatal("the pages do not end")
		}
		page, err := list(q)
		if err != nil {
			t.Fatalf("page %d: %v", n, err)
		}
		if len(page.Items) > limit || page.NextCursor != "" && len(page.Items) != limit {
			t.Fatalf("page %d holds %d items (limit %d), next cursor %q", n, len(page.Items), limit, page.NextCursor)
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		q.Cursor = page.NextCursor
	}
}

// keyed is an item of a list as the test expects it: its key and its creation time.
type keyed struct {
	key string
	at  time.Time
}

// inOrder sorts items by creation time, then key: the lists' order.
func inOrder(items []keyed) []string {
	slices.SortFunc(items, func(a, b keyed) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.key
	}
	return keys
}

// keysOf returns the key of every item.
func keysOf[T any](items []T, key func(T) string) []string {
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = key(it)
	}
	return keys
}

// TestListsPage: every list, walked a few items a page, returns each of its items
// exactly once and in its order, including items whose creation times tie (the id then
// decides) and items on both sides of a page boundary; nothing of other users leaks in.
func TestListsPage(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		p, other := e.member(t, "pat"), e.member(t, "olu")
		e.license(t, p, e.full)
		e.license(t, other, e.full)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		const n = 12
		var settings, alerts, streams, topics []keyed
		for i := range n {
			// Times tie in threes.
			if i%3 == 0 {
				e.clock.Advance(time.Microsecond)
			}
			// Settings are listed by name, not in the order they were made.
			name := fmt.Sprintf("s%02d", (i*7)%n)
			must(e.social.PutSetting(ctx, p, social.Setting{Name: name, Value: "v"}))
			must(e.social.PutSetting(ctx, other, social.Setting{Name: name + "-other", Value: "v"}))
			settings = append(settings, keyed{key: name})

			a, err := e.social.CreateAlert(ctx, p, social.Alert{Name: fmt.Sprintf("Alert %d", i), Query: "q"})
			must(err)
			alerts = append(alerts, keyed{a.ID, a.CreatedAt})
			_, err = e.social.CreateAlert(ctx, other, social.Alert{Name: "Not pat's", Query: "q"})
			must(err)

			// Pat's streams are the ones Pat owns and the ones shared with Pat.
			owned, err := e.social.CreateStream(ctx, p, social.Stream{Name: fmt.Sprintf("Mine %d", i), Query: "q"})
			must(err)
			shared, err := e.social.CreateStream(ctx, other, social.Stream{Name: fmt.Sprintf("Shared %d", i), Query: "q", SharedWith: []atrium.UserID{p.UserID}})
			must(err)
			streams = append(streams, keyed{owned.ID, owned.CreatedAt}, keyed{shared.ID, shared.CreatedAt})
			_, err = e.social.CreateStream(ctx, other, social.Stream{Name: "Not shared", Query: "q"})
			must(err)

			// Topics are the organization's, whoever made them.
			creator := p
			if i%2 == 1 {
				creator = other
			}
			tp, err := e.social.CreateTopic(ctx, creator, social.SearchTopic{Name: fmt.Sprintf("Topic %d", i), Keywords: "k"})
			must(err)
			topics = append(topics, keyed{tp.ID, tp.CreatedAt})
		}
		cases := []struct {
			name string
			want []string
			walk func(t *testing.T, limit int) []string
		}{
			{"settings", inOrder(settings), func(t *testing.T, limit int) []string {
				items := walk(t, limit, func(q social.ListQuery) (social.Page[social.Setting], error) { return e.social.Settings(ctx, p, q) })
				return keysOf(items, func(s social.Setting) string { return s.Name })
			}},
			{"alerts", inOrder(alerts), func(t *testing.T, limit int) []string {
				items := walk(t, limit, func(q social.ListQuery) (social.Page[social.Alert], error) { return e.social.Alerts(ctx, p, q) })
				return keysOf(items, func(a social.Alert) string { return a.ID })
			}},
			{"streams", inOrder(streams), func(t *testing.T, limit int) []string {
				items := walk(t, limit, func(q social.ListQuery) (social.Page[social.Stream], error) { return e.social.Streams(ctx, p, q) })
				return keysOf(items, func(s social.Stream) string { return s.ID })
			}},
			{"topics", inOrder(topics), func(t *testing.T, limit int) []string {
				items := walk(t, limit, func(q social.ListQuery) (social.Page[social.SearchTopic], error) {
					return e.social.Topics(ctx, other, q)
				})
				return keysOf(items, func(tp social.SearchTopic) string { return tp.ID })
			}},
		}
		for _, c := range cases {
			for _, limit := range []int{1, 5, len(c.want), social.MaxLimit} {
				t.Run(fmt.Sprintf("%s by %d", c.name, limit), func(t *testing.T) {
					if got := c.walk(t, limit); !slices.Equal(got, c.want) {
						t.Errorf("walked %v\nwant   %v", got, c.want)
					}
				})
			}
		}
	})
}

// TestTopicsPageThroughMoreThanAPage: 120 topics, read 7 a page, come back each exactly
// once and in order, over 18 pages; the lists no longer stop at a fixed number of rows.
func TestTopicsPageThroughMoreThanAPage(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		p := e.member(t, "pat")
		e.license(t, p, e.full)
		var want []keyed
		for i := range 120 {
			if i%4 == 0 {
				e.clock.Advance(time.Millisecond)
			}
			tp, err := e.social.CreateTopic(ctx, p, social.SearchTopic{Name: fmt.Sprintf("Topic %03d", i), Keywords: "k"})
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, keyed{tp.ID, tp.CreatedAt})
		}
		pages := 0
		got := walk(t, 7, func(q social.ListQuery) (social.Page[social.SearchTopic], error) {
			pages++
			return e.social.Topics(ctx, p, q)
		})
		seen := map[string]int{}
		for _, tp := range got {
			seen[tp.ID]++
		}
		for _, w := range want {
			if seen[w.key] != 1 {
				t.Errorf("topic %s came back %d times", w.key, seen[w.key])
			}
		}
		if ids := keysOf(got, func(tp social.SearchTopic) string { return tp.ID }); !slices.Equal(ids, inOrder(want)) {
			t.Errorf("topics out of order: %v", ids)
		}
		if pages != 18 {
			t.Errorf("read %d pages, want 18", pages)
		}
		// Without a limit a page holds DefaultLimit topics.
		first, err := e.social.Topics(ctx, p, social.ListQuery{})
		if err != nil || len(first.Items) != social.DefaultLimit || first.NextCursor == "" {
			t.Fatalf("first page: %d topics, next %q, %v", len(first.Items), first.NextCursor, err)
		}
	})
}

// TestReassignTopicBeyondTheFirstPage: the 501st topic, which no first page shows, is
// reassigned and returned as changed. The service used to look the changed topic up in
// the organization's list, capped at 500 rows, and answered not_found for a change it
// had made.
func TestReassignTopicBeyondTheFirstPage(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		p, other := e.member(t, "pat"), e.member(t, "olu")
		e.license(t, p, e.full)
		e.license(t, other, e.full)
		var last *social.SearchTopic
		for i := range 501 {
			e.clock.Advance(time.Second)
			tp, err := e.social.CreateTopic(ctx, p, social.SearchTopic{Name: fmt.Sprintf("Topic %03d", i), Keywords: "k"})
			if err != nil {
				t.Fatal(err)
			}
			last = tp
		}
		first, err := e.social.Topics(ctx, p, social.ListQuery{Limit: social.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		if first.NextCursor == "" || slices.ContainsFunc(first.Items, func(tp social.SearchTopic) bool { return tp.ID == last.ID }) {
			t.Fatal("the last topic is on the first page; the test needs one beyond it")
		}
		e.license(t, p) // Pat loses the app; the topics stay, owned by a removed user.
		got, err := e.social.ReassignTopic(ctx, e.admin, last.ID, other.UserID)
		if err != nil {
			t.Fatalf("reassign: %v", err)
		}
		if got.ID != last.ID || got.Name != last.Name || got.OwnerID != other.UserID || got.OwnerRemoved || !got.CreatedAt.Equal(last.CreatedAt) {
			t.Errorf("reassigned = %+v, want %s owned by %s", got, last.ID, other.UserID)
		}
		var owner string
		var removed bool
		if err := db.Read().QueryRowContext(ctx, `SELECT owner_id, owner_removed FROM social_search_topics WHERE id = $1`, last.ID).Scan(&owner, &removed); err != nil {
			t.Fatal(err)
		}
		if owner != string(other.UserID) || removed {
			t.Errorf("stored owner %q, removed %v", owner, removed)
		}
		if _, err := e.social.ReassignTopic(ctx, e.admin, "no-such-topic", other.UserID); atrium.ErrorCode(err) != atrium.CodeNotFound {
			t.Errorf("reassigning an unknown topic: %v, want not_found", err)
		}
	})
}

// TestStreamsShares: every stream on a page carries exactly the users it is shared
// with, whether the reader owns it or it is shared with them.
func TestStreamsShares(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		p, a, b := e.member(t, "pat"), e.member(t, "ana"), e.member(t, "bo")
		for _, u := range []*access.Principal{p, a, b} {
			e.license(t, u, e.full)
		}
		want := map[string][]atrium.UserID{}
		for _, c := range []struct {
			owner *access.Principal
			with  []atrium.UserID
		}{
			{p, nil},
			{p, []atrium.UserID{a.UserID}},
			{p, []atrium.UserID{a.UserID, b.UserID, a.UserID}},
			{a, []atrium.UserID{p.UserID}},
			{b, []atrium.UserID{a.UserID, p.UserID}},
		} {
			st, err := e.social.CreateStream(ctx, c.owner, social.Stream{Name: "S", Query: "q", SharedWith: c.with})
			if err != nil {
				t.Fatal(err)
			}
			shared := slices.Clone(st.SharedWith)
			slices.Sort(shared)
			want[st.ID] = shared
		}
		for _, limit := range []int{2, social.DefaultLimit} {
			got := walk(t, limit, func(q social.ListQuery) (social.Page[social.Stream], error) { return e.social.Streams(ctx, p, q) })
			if len(got) != len(want) {
				t.Errorf("limit %d: %d streams, want %d", limit, len(got), len(want))
			}
			for _, st := range got {
				if w, ok := want[st.ID]; !ok || !slices.Equal(st.SharedWith, w) {
					t.Errorf("limit %d: stream %s shared with %v, want %v", limit, st.ID, st.SharedWith, w)
				}
			}
		}
	})
}

// TestListsRefuseForeignCursors: a cursor a list did not give out is invalid on the
// field "cursor", on every list.
func TestListsRefuseForeignCursors(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		p := e.member(t, "pat")
		e.license(t, p, e.full)
		lists := map[string]func(social.ListQuery) error{
			"settings": func(q social.ListQuery) error { _, err := e.social.Settings(ctx, p, q); return err },
			"alerts":   func(q social.ListQuery) error { _, err := e.social.Alerts(ctx, p, q); return err },
			"streams":  func(q social.ListQuery) error { _, err := e.social.Streams(ctx, p, q); return err },
			"topics":   func(q social.ListQuery) error { _, err := e.social.Topics(ctx, p, q); return err },
		}
		cursors := map[string]string{
			"garbage":        "garbage",
			"sql":            "'; DROP TABLE social_alerts; --",
			"null keys":      store.EncodeCursor(nil, nil),
			"three keys":     store.EncodeCursor(1, "a", "b"),
			"a time as text": store.EncodeCursor("yesterday", "a"),
		}
		for list, call := range lists {
			for name, cursor := range cursors {
				t.Run(list+": "+name, func(t *testing.T) {
					err := call(social.ListQuery{Cursor: cursor})
					var ae *atrium.Error
					if !errors.As(err, &ae) || ae.Code != atrium.CodeInvalid || ae.Fields["cursor"] == "" {
						t.Errorf("err = %v, want invalid on cursor", err)
					}
				})
			}
		}
	})
}
