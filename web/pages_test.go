package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/directory"
)

func TestSignInRedirectsAndCookies(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		p := b.get("/users")
		wantStatus(t, p, http.StatusSeeOther)
		if p.location != "/signin?next=%2Fusers" {
			t.Errorf("redirect to %q, want the sign-in page with next", p.location)
		}
		wantContains(t, b.get("/signin"), `<label for="f-username">`, `<label for="f-stay_signed_in">Stay signed in</label>`, `name="viewport"`)

		bad := b.post("/signin", url.Values{"username": {"admin@contoso.atrium.localhost"}, "password": {"wrong"}})
		wantStatus(t, bad, http.StatusUnauthorized)
		wantContains(t, bad, "The username or password is incorrect.")

		// Without "Stay signed in" the cookie ends with the browser.
		p = b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		if c := sessionCookie(p); c == nil || c.MaxAge != 0 || !c.Expires.IsZero() {
			t.Errorf("browser-session sign-in set cookie %+v, want no expiry", c)
		}
		home := b.get("/")
		wantStatus(t, home, http.StatusOK)
		wantContains(t, home, "Contoso", "Recent activity", "session.create", `id="user-count">2<`)

		// With it, the cookie is persistent for 30 days.
		b2 := f.browser()
		p = b2.signIn("admin@contoso.atrium.localhost", adminPassword, true)
		if c := sessionCookie(p); c == nil || c.MaxAge < 29*24*3600 {
			t.Errorf("persistent sign-in set cookie %+v, want a 30-day Max-Age", c)
		}
		if p.location != "/" {
			t.Errorf("redirect after sign-in to %q, want /", p.location)
		}
	})
}

func sessionCookie(p page) *http.Cookie {
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "atrium_session" {
			return c
		}
	}
	return nil
}

func TestCSRF(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		del := "/users/" + string(f.member.ID) + "/delete"
		for name, form := range map[string]url.Values{
			"missing": {},
			"wrong":   {"csrf_token": {"not-the-token"}},
		} {
			t.Run(name, func(t *testing.T) {
				p := b.post(del, form)
				wantStatus(t, p, http.StatusForbidden)
				wantContains(t, p, "security token")
				if u := f.user(f.member.ID); u.DeletedAt != nil {
					t.Fatal("the user was deleted without a CSRF token")
				}
			})
		}
		// Another session's token does not work either.
		other := f.browser()
		other.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.post(del, url.Values{"csrf_token": {other.csrf("/")}})
		wantStatus(t, p, http.StatusForbidden)
		if f.user(f.member.ID).DeletedAt != nil {
			t.Fatal("the user was deleted with another session's CSRF token")
		}
		// Sign-out without a token keeps the session.
		wantStatus(t, b.post("/signout", url.Values{}), http.StatusForbidden)
		wantStatus(t, b.get("/users"), http.StatusOK)

		// The public forms refuse posts from other sites.
		req, _ := http.NewRequest("POST", f.srv.URL+"/signin", strings.NewReader(url.Values{"username": {"admin@contoso.atrium.localhost"},
			"password": {adminPassword}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		p = f.browser().do(req)
		wantStatus(t, p, http.StatusForbidden)
		if sessionCookie(p) != nil {
			t.Error("a cross-site sign-in set a session cookie")
		}
	})
}

func TestForbiddenPages(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("mia@contoso.atrium.localhost", memberPassword, false)
		home := b.get("/")
		wantStatus(t, home, http.StatusOK)
		wantContains(t, home, "Mia Member", `href="/settings"`)
		wantNotContains(t, home, `href="/users"`, `href="/audit"`, `href="/roles"`, `href="/organizations"`, `href="/mail"`, "Recent activity")
		for _, path := range []string{"/users", "/deleted-users", "/guests", "/roles", "/tokens", "/audit", "/organizations", "/mail",
			"/users/new", "/users/" + string(f.admin) + "/delete"} {
			p := b.get(path)
			if p.status != http.StatusForbidden {
				t.Errorf("GET %s: status %d, want 403", path, p.status)
				continue
			}
			wantContains(t, p, "You don&#39;t have permission")
		}
		// A forbidden POST changes nothing.
		p := b.postForm("/", "/users/"+string(f.admin)+"/block", nil)
		wantStatus(t, p, http.StatusForbidden)
		if f.user(f.admin).Blocked {
			t.Fatal("a member blocked the admin")
		}
		// Settings show their own sessions.
		wantContains(t, b.get("/settings"), "This session")

		// A tenant admin is not operator staff.
		a := f.browser()
		a.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		wantStatus(t, a.get("/organizations"), http.StatusForbidden)
		wantStatus(t, a.get("/mail"), http.StatusForbidden)
		wantNotContains(t, a.get("/"), `href="/organizations"`)
	})
}

func TestFormErrorsBesideFields(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.postForm("/users/new", "/users/new", url.Values{"display_name": {""}, "username": {"bob"}, "contact_email": {"not-an-address"},
			"usage_location": {"Germany"}, "password": {"short"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p,
			`<p class="field-error" id="f-display_name-error">is required</p>`,
			`<p class="field-error" id="f-contact_email-error">must be an email address such as ada@example.com</p>`,
			`<p class="field-error" id="f-usage_location-error">must be an ISO 3166-1 country code, such as US or DE</p>`,
			`<p class="field-error" id="f-password-error">must be at least 8 characters</p>`,
			`value="not-an-address"`, `aria-invalid="true"`)
		wantNotContains(t, p, `value="short"`)
		page, err := f.m.Directory.ListUsers(context.Background(), f.adminPrincipal(), directory.UserQuery{Q: "bob"})
		if err != nil || len(page.Items) != 0 {
			t.Fatalf("a user was created from an invalid form: %v %v", page.Items, err)
		}
		// A taken username is shown beside the username field.
		p = b.postForm("/users/new", "/users/new", url.Values{"display_name": {"Mia Again"}, "username": {"mia"}})
		wantStatus(t, p, http.StatusConflict)
		wantContains(t, p, `id="f-username-error">is taken<`)

		// The edit form too.
		p = b.postForm("/users/"+string(f.member.ID), "/users/"+string(f.member.ID), url.Values{"display_name": {"Mia M"},
			"contact_email": {"nope"}, "version": {"1"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-contact_email-error">must be an email address`)
		if got := f.user(f.member.ID).DisplayName; got != "Mia Member" {
			t.Errorf("display name changed to %q by an invalid form", got)
		}

		// Sign-up: a bad password is shown on the administrator step.
		anon := f.browser()
		p = anon.post("/signup", url.Values{"step": {"2"}, "organization_name": {"Fabrikam"}, "domain_prefix": {"fabrikam"}, "seats": {"5"},
			"admin_display_name": {"Fay"}, "admin_username": {"fay"}, "admin_password": {"password"}, "contact_email": {"fay@example.com"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-admin_password-error">must contain three of`, `@fabrikam.atrium.localhost`)
		// A taken prefix sends the person back to the organization step.
		p = anon.post("/signup", url.Values{"step": {"2"}, "organization_name": {"Fabrikam"}, "domain_prefix": {"contoso"}, "seats": {"5"},
			"admin_display_name": {"Fay"}, "admin_username": {"fay"}, "admin_password": {"Fay-Pass-1"}, "contact_email": {"fay@example.com"}})
		wantStatus(t, p, http.StatusConflict)
		wantContains(t, p, `id="f-domain_prefix-error">is taken<`, `name="admin_display_name" value="Fay"`)
	})
}

func TestDeleteConfirmationAndRestore(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		id := string(f.member.ID)
		confirm := b.get("/users/" + id + "/delete")
		wantStatus(t, confirm, http.StatusOK)
		wantContains(t, confirm, "Are you sure?", `action="/users/`+id+`/delete"`, ">Delete user</button>", `href="/users/`+id+`" class="button secondary">Cancel</a>`)
		if f.user(f.member.ID).DeletedAt != nil {
			t.Fatal("showing the confirmation deleted the user")
		}
		p := b.postForm("/users/"+id+"/delete", "/users/"+id+"/delete", nil)
		wantStatus(t, p, http.StatusSeeOther)
		if f.user(f.member.ID).DeletedAt == nil {
			t.Fatal("the user is not deleted after confirming")
		}
		list := b.get(p.location)
		wantContains(t, list, "Mia Member was deleted")
		wantNotContains(t, list, "mia@contoso")
		deleted := b.get("/deleted-users?q=mia")
		wantContains(t, deleted, "mia@contoso.atrium.localhost", `action="/deleted-users/`+id+`/restore"`)
		p = b.postForm("/deleted-users", "/deleted-users/"+id+"/restore", nil)
		wantStatus(t, p, http.StatusSeeOther)
		if f.user(f.member.ID).DeletedAt != nil {
			t.Fatal("the user is still deleted after restore")
		}
		wantContains(t, b.get("/users?q=mia"), "Mia Member")

		// Deleting yourself is refused on the confirmation page, and nothing changes.
		self := "/users/" + string(f.admin) + "/delete"
		p = b.postForm("/users/"+id, self, nil)
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, "you cannot delete yourself")
		if f.user(f.admin).DeletedAt != nil {
			t.Fatal("the admin deleted themselves")
		}
	})
}

func TestBlockResetAndRoles(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		id := string(f.member.ID)
		wantContains(t, b.get("/users/"+id+"/block"), "Block sign-in for Mia Member?")
		wantStatus(t, b.postForm("/users/"+id+"/block", "/users/"+id+"/block", nil), http.StatusSeeOther)
		if !f.user(f.member.ID).Blocked {
			t.Fatal("not blocked")
		}
		wantContains(t, b.get("/users/"+id), "Unblock sign-in")
		wantStatus(t, b.postForm("/users/"+id, "/users/"+id+"/unblock", nil), http.StatusSeeOther)
		if f.user(f.member.ID).Blocked {
			t.Fatal("still blocked")
		}

		// A generated password is shown once and works.
		p := b.postForm("/users/"+id+"/reset-password", "/users/"+id+"/reset-password", url.Values{"mode": {"generate"}})
		wantStatus(t, p, http.StatusOK)
		m := secretRE.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no generated password shown\n%s", p.body)
		}
		mia := f.browser()
		mia.signIn("mia@contoso.atrium.localhost", htmlUnescape(m[1]), false)
		// They must change it: every page but the password page and sign-out redirects.
		p = mia.get("/settings")
		wantStatus(t, p, http.StatusSeeOther)
		if p.location != "/account/password" {
			t.Errorf("redirect to %q, want /account/password", p.location)
		}
		p = mia.postForm("/account/password", "/account/password", url.Values{"current_password": {htmlUnescape(m[1])},
			"new_password": {"Mia-New-Pass-2"}, "confirm_password": {"Mia-New-Pass-3"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-confirm_password-error">does not match`)
		wantStatus(t, mia.postForm("/account/password", "/account/password", url.Values{"current_password": {htmlUnescape(m[1])},
			"new_password": {"Mia-New-Pass-2"}, "confirm_password": {"Mia-New-Pass-2"}}), http.StatusSeeOther)
		wantStatus(t, mia.get("/settings"), http.StatusOK)

		// A typed password must be given and follow the rules.
		p = b.postForm("/users/"+id+"/reset-password", "/users/"+id+"/reset-password", url.Values{"mode": {"type"}, "password": {"abc"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-password-error">must be at least 8 characters`)

		// Roles: assign, then remove after confirmation.
		wantStatus(t, b.postForm("/users/"+id, "/users/"+id+"/roles", url.Values{"role": {"helpdesk_admin"}}), http.StatusSeeOther)
		if u := f.user(f.member.ID); len(u.Roles) != 1 || u.Roles[0] != access.HelpdeskAdmin {
			t.Fatalf("roles %v, want helpdesk_admin", u.Roles)
		}
		wantContains(t, b.get("/roles"), "Helpdesk administrator", "Mia Member")
		rm := "/users/" + id + "/roles/helpdesk_admin/remove"
		wantContains(t, b.get(rm), "Remove Helpdesk administrator from Mia Member?")
		if len(f.user(f.member.ID).Roles) != 1 {
			t.Fatal("the confirmation page removed the role")
		}
		wantStatus(t, b.postForm(rm, rm, nil), http.StatusSeeOther)
		if u := f.user(f.member.ID); len(u.Roles) != 0 {
			t.Fatalf("roles %v after removal", u.Roles)
		}
		// The last Global administrator keeps the role; the page says why.
		last := "/users/" + string(f.admin) + "/roles/global_admin/remove"
		p = b.postForm(last, last, nil)
		wantStatus(t, p, http.StatusConflict)
		wantContains(t, p, "last Global administrator")
	})
}

func TestListsSearchAndPaging(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		for _, n := range []string{"Zed One", "Zed Two", "Zed Three"} {
			if _, _, err := f.m.Directory.CreateUser(ctx, f.adminPrincipal(), directory.UserInput{Username: strings.ToLower(strings.ReplaceAll(n, " ", ".")), DisplayName: n}); err != nil {
				t.Fatal(err)
			}
		}
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.get("/users?q=zed&limit=2")
		wantContains(t, p, "Zed One", "Zed Three", `rel="next"`)
		wantNotContains(t, p, "Zed Two", "Mia Member")
		next := nextRE.FindStringSubmatch(p.body)
		if next == nil {
			t.Fatal("no next page link")
		}
		link := htmlUnescape(next[1])
		u, _ := url.Parse(link)
		if u.Query().Get("q") != "zed" || u.Query().Get("cursor") == "" {
			t.Fatalf("next link %q does not carry q and cursor", link)
		}
		p = b.get(link)
		wantContains(t, p, "Zed Two", "First page")
		wantNotContains(t, p, "Zed One", `rel="next"`)

		// Sorting by created, newest first.
		p = b.get("/users?q=zed&sort=created_at&order=desc")
		if i, j := strings.Index(p.body, "Zed Three"), strings.Index(p.body, "Zed One"); i < 0 || j < 0 || i > j {
			t.Error("sort by created desc does not put Zed Three first")
		}
		wantContains(t, p, `aria-sort="descending"`)

		// The audit log filters and links the CSV export with the same filters.
		p = b.get("/audit?action=user.create")
		wantContains(t, p, "zed.one@contoso.atrium.localhost", `href="/api/v1/audit-log?action=user.create&amp;format=csv"`)
		wantNotContains(t, p, "session.create")
		p = b.get("/audit?since=yesterday")
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-since-error">must be a time`)
		csv := b.get("/api/v1/audit-log?action=user.create&format=csv")
		wantStatus(t, csv, http.StatusOK)
		wantContains(t, csv, "zed.two@contoso.atrium.localhost")
	})
}

func TestTokens(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.postForm("/tokens", "/tokens", url.Values{"name": {""}, "role": {"global_reader"}, "expires_at": {"2001-01-01"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-name-error">is required`, `id="f-expires_at-error">must be in the future`)
		p = b.postForm("/tokens", "/tokens", url.Values{"name": {"HR sync"}, "role": {"global_reader"}})
		wantStatus(t, p, http.StatusCreated)
		m := tokenRE.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no token secret shown\n%s", p.body)
		}
		// The secret works against the API.
		req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/users", nil)
		req.Header.Set("Authorization", "Bearer "+m[1])
		wantStatus(t, f.browser().do(req), http.StatusOK)
		list, _, err := f.m.Auth.ListTokens(context.Background(), f.adminPrincipal(), auth.TokenQuery{})
		if err != nil || len(list) != 1 {
			t.Fatalf("tokens %v %v", list, err)
		}
		revoke := "/tokens/" + list[0].ID + "/revoke"
		wantContains(t, b.get(revoke), "Revoke the API token “HR sync”?")
		wantStatus(t, b.postForm(revoke, revoke, nil), http.StatusSeeOther)
		if list, _, _ := f.m.Auth.ListTokens(context.Background(), f.adminPrincipal(), auth.TokenQuery{}); len(list) != 0 {
			t.Fatal("token not revoked")
		}
		wantStatus(t, f.browser().do(req), http.StatusUnauthorized)
	})
}

func TestOperatorPages(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@operator.atrium.localhost", operatorPassword, false)
		home := b.get("/")
		wantContains(t, home, `href="/organizations"`, `href="/mail"`)
		p := b.get("/organizations?q=cont")
		wantContains(t, p, "Contoso", "/organizations/"+string(f.org)+"/suspend")
		wantNotContains(t, p, "operator.atrium.localhost")
		wantContains(t, b.get("/organizations?state=suspended"), "No organizations match")

		sus := "/organizations/" + string(f.org) + "/suspend"
		wantContains(t, b.get(sus), "Suspend Contoso?")
		wantStatus(t, b.postForm(sus, sus, nil), http.StatusSeeOther)
		org, err := f.m.Directory.Org(context.Background(), f.org)
		if err != nil || org.State != directory.OrgSuspended {
			t.Fatalf("org %+v %v, want suspended", org, err)
		}
		p = f.browser().post("/signin", url.Values{"username": {"admin@contoso.atrium.localhost"}, "password": {adminPassword}})
		wantStatus(t, p, http.StatusForbidden)
		wantContains(t, p, "your organization is suspended")
		re := "/organizations/" + string(f.org) + "/reactivate"
		wantStatus(t, b.postForm(re, re, nil), http.StatusSeeOther)
		if org, _ := f.m.Directory.Org(context.Background(), f.org); org.State != directory.OrgActive {
			t.Fatalf("org state %s, want active", org.State)
		}

		// Outgoing mail: the welcome message, its HTML only inside a sandboxed frame.
		p = b.get("/mail?q=ada@")
		wantContains(t, p, "ada@example.com")
		m := mailRE.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no message link\n%s", p.body)
		}
		msg := b.get("/mail/" + m[1])
		wantStatus(t, msg, http.StatusOK)
		wantContains(t, msg, `<iframe class="mail" title="HTML version of the message" sandbox srcdoc="`, "Contoso is ready.", "&lt;p&gt;Your username is")
		wantNotContains(t, msg, "<p>Your username is")
	})
}

func TestSignUpWizard(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		p := b.get("/signup")
		wantContains(t, p, "Organization name", ".atrium.localhost")
		p = b.post("/signup", url.Values{"step": {"1"}, "organization_name": {"Fabrikam"}, "domain_prefix": {"Fabrikam"}, "seats": {"25"}})
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "fabrikam.atrium.localhost", `name="organization_name" value="Fabrikam"`, `name="step" value="2"`)
		p = b.post("/signup", url.Values{"step": {"2"}, "organization_name": {"Fabrikam"}, "domain_prefix": {"fabrikam"}, "seats": {"25"},
			"admin_display_name": {"Fay"}, "admin_username": {"fay"}, "admin_password": {"Fay-Pass-1"}, "contact_email": {"fay@example.com"}})
		wantStatus(t, p, http.StatusSeeOther)
		done := b.get(p.location)
		wantContains(t, done, "being provisioned", "fay@fabrikam.atrium.localhost")
		c, err := f.m.Directory.CredentialsByUsername(context.Background(), "fay@fabrikam.atrium.localhost")
		if err != nil || c.OrgState != directory.OrgProvisioning {
			t.Fatalf("credentials %+v %v", c, err)
		}
	})
}

func TestConcurrentEditAndSessions(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		id := string(f.member.ID)
		form := url.Values{"display_name": {"Mia First"}, "version": {"1"}}
		wantStatus(t, b.postForm("/users/"+id, "/users/"+id, form), http.StatusSeeOther)
		// A second save based on the same version would overwrite the first: refused.
		form.Set("display_name", "Mia Second")
		p := b.postForm("/users/"+id, "/users/"+id, form)
		wantStatus(t, p, http.StatusPreconditionFailed)
		wantContains(t, p, "changed by someone else", `value="Mia First"`)
		if got := f.user(f.member.ID).DisplayName; got != "Mia First" {
			t.Fatalf("display name %q, want the first save kept", got)
		}

		// Settings list both sessions; the other one can be signed out after confirming.
		other := f.browser()
		other.signIn("admin@contoso.atrium.localhost", adminPassword, true)
		p = b.get("/settings")
		wantContains(t, p, "This session", "Stay signed in", "contoso.atrium.localhost")
		m := sessionLinkRE.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no sign-out link for the other session\n%s", p.body)
		}
		wantContains(t, b.get(m[1]), "Sign out this session?")
		wantStatus(t, other.get("/"), http.StatusOK)
		wantStatus(t, b.postForm(m[1], m[1], nil), http.StatusSeeOther)
		if p := other.get("/"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/signin") {
			t.Fatalf("the revoked session still works: %d %s", p.status, p.location)
		}
		wantStatus(t, b.get("/"), http.StatusOK)

		// Signing out ends the session.
		wantStatus(t, b.postForm("/", "/signout", nil), http.StatusSeeOther)
		if p := b.get("/users"); p.status != http.StatusSeeOther {
			t.Fatalf("after sign-out /users gives %d", p.status)
		}
	})
}
