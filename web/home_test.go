package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

var activityRE = regexp.MustCompile(`<li data-action="[a-z_.]+">([^<]*(?:<wbr>[^<]*)*) <span class="muted">· <time datetime="[^"]+" title="[^"]+">([^<]+)</time></span></li>`)

// TestHomeRecentActivity: Home tells those who may read the audit log what happened
// lately, in words ("Ada Admin added Zed Zero · 5 minutes ago"), newest first.
func TestHomeRecentActivity(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		f.addZed(t)
		f.clock.Advance(5 * time.Minute)
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.get("/")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, `<ul class="activity" id="recent-activity" aria-labelledby="recent-activity-title">`)
		var lines []string
		for _, m := range activityRE.FindAllStringSubmatch(p.body, -1) {
			lines = append(lines, htmlUnescape(m[1])+" · "+m[2])
		}
		want := []string{
			// Signing in for this page is the newest entry; the actor is the person.
			"Ada Admin signed in · just now",
			"Ada Admin gave Zed Zeta the Helpdesk administrator role · 5 minutes ago",
			"Ada Admin edited Zed Zeta · 5 minutes ago",
			"Ada Admin added Zed Zeta · 5 minutes ago",
		}
		if len(lines) < len(want) {
			t.Fatalf("recent activity %q, want it to start with %q", lines, want)
		}
		for i, w := range want {
			if got := stripWbr(lines[i]); got != w {
				t.Errorf("activity line %d = %q, want %q", i, got, w)
			}
		}
		if len(lines) > 10 {
			t.Errorf("%d activity lines, want at most 10", len(lines))
		}

		// A member may not read the audit log and sees no activity.
		m := f.browser()
		m.signIn("mia@contoso.atrium.localhost", memberPassword, false)
		wantNotContains(t, m.get("/"), "Recent activity", `id="recent-activity"`)
	})
}

func stripWbr(s string) string { return strings.ReplaceAll(s, "<wbr>", "") }
