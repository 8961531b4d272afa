package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestRolesInWords: the Roles page says in sentences what each role may do, never in
// permission codes.
func TestRolesInWords(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.get("/roles")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p,
			`<h3 class="label" id="role-helpdesk_admin-may">What a Helpdesk administrator may do</h3>`,
			"<li>Can view users, block and unblock sign-in, and reset passwords.</li>",
			"<li>Can view users, add users, edit users, delete users, restore deleted users, block and unblock sign-in, and reset passwords.</li>",
			"<li>Can view subscriptions, orders and bills, and buy, change quantities, cancel and name partners of record.</li>",
			"<li>Can read the audit log.</li>",
			// Holders, their usernames breaking after @ and dots.
			`<a href="/users/`+string(f.admin)+`">Ada Admin</a> <span class="muted">admin@<wbr>contoso.<wbr>atrium.<wbr>localhost</span>`)
		// No permission codes (user.read, billing.manage, …) anywhere in the cards.
		code := regexp.MustCompile(`\b(org|user|role|token|audit|billing|license|social)\.[a-z_]+\b`)
		main := p.body[strings.Index(p.body, "<main"):]
		if m := code.FindString(main); m != "" {
			t.Errorf("the Roles page shows the permission code %q", m)
		}
		// A tenant's page leaves out operator roles.
		wantNotContains(t, p, "Operator administrator")
	})
}
