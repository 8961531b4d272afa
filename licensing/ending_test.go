package licensing_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// TestCancelPreviewChangesNothing: the preview of a subscription's end lists who loses
// which license, as the end then does, and leaves everything as it was.
func TestCancelPreviewChangesNothing(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		admin := e.org(t, "previewed")
		ce := e.product(t, "CUSTOMER_ENGAGEMENT")
		sub, _, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: ce.ID, Quantity: 3})
		if err != nil {
			t.Fatal(err)
		}
		users := e.users(t, admin, 3, "US")
		for _, u := range users {
			if _, err := e.lic.SetUserLicenses(ctx, admin, u, []licensing.License{{ProductID: ce.ID}}); err != nil {
				t.Fatal(err)
			}
		}
		// One more seat on a second subscription: one of the three licenses stays.
		if _, _, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: ce.ID, Quantity: 1}); err != nil {
			t.Fatal(err)
		}
		var audits int
		db.Read().QueryRowContext(ctx, `SELECT count(*) FROM audit_log`).Scan(&audits)

		prev, err := e.lic.CancelPreview(ctx, admin, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if prev.SeatsRemoved != 3 || prev.SeatsLeft != 1 || prev.UsersLosing != 2 || len(prev.Losses) != 2 || !prev.EndsAt.Equal(sub.PeriodEnd) {
			t.Fatalf("preview = %+v; want 3 seats to go, 1 to stay, 2 users to lose Customer Engagement", prev)
		}
		var losing []atrium.UserID
		for _, l := range prev.Losses {
			if l.ProductID != ce.ID || !slices.Equal(l.LostApps, []string{"crm", "groups"}) {
				t.Errorf("loss %+v, want Customer Engagement and its apps", l)
			}
			losing = append(losing, l.UserID)
		}
		// The most recent assignments go.
		slices.Sort(losing)
		want := []atrium.UserID{users[1], users[2]}
		slices.Sort(want)
		if !slices.Equal(losing, want) {
			t.Errorf("losing %v, want the two most recent holders %v", losing, want)
		}
		if c := count(t, e, admin, ce.ID); c.Purchased != 4 || c.Assigned != 3 {
			t.Fatalf("the preview changed the pool: %+v", c)
		}
		if got, _ := e.lic.Subscription(ctx, admin, sub.ID); got.State != licensing.StateActive || got.CancelAtPeriodEnd {
			t.Fatalf("the preview changed the subscription: %+v", got)
		}
		var after int
		db.Read().QueryRowContext(ctx, `SELECT count(*) FROM audit_log`).Scan(&after)
		if after != audits {
			t.Errorf("the preview wrote %d audit entries", after-audits)
		}

		// Others' subscriptions and readers without a billing role are refused.
		other := e.org(t, "other")
		if _, err := e.lic.CancelPreview(ctx, other, sub.ID); atrium.ErrorCode(err) != atrium.CodeNotFound {
			t.Errorf("another organization's preview: %v, want not_found", err)
		}
		helpdesk := &access.Principal{UserID: "h", Org: admin.Org, Grants: []access.Grant{{Role: access.HelpdeskAdmin, Scope: access.OrgScope(admin.Org)}}}
		if _, err := e.lic.CancelPreview(ctx, helpdesk, sub.ID); atrium.ErrorCode(err) != atrium.CodeForbidden {
			t.Errorf("helpdesk preview: %v, want forbidden", err)
		}

		// The end does what the preview said.
		if _, err := e.lic.Cancel(ctx, admin, sub.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(sub.PeriodEnd.Sub(e.clock.Now()) + time.Hour)
		e.queue.SchedulePeriodic(ctx)
		if _, err := e.queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			l, err := e.lic.UserLicenses(ctx, admin, u)
			if err != nil {
				t.Fatal(err)
			}
			if holds := len(l.Licenses) == 1; holds == slices.Contains(losing, u) {
				t.Errorf("after the end %s holds %v; the preview said it would lose it: %v", u, l.Licenses, slices.Contains(losing, u))
			}
		}
		if _, err := e.lic.CancelPreview(ctx, admin, sub.ID); atrium.ErrorCode(err) != atrium.CodeConflict {
			t.Errorf("preview of an expired subscription: %v, want conflict", err)
		}
	})
}

// endingMail is one subscription_ending mail in the outbox.
type endingMail struct{ to, subject, text string }

func endingMails(t *testing.T, db *store.DB) []endingMail {
	t.Helper()
	rows, err := db.Read().QueryContext(context.Background(), `SELECT to_addr, subject, text_body FROM mail_outbox WHERE template = 'subscription_ending' ORDER BY created_at, to_addr`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []endingMail
	for rows.Next() {
		var m endingMail
		if err := rows.Scan(&m.to, &m.subject, &m.text); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// TestEndingWarnings: a trial that will expire and a cancelled subscription are mailed
// to the organization's Global and Billing administrators 7 days and 1 day before they
// end, each once; a trial set to convert is not.
func TestEndingWarnings(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		admin, trial := e.trialOrg(t, "warned", 5)
		start := e.clock.Now()
		for _, x := range []struct {
			name string
			role access.Role
		}{{"bill", access.BillingAdmin}, {"uma", access.UserAdmin}} {
			u, _, err := e.dir.CreateUser(ctx, admin, directory.UserInput{Username: x.name, DisplayName: strings.ToUpper(x.name[:1]) + x.name[1:],
				ContactEmail: x.name + "@warned.example", UsageLocation: "US", Password: "Correct-Horse-9"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.dir.AssignRole(ctx, admin, u.ID, x.role); err != nil {
				t.Fatal(err)
			}
		}
		// A cancelled paid subscription, and another organization's trial set to convert.
		co := e.product(t, "COLLABORATE") // yearly
		paid, _, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: co.ID, Quantity: 2})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.lic.Cancel(ctx, admin, paid.ID); err != nil {
			t.Fatal(err)
		}
		keeper, keeperTrial := e.trialOrg(t, "keeper", 3)
		if _, err := e.lic.SetTrialConversion(ctx, keeper, keeperTrial.ID, true); err != nil {
			t.Fatal(err)
		}
		runAt := func(at time.Time) []endingMail {
			t.Helper()
			e.clock.Advance(at.Sub(e.clock.Now()))
			e.queue.SchedulePeriodic(ctx)
			if _, err := e.queue.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
			return endingMails(t, db)
		}
		recipients := func(ms []endingMail) []string {
			var out []string
			for _, m := range ms {
				out = append(out, m.to)
			}
			slices.Sort(out)
			return out
		}
		admins := []string{"admin@warned.example", "bill@warned.example"}

		if got := runAt(trial.PeriodEnd.Add(-8 * 24 * time.Hour)); len(got) != 0 {
			t.Fatalf("8 days before the end: %d mails, want none", len(got))
		}
		got := runAt(trial.PeriodEnd.Add(-7*24*time.Hour + time.Hour))
		if !slices.Equal(recipients(got), admins) {
			t.Fatalf("7 days before the trial's end mails went to %v, want the Global and Billing admins %v", recipients(got), admins)
		}
		m := got[0]
		if m.subject != "Social Engagement trial ends in 7 days, on "+trial.PeriodEnd.UTC().Format("2 Jan 2006") ||
			!strings.Contains(m.text, "Its 5 seats go then.") || !strings.Contains(m.text, "Admin warned (admin@warned.atrium.test)") ||
			!strings.Contains(m.text, "buy seats on the trial") {
			t.Errorf("the 7-day mail:\nSubject: %s\n%s", m.subject, m.text)
		}
		if got := runAt(e.clock.Now().Add(2 * time.Hour)); len(got) != 2 {
			t.Fatalf("two hours later: %d mails, want still 2", len(got))
		}
		got = runAt(trial.PeriodEnd.Add(-24*time.Hour + time.Hour))
		if len(got) != 4 || !slices.Equal(recipients(got[2:]), admins) || !strings.HasPrefix(got[2].subject, "Social Engagement trial ends tomorrow") {
			t.Fatalf("a day before: %+v; want a second mail to each admin", got)
		}
		got = runAt(trial.PeriodEnd.Add(time.Hour))
		if len(got) != 4 {
			t.Fatalf("after the trial's end: %d mails, want still 4", len(got))
		}
		if s, _ := e.lic.Subscription(ctx, keeper, keeperTrial.ID); s.Trial {
			t.Fatalf("the converting trial did not convert: %+v", s)
		}

		// The cancelled yearly subscription: warned a week before the end of its year.
		got = runAt(paid.PeriodEnd.Add(-7*24*time.Hour + time.Hour))
		if len(got) != 6 || !slices.Equal(recipients(got[4:]), admins) ||
			got[4].subject != "Collaborate ends in 7 days, on "+paid.PeriodEnd.UTC().Format("2 Jan 2006") || !strings.Contains(got[4].text, "The cancelled Collaborate subscription") {
			t.Fatalf("a week before the cancelled subscription ends: %+v", got[4:])
		}
		if paid.PeriodEnd.Sub(start) < 300*24*time.Hour {
			t.Fatalf("Collaborate is yearly; its period ends %v", paid.PeriodEnd)
		}
	})
}
