package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/httpapi"
)

// TestProblemsFollowAcceptLanguage: an API error's title, detail and field messages
// follow Accept-Language (here Norwegian); its code, type and field names stay the same,
// and a client that asks for nothing gets English.
func TestProblemsFollowAcceptLanguage(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Acme", "acme")
		body := map[string]any{"username": "nils", "display_name": "", "contact_email": "nope"}
		res := a.Admin.DoHeader("POST", "/api/v1/users", body, http.Header{"Accept-Language": {"nn-NO, en;q=0.5"}})
		res.WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "display_name", "contact_email")
		var nb httpapi.Problem
		res.Decode(&nb)
		if nb.Title != "Ugyldig forespørsel" || nb.Errors["display_name"] != "må fylles ut" ||
			nb.Errors["contact_email"] != "må være en e-postadresse, for eksempel ada@example.com" || nb.Detail != "ugyldige inndata" {
			t.Errorf("Norwegian problem = %+v", nb)
		}
		if got := res.Header.Get("Content-Language"); got != "nb" {
			t.Errorf("Content-Language = %q, want nb", got)
		}
		var en httpapi.Problem
		a.Admin.Do("POST", "/api/v1/users", body).Want(http.StatusBadRequest).Decode(&en)
		if en.Title != "Bad Request" || en.Errors["display_name"] != "is required" || en.Code != nb.Code || en.Type != nb.Type {
			t.Errorf("English problem = %+v", en)
		}
		// One field: "field: message", the field name as sent.
		var one httpapi.Problem
		a.Admin.DoHeader("GET", "/api/v1/users?limit=0", nil, http.Header{"Accept-Language": {"pl"}}).Want(http.StatusBadRequest).Decode(&one)
		if one.Detail != "limit: musi być liczbą całkowitą od 1 do 200" || one.Title != "Nieprawidłowe żądanie" {
			t.Errorf("Polish problem = %+v", one)
		}
		// The router's own 405 too.
		var m httpapi.Problem
		a.Admin.DoHeader("PATCH", "/api/v1/users", nil, http.Header{"Accept-Language": {"sv"}}).Want(http.StatusMethodNotAllowed).Decode(&m)
		if m.Title == "Method Not Allowed" || m.Code != "method_not_allowed" {
			t.Errorf("Swedish 405 = %+v", m)
		}
	})
}

// TestForbiddenInTheCallersLanguage: a refusal names what was refused in English and in
// the other languages alike.
func TestForbiddenInTheCallersLanguage(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Acme", "acme")
		member := e.SignIn(a.Admin.CreateUser("mona").Username, apptest.Password)
		var en, sv httpapi.Problem
		member.Do("GET", "/api/v1/audit-log", nil).Want(http.StatusForbidden).Decode(&en)
		member.DoHeader("GET", "/api/v1/audit-log", nil, http.Header{"Accept-Language": {"sv"}}).Want(http.StatusForbidden).Decode(&sv)
		if !strings.HasPrefix(en.Detail, "you do not have permission to ") || sv.Detail != "du har inte behörighet att göra detta (audit.read)" {
			t.Errorf("forbidden: en %q, sv %q", en.Detail, sv.Detail)
		}
	})
}

// TestMessagesWithValuesInTheCallersLanguage: an error whose message has values in it
// (a user name, a path wildcard) comes in Polish with the values in place, and in
// English as the service wrote it.
func TestMessagesWithValuesInTheCallersLanguage(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Acme", "acme")
		pl := http.Header{"Accept-Language": {"pl-PL"}}
		// The last Global administrator keeps the role: the translation selects the
		// refused change.
		demote := "/api/v1/users/" + string(a.AdminID) + "/roles/global_admin"
		last := a.Admin.DoHeader("DELETE", demote, nil, pl).WantProblem(http.StatusConflict, atrium.CodeConflict)
		if want := "użytkownik " + a.AdminUsername + " jest ostatnim administratorem globalnym organizacji, więc nie można odebrać mu tej roli"; last.Detail != want {
			t.Errorf("Polish last-admin detail = %q, want %q", last.Detail, want)
		}
		lastEN := a.Admin.Do("DELETE", demote, nil).WantProblem(http.StatusConflict, atrium.CodeConflict)
		if want := a.AdminUsername + " is the last Global administrator of the organization and cannot be demoted"; lastEN.Detail != want {
			t.Errorf("English last-admin detail = %q, want %q", lastEN.Detail, want)
		}
		// A path wildcard that is not valid text.
		path := a.Admin.DoHeader("GET", "/api/v1/users/%FF", nil, pl).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		if want := "pod tym adresem nic nie ma: {id} w ścieżce musi być poprawnym tekstem UTF-8 bez znaków NUL"; path.Detail != want {
			t.Errorf("Polish path detail = %q, want %q", path.Detail, want)
		}
		// A field the route does not know, named in the sentence.
		unknown := a.Admin.DoHeader("POST", "/api/v1/groups", map[string]any{"name": "G", "colour": "red"}, pl).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "colour")
		if want := "colour: nie jest znanym polem"; unknown.Detail != want || unknown.Errors["colour"] != "nie jest znanym polem" {
			t.Errorf("Polish unknown-field problem = %q, %q", unknown.Detail, unknown.Errors)
		}
		// An app's license, named in the sentence.
		sv := http.Header{"Accept-Language": {"sv"}}
		bare := a.Admin.CreateUser("bare")
		lic := e.SignIn(bare.Username, apptest.Password).DoHeader("GET", "/api/v1/social/settings", nil, sv).
			WantProblem(http.StatusForbidden, atrium.CodeLicenseRequired)
		if !strings.HasPrefix(lic.Detail, "du behöver en licens som omfattar ") {
			t.Errorf("Swedish license-required detail = %q", lic.Detail)
		}
	})
}

// TestFieldMessagesWithValuesInTheCallersLanguage: field messages with values in them
// (a length limit, the organization's domains, the password rules a service passes on)
// come in the caller's language with the values in place, the field names as sent; in
// English as the service wrote them.
func TestFieldMessagesWithValuesInTheCallersLanguage(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Acme", "acme")
		nb := http.Header{"Accept-Language": {"nb-NO"}}
		body := map[string]any{"username": "nils@elsewhere.example", "display_name": strings.Repeat("N", 257), "password": "kort"}
		res := a.Admin.DoHeader("POST", "/api/v1/users", body, nb)
		res.WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "username", "display_name", "password")
		var got httpapi.Problem
		res.Decode(&got)
		want := map[string]string{
			"display_name": "kan være på høyst 256 tegn",
			"password":     "må være på minst 8 tegn",
			"username":     "domenet må være et av organisasjonens domener: " + a.Domain,
		}
		for f, msg := range want {
			if got.Errors[f] != msg {
				t.Errorf("Norwegian %s = %q, want %q", f, got.Errors[f], msg)
			}
		}
		if got.Detail != "ugyldige inndata" || res.Header.Get("Content-Language") != "nb" {
			t.Errorf("Norwegian problem = %+v, Content-Language %q", got, res.Header.Get("Content-Language"))
		}
		var en httpapi.Problem
		a.Admin.Do("POST", "/api/v1/users", body).Want(http.StatusBadRequest).Decode(&en)
		if en.Errors["display_name"] != "must be at most 256 characters" || en.Errors["password"] != "must be at least 8 characters" ||
			en.Errors["username"] != "the domain must be one of the organization's domains: "+a.Domain {
			t.Errorf("English problem = %+v", en)
		}
		// One field: "field: message" in the detail too.
		var one httpapi.Problem
		a.Admin.DoHeader("POST", "/api/v1/users", map[string]any{"username": "nora", "display_name": "Nora", "password": strings.Repeat("Aa1", 90)}, nb).
			Want(http.StatusBadRequest).Decode(&one)
		if one.Detail != "password: kan være på høyst 256 tegn" || one.Errors["password"] != "kan være på høyst 256 tegn" {
			t.Errorf("Norwegian one-field problem = %+v", one)
		}
		// The decoder's own messages: a field of the wrong JSON type.
		var typ httpapi.Problem
		a.Admin.DoHeader("POST", "/api/v1/users", map[string]any{"username": 7}, nb).Want(http.StatusBadRequest).Decode(&typ)
		if typ.Errors["username"] != "må være en streng" {
			t.Errorf("Norwegian type problem = %+v", typ)
		}
	})
}
