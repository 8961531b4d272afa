package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestConsoleBadInput: ids, query parameters and form fields that are not valid UTF-8
// or hold NUL answer a 404 or 400 page, never 500, on both databases, signed in or not,
// and change nothing.
func TestConsoleBadInput(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		member := "/users/" + string(f.member.ID)
		// counts returns the row counts of the tables a refused request could write.
		counts := func() string {
			var out []string
			for _, tbl := range []string{"users", "sessions", "signin_throttle", "audit_log", "api_tokens", "license_assignments"} {
				var n int
				if err := f.m.DB.Read().QueryRowContext(t.Context(), "SELECT count(*) FROM "+tbl).Scan(&n); err != nil {
					t.Fatalf("count %s: %v", tbl, err)
				}
				out = append(out, tbl+"="+strconv.Itoa(n))
			}
			return strings.Join(out, " ")
		}

		signedIn := []struct {
			name, method, path string
			form               url.Values
			status             int
		}{
			{"user id NUL", "GET", "/users/%00", nil, 404},
			{"user id invalid UTF-8", "GET", "/users/%FF", nil, 404},
			{"user id NUL after an id", "GET", member + "%00", nil, 404},
			{"licences of NUL", "GET", "/users/%00/licenses", nil, 404},
			{"role NUL", "GET", member + "/roles/%00/remove", nil, 404},
			{"invoice invalid UTF-8", "GET", "/billing/invoices/%FF", nil, 404},
			{"invoice state NUL", "GET", "/billing/invoices/x/%00", nil, 404},
			{"organization NUL", "GET", "/organizations/%00/suspend", nil, 404},
			{"product invalid UTF-8", "GET", "/catalog/%C3%28", nil, 404},
			{"token NUL", "GET", "/tokens/%00/revoke", nil, 404},
			{"session invalid UTF-8", "GET", "/settings/sessions/%FF/revoke", nil, 404},
			{"mail NUL", "GET", "/mail/%00", nil, 404},
			{"search NUL", "GET", "/users?q=%00", nil, 400},
			{"search invalid UTF-8", "GET", "/users?q=a%FFb", nil, 400},
			{"cursor NUL", "GET", "/users?cursor=%00", nil, 400},
			{"sort surrogate", "GET", "/users?sort=%ED%A0%80", nil, 400},
			{"deleted search NUL", "GET", "/deleted-users?q=%00", nil, 400},
			{"audit actor NUL", "GET", "/audit?actor=%00", nil, 400},
			{"removal preview NUL", "GET", member + "/licenses?remove=%00", nil, 400},
			{"new user NUL name", "POST", "/users/new", url.Values{"username": {"dave"}, "display_name": {"Da\x00ve"}}, 400},
			{"new user invalid UTF-8 name", "POST", "/users/new", url.Values{"username": {"d\xe9ve"}, "display_name": {"Dave"}}, 400},
			{"edit NUL job title", "POST", member, url.Values{"display_name": {"Mia"}, "job_title": {"\x00"}}, 400},
			{"block NUL id", "POST", "/users/%00/block", url.Values{}, 404},
			{"licences NUL product", "POST", member + "/licenses", url.Values{"product": {"\x00"}}, 400},
			{"token NUL name", "POST", "/tokens", url.Values{"name": {"ci\x00"}, "role": {"global_reader"}}, 400},
			{"field name NUL", "POST", "/tokens", url.Values{"\x00": {"x"}}, 400},
		}
		for _, c := range signedIn {
			t.Run(c.name, func(t *testing.T) {
				before := counts()
				var p page
				if c.method == "GET" {
					p = b.get(c.path)
				} else {
					p = b.postForm("/users", c.path, c.form)
				}
				wantStatus(t, p, c.status)
				wantContains(t, p, navMarkers...)
				if after := counts(); after != before {
					t.Errorf("rows %s, were %s", after, before)
				}
			})
		}

		t.Run("upload with NUL in a field", func(t *testing.T) {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			mw.WriteField("csrf_token", b.csrf("/users/licenses/upload"))
			mw.WriteField("product_id", "\x00")
			mw.WriteField("action", "assign")
			fw, _ := mw.CreateFormFile("file", "users.csv")
			fw.Write([]byte("mia\n"))
			mw.Close()
			req, _ := http.NewRequest("POST", b.base+"/users/licenses/upload", &body)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("Origin", b.base)
			p := b.do(req)
			wantStatus(t, p, http.StatusBadRequest)
			wantContains(t, p, navMarkers...)
		})

		anon := f.browser()
		signedOut := []struct {
			name, method, path string
			form               url.Values
			status             int
		}{
			{"sign-in NUL username", "POST", "/signin", url.Values{"username": {"admin@contoso.atrium.localhost\x00"}, "password": {adminPassword}}, 400},
			{"sign-in invalid UTF-8 username", "POST", "/signin", url.Values{"username": {"\xff\xfe"}, "password": {"x"}}, 400},
			{"sign-in invalid UTF-8 password", "POST", "/signin", url.Values{"username": {"admin@contoso.atrium.localhost"}, "password": {"\xff"}}, 400},
			{"sign-in NUL next", "POST", "/signin", url.Values{"username": {"admin@contoso.atrium.localhost"}, "password": {adminPassword}, "next": {"/\x00"}}, 400},
			{"sign-in page NUL query", "GET", "/signin?next=%00", nil, 400},
			{"sign-up NUL name", "POST", "/signup", url.Values{"organization_name": {"Evil\x00Co"}, "domain_prefix": {"evil"}}, 400},
			{"sign-up done invalid UTF-8", "GET", "/signup/done?org=%FF", nil, 400},
			{"page of NUL, signed out", "GET", "/users/%00", nil, 303},
		}
		for _, c := range signedOut {
			t.Run(c.name, func(t *testing.T) {
				before := counts()
				var p page
				if c.method == "GET" {
					p = anon.get(c.path)
				} else {
					p = anon.post(c.path, c.form)
				}
				wantStatus(t, p, c.status)
				wantNotContains(t, p, navMarkers...)
				if after := counts(); after != before {
					t.Errorf("rows %s, were %s", after, before)
				}
			})
		}

		t.Run("sign-in form that is not a form", func(t *testing.T) {
			req, _ := http.NewRequest("POST", anon.base+"/signin", strings.NewReader("username=%zz&password=x"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", anon.base)
			wantStatus(t, anon.do(req), http.StatusBadRequest)
		})
	})
}
