package social_test

import (
	"context"
	"io"
	"log/slog"
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
	e := &env{db: db, dir: app.Need[*directory.Service](k), lic: app.Need[*licensing.Service](k), social: app.Need[*social.Service](k)}
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
		if _, err := e.social.Alerts(ctx, p); atrium.ErrorCode(err) != atrium.CodeLicenseRequired {
			t.Fatalf("without a license: err = %v, want license_required", err)
		}
		e.license(t, p, e.other)
		if _, err := e.social.Alerts(ctx, p); atrium.ErrorCode(err) != atrium.CodeLicenseRequired {
			t.Fatalf("with another app's license: err = %v, want license_required", err)
		}
		e.license(t, p, e.other, e.full)
		if _, err := e.social.Alerts(ctx, p); err != nil {
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
		if _, err := e.social.Alerts(ctx, p); atrium.ErrorCode(err) != atrium.CodeLicenseRequired {
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
		topics, err := e.social.Topics(ctx, other)
		if err != nil || len(topics) != 1 || !topics[0].OwnerRemoved || topics[0].OwnerID != p.UserID {
			t.Fatalf("topics = %+v, %v; want the topic kept, owned by a removed user", topics, err)
		}
		// The other user's own stream survives, minus the share.
		streams, err := e.social.Streams(ctx, other)
		if err != nil || len(streams) != 1 || streams[0].Name != "Theirs" || len(streams[0].SharedWith) != 0 {
			t.Fatalf("other's streams = %+v, %v", streams, err)
		}
		if _, err := e.social.ReassignTopic(ctx, e.admin, topics[0].ID, other.UserID); err != nil {
			t.Fatal(err)
		}
		topics, _ = e.social.Topics(ctx, other)
		if topics[0].OwnerRemoved || topics[0].OwnerID != other.UserID {
			t.Fatalf("after reassign: %+v", topics[0])
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
		alerts, err := e.social.Alerts(ctx, p)
		if err != nil || len(alerts) != 1 {
			t.Fatalf("alerts after swapping = %v, %v", alerts, err)
		}
		settings, _ := e.social.Settings(ctx, p)
		streams, _ := e.social.Streams(ctx, p)
		if len(settings) != 1 || len(streams) != 2 {
			t.Fatalf("after swapping: %d settings, %d streams; want 1 and 2", len(settings), len(streams))
		}
	})
}
