package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/mail"
)

// happyRoutes are the routes TestEndpointsHappyPath calls; a route added to the server
// without a happy-path check here fails TestEveryRouteHasAHappyPath.
var happyRoutes = []string{
	"GET /healthz", "GET /readyz", "GET /metrics", "GET /api/v1/openapi.json",
	"POST /api/v1/signup", "POST /api/v1/sessions", "DELETE /api/v1/sessions/current", "GET /api/v1/me",
	"POST /api/v1/me/password", "PATCH /api/v1/me", "GET /api/v1/me/sessions", "DELETE /api/v1/me/sessions/{id}",
	"GET /api/v1/users", "POST /api/v1/users", "GET /api/v1/users/{id}", "PATCH /api/v1/users/{id}", "DELETE /api/v1/users/{id}",
	"POST /api/v1/users/{id}/restore", "POST /api/v1/users/{id}/password-reset", "GET /api/v1/deleted-users",
	"GET /api/v1/roles", "PUT /api/v1/users/{id}/roles/{role}", "DELETE /api/v1/users/{id}/roles/{role}",
	"GET /api/v1/api-tokens", "POST /api/v1/api-tokens", "DELETE /api/v1/api-tokens/{id}",
	"GET /api/v1/audit-log", "GET /api/v1/organizations", "GET /api/v1/organizations/{id}",
	"POST /api/v1/organizations/{id}/suspend", "POST /api/v1/organizations/{id}/reactivate", "GET /api/v1/outgoing-mail",
	"POST /api/v1/organizations/{id}/delete", "POST /api/v1/organizations/{id}/restore",
	"GET /api/v1/organization", "PATCH /api/v1/organization",
	"GET /api/v1/users/export", "POST /api/v1/outgoing-mail/{id}/resend",
	"GET /api/v1/users/{id}/sign-in-lock", "DELETE /api/v1/users/{id}/sign-in-lock",
	"GET /api/v1/me/organizations", "POST /api/v1/me/organization",
}

// foundationTags are the route tags of the foundation modules; other modules test
// their own routes.
var foundationTags = []string{"operations", "meta", "organizations", "sessions", "users", "roles", "api-tokens", "audit", "mail"}

func TestEveryRouteHasAHappyPath(t *testing.T) {
	e := apptest.Start(t, "sqlite")
	for _, rt := range e.Main.API.Routes() {
		if !slices.Contains(foundationTags, rt.Tag) {
			continue
		}
		if !slices.Contains(happyRoutes, rt.Method+" "+rt.Path) {
			t.Errorf("route %s %s has no happy-path check in TestEndpointsHappyPath", rt.Method, rt.Path)
		}
	}
}

// TestEndpointsHappyPath calls every endpoint the way a client would and checks status
// codes, bodies and what the database holds afterwards.
func TestEndpointsHappyPath(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		anon := e.Anonymous()

		// Sign-up answers 201 with the organization in provisioning; the job activates it.
		var signup struct {
			Organization directory.Organization `json:"organization"`
			Admin        struct {
				ID       string `json:"id"`
				Username string `json:"username"`
			} `json:"admin"`
		}
		anon.Do("POST", "/api/v1/signup", apptest.SignupBody("Acme Corp", "acme", "owner@acme.example.com")).Want(http.StatusCreated).Decode(&signup)
		org := signup.Organization
		if org.ID == "" || org.Name != "Acme Corp" || org.InitialDomain != "acme.atrium.localhost" || org.State != directory.OrgProvisioning {
			t.Errorf("signup organization = %+v", org)
		}
		if signup.Admin.ID == "" || signup.Admin.Username != "admin@acme.atrium.localhost" {
			t.Errorf("signup admin = %+v", signup.Admin)
		}
		if got := e.Strings("SELECT state FROM organizations WHERE id = $1", string(org.ID)); !slices.Equal(got, []string{"provisioning"}) {
			t.Errorf("state in db = %v", got)
		}
		if n := e.RunJobs(); n < 1 {
			t.Errorf("RunJobs ran %d jobs, want the provisioning job", n)
		}
		if got := e.Strings("SELECT state FROM organizations WHERE id = $1", string(org.ID)); !slices.Equal(got, []string{"active"}) {
			t.Errorf("state after provisioning = %v", got)
		}

		// Sign-in: 201, token and user, and a cookie.
		var session struct {
			Token     string         `json:"token"`
			CSRFToken string         `json:"csrf_token"`
			User      directory.User `json:"user"`
		}
		res := anon.Do("POST", "/api/v1/sessions", map[string]any{"username": "ADMIN@acme.atrium.localhost", "password": apptest.Password}).
			Want(http.StatusCreated).Decode(&session)
		if !strings.HasPrefix(session.Token, "ats_") || session.User.ID != "" && string(session.User.ID) != signup.Admin.ID || session.CSRFToken == "" {
			t.Errorf("session = %+v", session)
		}
		if cookies := res.Cookies(); len(cookies) != 1 || cookies[0].Name != httpapi.CookieName || cookies[0].Value != session.Token {
			t.Errorf("cookies = %v", cookies)
		}
		admin := e.Bearer(session.Token)

		// GET /me as bearer and as cookie (the cookie variant carries the CSRF token).
		var me httpapi.Me
		admin.Do("GET", "/api/v1/me", nil).Want(http.StatusOK).Decode(&me)
		if me.User == nil || string(me.User.ID) != signup.Admin.ID || me.Organization.ID != org.ID || !slices.Equal(me.Roles, []access.Role{access.GlobalAdmin}) {
			t.Errorf("me = %+v", me)
		}
		cookieAdmin := &apptest.Client{}
		*cookieAdmin = *e.Anonymous()
		cookieAdmin.Cookie = session.Token
		cookieAdmin.Do("GET", "/api/v1/me", nil).Want(http.StatusOK).Decode(&me)
		if me.CSRFToken != session.CSRFToken {
			t.Errorf("me.csrf_token = %q, sign-in gave %q", me.CSRFToken, session.CSRFToken)
		}

		// The organizations one may work in: home only, until someone invites them as a guest.
		var myOrgs httpapi.List[struct {
			OrgID   string `json:"org_id"`
			Home    bool   `json:"home"`
			Current bool   `json:"current"`
		}]
		admin.Do("GET", "/api/v1/me/organizations", nil).Want(http.StatusOK).Decode(&myOrgs)
		if len(myOrgs.Items) != 1 || myOrgs.Items[0].OrgID != string(org.ID) || !myOrgs.Items[0].Home || !myOrgs.Items[0].Current {
			t.Errorf("my organizations = %+v", myOrgs.Items)
		}
		admin.Do("POST", "/api/v1/me/organization", map[string]any{"org_id": org.ID}).Want(http.StatusOK)

		// Users: create (with and without password), get, list, patch.
		var created struct {
			directory.User
			GeneratedPassword string `json:"generated_password"`
		}
		res = admin.Do("POST", "/api/v1/users", map[string]any{"username": "ada", "display_name": "Ada Lovelace", "first_name": "Ada",
			"last_name": "Lovelace", "contact_email": "ada@example.com", "job_title": "Engineer", "department": "R&D", "usage_location": "gb"}).
			Want(http.StatusCreated).Decode(&created)
		ada := created.User
		if ada.Username != "ada@acme.atrium.localhost" || ada.UsageLocation != "GB" || !ada.MustChangePassword || len(created.GeneratedPassword) < 12 {
			t.Errorf("created = %+v", created)
		}
		if res.Header.Get("Location") != "/api/v1/users/"+string(ada.ID) || res.Header.Get("ETag") != `"1"` {
			t.Errorf("Location %q ETag %q", res.Header.Get("Location"), res.Header.Get("ETag"))
		}
		if n := e.Count("SELECT count(*) FROM users WHERE id = $1 AND org_id = $2 AND department = 'R&D'", string(ada.ID), string(org.ID)); n != 1 {
			t.Errorf("ada rows = %d", n)
		}
		created = struct {
			directory.User
			GeneratedPassword string `json:"generated_password"`
		}{}
		admin.Do("POST", "/api/v1/users", map[string]any{"username": "grace@acme.atrium.localhost", "display_name": "Grace Hopper",
			"password": "Grace-Passw0rd!", "must_change_password": false}).Want(http.StatusCreated).Decode(&created)
		grace := created.User
		if created.GeneratedPassword != "" || grace.MustChangePassword {
			t.Errorf("grace = %+v", created)
		}
		var got directory.User
		res = admin.Do("GET", "/api/v1/users/"+string(ada.ID), nil).Want(http.StatusOK).Decode(&got)
		if got.ID != ada.ID || got.DisplayName != "Ada Lovelace" || res.Header.Get("ETag") != `"1"` {
			t.Errorf("get ada = %+v, ETag %q", got, res.Header.Get("ETag"))
		}
		var page directory.UserPage
		admin.Do("GET", "/api/v1/users?limit=2", nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) != 2 || page.NextCursor == "" || page.Items[0].DisplayName != "Acme Corp Admin" || page.Items[1].DisplayName != "Ada Lovelace" {
			t.Errorf("first page = %+v", page)
		}
		admin.Do("GET", "/api/v1/users?limit=2&cursor="+q(page.NextCursor), nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.Items[0].ID != grace.ID || page.NextCursor != "" {
			t.Errorf("second page = %+v", page)
		}
		admin.Do("GET", "/api/v1/users?q=LOVELACE", nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.Items[0].ID != ada.ID {
			t.Errorf("search = %+v", page)
		}
		res = admin.DoHeader("PATCH", "/api/v1/users/"+string(ada.ID), map[string]any{"job_title": "Countess", "department": " "},
			http.Header{"If-Match": {`"1"`}}).Want(http.StatusOK).Decode(&got)
		if got.JobTitle != "Countess" || got.Department != "" || res.Header.Get("ETag") != `"2"` {
			t.Errorf("patched = %+v ETag %q", got, res.Header.Get("ETag"))
		}
		if got := e.Strings("SELECT job_title FROM users WHERE id = $1", string(ada.ID)); !slices.Equal(got, []string{"Countess"}) {
			t.Errorf("job_title in db = %v", got)
		}

		// Password reset: generated password, must change, mail to the contact address.
		var reset struct {
			GeneratedPassword string `json:"generated_password"`
			MustChange        bool   `json:"must_change_password"`
		}
		admin.Do("POST", "/api/v1/users/"+string(ada.ID)+"/password-reset", nil).Want(http.StatusOK).Decode(&reset)
		if len(reset.GeneratedPassword) < 12 || !reset.MustChange {
			t.Errorf("reset = %+v", reset)
		}
		if n := e.Count("SELECT count(*) FROM mail_outbox WHERE to_addr = 'ada@example.com' AND template = 'password_reset'"); n != 1 {
			t.Errorf("password reset mails = %d", n)
		}
		reset.GeneratedPassword = ""
		admin.Do("POST", "/api/v1/users/"+string(grace.ID)+"/password-reset", map[string]any{"password": "Chosen-Passw0rd!"}).Want(http.StatusOK).Decode(&reset)
		if reset.GeneratedPassword != "" {
			t.Errorf("chosen password reset generated %q", reset.GeneratedPassword)
		}
		if n := e.Count("SELECT count(*) FROM users WHERE id = $1 AND must_change_password = TRUE", string(grace.ID)); n != 1 {
			t.Error("grace must_change_password not set")
		}

		// Sign-in lock: five failures lock ada out from this address; an admin unlocks her.
		for range 5 {
			anon.Do("POST", "/api/v1/sessions", map[string]any{"username": ada.Username, "password": "Wrong-Passw0rd!"}).Want(http.StatusUnauthorized)
		}
		var lock auth.SignInLock
		admin.Do("GET", "/api/v1/users/"+string(ada.ID)+"/sign-in-lock", nil).Want(http.StatusOK).Decode(&lock)
		if !lock.Locked || lock.Addresses != 1 || lock.Failures != 5 {
			t.Errorf("sign-in lock = %+v", lock)
		}
		admin.Do("DELETE", "/api/v1/users/"+string(ada.ID)+"/sign-in-lock", nil).Want(http.StatusNoContent)
		if n := e.Count("SELECT count(*) FROM signin_throttle WHERE account = $1", ada.Username); n != 0 {
			t.Errorf("%d throttle rows of ada after unlock", n)
		}

		// Roles.
		var roles httpapi.List[httpapi.RoleInfo]
		admin.Do("GET", "/api/v1/roles", nil).Want(http.StatusOK).Decode(&roles)
		var names []string
		for _, r := range roles.Items {
			names = append(names, r.Name)
			if r.Operator {
				t.Errorf("tenant sees operator role %s", r.Name)
			}
			if r.Name == "global_admin" && (len(r.Holders) != 1 || string(r.Holders[0].ID) != signup.Admin.ID) {
				t.Errorf("global_admin holders = %+v", r.Holders)
			}
		}
		if !slices.Equal(names, []string{"global_admin", "billing_admin", "user_admin", "helpdesk_admin", "license_admin", "service_support_admin", "global_reader",
			"groups_admin"}) {
			t.Errorf("roles = %v", names)
		}
		admin.Do("PUT", "/api/v1/users/"+string(grace.ID)+"/roles/user_admin", nil).Want(http.StatusOK).Decode(&got)
		if !slices.Equal(got.Roles, []access.Role{access.UserAdmin}) {
			t.Errorf("grace roles = %v", got.Roles)
		}
		admin.Do("PUT", "/api/v1/users/"+string(grace.ID)+"/roles/user_admin", nil).Want(http.StatusOK) // idempotent
		if n := e.Count("SELECT count(*) FROM role_assignments WHERE user_id = $1 AND role = 'user_admin'", string(grace.ID)); n != 1 {
			t.Errorf("user_admin assignments = %d", n)
		}
		got = directory.User{}
		admin.Do("DELETE", "/api/v1/users/"+string(grace.ID)+"/roles/user_admin", nil).Want(http.StatusOK).Decode(&got)
		if len(got.Roles) != 0 || e.Count("SELECT count(*) FROM role_assignments WHERE user_id = $1", string(grace.ID)) != 0 {
			t.Errorf("grace roles after removal = %v", got.Roles)
		}

		// Delete, list deleted, restore.
		admin.Do("DELETE", "/api/v1/users/"+string(grace.ID), nil).Want(http.StatusNoContent)
		admin.Do("GET", "/api/v1/deleted-users", nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.Items[0].ID != grace.ID || page.Items[0].DeletedAt == nil {
			t.Errorf("deleted users = %+v", page)
		}
		admin.Do("GET", "/api/v1/users", nil).Want(http.StatusOK).Decode(&page)
		for _, u := range page.Items {
			if u.ID == grace.ID {
				t.Error("deleted user still listed")
			}
		}
		admin.Do("POST", "/api/v1/users/"+string(grace.ID)+"/restore", nil).Want(http.StatusOK).Decode(&got)
		if got.DeletedAt != nil || e.Count("SELECT count(*) FROM users WHERE id = $1 AND deleted_at IS NULL", string(grace.ID)) != 1 {
			t.Errorf("restored = %+v", got)
		}

		// API tokens.
		var token struct {
			auth.APIToken
			Token string `json:"token"`
		}
		admin.Do("POST", "/api/v1/api-tokens", map[string]any{"name": "ci", "role": "global_reader"}).Want(http.StatusCreated).Decode(&token)
		if token.ID == "" || !strings.HasPrefix(token.Token, "atk_") || token.Role != access.GlobalReader || token.Name != "ci" {
			t.Errorf("token = %+v", token)
		}
		var tokens httpapi.List[auth.APIToken]
		admin.Do("GET", "/api/v1/api-tokens", nil).Want(http.StatusOK).Decode(&tokens)
		if len(tokens.Items) != 1 || tokens.Items[0].ID != token.ID {
			t.Errorf("tokens = %+v", tokens)
		}
		e.Bearer(token.Token).Do("GET", "/api/v1/users", nil).Want(http.StatusOK)
		admin.Do("DELETE", "/api/v1/api-tokens/"+token.ID, nil).Want(http.StatusNoContent)
		if n := e.Count("SELECT count(*) FROM api_tokens WHERE id = $1 AND revoked_at IS NOT NULL", token.ID); n != 1 {
			t.Error("token not revoked in db")
		}

		// Audit log.
		var log audit.Page
		admin.Do("GET", "/api/v1/audit-log?limit=200", nil).Want(http.StatusOK).Decode(&log)
		var actions []string
		for _, en := range log.Items {
			actions = append(actions, en.Action)
		}
		for _, want := range []string{"org.create", "org.activate", "session.create", "user.create", "user.update", "user.reset_password",
			"role.assign", "role.remove", "user.delete", "user.restore", "token.create", "token.revoke", "user.unlock"} {
			if !slices.Contains(actions, want) {
				t.Errorf("audit log lacks %s: %v", want, actions)
			}
		}

		// Own organization.
		var o directory.Organization
		admin.Do("GET", "/api/v1/organizations/"+string(org.ID), nil).Want(http.StatusOK).Decode(&o)
		if o.ID != org.ID || o.State != directory.OrgActive {
			t.Errorf("own org = %+v", o)
		}
		ores := admin.Do("GET", "/api/v1/organization", nil).Want(http.StatusOK)
		var mine directory.Organization
		ores.Decode(&mine)
		if mine.ID != org.ID || ores.Header.Get("ETag") == "" {
			t.Errorf("GET /api/v1/organization = %+v, ETag %q", mine, ores.Header.Get("ETag"))
		}
		var renamed directory.Organization
		pres := admin.DoHeader("PATCH", "/api/v1/organization", map[string]any{"address": "1 Main St"}, http.Header{"If-Match": {ores.Header.Get("ETag")}}).
			Want(http.StatusOK)
		pres.Decode(&renamed)
		if renamed.Address != "1 Main St" || pres.Header.Get("ETag") == ores.Header.Get("ETag") {
			t.Errorf("PATCH /api/v1/organization = %+v, ETag %q", renamed, pres.Header.Get("ETag"))
		}
		if csv := admin.Do("GET", "/api/v1/users/export", nil).Want(http.StatusOK); !strings.HasPrefix(string(csv.Body), "username,display_name") {
			t.Errorf("GET /api/v1/users/export = %q", csv.Body)
		}

		// Operator: organizations, suspend, reactivate, outgoing mail.
		op := e.Operator()
		var orgs httpapi.List[directory.Organization]
		op.Do("GET", "/api/v1/organizations", nil).Want(http.StatusOK).Decode(&orgs)
		if len(orgs.Items) != 2 {
			t.Errorf("organizations = %+v", orgs)
		}
		op.Do("POST", "/api/v1/organizations/"+string(org.ID)+"/suspend", nil).Want(http.StatusOK).Decode(&o)
		if o.State != directory.OrgSuspended || e.Count("SELECT count(*) FROM organizations WHERE id = $1 AND state = 'suspended'", string(org.ID)) != 1 {
			t.Errorf("suspended = %+v", o)
		}
		op.Do("POST", "/api/v1/organizations/"+string(org.ID)+"/reactivate", nil).Want(http.StatusOK).Decode(&o)
		if o.State != directory.OrgActive {
			t.Errorf("reactivated = %+v", o)
		}
		gone := e.Signup("Gone Ltd", "gone")
		op.Do("POST", "/api/v1/organizations/"+string(gone.ID)+"/suspend", nil).Want(http.StatusOK)
		op.Do("POST", "/api/v1/organizations/"+string(gone.ID)+"/delete", map[string]any{"confirm": "gone ltd"}).Want(http.StatusOK).Decode(&o)
		if o.State != directory.OrgDeleted || o.PurgeAt == nil || !o.PurgeAt.Equal(e.Clock.Now().Add(directory.RestoreWindow)) {
			t.Errorf("deleted = %+v", o)
		}
		var back directory.Organization
		op.Do("POST", "/api/v1/organizations/"+string(gone.ID)+"/restore", nil).Want(http.StatusOK).Decode(&back)
		if back.State != directory.OrgSuspended || back.DeletedAt != nil {
			t.Errorf("restored = %+v", back)
		}
		var outbox httpapi.List[mail.Rendered]
		op.Do("GET", "/api/v1/outgoing-mail?q=owner@acme", nil).Want(http.StatusOK).Decode(&outbox)
		if len(outbox.Items) != 1 || outbox.Items[0].To != "owner@acme.example.com" || !strings.Contains(outbox.Items[0].Text, "admin@acme.atrium.localhost") {
			t.Errorf("welcome mail = %+v", outbox)
		}
		var again mail.Rendered
		op.Do("POST", "/api/v1/outgoing-mail/"+outbox.Items[0].ID+"/resend", nil).Want(http.StatusCreated).Decode(&again)
		if again.ResendOf != outbox.Items[0].ID || again.To != outbox.Items[0].To || again.From == "" || again.ID == outbox.Items[0].ID {
			t.Errorf("resent mail = %+v", again)
		}

		// Own sessions, password change, sign-out. Suspension ended the admin's session.
		admin = e.SignIn("admin@acme.atrium.localhost", apptest.Password)
		other := e.SignIn("admin@acme.atrium.localhost", apptest.Password)
		var sessions httpapi.List[auth.Session]
		admin.Do("GET", "/api/v1/me/sessions", nil).Want(http.StatusOK).Decode(&sessions)
		// Three sessions: the one from before the suspension (no longer usable), admin's and other's.
		if len(sessions.Items) != 3 {
			t.Fatalf("sessions = %+v", sessions)
		}
		for _, s := range sessions.Items {
			if !s.Current {
				admin.Do("DELETE", "/api/v1/me/sessions/"+s.ID, nil).Want(http.StatusNoContent)
			}
		}
		if n := e.Count("SELECT count(*) FROM sessions WHERE user_id = $1", signup.Admin.ID); n != 1 {
			t.Errorf("sessions left = %d, want 1", n)
		}
		other.Do("GET", "/api/v1/me", nil).Want(http.StatusUnauthorized)
		admin.Do("POST", "/api/v1/me/password", map[string]any{"current_password": apptest.Password, "new_password": "Changed-Passw0rd!"}).
			Want(http.StatusNoContent)
		admin.Do("GET", "/api/v1/me", nil).Want(http.StatusOK)
		// Your own display language, or back to the organization's.
		var self httpapi.Me
		admin.Do("PATCH", "/api/v1/me", map[string]any{"language": "sv"}).Want(http.StatusOK).Decode(&self)
		if self.User == nil || self.User.Language != "sv" {
			t.Errorf("after choosing Swedish, me = %+v", self.User)
		}
		admin.Do("PATCH", "/api/v1/me", map[string]any{"language": "de"}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "language")
		admin.Do("PATCH", "/api/v1/me", map[string]any{"language": ""}).Want(http.StatusOK).Decode(&self)
		if self.User.Language != "" {
			t.Errorf("after following the organization, language = %q", self.User.Language)
		}
		admin.Do("DELETE", "/api/v1/sessions/current", nil).Want(http.StatusNoContent)
		admin.Do("GET", "/api/v1/me", nil).Want(http.StatusUnauthorized)
		e.SignIn("admin@acme.atrium.localhost", "Changed-Passw0rd!")

		// Operations endpoints.
		anon.Do("GET", "/healthz", nil).Want(http.StatusOK)
		anon.Do("GET", "/readyz", nil).Want(http.StatusOK)
		anon.Do("GET", "/metrics", nil).Want(http.StatusOK)
		anon.Do("GET", "/api/v1/openapi.json", nil).Want(http.StatusOK)
	})
}
