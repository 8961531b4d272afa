package i18n

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Lang
		ok   bool
	}{
		{"en", EN, true},
		{"EN", EN, true},
		{"en-GB", EN, true},
		{"en-us", EN, true},
		{"sv", SV, true},
		{"sv-SE", SV, true},
		{"sv-FI", SV, true},
		{"SV-fi", SV, true},
		{"nb", NB, true},
		{"nb-NO", NB, true},
		{"no", NB, true},
		{"no-NO", NB, true},
		{"nn", NB, true},
		{"nn-NO", NB, true},
		{"pl", PL, true},
		{"pl-PL", PL, true},
		{" pl ", PL, true},
		// CLDR would serve Danish readers Bokmål and Icelandic ones English.
		{"da", "", false},
		{"is", "", false},
		{"fr", "", false},
		{"de-DE", "", false},
		{"fi", "", false},
		{"se", "", false}, // Northern Sami, not Swedish
		{"", "", false},
		{"*", "", false},
		{"und", "", false},
		{"xx-invalid-!!", "", false},
		{strings.Repeat("a", 1000), "", false},
	} {
		got, ok := Parse(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Parse(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestParseNynorskConfidence pins down what the x/text matcher says about Nynorsk,
// which Parse relies on: Bokmål with High confidence, not Exact.
func TestParseNynorskConfidence(t *testing.T) {
	_, i, conf := matcher.Match(Lang("nn").Tag())
	if supported[i] != NB || conf.String() != "High" {
		t.Errorf("matcher(nn) = %s with %s confidence; Parse's threshold assumes nb with High", supported[i], conf)
	}
}

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		want         Lang
	}{
		{"empty", "", EN},
		{"norwegian", "no", NB},
		{"nynorsk", "nn", NB},
		{"finland swedish", "sv-FI", SV},
		{"polish", "pl-PL", PL},
		{"english variants", "en-US,en;q=0.8", EN},
		{"unsupported first", "fr, sv;q=0.5", SV},
		{"q=0 is not acceptable", "sv;q=0, pl;q=0.1", PL},
		{"nothing acceptable", "sv;q=0", EN},
		{"quality beats order", "sv;q=0.4, pl;q=0.9, nb;q=0.5", PL},
		{"order breaks ties", "nb;q=0.5, sv;q=0.5", NB},
		{"browser", "sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7", SV},
		{"wildcard", "*, pl;q=0.5", PL},
		{"spaces", "  pl  ;  q = 0.5  ,  ", PL},
		{"uppercase Q", "sv;Q=0.5", SV},
		{"bad q", "sv;q=abc, pl;q=0.2", PL},
		{"q above 1", "sv;q=2, pl;q=0.2", PL},
		{"negative q", "sv;q=-1, pl;q=0.2", PL},
		{"nan q", "sv;q=NaN, pl;q=0.2", PL},
		{"garbage", ";;;,,,=q;=,\x00\xff", EN},
		{"garbage then polish", "!!!, \"sv\", pl", PL},
		{"danish", "da, en;q=0.5", EN},
		{"10 KiB", strings.Repeat("fr-FR;q=0.9, ", 800) + "sv", EN},
		{"10 KiB of one tag", strings.Repeat("x", 10<<10), EN},
		{"past 20 entries", strings.Repeat("fr, ", 20) + "sv", EN},
		{"within 20 entries", strings.Repeat("fr, ", 19) + "sv", SV},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Negotiate(tc.header); got != tc.want {
				t.Errorf("Negotiate(%q) = %q, want %q", tc.header, got, tc.want)
			}
		})
	}
}

// TestNegotiateBounded checks that a hostile header costs no more than a small one:
// the work is bounded by the first 1 KiB and 20 entries.
func TestNegotiateBounded(t *testing.T) {
	huge := strings.Repeat("sv-FI-x-"+strings.Repeat("abcdefgh-", 5)+"zz;q=0.5,", 20000)
	allocs := testing.AllocsPerRun(5, func() { Negotiate(huge) })
	small := testing.AllocsPerRun(5, func() { Negotiate(huge[:maxHeader]) })
	if allocs > small {
		t.Errorf("Negotiate allocates %v times for a %d-byte header, %v for its first 1 KiB", allocs, len(huge), small)
	}
}

func TestChoose(t *testing.T) {
	for _, tc := range []struct {
		name      string
		user, org Lang
		header    string
		want      Lang
	}{
		{"user's setting", PL, SV, "nb", PL},
		{"organization's setting", "", SV, "nb", SV},
		{"browser", "", "", "nb", NB},
		{"default", "", "", "", EN},
		{"invalid settings are ignored", "fr", "xx", "pl", PL},
		{"pseudo needs enabling", XA, "", "sv", SV},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.user == XA && pseudoEnabled() {
				t.Skip("pseudo-language already enabled by another test")
			}
			if got := Choose(tc.user, tc.org, tc.header); got != tc.want {
				t.Errorf("Choose(%q, %q, %q) = %q, want %q", tc.user, tc.org, tc.header, got, tc.want)
			}
		})
	}
}

func TestName(t *testing.T) {
	want := map[Lang]string{EN: "English", SV: "Svenska", NB: "Norsk bokmål", PL: "Polski", "fr": "fr"}
	for l, name := range want {
		if got := l.Name(); got != name {
			t.Errorf("%q.Name() = %q, want %q", l, got, name)
		}
	}
}

func TestSupportedAreValid(t *testing.T) {
	for _, l := range Supported {
		if !l.Valid() {
			t.Errorf("%s is not Valid", l)
		}
		if got, ok := Parse(string(l)); !ok || got != l {
			t.Errorf("Parse(%q) = %q, %v", l, got, ok)
		}
		if For(l).Lang() != l {
			t.Errorf("For(%s).Lang() = %s", l, For(l).Lang())
		}
		if got := For(l).Tag().String(); got != string(l) {
			t.Errorf("For(%s).Tag() = %s", l, got)
		}
	}
	for _, l := range []Lang{"", "fr", "EN", "sv-SE"} {
		if l.Valid() {
			t.Errorf("%q is Valid", l)
		}
		if For(l).Lang() != EN {
			t.Errorf("For(%q) is %s, want English", l, For(l).Lang())
		}
	}
}
