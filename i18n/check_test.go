package i18n

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestCatalogues(t *testing.T) {
	for _, p := range Check() {
		t.Error(p)
	}
}

func TestFormsOf(t *testing.T) {
	want := map[Lang]string{
		EN: "one other",
		SV: "one other",
		NB: "one other",
		PL: "one few many other",
		XA: "one other",
	}
	for l, w := range want {
		if got := strings.Join(formsOf(l), " "); got != w {
			t.Errorf("formsOf(%s) = %q, want %q", l, got, w)
		}
	}
}

func TestCheckFinds(t *testing.T) {
	got := flawed(t).check()
	want := []Problem{
		{Lang: PL, ID: "greeting", Kind: Missing},
		{Lang: PL, ID: "items.count", Kind: PluralForms, Detail: "lacks few, many"},
		{Lang: PL, ID: "only.english", Kind: Missing},
		{Lang: PL, ID: "plain", Kind: PluralForms, Detail: "plural here but not in English"},
		{Lang: PL, ID: "role", Kind: Missing},
		{Lang: SV, ID: "greeting", Kind: Placeholders, Detail: "English has [Name], sv has [Namn]"},
		{Lang: SV, ID: "items.count", Kind: PluralForms, Detail: "never uses few"},
		{Lang: SV, ID: "only.english", Kind: Missing},
		{Lang: SV, ID: "only.swedish", Kind: Extra},
	}
	if !slices.Equal(got, want) {
		t.Errorf("check() =\n%s\nwant\n%s", problems(got), problems(want))
	}
}

func problems(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("\t" + p.String() + "\n")
	}
	return b.String()
}

func TestIDs(t *testing.T) {
	ids := IDs()
	if !slices.IsSorted(ids) {
		t.Error("IDs are not sorted")
	}
	for _, id := range []string{"nav.users.active", "signin.title", "users.count", "language.label", "problem.not_found.title"} {
		if _, ok := slices.BinarySearch(ids, id); !ok {
			t.Errorf("IDs lack %s", id)
		}
	}
	ids[0] = "changed"
	if IDs()[0] == "changed" {
		t.Error("IDs shares its slice")
	}
}

// TestProblemTitles checks the API's problem titles: one per error code, and in
// English the HTTP status text the API sends today (httpapi/problem.go's statusOf and
// the router's 405), so that wiring them in changes nothing for English clients.
func TestProblemTitles(t *testing.T) {
	statusOf := map[string]int{
		"invalid":                  http.StatusBadRequest,
		"not_found":                http.StatusNotFound,
		"conflict":                 http.StatusConflict,
		"forbidden":                http.StatusForbidden,
		"unauthenticated":          http.StatusUnauthorized,
		"precondition_failed":      http.StatusPreconditionFailed,
		"rate_limited":             http.StatusTooManyRequests,
		"license_required":         http.StatusForbidden,
		"no_seats_available":       http.StatusConflict,
		"password_change_required": http.StatusForbidden,
		"too_large":                http.StatusRequestEntityTooLarge,
		"unavailable":              http.StatusServiceUnavailable,
		"internal":                 http.StatusInternalServerError,
		"method_not_allowed":       http.StatusMethodNotAllowed,
	}
	var titles []string
	for _, id := range IDs() {
		if strings.HasPrefix(id, "problem.") && strings.HasSuffix(id, ".title") {
			titles = append(titles, id)
		}
	}
	if len(titles) != len(statusOf) {
		t.Errorf("%d problem titles, %d codes", len(titles), len(statusOf))
	}
	for code, status := range statusOf {
		id := "problem." + code + ".title"
		if got, want := For(EN).T(id), http.StatusText(status); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
		for _, l := range Supported[1:] {
			if got := For(l).T(id); got == For(EN).T(id) {
				t.Errorf("%s %s is untranslated: %q", l, id, got)
			}
		}
	}
}

// TestUnused: an ID is used by its literal, its English text (also when formatted) or
// a literal prefix joined to something.
func TestUnused(t *testing.T) {
	src := []string{`T("signin.title")`, `"Stay signed in"`, `"problem." + code + ".title"`}
	unused := Unused(src)
	for _, id := range []string{"signin.title", "signin.stay_signed_in", "problem.invalid.title"} {
		if slices.Contains(unused, id) {
			t.Errorf("%s counted unused", id)
		}
	}
	if !slices.Contains(unused, "signin.submit") {
		t.Error("signin.submit counted used")
	}
}
