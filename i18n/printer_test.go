package i18n

import (
	"fmt"
	"os"
	"sync"
	"testing"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/atrium-admin/atrium"
)

func TestT(t *testing.T) {
	for _, tc := range []struct {
		lang Lang
		id   string
		args []any
		want string
	}{
		{EN, "nav.users.active", nil, "Active users"},
		{SV, "nav.users.active", nil, "Aktiva användare"},
		{NB, "nav.users.active", nil, "Aktive brukere"},
		{PL, "nav.users.active", nil, "Aktywni użytkownicy"},
		{SV, "signin.stay_signed_in", nil, "Håll mig inloggad"},
		{NB, "signin.stay_signed_in", nil, "Hold meg pålogget"},
		{PL, "signin.stay_signed_in", nil, "Nie wylogowuj mnie"},
		{EN, "signin.error.credentials", nil, "The username or password is incorrect."},
		{PL, "language.label", nil, "Język"},
		{NB, "language.label", nil, "Språk"},
		{EN, "signin.username.hint", []any{"Example", "megan@contoso.com"}, "Your full username, such as megan@contoso.com"},
		{SV, "signin.username.hint", []any{"Example", "megan@contoso.com"}, "Ditt fullständiga användarnamn, till exempel megan@contoso.com"},
		{EN, "signin.username.hint", nil, "Your full username, such as <no value>"},
		{EN, "signin.username.hint", []any{"Example"}, "Your full username, such as <no value>"},
		{EN, "signin.username.hint", []any{42, "x", "Example", 7}, "Your full username, such as 7"},
		{EN, "nav.home", []any{"Unused", 1}, "Home"},
		{EN, "users.count", []any{"Count", 1}, "1 user"},
		{EN, "users.count", []any{"Count", 0}, "0 users"},
		{EN, "users.count", []any{"Count", 1234}, "1,234 users"},
		{EN, "users.count", []any{"Count", int64(-1)}, "-1 user"},
		{EN, "users.count", []any{"Count", uint8(2)}, "2 users"},
		{EN, "users.count", []any{"Count", "1.0"}, "1.0 users"},
		{EN, "users.count", nil, "<no value> users"},
		{SV, "users.count", []any{"Count", 1234}, "1\u00a0234 användare"},
		{NB, "users.count", []any{"Count", 1}, "1 bruker"},
		{NB, "users.count", []any{"Count", 2}, "2 brukere"},
		{PL, "users.count", []any{"Count", 1234}, "1234 użytkowników"},
		{PL, "users.count", []any{"Count", 12345}, "12\u00a0345 użytkowników"},
		{PL, "users.count", []any{"Count", "1.5"}, "1,5 użytkownika"},
		{PL, "users.count", []any{"Count", 2.5}, "2,5 użytkownika"},
		{PL, "users.count", []any{"Count", "1."}, "1. użytkownika"},
		{PL, "users.count", []any{"Count", uint64(1 << 63)}, "9223372036854775808 użytkowników"},
		{SV, "users.count", []any{"Count", "-1234.50"}, "−1\u00a0234,50 användare"},
		{EN, "no.such.message", nil, "no.such.message"},
		{PL, "no.such.message", []any{"Count", 3}, "no.such.message"},
		{PL, "problem.not_found.title", nil, "Nie znaleziono"},
	} {
		if got := For(tc.lang).T(tc.id, tc.args...); got != tc.want {
			t.Errorf("%s T(%q, %v) = %q, want %q", tc.lang, tc.id, tc.args, got, tc.want)
		}
	}
}

func TestPolishPlurals(t *testing.T) {
	p := For(PL)
	for _, tc := range []struct {
		n              int
		users, license string
	}{
		{0, "0 użytkowników", "0 godzin temu"},
		{1, "1 użytkownik", "godzinę temu"},
		{2, "2 użytkowników", "2 godziny temu"},
		{4, "4 użytkowników", "4 godziny temu"},
		{5, "5 użytkowników", "5 godzin temu"},
		{12, "12 użytkowników", "12 godzin temu"},
		{13, "13 użytkowników", "13 godzin temu"},
		{21, "21 użytkowników", "21 godzin temu"},
		{22, "22 użytkowników", "22 godziny temu"},
		{25, "25 użytkowników", "25 godzin temu"},
		{101, "101 użytkowników", "101 godzin temu"},
		{102, "102 użytkowników", "102 godziny temu"},
		{112, "112 użytkowników", "112 godzin temu"},
		{1000, "1000 użytkowników", "1000 godzin temu"},
		{1_000_002, "1\u00a0000\u00a0002 użytkowników", "1\u00a0000\u00a0002 godziny temu"},
	} {
		if got := p.T("users.count", "Count", tc.n); got != tc.users {
			t.Errorf("users.count(%d) = %q, want %q", tc.n, got, tc.users)
		}
		// A word whose few and many differ: 2 godziny, 5 godzin (the audit log's "ago").
		if got := p.T("audit.ago.hours", "Count", tc.n); got != tc.license {
			t.Errorf("audit.ago.hours(%d) = %q, want %q", tc.n, got, tc.license)
		}
	}
}

// TestLikeGoI18n renders every message in every language with go-i18n's own Localizer
// and with T, which compiles the same catalogues itself to be faster: the two must
// agree on the text, the plural form and the fallback to English, for the shipped
// catalogues and for flawed ones.
func TestLikeGoI18n(t *testing.T) {
	t.Run("shipped", func(t *testing.T) { likeGoI18n(t, catalogues()) })
	t.Run("flawed", func(t *testing.T) { likeGoI18n(t, flawed(t)) })
}

func likeGoI18n(t *testing.T, s *set) {
	counts := []any{"0.5", "1.0", "1.5", "2.25", "-3", "22.0"}
	for n := range 300 {
		counts = append(counts, n)
	}
	ids := map[string]bool{"missing.everywhere": true}
	for _, msgs := range s.messages {
		for id := range msgs {
			ids[id] = true
		}
	}
	for _, l := range Supported {
		loc := goi18n.NewLocalizer(s.bundle, string(l))
		p := s.printers[l]
		for id := range ids {
			for _, count := range counts {
				// go-i18n returns its best effort along with an error for a
				// message that falls back to English or has no plural forms;
				// the text is what T must match.
				want, _ := loc.Localize(&goi18n.LocalizeConfig{
					MessageID: id,
					TemplateData: map[string]any{
						"Example": "ada@contoso.com", "Name": "Ada", "Admin": true,
						"Count": p.value("Count", count),
					},
					PluralCount: count,
				})
				if want == "" {
					want = id
				}
				got := p.T(id, "Example", "ada@contoso.com", "Name", "Ada", "Admin", true, "Count", count)
				if got != want {
					t.Errorf("%s T(%q, Count %v) = %q, go-i18n says %q", l, id, count, got, want)
				}
			}
		}
	}
}

func flawed(t *testing.T) *set {
	t.Helper()
	s, err := load(os.DirFS("testdata/flawed"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFallback(t *testing.T) {
	s := flawed(t)
	for _, tc := range []struct {
		lang Lang
		id   string
		args []any
		want string
	}{
		{SV, "only.english", nil, "Only in English"},
		{PL, "only.english", nil, "Only in English"},
		{NB, "only.english", nil, "Bare på engelsk"},
		{PL, "greeting", []any{"Name", "Ada"}, "Hello, Ada"},
		{SV, "only.swedish", nil, "Bara på svenska"},
		{NB, "only.swedish", nil, "only.swedish"},
		{EN, "missing.everywhere", nil, "missing.everywhere"},
		// Polish lacks "many" here; as in go-i18n, "other" stands in.
		{PL, "items.count", []any{"Count", 5}, "5 rzeczy"},
		{PL, "items.count", []any{"Count", 1}, "1 rzecz"},
		// A template beyond {{.Name}} runs through text/template.
		{SV, "role", []any{"Admin", true, "Name", "Ada"}, "Administratör Ada"},
		{PL, "role", []any{"Admin", false, "Name", "Ada"}, "Member Ada"},
		{EN, "role", nil, "Member <no value>"},
	} {
		if got := s.printers[tc.lang].T(tc.id, tc.args...); got != tc.want {
			t.Errorf("%s T(%q, %v) = %q, want %q", tc.lang, tc.id, tc.args, got, tc.want)
		}
	}
}

func TestConcurrentT(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for n := range 200 {
				l := Supported[(i+n)%len(Supported)]
				p := For(l)
				if got := p.T("users.count", "Count", n); got == "users.count" {
					t.Errorf("%s: users.count missing", l)
				}
				_ = p.Money(int64(n)*100, "EUR")
				_ = p.Number(int64(n) * 1000)
			}
		})
	}
	wg.Wait()
}

func ExamplePrinter_T() {
	p := For(PL)
	for _, n := range []int{1, 2, 5, 22} {
		fmt.Println(p.T("audit.ago.hours", "Count", n))
	}
	// Output:
	// godzinę temu
	// 2 godziny temu
	// 5 godzin temu
	// 22 godziny temu
}

// TestMessage: a field message with a value in it (atrium.FieldErrorf) reads in Polish
// in the plural form CLDR gives its count (1 licencję, 2 licencje, 5 licencji, 22
// licencje), in the other languages with their own words, and in English as the code
// rendered it; a message without ID is found by its English text, and an ID no
// catalogue has leaves the English.
func TestMessage(t *testing.T) {
	for _, tc := range []struct {
		n                  int
		assigned, maxChars string
	}{
		{1, "przypisano 1 licencję", "może mieć najwyżej 1 znak"},
		{2, "przypisano 2 licencje", "może mieć najwyżej 2 znaki"},
		{5, "przypisano 5 licencji", "może mieć najwyżej 5 znaków"},
		{22, "przypisano 22 licencje", "może mieć najwyżej 22 znaki"},
		{12, "przypisano 12 licencji", "może mieć najwyżej 12 znaków"},
		{1234, "przypisano 1234 licencje", "może mieć najwyżej 1234 znaki"},
		{1215, "przypisano 1215 licencji", "może mieć najwyżej 1215 znaków"},
		{10_002, "przypisano 10\u00a0002 licencje", "może mieć najwyżej 10\u00a0002 znaki"},
	} {
		for _, c := range []struct {
			err  *atrium.Error
			want string
		}{
			{atrium.FieldErrorf("quantity", "err.licensing.assigned", "{{.Count}} licenses are assigned", "Count", tc.n), tc.assigned},
			{atrium.FieldErrorf("quantity", "err.max_chars", "must be at most {{.Count}} characters", "Count", tc.n), tc.maxChars},
		} {
			m := c.err.FieldMsg("quantity")
			if got := For(PL).Message(c.err.Fields["quantity"], m.ID, m.Args...); got != c.want {
				t.Errorf("pl %s(%d) = %q, want %q", m.ID, tc.n, got, c.want)
			}
		}
	}
	for _, tc := range []struct {
		lang           Lang
		text, id, want string
		args           []any
	}{
		{EN, "5 licenses are assigned", "err.licensing.assigned", "5 licenses are assigned", []any{"Count", 5}},
		{SV, "5 licenses are assigned", "err.licensing.assigned", "5 licenser är tilldelade", []any{"Count", 5}},
		{SV, "1 license is assigned", "err.licensing.assigned", "1 licens är tilldelad", []any{"Count", 1}},
		{NB, "must be at most 256 characters", "err.max_chars", "kan være på høyst 256 tegn", []any{"Count", 256}},
		{PL, "must be between 1 and 1000", "err.licensing.quantity", "musi wynosić od 1 do 1000", []any{"Max", 1000}},
		{SV, "is required", "", "måste anges", nil},
		{PL, "text of no message", "", "text of no message", nil},
		{PL, "must be at most 9 characters", "no.such.message", "must be at most 9 characters", []any{"Count", 9}},
	} {
		if got := For(tc.lang).Message(tc.text, tc.id, tc.args...); got != tc.want {
			t.Errorf("%s Message(%q, %q, %v) = %q, want %q", tc.lang, tc.text, tc.id, tc.args, got, tc.want)
		}
	}
}

// TestMessageStaticAllocatesNothing: a field message without values costs no
// allocation in any language, nor does English with values.
func TestMessageStaticAllocatesNothing(t *testing.T) {
	pl, en := For(PL), For(EN)
	args := []any{"Count", 5}
	if n := testing.AllocsPerRun(100, func() {
		pl.Message("is required", "")
		en.Message("5 licenses are assigned", "err.licensing.assigned", args...)
	}); n != 0 {
		t.Errorf("Message allocates %v times", n)
	}
}

// TestTextTranslatesEnglish: Text takes an ID or the English text of a plain message and
// answers in the printer's language; unknown text comes back unchanged.
func TestTextTranslatesEnglish(t *testing.T) {
	sv := For(SV)
	if got, want := sv.Text("Stay signed in"), sv.T("signin.stay_signed_in"); got != want || got == "Stay signed in" {
		t.Errorf("Text(English) = %q, want %q", got, want)
	}
	if got := sv.Text("signin.stay_signed_in"); got != sv.T("signin.stay_signed_in") {
		t.Errorf("Text(id) = %q", got)
	}
	if got := sv.Text("not a message at all"); got != "not a message at all" {
		t.Errorf("Text(unknown) = %q", got)
	}
}
