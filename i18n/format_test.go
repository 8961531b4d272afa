package i18n

import (
	"math"
	"strings"
	"testing"
	"time"
)

// spaced returns s with its spaces made no-break spaces, as CLDR writes numbers and
// currency amounts in these languages.
func spaced(s string) string { return strings.ReplaceAll(s, " ", "\u00a0") }

func TestNumber(t *testing.T) {
	for _, tc := range []struct {
		n              int64
		en, sv, nb, pl string
	}{
		{0, "0", "0", "0", "0"},
		{999, "999", "999", "999", "999"},
		{1234, "1,234", "1 234", "1 234", "1234"},
		{12345, "12,345", "12 345", "12 345", "12 345"},
		{1234567, "1,234,567", "1 234 567", "1 234 567", "1 234 567"},
		{-1234567, "-1,234,567", "−1 234 567", "−1 234 567", "-1 234 567"},
		{-5, "-5", "−5", "−5", "-5"},
		{math.MaxInt64, "9,223,372,036,854,775,807", "9 223 372 036 854 775 807", "9 223 372 036 854 775 807", "9 223 372 036 854 775 807"},
		{math.MinInt64, "-9,223,372,036,854,775,808", "−9 223 372 036 854 775 808", "−9 223 372 036 854 775 808", "-9 223 372 036 854 775 808"},
	} {
		for l, want := range map[Lang]string{EN: tc.en, SV: spaced(tc.sv), NB: spaced(tc.nb), PL: spaced(tc.pl)} {
			if got := For(l).Number(tc.n); got != want {
				t.Errorf("%s Number(%d) = %q, want %q", l, tc.n, got, want)
			}
		}
	}
}

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		minor          int64
		cur            string
		en, sv, nb, pl string
	}{
		{123450, "EUR", "€1,234.50", "1 234,50 €", "1 234,50 €", "1234,50 €"},
		{123450, "SEK", "SEK 1,234.50", "1 234,50 kr", "1 234,50 SEK", "1234,50 SEK"},
		{123450, "USD", "$1,234.50", "1 234,50 US$", "1 234,50 USD", "1234,50 USD"},
		{123450, "PLN", "PLN 1,234.50", "1 234,50 PLN", "1 234,50 PLN", "1234,50 zł"},
		{123450, "NOK", "NOK 1,234.50", "1 234,50 Nkr", "1 234,50 kr", "1234,50 NOK"},
		{123450, "JPY", "¥123,450", "123 450 JPY", "123 450 JPY", "123 450 JPY"},
		{1234567890, "EUR", "€12,345,678.90", "12 345 678,90 €", "12 345 678,90 €", "12 345 678,90 €"},
		{-123450, "EUR", "-€1,234.50", "−1 234,50 €", "−1 234,50 €", "-1234,50 €"},
		{-5, "SEK", "-SEK 0.05", "−0,05 kr", "−0,05 SEK", "-0,05 SEK"},
		{0, "EUR", "€0.00", "0,00 €", "0,00 €", "0,00 €"},
		{7, "JPY", "¥7", "7 JPY", "7 JPY", "7 JPY"},
		{100, "eur", "€1.00", "1,00 €", "1,00 €", "1,00 €"},
		// A code x/text does not know: two decimals, the code for the symbol.
		{123450, "ZZZ", "ZZZ 1,234.50", "1 234,50 ZZZ", "1 234,50 ZZZ", "1234,50 ZZZ"},
		{123450, "", "1,234.50", "1 234,50", "1 234,50", "1234,50"},
	} {
		for l, want := range map[Lang]string{EN: spaced(tc.en), SV: spaced(tc.sv), NB: spaced(tc.nb), PL: spaced(tc.pl)} {
			if got := For(l).Money(tc.minor, tc.cur); got != want {
				t.Errorf("%s Money(%d, %q) = %q, want %q", l, tc.minor, tc.cur, got, want)
			}
		}
	}
	// The extremes must not panic or lose their sign.
	for _, l := range Supported {
		if got := For(l).Money(math.MinInt64, "EUR"); !strings.Contains(got, "92") || strings.Count(got, "-")+strings.Count(got, "−") != 1 {
			t.Errorf("%s Money(MinInt64) = %q", l, got)
		}
		if got := For(l).Money(math.MinInt64, "JPY"); !strings.Contains(got, "808") {
			t.Errorf("%s Money(MinInt64, JPY) = %q", l, got)
		}
	}
}

func TestDate(t *testing.T) {
	dec := time.Date(2026, 12, 2, 15, 4, 59, 0, time.UTC)
	// 01:30 on 3 December in UTC+2 is still 2 December in UTC.
	east := time.Date(2026, 12, 3, 1, 30, 0, 0, time.FixedZone("EET", 2*3600))
	mar := time.Date(2027, 3, 9, 8, 5, 0, 0, time.UTC)
	may := time.Date(2027, 5, 31, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		lang                   Lang
		dec, decTime, eastTime string
		mar, may               string
	}{
		{EN, "2 Dec 2026", "2 Dec 2026, 15:04 UTC", "2 Dec 2026, 23:30 UTC", "9 Mar 2027", "31 May 2027"},
		{SV, "2 dec. 2026", "2 dec. 2026 15:04 UTC", "2 dec. 2026 23:30 UTC", "9 mars 2027", "31 maj 2027"},
		{NB, "2. des. 2026", "2. des. 2026, 15:04 UTC", "2. des. 2026, 23:30 UTC", "9. mar. 2027", "31. mai 2027"},
		{PL, "2 gru 2026", "2 gru 2026, 15:04 UTC", "2 gru 2026, 23:30 UTC", "9 mar 2027", "31 maj 2027"},
	} {
		p := For(tc.lang)
		for _, c := range []struct{ got, want string }{
			{p.Date(dec), tc.dec},
			{p.DateTime(dec), tc.decTime},
			{p.DateTime(east), tc.eastTime},
			{p.Date(east), tc.dec},
			{p.Date(mar), tc.mar},
			{p.Date(may), tc.may},
		} {
			if c.got != c.want {
				t.Errorf("%s: got %q, want %q", tc.lang, c.got, c.want)
			}
		}
	}
}

func TestMonthNames(t *testing.T) {
	// Every month of every language, once, so a typo in the table shows.
	want := map[Lang]string{
		EN: "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
		SV: "jan. feb. mars apr. maj juni juli aug. sep. okt. nov. dec.",
		NB: "jan. feb. mar. apr. mai jun. jul. aug. sep. okt. nov. des.",
		PL: "sty lut mar kwi maj cze lip sie wrz paź lis gru",
	}
	for l, w := range want {
		var got []string
		for m := time.January; m <= time.December; m++ {
			d := For(l).Date(time.Date(2026, m, 15, 0, 0, 0, 0, time.UTC))
			f := strings.Fields(d)
			got = append(got, f[1])
		}
		if g := strings.Join(got, " "); g != w {
			t.Errorf("%s months = %q, want %q", l, g, w)
		}
	}
}
