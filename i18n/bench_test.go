package i18n

// go test -run '^$' -bench . -benchmem ./i18n, on a shared 2-core Intel Xeon (linux/amd64,
// Go 1.26), best of three runs; the machine is noisy, so read them to ±30%:
//
//	BenchmarkT/plain               10 ns/op      0 B/op    0 allocs/op
//	BenchmarkT/placeholder         77 ns/op     80 B/op    1 allocs/op
//	BenchmarkT/plural              82 ns/op     48 B/op    1 allocs/op  (pl, Count 22)
//	BenchmarkT/missing              7 ns/op      0 B/op    0 allocs/op
//	BenchmarkGoI18n/plain         217 ns/op      0 B/op    0 allocs/op
//	BenchmarkGoI18n/placeholder   972 ns/op    672 B/op    9 allocs/op
//	BenchmarkGoI18n/plural        945 ns/op    696 B/op   10 allocs/op
//	BenchmarkFold/ascii            57 ns/op     16 B/op    1 allocs/op
//	BenchmarkFold/accented       1265 ns/op    960 B/op    7 allocs/op
//	BenchmarkSort/pooled         9554 ns/op   9939 B/op   51 allocs/op  (20 names)
//	BenchmarkSort/new-collator  12731 ns/op  17016 B/op   55 allocs/op
//	BenchmarkFormat/number        597 ns/op    392 B/op   10 allocs/op  (x/text)
//	BenchmarkFormat/money        1109 ns/op    640 B/op   17 allocs/op
//	BenchmarkFormat/datetime      234 ns/op     64 B/op    5 allocs/op
//	BenchmarkNegotiate/browser   1334 ns/op    320 B/op    8 allocs/op
//	BenchmarkNegotiate/hostile  25962 ns/op   7040 B/op  180 allocs/op  (10 KiB, capped)
//
// T is a map lookup for a plain message and about ten times faster than go-i18n's
// Localizer (which matches the language and runs text/template on every call) for the
// others. A Count of 1000 or more adds Number's cost (x/text) for the digit grouping.
// Sort reuses collators from a pool: building one per call costs about a third more
// time and twice the memory.

import (
	"slices"
	"strings"
	"testing"
	"time"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
)

func BenchmarkT(b *testing.B) {
	p := For(PL)
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			p.T("nav.users.active")
		}
	})
	b.Run("placeholder", func(b *testing.B) {
		for b.Loop() {
			p.T("signin.username.hint", "Example", "megan@contoso.com")
		}
	})
	b.Run("plural", func(b *testing.B) {
		for b.Loop() {
			p.T("users.count", "Count", 22)
		}
	})
	b.Run("missing", func(b *testing.B) {
		for b.Loop() {
			p.T("no.such.message")
		}
	})
}

// BenchmarkGoI18n is the same work through go-i18n's Localizer, which T replaces.
func BenchmarkGoI18n(b *testing.B) {
	loc := goi18n.NewLocalizer(catalogues().bundle, "pl")
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			loc.Localize(&goi18n.LocalizeConfig{MessageID: "nav.users.active"})
		}
	})
	b.Run("placeholder", func(b *testing.B) {
		for b.Loop() {
			loc.Localize(&goi18n.LocalizeConfig{MessageID: "signin.username.hint",
				TemplateData: map[string]any{"Example": "megan@contoso.com"}})
		}
	})
	b.Run("plural", func(b *testing.B) {
		for b.Loop() {
			loc.Localize(&goi18n.LocalizeConfig{MessageID: "users.count",
				TemplateData: map[string]any{"Count": 22}, PluralCount: 22})
		}
	})
}

func BenchmarkFold(b *testing.B) {
	b.Run("ascii", func(b *testing.B) {
		for b.Loop() {
			Fold("Megan Bowen")
		}
	})
	b.Run("accented", func(b *testing.B) {
		for b.Loop() {
			Fold("Łukasz Müller-Øystein")
		}
	})
}

func BenchmarkSort(b *testing.B) {
	names := strings.Fields("Zofia Łukasz Lena Marek Ola Åsa Ärla Östen Ängel Zack Adam Ørjan Æsir Czesław Ćwik Śmiały Szymon Aaron Wim Vera")
	b.Run("pooled", func(b *testing.B) {
		for b.Loop() {
			Sort(PL, slices.Clone(names))
		}
	})
	b.Run("new-collator", func(b *testing.B) {
		for b.Loop() {
			Collator(PL).SortStrings(slices.Clone(names))
		}
	})
}

func BenchmarkFormat(b *testing.B) {
	p := For(SV)
	b.Run("number", func(b *testing.B) {
		for b.Loop() {
			p.Number(1234567)
		}
	})
	b.Run("money", func(b *testing.B) {
		for b.Loop() {
			p.Money(123450, "SEK")
		}
	})
	when := time.Date(2026, 12, 2, 15, 4, 0, 0, time.UTC)
	b.Run("datetime", func(b *testing.B) {
		for b.Loop() {
			p.DateTime(when)
		}
	})
}

func BenchmarkNegotiate(b *testing.B) {
	b.Run("browser", func(b *testing.B) {
		for b.Loop() {
			Negotiate("sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7")
		}
	})
	hostile := strings.Repeat("fr-FR;q=0.9, ", 800)
	b.Run("hostile-10KiB", func(b *testing.B) {
		for b.Loop() {
			Negotiate(hostile)
		}
	})
}
