package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"testing"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
)

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// wizardNext posts the step on page p as a browser would: its hidden fields plus the
// fields the admin fills in on it, with the button go.
func wizardNext(b *browser, p page, fill url.Values, goTo string) page {
	b.t.Helper()
	form := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(p.body, -1) {
		form.Add(m[1], html.UnescapeString(m[2]))
	}
	for k, v := range fill {
		form[k] = v
	}
	form.Set("go", goTo)
	return b.post("/users/new", form)
}

// TestAddUserWizard: Add a user walks basics → product licenses → roles → review, keeps
// every answer when going back, checks each step before the next, writes nothing before
// the review's "Add user", and then adds the user with the license and the role.
func TestAddUserWizard(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		se := f.product("SOCIAL_ENGAGEMENT")
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		start := b.get("/users/new")
		wantContains(t, start, `<li aria-current="step">1. Basics</li>`, "2. Product licenses", "3. Roles (optional)", "4. Review",
			`<input type="hidden" name="step" value="basics">`)

		// Basics: every problem at once, and nothing added.
		bad := wizardNext(b, start, url.Values{"display_name": {""}, "username": {"mia"}, "contact_email": {"nope"}}, "next")
		wantStatus(t, bad, http.StatusBadRequest)
		wantContains(t, bad, `<li aria-current="step">1. Basics</li>`)
		bad = wizardNext(b, start, url.Values{"display_name": {""}, "username": {"zoe"}, "contact_email": {"nope"}}, "next")
		wantStatus(t, bad, http.StatusBadRequest)
		wantContains(t, bad, `id="f-display_name-error"`, `id="f-contact_email-error"`)

		basics := url.Values{"display_name": {"Zoe Zed"}, "username": {"zoe"}, "usage_location": {"SE"}, "job_title": {"Analyst"}, "must_change_password": {"1"}}
		lic := wizardNext(b, start, basics, "next")
		wantStatus(t, lic, http.StatusOK)
		wantContains(t, lic, `<li aria-current="step">2. Product licenses</li>`, `name="product" value="`+se.ID+`"`,
			`<input type="hidden" name="username" value="zoe">`)
		if users := f.licensesOfUsername("zoe@contoso.atrium.localhost"); users != nil {
			t.Fatal("the user exists before the review")
		}

		// Back keeps the answers.
		back := wizardNext(b, lic, url.Values{"product": {se.ID}}, "back")
		wantContains(t, back, `<li aria-current="step">1. Basics</li>`, `value="Zoe Zed"`, `value="Analyst"`, `<option value="SE" selected>Sweden</option>`,
			`<input type="hidden" name="product" value="`+se.ID+`">`)
		lic = wizardNext(b, back, basics, "next")
		wantContains(t, lic, `id="lic-`+se.ID+`" name="product" value="`+se.ID+`" checked`)

		// A product the organization has no licences of is refused on its step.
		none := wizardNext(b, lic, url.Values{"product": {"no-such-product"}}, "next")
		wantStatus(t, none, http.StatusBadRequest)
		wantContains(t, none, `<li aria-current="step">2. Product licenses</li>`, `id="f-product-error"`)

		roles := wizardNext(b, lic, url.Values{"product": {se.ID}}, "next")
		wantContains(t, roles, `<li aria-current="step">3. Roles (optional)</li>`, `id="role-none" name="role" value="" checked`,
			`<label for="role-global_admin">Global administrator</label>`, "What each role may do")

		review := wizardNext(b, roles, url.Values{"role": {access.GlobalAdmin.String()}}, "next")
		wantContains(t, review, `<li aria-current="step">4. Review</li>`, "<dd>Zoe Zed</dd>", "<dd>Sweden</dd>", "<dd>Social Engagement</dd>",
			"<dd>Global administrator</dd>", "Generated, and shown once", `id="f-confirm_global"`)

		// Global administrator needs the box ticked.
		unconfirmed := wizardNext(b, review, nil, "create")
		wantStatus(t, unconfirmed, http.StatusBadRequest)
		wantContains(t, unconfirmed, `<li aria-current="step">4. Review</li>`, `id="f-confirm_global-error"`)
		if f.licensesOfUsername("zoe@contoso.atrium.localhost") != nil {
			t.Fatal("the user was added without the confirmation")
		}
		done := wizardNext(b, review, url.Values{"confirm_global": {"1"}}, "create")
		wantStatus(t, done, http.StatusSeeOther)
		if done.location != "/users/added" {
			t.Fatalf("redirected to %q", done.location)
		}
		wantContains(t, b.get(done.location), "User added", "zoe@contoso.atrium.localhost", `id="generated-password"`)
		got := f.licensesOfUsername("zoe@contoso.atrium.localhost")
		if !slices.Equal(got.licenses, []string{se.ID}) || !slices.Contains(got.roles, access.GlobalAdmin) || got.user.JobTitle != "Analyst" || got.user.UsageLocation != "SE" {
			t.Fatalf("added %+v", got)
		}

		// The same username again is refused at the basics step.
		again := wizardNext(b, b.get("/users/new"), basics, "next")
		wantStatus(t, again, http.StatusConflict)
		wantContains(t, again, `<li aria-current="step">1. Basics</li>`, `id="f-username-error"`)
	})
}

// TestAddUserWizardWithoutRoleOrLicense: a member with no license and a typed password
// goes straight to their page, saying they were added.
func TestAddUserWizardWithoutRoleOrLicense(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := wizardNext(b, b.get("/users/new"), url.Values{"display_name": {"Yan"}, "username": {"yan"}, "password": {"Long enough passphrase 7"}}, "next")
		p = wizardNext(b, p, nil, "next")
		// Back to the basics and on again: the typed password is kept, not shown.
		back := wizardNext(b, p, nil, "back")
		back = wizardNext(b, back, nil, "back")
		wantContains(t, back, "The password you typed is kept.", `id="f-password" name="password" type="password" value=""`)
		p = wizardNext(b, back, url.Values{"display_name": {"Yan"}, "username": {"yan"}}, "next")
		p = wizardNext(b, p, nil, "next")
		p = wizardNext(b, p, nil, "next")
		wantContains(t, p, "<dd>None</dd>", "None: a member", "The one you typed.", "They keep it at first sign-in.")
		wantNotContains(t, p, `id="f-confirm_global"`, "Long enough passphrase 7</dd>")
		done := wizardNext(b, p, nil, "create")
		wantStatus(t, done, http.StatusSeeOther)
		got := f.licensesOfUsername("yan@contoso.atrium.localhost")
		if got == nil || len(got.licenses) != 0 || len(got.roles) != 0 || got.user.MustChangePassword {
			t.Fatalf("added %+v", got)
		}
		wantContains(t, b.get(done.location), "Yan was added.")
	})
}

// addedUser is a user as the database has it, with their licenses and roles.
type addedUser struct {
	user     *directory.User
	licenses []string
	roles    []access.Role
}

// licensesOfUsername returns the Contoso user with username, or nil when there is none.
func (f *fixture) licensesOfUsername(username string) *addedUser {
	f.t.Helper()
	page, err := f.m.Directory.ListUsers(context.Background(), f.adminPrincipal(), directory.UserQuery{Q: username})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, u := range page.Items {
		if u.Username == username {
			full := f.user(u.ID)
			return &addedUser{user: full, licenses: f.licensesOf(u.ID), roles: full.Roles}
		}
	}
	return nil
}
