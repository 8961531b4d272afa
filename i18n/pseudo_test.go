package i18n

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPseudo(t *testing.T) {
	EnablePseudo()
	EnablePseudo() // a second call changes nothing

	if !XA.Valid() {
		t.Fatal("XA is not valid after EnablePseudo")
	}
	if l, ok := Parse("en-xa"); !ok || l != XA {
		t.Errorf("Parse(en-xa) = %q, %v", l, ok)
	}
	if got := Choose(XA, SV, "pl"); got != XA {
		t.Errorf("Choose(XA, …) = %q", got)
	}
	if len(Supported) != 4 || For(XA) == For(EN) {
		t.Errorf("Supported = %v, For(XA) = %s; XA must be its own and not in Supported", Supported, For(XA).Lang())
	}
	p := For(XA)
	if p.Lang() != XA || p.Tag().String() != "en-XA" {
		t.Errorf("For(XA) is %s / %s", p.Lang(), p.Tag())
	}

	for _, tc := range []struct {
		id   string
		args []any
		want string
	}{
		{"signin.submit", nil, "[Šîĝñ îñ ~~~]"},
		{"nav.home", nil, "[Ĥöɱé ~~]"},
		{"signin.username.hint", []any{"Example", "ada@contoso.com"}, "[Ýöûŕ ƒûļļ ûšéŕñáɱé, šûçĥ áš ada@contoso.com ~~~~~~~~~]"},
		{"users.count", []any{"Count", 1}, "[1 ûšéŕ ~~]"},
		{"users.count", []any{"Count", 1234}, "[1,234 ûšéŕš ~~]"},
		{"no.such.message", nil, "no.such.message"},
	} {
		got := p.T(tc.id, tc.args...)
		if got != tc.want {
			t.Errorf("XA T(%q) = %q, want %q", tc.id, got, tc.want)
		}
		if want := tc.id != "no.such.message"; IsPseudo(got) != want {
			t.Errorf("IsPseudo(%q) = %v", got, !want)
		}
	}

	// Every English message has a pseudo form that IsPseudo knows, whose text is at
	// least 30% longer.
	en, s := For(EN), catalogues()
	for _, id := range IDs() {
		e, x := en.T(id, "Count", 5), p.T(id, "Count", 5)
		if !IsPseudo(x) {
			t.Errorf("%s: %q is not pseudo", id, x)
		}
		if IsPseudo(e) {
			t.Errorf("%s: English %q looks pseudo", id, e)
		}
		src := s.messages[EN][id].Other
		if n, m := visibleLen(src), visibleLen(pseudo(src)); float64(m) < 1.3*float64(n) {
			t.Errorf("%s: pseudo %q shows %d characters, English %d", id, pseudo(src), m, n)
		}
	}
}

// visibleLen counts the characters of s outside actions, tags and references.
func visibleLen(s string) int {
	n := 0
	for s != "" {
		if v := verbatim(s); v > 0 {
			s = s[v:]
			continue
		}
		_, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		n++
	}
	return n
}

func TestPseudoText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Home", "[Ĥöɱé ~~]"},
		{"{{.Count}} users", "[{{.Count}} ûšéŕš ~~]"},
		{"Hello, {{ .Name }}!", "[Ĥéļļö, {{ .Name }}! ~~~]"},
		{`Read the <a href="/terms">terms</a> &amp; sign`, `[Ŕéáð ţĥé <a href="/terms">ţéŕɱš</a> &amp; šîĝñ ~~~~~~]`},
		{"a < b & c", "[á < ƀ & ç ~~~]"},
		{"{{if .Admin}}Admin{{end}}", "[{{if .Admin}}Áðɱîñ{{end}} ~~]"},
		{"42", "[42 ~]"},
	} {
		if got := pseudo(tc.in); got != tc.want {
			t.Errorf("pseudo(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestIsPseudo(t *testing.T) {
	for s, want := range map[string]bool{
		"[Ĥöɱé ~~]":     true,
		"  [Ĥöɱé ~~]\n": true,
		"Home":          false,
		"[Draft]":       false,
		"":              false,
		"~]":            false,
	} {
		if got := IsPseudo(s); got != want {
			t.Errorf("IsPseudo(%q) = %v", s, got)
		}
	}
	if !strings.HasSuffix(pseudo("x"), "~]") {
		t.Error("pseudo's padding and IsPseudo disagree")
	}
}
