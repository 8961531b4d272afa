package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/httpapi"
)

// TestBadInput: every kind of bad input gets a 4xx problem+json with a stable code and,
// where there is one, the offending field, and nothing is written.
func TestBadInput(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Input Co", "input")
		existing := a.Admin.CreateUser("carol")
		user := "/api/v1/users/" + string(existing.ID)
		op := e.Operator()
		long := strings.Repeat("x", 10_000)
		huge := `{"organization_name":"` + strings.Repeat("a", 10<<20) + `"}`
		signup := func(change map[string]any) map[string]any {
			body := apptest.SignupBody("Fresh Co", "fresh", "owner@fresh.example.com")
			for k, v := range change {
				body[k] = v
			}
			return body
		}
		newUser := func(change map[string]any) map[string]any {
			body := map[string]any{"username": "dave", "display_name": "Dave", "password": apptest.Password}
			for k, v := range change {
				body[k] = v
			}
			return body
		}
		cases := []struct {
			name   string
			caller *apptest.Client
			method string
			path   string
			body   any
			header http.Header
			status int
			code   atrium.Code
			field  string
		}{
			// Request bodies.
			{"malformed JSON", nil, "POST", "/api/v1/signup", `{"organization_name":`, nil, 400, atrium.CodeInvalid, ""},
			{"not JSON at all", nil, "POST", "/api/v1/signup", `organization_name=x`, nil, 400, atrium.CodeInvalid, ""},
			{"empty body", nil, "POST", "/api/v1/signup", "", nil, 400, atrium.CodeInvalid, ""},
			{"JSON array", nil, "POST", "/api/v1/signup", `[]`, nil, 400, atrium.CodeInvalid, ""},
			{"JSON string", nil, "POST", "/api/v1/signup", `"signup"`, nil, 400, atrium.CodeInvalid, ""},
			{"two objects", nil, "POST", "/api/v1/signup", `{}{}`, nil, 400, atrium.CodeInvalid, ""},
			{"wrong content type", nil, "POST", "/api/v1/signup", signup(nil), http.Header{"Content-Type": {"text/plain"}}, 400, atrium.CodeInvalid, ""},
			{"10 MB body", nil, "POST", "/api/v1/signup", huge, nil, 413, atrium.CodeTooLarge, ""},
			{"seats as words", nil, "POST", "/api/v1/signup", signup(map[string]any{"seats": "ten"}), nil, 400, atrium.CodeInvalid, "seats"},
			{"seats fractional", nil, "POST", "/api/v1/signup", signup(map[string]any{"seats": 1.5}), nil, 400, atrium.CodeInvalid, "seats"},
			{"seats zero", nil, "POST", "/api/v1/signup", signup(map[string]any{"seats": 0}), nil, 400, atrium.CodeInvalid, "seats"},
			{"seats huge", nil, "POST", "/api/v1/signup", signup(map[string]any{"seats": 1e12}), nil, 400, atrium.CodeInvalid, "seats"},
			{"unknown field", nil, "POST", "/api/v1/signup", signup(map[string]any{"plan": "gold"}), nil, 400, atrium.CodeInvalid, "plan"},
			{"name as object", nil, "POST", "/api/v1/signup", signup(map[string]any{"organization_name": map[string]any{}}), nil, 400, atrium.CodeInvalid, "organization_name"},
			{"invalid contact email", nil, "POST", "/api/v1/signup", signup(map[string]any{"contact_email": "not-an-email"}), nil, 400, atrium.CodeInvalid, "contact_email"},
			{"display-name email", nil, "POST", "/api/v1/signup", signup(map[string]any{"contact_email": "Bob <bob@example.com>"}), nil, 400, atrium.CodeInvalid, "contact_email"},
			{"invalid admin username", nil, "POST", "/api/v1/signup", signup(map[string]any{"admin_username": "bad name!"}), nil, 400, atrium.CodeInvalid, "admin_username"},
			{"sql in admin username", nil, "POST", "/api/v1/signup", signup(map[string]any{"admin_username": "'; DROP TABLE users; --"}), nil, 400, atrium.CodeInvalid, "admin_username"},
			{"invalid prefix", nil, "POST", "/api/v1/signup", signup(map[string]any{"domain_prefix": "under_score"}), nil, 400, atrium.CodeInvalid, "domain_prefix"},
			{"prefix with wildcard", nil, "POST", "/api/v1/signup", signup(map[string]any{"domain_prefix": "%"}), nil, 400, atrium.CodeInvalid, "domain_prefix"},
			{"10k organization name", nil, "POST", "/api/v1/signup", signup(map[string]any{"organization_name": long}), nil, 400, atrium.CodeInvalid, "organization_name"},
			{"10k prefix", nil, "POST", "/api/v1/signup", signup(map[string]any{"domain_prefix": long}), nil, 400, atrium.CodeInvalid, "domain_prefix"},
			{"weak admin password", nil, "POST", "/api/v1/signup", signup(map[string]any{"admin_password": "password"}), nil, 400, atrium.CodeInvalid, "admin_password"},
			{"control characters in name", nil, "POST", "/api/v1/signup", signup(map[string]any{"organization_name": "Evil\u0000Co"}), nil, 400, atrium.CodeInvalid, "organization_name"},

			{"user: malformed JSON", a.Admin, "POST", "/api/v1/users", `{"username":"x",`, nil, 400, atrium.CodeInvalid, ""},
			{"user: 10 MB body", a.Admin, "POST", "/api/v1/users", `{"display_name":"` + strings.Repeat("a", 10<<20) + `"}`, nil, 413, atrium.CodeTooLarge, ""},
			{"user: invalid username", a.Admin, "POST", "/api/v1/users", newUser(map[string]any{"username": "Alice Smith"}), nil, 400, atrium.CodeInvalid, "username"},
			{"user: foreign domain", a.Admin, "POST", "/api/v1/users", newUser(map[string]any{"username": "dave@evil.example"}), nil, 400, atrium.CodeInvalid, "username"},
			{"user: another org's domain", a.Admin, "POST", "/api/v1/users", newUser(map[string]any{"username": "dave@operator.atrium.localhost"}), nil, 400, atrium.CodeInvalid, "username"},
			{"user: sql in username", a.Admin, "POST", "/api/v1/users", newUser(map[string]any{"username": "x'; DROP TABLE users; --"}), nil, 400, atrium.CodeInvalid, "username"},
			{"user: wildcard username", a.Admin, "POST", "/api/v1/users", newUser(map[string]any{"username": "%"}), nil, 400, atrium.CodeInvalid, "username"},
			{"user: backslash username", a.Admin, "POST", "/api/v1/users", newUser(map[string]any{"username": `a\b`}), nil, 400, atrium.CodeInvalid, "username"},
			{"user: 10k username", a.Admin, "POST", "/api/v1/users", newUser(map[string]any{"username": long}), nil, 400, atrium.CodeInvalid, "username"},
			{"user: duplicate username in other case", a.Admin, "POST", "/api/v1/users", newUser(map[string]any{"username": "CAROL"}), nil, 409, atrium.CodeConflict, "username"},
			{"user: duplicate qualified username", a.Admin, "POST", "/api/v1/users", newUser(map[string]any{"username": "Carol@Input.Atrium.Localhost"}), nil, 409, atrium.CodeConflict, "username"},
			{"user: 10k display name", a.Admin, "POST", "/api/v1/users", newUser(map[string]any{"display_name": long}), nil, 400, atrium.CodeInvalid, "display_name"},
			{"user: no display name", a.Admin, "POST", "/api/v1/users", newUser(map[string]any{"display_name": "  "}), nil, 400, atrium.CodeInvalid, "display_name"},
			{"user: invalid contact email", a.Admin, "POST", "/api/v1/users", newUser(map[string]any{"contact_email": "a@b"}), nil, 400, atrium.CodeInvalid, "contact_email"},
			{"user: 10k contact email", a.Admin, "POST", "/api/v1/users", newUser(map[string]any{"contact_email": long + "@example.com"}), nil, 400, atrium.CodeInvalid, "contact_email"},
			{"user: bad country", a.Admin, "POST", "/api/v1/users", newUser(map[string]any{"usage_location": "USA"}), nil, 400, atrium.CodeInvalid, "usage_location"},
			{"user: weak password", a.Admin, "POST", "/api/v1/users", newUser(map[string]any{"password": "short"}), nil, 400, atrium.CodeInvalid, "password"},
			{"user: flag as string", a.Admin, "POST", "/api/v1/users", newUser(map[string]any{"must_change_password": "yes"}), nil, 400, atrium.CodeInvalid, "must_change_password"},
			{"user: unknown field", a.Admin, "POST", "/api/v1/users", newUser(map[string]any{"is_admin": true}), nil, 400, atrium.CodeInvalid, "is_admin"},
			{"user: control characters", a.Admin, "POST", "/api/v1/users", newUser(map[string]any{"job_title": "a\tb"}), nil, 400, atrium.CodeInvalid, "job_title"},

			{"patch: empty display name", a.Admin, "PATCH", user, map[string]any{"display_name": ""}, nil, 400, atrium.CodeInvalid, "display_name"},
			{"patch: number for text", a.Admin, "PATCH", user, map[string]any{"display_name": 123}, nil, 400, atrium.CodeInvalid, "display_name"},
			{"patch: string for flag", a.Admin, "PATCH", user, map[string]any{"blocked": "yes"}, nil, 400, atrium.CodeInvalid, "blocked"},
			{"patch: username is not patchable", a.Admin, "PATCH", user, map[string]any{"username": "eve"}, nil, 400, atrium.CodeInvalid, "username"},
			{"patch: 10k department", a.Admin, "PATCH", user, map[string]any{"department": long}, nil, 400, atrium.CodeInvalid, "department"},
			{"patch: invalid email", a.Admin, "PATCH", user, map[string]any{"contact_email": "carol at example.com"}, nil, 400, atrium.CodeInvalid, "contact_email"},
			{"patch: unknown user", a.Admin, "PATCH", "/api/v1/users/no-such-user", map[string]any{"job_title": "x"}, nil, 404, atrium.CodeNotFound, ""},
			{"patch: sql as id", a.Admin, "PATCH", "/api/v1/users/" + q("' OR '1'='1"), map[string]any{"job_title": "x"}, nil, 404, atrium.CodeNotFound, ""},

			{"reset: weak password", a.Admin, "POST", user + "/password-reset", map[string]any{"password": "short"}, nil, 400, atrium.CodeInvalid, "password"},
			{"reset: number password", a.Admin, "POST", user + "/password-reset", map[string]any{"password": 12345678}, nil, 400, atrium.CodeInvalid, "password"},
			{"reset: unknown user", a.Admin, "POST", "/api/v1/users/nobody/password-reset", nil, nil, 404, atrium.CodeNotFound, ""},
			{"restore: not deleted", a.Admin, "POST", user + "/restore", nil, nil, 409, atrium.CodeConflict, ""},

			{"role: unknown", a.Admin, "PUT", user + "/roles/root", nil, nil, 400, atrium.CodeInvalid, "role"},
			{"role: sql", a.Admin, "PUT", user + "/roles/" + q("admin' --"), nil, nil, 400, atrium.CodeInvalid, "role"},
			{"role: wrong case", a.Admin, "PUT", user + "/roles/Global_Admin", nil, nil, 400, atrium.CodeInvalid, "role"},
			{"role: operator role in a tenant", a.Admin, "PUT", user + "/roles/operator_admin", nil, nil, 400, atrium.CodeInvalid, "role"},
			{"role: unknown user", a.Admin, "PUT", "/api/v1/users/nobody/roles/user_admin", nil, nil, 404, atrium.CodeNotFound, ""},

			{"token: unknown role", a.Admin, "POST", "/api/v1/api-tokens", map[string]any{"name": "x", "role": "root"}, nil, 400, atrium.CodeInvalid, "role"},
			{"token: role as number", a.Admin, "POST", "/api/v1/api-tokens", map[string]any{"name": "x", "role": 0}, nil, 400, atrium.CodeInvalid, "role"},
			{"token: missing role", a.Admin, "POST", "/api/v1/api-tokens", map[string]any{"name": "x"}, nil, 400, atrium.CodeInvalid, "role"},
			{"token: empty role", a.Admin, "POST", "/api/v1/api-tokens", map[string]any{"name": "x", "role": ""}, nil, 400, atrium.CodeInvalid, "role"},
			{"token: no name", a.Admin, "POST", "/api/v1/api-tokens", map[string]any{"name": " ", "role": "global_reader"}, nil, 400, atrium.CodeInvalid, "name"},
			{"token: 10k name", a.Admin, "POST", "/api/v1/api-tokens", map[string]any{"name": long, "role": "global_reader"}, nil, 400, atrium.CodeInvalid, "name"},
			{"token: unparseable expiry", a.Admin, "POST", "/api/v1/api-tokens", map[string]any{"name": "x", "role": "global_reader", "expires_at": "tomorrow"}, nil, 400, atrium.CodeInvalid, "expires_at"},
			{"token: past expiry", a.Admin, "POST", "/api/v1/api-tokens", map[string]any{"name": "x", "role": "global_reader", "expires_at": "2001-01-01T00:00:00Z"}, nil, 400, atrium.CodeInvalid, "expires_at"},
			{"token: unknown id", a.Admin, "DELETE", "/api/v1/api-tokens/" + q("'; DROP TABLE api_tokens; --"), nil, nil, 404, atrium.CodeNotFound, ""},

			{"sign-in: number username", nil, "POST", "/api/v1/sessions", map[string]any{"username": 5, "password": "x"}, nil, 400, atrium.CodeInvalid, "username"},
			{"sign-in: empty", nil, "POST", "/api/v1/sessions", map[string]any{}, nil, 400, atrium.CodeInvalid, "username"},
			{"sign-in: 10k username", nil, "POST", "/api/v1/sessions", map[string]any{"username": long, "password": "x"}, nil, 400, atrium.CodeInvalid, "username"},
			{"sign-in: flag as string", nil, "POST", "/api/v1/sessions", map[string]any{"username": "a", "password": "b", "stay_signed_in": "yes"}, nil, 400, atrium.CodeInvalid, "stay_signed_in"},
			{"password change: weak", a.Admin, "POST", "/api/v1/me/password", map[string]any{"current_password": apptest.Password, "new_password": "weak"}, nil, 400, atrium.CodeInvalid, "new_password"},
			{"password change: wrong current", a.Admin, "POST", "/api/v1/me/password", map[string]any{"current_password": "Wrong-Passw0rd!", "new_password": "Other-Passw0rd!"}, nil, 400, atrium.CodeInvalid, "current_password"},

			// Query parameters.
			{"list: limit zero", a.Admin, "GET", "/api/v1/users?limit=0", nil, nil, 400, atrium.CodeInvalid, "limit"},
			{"list: limit too big", a.Admin, "GET", "/api/v1/users?limit=201", nil, nil, 400, atrium.CodeInvalid, "limit"},
			{"list: limit negative", a.Admin, "GET", "/api/v1/users?limit=-1", nil, nil, 400, atrium.CodeInvalid, "limit"},
			{"list: limit words", a.Admin, "GET", "/api/v1/users?limit=ten", nil, nil, 400, atrium.CodeInvalid, "limit"},
			{"list: limit sql", a.Admin, "GET", "/api/v1/users?limit=" + q("1; DROP TABLE users"), nil, nil, 400, atrium.CodeInvalid, "limit"},
			{"list: garbage cursor", a.Admin, "GET", "/api/v1/users?cursor=garbage", nil, nil, 400, atrium.CodeInvalid, "cursor"},
			{"list: sql cursor", a.Admin, "GET", "/api/v1/users?cursor=" + q("'; DROP TABLE users; --"), nil, nil, 400, atrium.CodeInvalid, "cursor"},
			{"list: cursor of another sort", a.Admin, "GET", "/api/v1/users?sort=created_at&cursor=" + q(nameCursor(t, a.Admin)), nil, nil, 400, atrium.CodeInvalid, "cursor"},
			{"list: unknown sort", a.Admin, "GET", "/api/v1/users?sort=password_hash", nil, nil, 400, atrium.CodeInvalid, "sort"},
			{"list: sql sort", a.Admin, "GET", "/api/v1/users?sort=" + q("sort_name; DROP TABLE users"), nil, nil, 400, atrium.CodeInvalid, "sort"},
			{"list: unknown order", a.Admin, "GET", "/api/v1/users?order=sideways", nil, nil, 400, atrium.CodeInvalid, "order"},
			{"list: 10k q", a.Admin, "GET", "/api/v1/users?q=" + long, nil, nil, 400, atrium.CodeInvalid, "q"},
			{"deleted: bad limit", a.Admin, "GET", "/api/v1/deleted-users?limit=0", nil, nil, 400, atrium.CodeInvalid, "limit"},
			{"deleted: bad cursor", a.Admin, "GET", "/api/v1/deleted-users?cursor=x", nil, nil, 400, atrium.CodeInvalid, "cursor"},
			{"audit: bad since", a.Admin, "GET", "/api/v1/audit-log?since=yesterday", nil, nil, 400, atrium.CodeInvalid, "since"},
			{"audit: bad until", a.Admin, "GET", "/api/v1/audit-log?until=2026-13-45", nil, nil, 400, atrium.CodeInvalid, "until"},
			{"audit: bad cursor", a.Admin, "GET", "/api/v1/audit-log?cursor=bad", nil, nil, 400, atrium.CodeInvalid, "cursor"},
			{"audit: bad limit", a.Admin, "GET", "/api/v1/audit-log?limit=0", nil, nil, 400, atrium.CodeInvalid, "limit"},
			{"audit: 10k actor", a.Admin, "GET", "/api/v1/audit-log?actor=" + long, nil, nil, 400, atrium.CodeInvalid, "actor"},
			{"audit csv: bad since", a.Admin, "GET", "/api/v1/audit-log?format=csv&since=nope", nil, nil, 400, atrium.CodeInvalid, "since"},
			{"orgs: bad state", op, "GET", "/api/v1/organizations?state=gone", nil, nil, 400, atrium.CodeInvalid, "state"},
			{"orgs: bad limit", op, "GET", "/api/v1/organizations?limit=x", nil, nil, 400, atrium.CodeInvalid, "limit"},
			{"orgs: bad cursor", op, "GET", "/api/v1/organizations?cursor=x", nil, nil, 400, atrium.CodeInvalid, "cursor"},
			{"orgs: 10k q", op, "GET", "/api/v1/organizations?q=" + long, nil, nil, 400, atrium.CodeInvalid, "q"},
			{"orgs: unknown org", op, "GET", "/api/v1/organizations/nope", nil, nil, 404, atrium.CodeNotFound, ""},
			{"orgs: suspend operator org", op, "POST", "/api/v1/organizations/" + string(op.Org) + "/suspend", nil, nil, 400, atrium.CodeInvalid, ""},
			{"orgs: reactivate active org", op, "POST", "/api/v1/organizations/" + string(a.ID) + "/reactivate", nil, nil, 409, atrium.CodeConflict, ""},
			{"mail: bad limit", op, "GET", "/api/v1/outgoing-mail?limit=1000", nil, nil, 400, atrium.CodeInvalid, "limit"},
			{"mail: bad cursor", op, "GET", "/api/v1/outgoing-mail?cursor=x", nil, nil, 400, atrium.CodeInvalid, "cursor"},

			// Text no database should store: invalid UTF-8, lone UTF-16 surrogates, NUL.
			{"invalid UTF-8 in name", nil, "POST", "/api/v1/signup", withRaw(signup(nil), "organization_name", "\"Evil\xff\xfeCo\""), nil, 400, atrium.CodeInvalid, "organization_name"},
			{"truncated UTF-8 in name", nil, "POST", "/api/v1/signup", withRaw(signup(nil), "organization_name", "\"Caf\xc3\""), nil, 400, atrium.CodeInvalid, "organization_name"},
			{"lone high surrogate", nil, "POST", "/api/v1/signup", withRaw(signup(nil), "organization_name", `"Evil\ud800Co"`), nil, 400, atrium.CodeInvalid, "organization_name"},
			{"lone low surrogate", nil, "POST", "/api/v1/signup", withRaw(signup(nil), "organization_name", `"Evil\udc00Co"`), nil, 400, atrium.CodeInvalid, "organization_name"},
			{"high surrogate before a letter", nil, "POST", "/api/v1/signup", withRaw(signup(nil), "organization_name", `"\ud800\u0041"`), nil, 400, atrium.CodeInvalid, "organization_name"},
			{"surrogates in the wrong order", nil, "POST", "/api/v1/signup", withRaw(signup(nil), "organization_name", `"\ude00\ud83d"`), nil, 400, atrium.CodeInvalid, "organization_name"},
			{"NUL in contact email", nil, "POST", "/api/v1/signup", withRaw(signup(nil), "contact_email", `"owner\u0000@fresh.example.com"`), nil, 400, atrium.CodeInvalid, "contact_email"},
			{"NUL in admin password", nil, "POST", "/api/v1/signup", withRaw(signup(nil), "admin_password", `"Fresh-Passw0rd!\u0000"`), nil, 400, atrium.CodeInvalid, "admin_password"},
			{"surrogate in admin username", nil, "POST", "/api/v1/signup", withRaw(signup(nil), "admin_username", `"\udfff"`), nil, 400, atrium.CodeInvalid, "admin_username"},
			{"invalid UTF-8 field name", nil, "POST", "/api/v1/signup", "{\"\xff\": 1}", nil, 400, atrium.CodeInvalid, ""},
			{"sign-in: NUL in username", nil, "POST", "/api/v1/sessions", `{"username":"admin\u0000","password":"x"}`, nil, 400, atrium.CodeInvalid, "username"},
			{"sign-in: invalid UTF-8 username", nil, "POST", "/api/v1/sessions", "{\"username\":\"\xff\xfe\",\"password\":\"x\"}", nil, 400, atrium.CodeInvalid, "username"},
			{"sign-in: surrogate in password", nil, "POST", "/api/v1/sessions", `{"username":"admin","password":"\ud800"}`, nil, 400, atrium.CodeInvalid, "password"},
			{"user: NUL in display name", a.Admin, "POST", "/api/v1/users", withRaw(newUser(nil), "display_name", `"Da\u0000ve"`), nil, 400, atrium.CodeInvalid, "display_name"},
			{"user: invalid UTF-8 username", a.Admin, "POST", "/api/v1/users", withRaw(newUser(nil), "username", "\"d\xe9ve\""), nil, 400, atrium.CodeInvalid, "username"},
			{"patch: invalid UTF-8 job title", a.Admin, "PATCH", user, "{\"job_title\":\"\xc3\x28\"}", nil, 400, atrium.CodeInvalid, "job_title"},
			{"licenses: NUL in a nested id", a.Admin, "PUT", user + "/licenses", `{"licenses":[{"product_id":"p\u0000"}]}`, nil, 400, atrium.CodeInvalid, "licenses.product_id"},
			{"licenses: surrogate in a nested list", a.Admin, "PUT", user + "/licenses", `{"licenses":[{"product_id":"p","disabled_service_plans":["ok","\udbff"]}]}`, nil, 400, atrium.CodeInvalid, "licenses.disabled_service_plans"},
			{"token: NUL in name", a.Admin, "POST", "/api/v1/api-tokens", `{"name":"\u0000","role":"global_reader"}`, nil, 400, atrium.CodeInvalid, "name"},

			// null, and no body where the document requires one.
			{"null body", nil, "POST", "/api/v1/signup", `null`, nil, 400, atrium.CodeInvalid, ""},
			{"null body with spaces", nil, "POST", "/api/v1/signup", " null\n", nil, 400, atrium.CodeInvalid, ""},
			{"sign-in: null", nil, "POST", "/api/v1/sessions", `null`, nil, 400, atrium.CodeInvalid, ""},
			{"sign-in: no body", nil, "POST", "/api/v1/sessions", nil, nil, 400, atrium.CodeInvalid, ""},
			{"user: null", a.Admin, "POST", "/api/v1/users", `null`, nil, 400, atrium.CodeInvalid, ""},
			{"user: no body", a.Admin, "POST", "/api/v1/users", nil, nil, 400, atrium.CodeInvalid, ""},
			{"patch: null", a.Admin, "PATCH", user, `null`, nil, 400, atrium.CodeInvalid, ""},
			{"reset: null", a.Admin, "POST", user + "/password-reset", `null`, nil, 400, atrium.CodeInvalid, ""},
			{"licenses: null", a.Admin, "PUT", user + "/licenses", `null`, nil, 400, atrium.CodeInvalid, ""},
			{"licenses: no body", a.Admin, "PUT", user + "/licenses", nil, nil, 400, atrium.CodeInvalid, ""},
			{"token: no body", a.Admin, "POST", "/api/v1/api-tokens", nil, nil, 400, atrium.CodeInvalid, ""},
			{"password change: null", a.Admin, "POST", "/api/v1/me/password", `null`, nil, 400, atrium.CodeInvalid, ""},

			// Path ids and query parameters that are not text: nothing has such an id.
			{"id: NUL", a.Admin, "GET", "/api/v1/users/%00", nil, nil, 404, atrium.CodeNotFound, ""},
			{"id: invalid UTF-8", a.Admin, "GET", "/api/v1/users/%FF", nil, nil, 404, atrium.CodeNotFound, ""},
			{"id: NUL after a real id", a.Admin, "GET", user + "%00", nil, nil, 404, atrium.CodeNotFound, ""},
			{"id: patch NUL", a.Admin, "PATCH", "/api/v1/users/%00", map[string]any{"job_title": "x"}, nil, 404, atrium.CodeNotFound, ""},
			{"id: delete invalid UTF-8", a.Admin, "DELETE", "/api/v1/users/%FF", nil, nil, 404, atrium.CodeNotFound, ""},
			{"id: role NUL", a.Admin, "PUT", user + "/roles/%00", nil, nil, 404, atrium.CodeNotFound, ""},
			{"id: token invalid UTF-8", a.Admin, "DELETE", "/api/v1/api-tokens/%FF", nil, nil, 404, atrium.CodeNotFound, ""},
			{"id: session NUL", a.Admin, "DELETE", "/api/v1/me/sessions/%00", nil, nil, 404, atrium.CodeNotFound, ""},
			{"id: organization NUL", op, "GET", "/api/v1/organizations/%00", nil, nil, 404, atrium.CodeNotFound, ""},
			{"id: anonymous", nil, "GET", "/api/v1/users/%FF", nil, nil, 404, atrium.CodeNotFound, ""},
			{"list: q NUL", a.Admin, "GET", "/api/v1/users?q=%00", nil, nil, 400, atrium.CodeInvalid, "q"},
			{"list: q invalid UTF-8", a.Admin, "GET", "/api/v1/users?q=a%FFb", nil, nil, 400, atrium.CodeInvalid, "q"},
			{"list: cursor NUL", a.Admin, "GET", "/api/v1/users?cursor=%00", nil, nil, 400, atrium.CodeInvalid, "cursor"},
			{"list: sort invalid UTF-8", a.Admin, "GET", "/api/v1/users?sort=%C3", nil, nil, 400, atrium.CodeInvalid, "sort"},
			{"list: two bad parameters", a.Admin, "GET", "/api/v1/users?q=%00&order=%FF", nil, nil, 400, atrium.CodeInvalid, "order"},
			{"list: unknown parameter NUL", a.Admin, "GET", "/api/v1/users?nope=%00", nil, nil, 400, atrium.CodeInvalid, "nope"},
			{"deleted: q NUL", a.Admin, "GET", "/api/v1/deleted-users?q=%00", nil, nil, 400, atrium.CodeInvalid, "q"},
			{"audit: actor NUL", a.Admin, "GET", "/api/v1/audit-log?actor=%00", nil, nil, 400, atrium.CodeInvalid, "actor"},
			{"audit: target invalid UTF-8", a.Admin, "GET", "/api/v1/audit-log?target=%FF", nil, nil, 400, atrium.CodeInvalid, "target"},
			{"tokens: q NUL", a.Admin, "GET", "/api/v1/api-tokens?q=%00", nil, nil, 400, atrium.CodeInvalid, "q"},
			{"orgs: q NUL", op, "GET", "/api/v1/organizations?q=%00", nil, nil, 400, atrium.CodeInvalid, "q"},
			{"mail: q invalid UTF-8", op, "GET", "/api/v1/outgoing-mail?q=%FF", nil, nil, 400, atrium.CodeInvalid, "q"},
			{"sign-in: query NUL", nil, "POST", "/api/v1/sessions?x=%00", map[string]any{"username": "admin", "password": "x"}, nil, 400, atrium.CodeInvalid, "x"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e := e.For(t)
				caller := c.caller
				if caller == nil {
					caller = e.Anonymous()
				}
				caller = caller.For(t)
				// Stay under the per-address sign-up limit.
				e.Clock.Advance(time.Minute + time.Second)
				before := rowCounts(e)
				res := caller.DoHeader(c.method, c.path, c.body, c.header)
				var fields []string
				if c.field != "" {
					fields = []string{c.field}
				}
				p := res.WantProblem(c.status, c.code, fields...)
				if p.Detail == "" || strings.Contains(p.Detail, "sql") || strings.Contains(p.Detail, "SQLSTATE") {
					t.Errorf("detail %q", p.Detail)
				}
				wantCounts(t, e, before, c.name)
			})
		}
		if n := e.Count("SELECT count(*) FROM users"); n < 2 {
			t.Errorf("users table lost rows: %d", n)
		}
	})
}

// withRaw returns body as JSON with field's value replaced by literal, JSON text that
// json.Marshal would never write (invalid UTF-8, lone surrogate escapes).
func withRaw(body map[string]any, field, literal string) string {
	body[field] = "@raw@"
	data, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	return strings.Replace(string(data), `"@raw@"`, literal, 1)
}

// nameCursor returns a cursor of the user list sorted by name.
func nameCursor(t *testing.T, c *apptest.Client) string {
	t.Helper()
	var page directory.UserPage
	c.Do("GET", "/api/v1/users?limit=1", nil).Want(http.StatusOK).Decode(&page)
	if page.NextCursor == "" {
		t.Fatal("no cursor")
	}
	return page.NextCursor
}

// TestSearchMetacharacters: SQL and LIKE metacharacters in q and in stored fields are
// matched literally.
func TestSearchMetacharacters(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Meta Co", "meta")
		names := map[string]string{
			"obrien":  "Conan O'Brien",
			"percent": "100% Real",
			"under":   "Under_Score",
			"slash":   `Back\Slash`,
			"drop":    "'; DROP TABLE users; --",
			"plain":   "Plain Person",
			"quote":   `Say "Hi"`,
		}
		ids := map[string]string{}
		for local, display := range names {
			var u apptest.User
			a.Admin.Do("POST", "/api/v1/users", map[string]any{"username": local, "display_name": display, "password": apptest.Password}).
				Want(http.StatusCreated).Decode(&u)
			ids[local] = string(u.ID)
			if got := e.Strings("SELECT display_name FROM users WHERE id = $1", string(u.ID)); !slices.Equal(got, []string{display}) {
				t.Errorf("stored %q as %v", display, got)
			}
		}
		cases := []struct {
			q    string
			want []string
		}{
			{"%", []string{"percent"}},
			{"_", []string{"under"}},
			{`\`, []string{"slash"}},
			{"'", []string{"obrien", "drop"}},
			{"'; DROP TABLE users; --", []string{"drop"}},
			{`"`, []string{"quote"}},
			{"%%", nil},
			{"o'b", []string{"obrien"}},
			{"100%", []string{"percent"}},
			{"r_s", []string{"under"}},
			{"d_r", nil},
		}
		for _, c := range cases {
			t.Run(c.q, func(t *testing.T) {
				var page directory.UserPage
				a.Admin.For(t).Do("GET", "/api/v1/users?limit=200&q="+q(c.q), nil).Want(http.StatusOK).Decode(&page)
				var got []string
				for _, u := range page.Items {
					for local, id := range ids {
						if string(u.ID) == id {
							got = append(got, local)
						}
					}
					if string(u.ID) == string(a.AdminID) {
						got = append(got, "admin")
					}
				}
				want := slices.Clone(c.want)
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("q=%q found %v, want %v", c.q, got, want)
				}
			})
		}
		if n := e.Count("SELECT count(*) FROM users WHERE org_id = $1", string(a.ID)); n != len(names)+1 {
			t.Errorf("users = %d", n)
		}
	})
}

// badBody is one request body no route may take.
type badBody struct {
	name string
	body any
}

// badBodies returns the bodies every route with a Request must refuse: null, nothing
// (unless the body is optional), and a field of the request type holding a lone
// surrogate, NUL or invalid UTF-8.
func badBodies(rt httpapi.Route) []badBody {
	field := requestField(rt.Request)
	out := []badBody{
		{"null body", "null"},
		{"lone surrogate", `{"` + field + `":"a\ud800"}`},
		{"NUL", `{"` + field + `":"a\u0000"}`},
		{"invalid UTF-8", "{\"" + field + "\":\"a\xffb\"}"},
		{"invalid UTF-8 in a field name", "{\"\xfe\":\"a\"}"},
	}
	if !rt.OptionalBody {
		out = append(out, badBody{"no body", nil})
	}
	return out
}

// requestField returns the JSON name of the first string field of the request type v,
// or of its first field when it has no string field.
func requestField(v any) string {
	t := reflect.TypeOf(v)
	first := ""
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if f.Type.Kind() == reflect.String {
			return name
		}
		if first == "" {
			first = name
		}
	}
	return first
}

// TestEveryRouteRefusesBadInput walks every registered route with ids, query values and
// bodies that are not text a database can hold: each answers a 4xx problem, never 5xx,
// as an anonymous caller, a tenant's Global administrator and the operator, on both
// databases, and nothing is written. Bodies are sent to paths naming the caller's own
// objects, so that a body taken by mistake would reach the service.
func TestEveryRouteRefusesBadInput(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Sweep Co", "sweep")
		own := &tenantB{org: a, aAdmin: a.AdminID, aOrg: a.ID,
			operatorOrg: atrium.OrgID(e.Strings("SELECT id FROM organizations WHERE operator = TRUE")[0])}
		own.user = a.Admin.CreateUser("sam", "user_admin")
		own.deletedUser = a.Admin.CreateUser("dee")
		a.Admin.Do("DELETE", "/api/v1/users/"+string(own.deletedUser.ID), nil).Want(http.StatusNoContent)
		own.tokenID = createToken(t, a.Admin, map[string]any{"name": "sweep-ci", "role": "global_reader"}).ID
		e.SignIn(own.user.Username, apptest.Password)
		own.sessionID = e.Strings("SELECT id FROM sessions WHERE user_id = $1", string(own.user.ID))[0]
		own.product = products(t, a.Admin)["COLLABORATE"]
		own.subscription = buy(a.Admin, own.product, 2).ID
		if _, err := e.Main.Licensing.IssueInvoices(t.Context()); err != nil {
			t.Fatal(err)
		}
		own.invoice = firstOr(e.Strings("SELECT id FROM invoices WHERE org_id = $1", string(a.ID)), "no-invoice")
		a.Admin.Do("POST", "/api/v1/social/search-topics", map[string]any{"name": "Sweep launch", "keywords": "sweep"})
		own.topic = firstOr(e.Strings("SELECT id FROM social_search_topics WHERE org_id = $1", string(a.ID)), "no-topic")
		callers := map[string]*apptest.Client{"anonymous": e.Anonymous(), "admin": a.Admin, "operator": e.Operator()}

		for _, rt := range e.Main.API.Routes() {
			key := rt.Method + " " + rt.Path
			type request struct {
				name, path string
				body       any
				status     int    // 0: any 4xx
				field      string // named in the problem's errors
			}
			var reqs []request
			if pathParamRE.MatchString(rt.Path) {
				for _, id := range []string{"%00", "%FF", "x%00y", "%C3%28"} {
					reqs = append(reqs, request{name: "path id " + id, path: pathParamRE.ReplaceAllString(rt.Path, id), status: http.StatusNotFound})
				}
			}
			params := rt.Query
			if len(params) == 0 {
				params = []string{"q"}
			}
			base := pathParamRE.ReplaceAllString(rt.Path, "x")
			for _, p := range params {
				for _, v := range []string{"%00", "a%FF", "%ED%A0%80"} { // the last is a surrogate in UTF-8
					reqs = append(reqs, request{name: "query " + p + "=" + v, path: base + "?" + p + "=" + v, status: http.StatusBadRequest, field: p})
				}
			}
			if rt.Request != nil {
				paths := []string{base}
				if build, ok := crossTenantCases[key]; ok {
					paths = nil
					for _, r := range build(own) {
						paths = append(paths, r.path)
					}
				}
				for _, b := range badBodies(rt) {
					for _, p := range paths {
						reqs = append(reqs, request{name: b.name, path: p, body: b.body})
					}
				}
			}
			before := rowCounts(e)
			for _, req := range reqs {
				for name, c := range callers {
					if rt.Public || name == "anonymous" {
						// Stay under the per-address sign-up and sign-in limits.
						e.Clock.Advance(time.Minute + time.Second)
					}
					res := c.Do(rt.Method, req.path, req.body)
					what := fmt.Sprintf("%s: %s as %s (%s %s)", key, req.name, name, rt.Method, req.path)
					if res.Status < 400 || res.Status >= 500 || (req.status != 0 && res.Status != req.status) {
						t.Errorf("%s = %d, want %s: %s", what, res.Status, wantStatusWords(req.status), res.Body)
						continue
					}
					p := res.Problem()
					if _, ok := p.Errors[req.field]; req.field != "" && !ok {
						t.Errorf("%s: errors %v do not name %q", what, p.Errors, req.field)
					}
				}
			}
			wantCounts(t, e, before, key)
		}
		// Still signed in: no sign-out, password change or session revocation went through.
		a.Admin.Do("GET", "/api/v1/me", nil).Want(http.StatusOK)
	})
}

func wantStatusWords(status int) string {
	if status == 0 {
		return "a 4xx"
	}
	return fmt.Sprint(status)
}
