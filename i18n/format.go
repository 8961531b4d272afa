package i18n

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/currency"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// Numbers come from x/text's CLDR data: digits, group and decimal separators, minus
// sign and currency symbols. x/text does not apply CLDR's minimum grouping digits,
// currency patterns or date formats, so those are the small table below, taken from
// CLDR for each language.

// locale is the CLDR data of one language that x/text does not apply.
type locale struct {
	// minGrouping is CLDR's minimumGroupingDigits: Polish groups only numbers of
	// five digits or more ("1234", "12 345").
	minGrouping int
	// currencyAfter says whether the standard currency pattern puts the symbol
	// after the number ("#,##0.00 ¤") rather than before ("¤#,##0.00").
	currencyAfter bool
	// months are the abbreviated month names as used in a date (format context).
	months [12]string
	// dayDot says whether the day of the month is followed by a dot ("2. des.").
	dayDot bool
	// dateTime joins a date and a time in the medium dateTime pattern.
	dateTime string
}

var localeData = map[Lang]*locale{
	EN: {
		minGrouping: 1,
		months:      [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
		dateTime:    ", ",
	},
	SV: {
		minGrouping:   1,
		currencyAfter: true,
		months:        [12]string{"jan.", "feb.", "mars", "apr.", "maj", "juni", "juli", "aug.", "sep.", "okt.", "nov.", "dec."},
		dateTime:      " ",
	},
	NB: {
		minGrouping:   1,
		currencyAfter: true,
		months:        [12]string{"jan.", "feb.", "mar.", "apr.", "mai", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "des."},
		dayDot:        true,
		dateTime:      ", ",
	},
	PL: {
		minGrouping:   2,
		currencyAfter: true,
		months:        [12]string{"sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru"},
		dateTime:      ", ",
	},
}

// numberFormat is what a printer needs to assemble numbers: its locale data and the
// CLDR symbols x/text formats with.
type numberFormat struct {
	*locale
	decimal, minus string
}

// numberFormatOf reads l's decimal separator and minus sign from x/text's output, so
// they are CLDR's ("," and "−" U+2212 in Swedish) rather than guessed.
func numberFormatOf(l Lang, p *message.Printer) numberFormat {
	loc := localeData[l]
	if loc == nil {
		loc = localeData[EN]
	}
	f := numberFormat{locale: loc, decimal: ".", minus: "-"}
	if s := p.Sprint(number.Decimal(1.5, number.Scale(1))); strings.HasPrefix(s, "1") && strings.HasSuffix(s, "5") {
		f.decimal = s[1 : len(s)-1]
	}
	if s := p.Sprint(number.Decimal(-1)); strings.HasSuffix(s, "1") {
		f.minus = s[:len(s)-1]
	}
	return f
}

// Number formats n with the language's digit grouping: "1,234,567" in English,
// "1 234 567" (no-break spaces) in Swedish, Norwegian and Polish. Polish leaves
// four-digit numbers ungrouped ("1234"), as CLDR says.
func (p *Printer) Number(n int64) string {
	// uint64 of a negative int64's negation is its magnitude, even for math.MinInt64.
	if n < 0 {
		return p.loc.minus + p.integer(uint64(-n))
	}
	return p.integer(uint64(n))
}

// integer formats a non-negative integer with grouping.
func (p *Printer) integer(u uint64) string {
	if u < 1000 {
		return strconv.FormatUint(u, 10)
	}
	if p.loc.minGrouping > 1 && u < 10_000 {
		return p.num.Sprint(number.Decimal(u, number.NoSeparator()))
	}
	return p.num.Sprint(number.Decimal(u))
}

// nbsp separates a currency symbol from the number, so the two never wrap apart.
const nbsp = "\u00a0"

// Money formats an amount given in the currency's minor units (cents, öre, grosze)
// with the currency's own number of decimals (two for EUR, none for JPY) and its
// symbol as the language writes it: "€1,234.50", "SEK 1,234.50" and "¥1,235" in
// English; "1 234,50 €", "1 234,50 kr" in Swedish; "1234,50 zł" in Polish. code is an
// ISO 4217 code; for one x/text does not know, the amount has two decimals and the
// code stands for the symbol.
func (p *Printer) Money(minor int64, code string) string {
	digits, symbol := 2, strings.ToUpper(strings.TrimSpace(code))
	if unit, err := currency.ParseISO(code); err == nil {
		digits, _ = currency.Standard.Rounding(unit)
		symbol = p.num.Sprint(currency.Symbol(unit))
	}
	u := uint64(minor)
	if minor < 0 {
		u = uint64(-minor)
	}
	pow := uint64(1)
	for range digits {
		pow *= 10
	}
	var b strings.Builder
	if minor < 0 {
		b.WriteString(p.loc.minus)
	}
	if !p.loc.currencyAfter {
		b.WriteString(symbol)
		// CLDR's currency spacing: a symbol ending in a letter ("SEK") is kept
		// apart from the digits; "€" and "$" are not.
		if r, _ := utf8.DecodeLastRuneInString(symbol); unicode.IsLetter(r) {
			b.WriteString(nbsp)
		}
	}
	b.WriteString(p.integer(u / pow))
	if digits > 0 {
		frac := strconv.FormatUint(u%pow, 10)
		b.WriteString(p.loc.decimal)
		b.WriteString(strings.Repeat("0", digits-len(frac)))
		b.WriteString(frac)
	}
	if p.loc.currencyAfter && symbol != "" {
		b.WriteString(nbsp)
		b.WriteString(symbol)
	}
	return b.String()
}

// Date formats t's date in UTC as the language's medium date: "2 Dec 2026",
// "2 dec. 2026", "2. des. 2026", "2 gru 2026".
func (p *Printer) Date(t time.Time) string {
	var buf [40]byte
	return string(p.appendDate(buf[:0], t.UTC()))
}

// appendDate appends the medium date of t (in UTC already) to b.
func (p *Printer) appendDate(b []byte, t time.Time) []byte {
	b = strconv.AppendInt(b, int64(t.Day()), 10)
	if p.loc.dayDot {
		b = append(b, '.')
	}
	b = append(b, ' ')
	b = append(b, p.loc.months[t.Month()-1]...)
	b = append(b, ' ')
	return strconv.AppendInt(b, int64(t.Year()), 10)
}

// DateTime formats t in UTC as the medium date and the 24-hour time, marked UTC as
// the console shows times: "2 Dec 2026, 15:04 UTC", "2 dec. 2026 15:04 UTC".
func (p *Printer) DateTime(t time.Time) string {
	var buf [64]byte
	t = t.UTC()
	b := p.appendDate(buf[:0], t)
	b = append(b, p.loc.dateTime...)
	b = t.AppendFormat(b, "15:04")
	return string(append(b, " UTC"...))
}
