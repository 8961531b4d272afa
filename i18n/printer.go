package i18n

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Printer renders messages, numbers, money and dates in one language. Printers are
// built once per language and shared: get one with For, never per request. A Printer
// is safe for concurrent use.
type Printer struct {
	lang Lang
	tag  language.Tag
	msgs map[string]*entry
	num  *message.Printer
	// Locale data for the formats x/text does not assemble itself (see format.go).
	loc numberFormat
}

func newPrinter(l Lang, msgs map[string]*entry) *Printer {
	p := &Printer{lang: l, tag: tags[l], msgs: msgs, num: message.NewPrinter(tags[l])}
	p.loc = numberFormatOf(l, p.num)
	return p
}

// For returns the printer for l. A language that is not Valid (including XA before
// EnablePseudo) gets English.
func For(l Lang) *Printer {
	s := catalogues()
	if p := s.printers[l]; p != nil {
		return p
	}
	if l == XA {
		if p := pseudoPrinter.Load(); p != nil {
			return p
		}
	}
	return s.printers[EN]
}

// Lang returns the printer's language.
func (p *Printer) Lang() Lang { return p.lang }

// Tag returns the printer's language tag.
func (p *Printer) Tag() language.Tag { return p.tag }

// T returns the message with the given ID in the printer's language, or in English
// when the language's catalogue lacks it, or the ID itself when no catalogue has it.
//
// args are name/value pairs for the message's placeholders: T("signin.username.hint",
// "Example", "megan@contoso.com") fills {{.Example}}. A "Count" argument selects the
// plural form by the language's CLDR rules and is shown as a number of the language:
// give it as an integer ("1 234" in Swedish) or, for a fraction, as a decimal string
// whose visible decimals CLDR takes into account ("1.50" shows as "1,50"). A
// placeholder without an argument renders as "<no value>", as in go-i18n; an odd
// trailing argument and non-string names are ignored.
//
// The result is plain text: html/template escapes it where it is shown.
func (p *Printer) T(id string, args ...any) string {
	e, ok := p.msgs[id]
	if !ok {
		return id
	}
	return p.render(e, args)
}

// Message returns a message the code wrote in English, text, in the printer's
// language: the catalogue message id with args filling its placeholders (as T) when id
// is set and the language is not English, else what Text makes of text. English
// readers get text as the code rendered it; so do all readers when no catalogue has
// id. It is how a field message of an atrium.Error (its Fields text and FieldMsgs ID
// and Args) reaches a reader:
//
//	p.Message("must be at most 64 characters", "err.max_chars", "Count", 64)
//
// Plural forms follow the language's CLDR rules through the catalogue's Count. A
// message without ID, or one in English, costs what Text costs.
func (p *Printer) Message(text, id string, args ...any) string {
	if id != "" && p.lang != EN {
		if e, ok := p.msgs[id]; ok {
			return p.render(e, args)
		}
	}
	return p.Text(text)
}

// render renders compiled message e with args.
func (p *Printer) render(e *entry, args []any) string {
	if e.plain {
		return e.text
	}
	form := plural.Other
	count, hasCount := arg(args, "Count")
	if hasCount {
		form = formOf(e.plural, count)
	}
	t := e.forms[form]
	if t == nil {
		// As go-i18n does: a form the catalogue lacks falls back to "other".
		t = e.forms[plural.Other]
	}
	if t.tpl != nil {
		return p.execute(t, args)
	}
	if len(t.parts) == 1 && t.parts[0].name == "" {
		return t.parts[0].lit
	}
	var b strings.Builder
	b.Grow(len(t.src) + 16)
	for _, pt := range t.parts {
		if pt.name == "" {
			b.WriteString(pt.lit)
			continue
		}
		v, ok := arg(args, pt.name)
		if !ok {
			b.WriteString("<no value>")
			continue
		}
		b.WriteString(p.value(pt.name, v))
	}
	return b.String()
}

// Text translates s, which is either a message ID or the English text of a message
// without placeholders (what the services' error messages are today: "is required"),
// into the printer's language; any other text comes back as it is. It lets English
// messages written before their module was translated be shown in every language once
// a catalogue has them, and stay English until then.
func (p *Printer) Text(s string) string {
	if _, ok := p.msgs[s]; ok {
		return p.T(s)
	}
	if id, ok := catalogues().byText[s]; ok {
		return p.T(id)
	}
	return s
}

// execute renders a form that needs text/template.
func (p *Printer) execute(t *tmpl, args []any) string {
	data := make(map[string]any, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		name, ok := args[i].(string)
		switch {
		case !ok:
		case name == "Count":
			data[name] = p.value(name, args[i+1])
		default:
			// Raw, so that conditions see false as false.
			data[name] = args[i+1]
		}
	}
	var b strings.Builder
	if err := t.tpl.Execute(&b, data); err != nil {
		// Only a template calling something that fails can get here; the source is
		// more use to a reader than half a sentence.
		return t.src
	}
	return b.String()
}

// arg returns the value of the argument called name.
func arg(args []any, name string) (any, bool) {
	for i := 0; i+1 < len(args); i += 2 {
		if s, ok := args[i].(string); ok && s == name {
			return args[i+1], true
		}
	}
	return nil, false
}

// value renders an argument for a placeholder: a Count that is a number with the
// language's digit grouping and decimal separator, anything else as fmt would.
func (p *Printer) value(name string, v any) string {
	if name == "Count" {
		if n, ok := toInt64(v); ok {
			return p.Number(n)
		}
		if d, ok := decimalString(v); ok {
			return p.decimalNumber(d)
		}
	}
	switch v := v.(type) {
	case string:
		return v
	case fmt.Stringer:
		return v.String()
	case int:
		return strconv.Itoa(v)
	}
	return fmt.Sprint(v)
}

// decimalString returns a Count given as a decimal string or a float as a decimal
// string ("1.5").
func decimalString(v any) (string, bool) {
	var s string
	switch n := v.(type) {
	case string:
		s = n
	case float32:
		s = strconv.FormatFloat(float64(n), 'f', -1, 32)
	case float64:
		s = strconv.FormatFloat(n, 'f', -1, 64)
	default:
		return "", false
	}
	_, _, _, ok := decimal(s)
	return strings.TrimSpace(s), ok
}

// decimalNumber formats a decimal string that decimal accepts with the language's
// grouping, decimal separator and minus sign ("−1 234,5").
func (p *Printer) decimalNumber(s string) string {
	neg := strings.HasPrefix(s, "-")
	ip, fp, hasFrac := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	var b strings.Builder
	if neg {
		b.WriteString(p.loc.minus)
	}
	if u, err := strconv.ParseUint(ip, 10, 64); err == nil {
		b.WriteString(p.integer(u))
	} else {
		b.WriteString(ip)
	}
	if hasFrac {
		b.WriteString(p.loc.decimal)
		b.WriteString(fp)
	}
	return b.String()
}

// toInt64 converts the integer kinds that fit an int64.
func toInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint:
		return int64(n), uint64(n) <= math.MaxInt64
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint64:
		return int64(n), n <= math.MaxInt64
	}
	return 0, false
}

// formOf returns the CLDR plural category of count in the language tagged t. count is
// an integer, a float, or a decimal string ("1.50" has two visible fraction digits,
// which matters to CLDR); anything else is "other".
func formOf(t language.Tag, count any) plural.Form {
	if i, ok := toInt64(count); ok {
		return plural.Cardinal.MatchPlural(t, operand(uint64(abs(i))), 0, 0, 0, 0)
	}
	switch u := count.(type) {
	case uint64:
		return plural.Cardinal.MatchPlural(t, operand(u), 0, 0, 0, 0)
	case uint:
		return plural.Cardinal.MatchPlural(t, operand(uint64(u)), 0, 0, 0, 0)
	}
	s, ok := decimalString(count)
	if !ok {
		return plural.Other
	}
	i, f, v, ok := decimal(s)
	if !ok {
		return plural.Other
	}
	w, tt := v, f
	for w > 0 && tt%10 == 0 {
		w, tt = w-1, tt/10
	}
	return plural.Cardinal.MatchPlural(t, i, v, w, f, tt)
}

func abs(n int64) int64 {
	if n < 0 {
		return -n // math.MinInt64 stays negative, but its uint64 is its magnitude.
	}
	return n
}

// operand returns CLDR's integer operand for n. Rules look at n itself only while it
// is small and otherwise at n modulo 10, 100, 1000 or 10⁶, so a large n is passed as a
// large number with the same remainders.
func operand(n uint64) int {
	const m = 1_000_000
	if n < m {
		return int(n)
	}
	return int(n%m) + m
}

// decimal parses "[-]digits[.digits]" into CLDR's operands: the integer part i (as
// operand returns it), the visible fraction digits f and their count v.
func decimal(s string) (i, f, v int, ok bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "-")
	ip, fp, dot := strings.Cut(s, ".")
	if ip == "" || dot && fp == "" || len(fp) > 6 {
		return 0, 0, 0, false
	}
	var n uint64
	for _, c := range []byte(ip) {
		if c < '0' || c > '9' {
			return 0, 0, 0, false
		}
		// n keeps the remainder modulo 10⁶ and whether the number reached 10⁶.
		n = n*10 + uint64(c-'0')
		if n >= 2_000_000 {
			n = n%1_000_000 + 1_000_000
		}
	}
	for _, c := range []byte(fp) {
		if c < '0' || c > '9' {
			return 0, 0, 0, false
		}
		f = f*10 + int(c-'0')
	}
	return operand(n), f, len(fp), true
}
