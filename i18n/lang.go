// Package i18n is Atrium's translation layer: the languages the console, mail and API
// errors are available in, the choice of one for a request, message catalogues with
// CLDR plurals, and locale-aware numbers, money, dates, collation and search keys.
//
// Messages live in one TOML catalogue per language (locales/*.toml, embedded), in
// go-i18n's format: a stable dotted ID, placeholders written {{.Name}}, and plurals
// as CLDR categories (one, few, many, other) selected by a Count argument:
//
//	p := i18n.For(i18n.Choose(user.Lang, org.Lang, r.Header.Get("Accept-Language")))
//	p.T("nav.users.active")           // "Aktiva användare"
//	p.T("users.count", "Count", 22)   // "22 użytkowników"
//	p.Money(123450, "EUR")            // "1 234,50 €"
//
// Everything here is safe for concurrent use.
package i18n

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/text/language"
)

// Lang is a language Atrium is translated into, as a BCP 47 tag ("sv"). The zero
// value means "not set" (a user or organization that has not chosen one).
type Lang string

// The languages Atrium ships catalogues for. EN is the default and the fallback for
// a message another catalogue lacks.
const (
	EN Lang = "en"
	SV Lang = "sv"
	NB Lang = "nb"
	PL Lang = "pl"
)

// XA is the pseudo-language: English with every letter accented, padded and wrapped
// in brackets, so that text which escaped translation stands out. It exists only after
// EnablePseudo.
const XA Lang = "en-XA"

// Supported lists the shipped languages, the default first. The pseudo-language is
// never in it.
var Supported = []Lang{EN, SV, NB, PL}

// supported is Supported as the package uses it, safe from callers that modify the
// exported slice.
var supported = [...]Lang{EN, SV, NB, PL}

// names are the languages' own names, as a language picker shows them.
var names = map[Lang]string{
	EN: "English",
	SV: "Svenska",
	NB: "Norsk bokmål",
	PL: "Polski",
	XA: "English (pseudo)",
}

// Name returns the language's name in the language itself ("Svenska"), for a language
// picker. For a value that is no language of Atrium's it returns the value.
func (l Lang) Name() string {
	if n, ok := names[l]; ok {
		return n
	}
	return string(l)
}

// Valid reports whether l is a language Atrium can show: a supported one, or XA once
// EnablePseudo has been called.
func (l Lang) Valid() bool {
	switch l {
	case EN, SV, NB, PL:
		return true
	case XA:
		return pseudoEnabled()
	}
	return false
}

// Tag returns l as a language tag; language.Und for a value that is no valid tag.
func (l Lang) Tag() language.Tag {
	if t, ok := tags[l]; ok {
		return t
	}
	t, err := language.Parse(string(l))
	if err != nil {
		return language.Und
	}
	return t
}

var tags = map[Lang]language.Tag{
	EN: language.English,
	SV: language.Swedish,
	NB: language.MustParse("nb"), // language.Norwegian is the macrolanguage "no"
	PL: language.Polish,
	XA: language.MustParse("en-XA"),
}

// matcher matches requested tags against the supported languages, in supported's
// order. It encodes CLDR's language-matching data: regional variants (sv-FI, en-GB),
// the Norwegian macrolanguage (no → nb) and Nynorsk readers served by Bokmål.
var matcher = language.NewMatcher([]language.Tag{
	tags[EN], tags[SV], tags[NB], tags[PL],
})

// maxTag bounds the length of one tag Parse looks at; BCP 47 tags in practice are far
// shorter, and language.Parse's work grows with its input.
const maxTag = 64

// Parse returns the supported language a BCP 47 tag names, matching case-insensitively
// and by CLDR's rules for close languages: "sv-FI" and "sv-SE" are Swedish, "en-GB" is
// English, "pl-PL" is Polish, and "no", "no-NO", "nb-NO" and "nn" (Nynorsk) are Bokmål.
// "en-XA" is XA once EnablePseudo has been called. It reports false for tags that do
// not parse and for languages Atrium is not translated into.
//
// CLDR's matcher would also offer Bokmål to Danish readers and English to Icelandic
// ones; Parse does not, so that a tag maps only to its own language (or, for the
// Norwegian family, to Bokmål).
func Parse(s string) (Lang, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxTag {
		return "", false
	}
	if strings.EqualFold(s, string(XA)) && pseudoEnabled() {
		return XA, true
	}
	t, err := language.Parse(s)
	if err != nil {
		return "", false
	}
	_, i, conf := matcher.Match(t)
	if conf < language.High {
		return "", false
	}
	l := supported[i]
	base, _ := t.Base()
	switch b := base.String(); {
	case b == string(l):
	case l == NB && (b == "no" || b == "nn"):
	default:
		return "", false
	}
	return l, true
}

// Accept-Language limits: a header longer than maxHeader is cut at the last complete
// entry before it, and only the first maxEntries entries are considered. Real
// browsers send a handful; the limits keep a hostile header from costing more.
const (
	maxHeader  = 1 << 10
	maxEntries = 20
)

// Negotiate returns the supported language an Accept-Language header prefers: the
// entry with the highest quality among those that Parse accepts, the earliest on a
// tie. Entries with q=0 (not acceptable), malformed entries and "*" are skipped. It
// returns EN when no entry names a supported language, and for an empty or malformed
// header. Only the first 1 KiB and 20 entries of the header are read.
func Negotiate(acceptLanguage string) Lang {
	if acceptLanguage == "" {
		return EN
	}
	// Browsers send a handful of distinct headers; each is parsed once.
	if l, ok := negotiated.Load(acceptLanguage); ok {
		return l.(Lang)
	}
	l := negotiate(acceptLanguage)
	if len(acceptLanguage) <= 256 && negotiatedN.Add(1) <= maxNegotiated {
		negotiated.Store(acceptLanguage, l)
	}
	return l
}

// negotiated caches Negotiate for up to maxNegotiated distinct short headers, so that
// hostile clients sending ever new ones cannot grow it.
var (
	negotiated    sync.Map
	negotiatedN   atomic.Int64
	maxNegotiated int64 = 1024
)

func negotiate(acceptLanguage string) Lang {
	h := acceptLanguage
	if len(h) > maxHeader {
		h = h[:maxHeader]
		if i := strings.LastIndexByte(h, ','); i >= 0 {
			h = h[:i]
		}
	}
	best, bestQ := EN, 0.0
	for n := 0; h != "" && n < maxEntries; {
		var entry string
		entry, h, _ = strings.Cut(h, ",")
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		n++
		tag, params, _ := strings.Cut(entry, ";")
		q, ok := quality(params)
		if !ok || q <= bestQ {
			continue
		}
		if l, ok := Parse(tag); ok {
			best, bestQ = l, q
		}
	}
	return best
}

// quality parses an Accept-Language entry's parameters (";q=0.8"), returning 1 when
// there is no q. It reports false for a malformed or out-of-range q.
func quality(params string) (float64, bool) {
	q := 1.0
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		if !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		v := strings.TrimSpace(value)
		if v == "" || len(v) > 5 {
			return 0, false
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f >= 0 && f <= 1) {
			return 0, false
		}
		q = f
	}
	return q, true
}

// Choose returns the language to show someone: their own setting if it is valid, else
// their organization's, else the one their browser's Accept-Language prefers, else EN.
// Pass "" for a setting that is not made.
func Choose(user, org Lang, acceptLanguage string) Lang {
	if user.Valid() {
		return user
	}
	if org.Valid() {
		return org
	}
	return Negotiate(acceptLanguage)
}
