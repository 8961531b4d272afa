package i18n

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/feature/plural"
)

// ProblemKind says what is wrong with a message in a catalogue.
type ProblemKind string

// The defects Check finds.
const (
	// Missing: the message is in English but not in the language (it shows in
	// English there).
	Missing ProblemKind = "missing"
	// Extra: the message is in the language but not in English, so no code can
	// rely on it.
	Extra ProblemKind = "not in English"
	// Placeholders: the message's {{.Name}} placeholders differ from English's.
	Placeholders ProblemKind = "placeholders differ"
	// PluralForms: a plural message lacks a CLDR category the language needs, has
	// one it never uses, or is plural in one language only.
	PluralForms ProblemKind = "plural forms"
)

// Problem is a defect in one message of one catalogue.
type Problem struct {
	Lang   Lang
	ID     string
	Kind   ProblemKind
	Detail string
}

// String describes the problem in one line: "sv users.count: plural forms (lacks one)".
func (p Problem) String() string {
	s := string(p.Lang) + " " + p.ID + ": " + string(p.Kind)
	if p.Detail != "" {
		s += " (" + p.Detail + ")"
	}
	return s
}

// Check compares every catalogue with the English one and returns what is wrong,
// sorted by language and ID: messages missing or extra, placeholders that differ from
// English, and plural messages whose CLDR categories do not match the language's
// (Polish needs one, few, many and other; English, Swedish and Bokmål one and other).
// The shipped catalogues have no problems; a test keeps it so.
func Check() []Problem {
	return catalogues().check()
}

func (s *set) check() []Problem {
	en := s.messages[EN]
	var out []Problem
	for _, l := range supported {
		msgs := s.messages[l]
		for id, m := range msgs {
			ref, ok := en[id]
			if !ok {
				out = append(out, Problem{Lang: l, ID: id, Kind: Extra})
				continue
			}
			if want, got := placeholders(ref), placeholders(m); !slices.Equal(want, got) {
				out = append(out, Problem{Lang: l, ID: id, Kind: Placeholders,
					Detail: fmt.Sprintf("English has %v, %s has %v", want, l, got)})
			}
			if d := checkForms(l, m, isPlural(ref)); d != "" {
				out = append(out, Problem{Lang: l, ID: id, Kind: PluralForms, Detail: d})
			}
		}
		for id := range en {
			if _, ok := msgs[id]; !ok {
				out = append(out, Problem{Lang: l, ID: id, Kind: Missing})
			}
		}
	}
	slices.SortFunc(out, func(a, b Problem) int {
		if c := strings.Compare(string(a.Lang), string(b.Lang)); c != 0 {
			return c
		}
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(string(a.Kind), string(b.Kind))
	})
	return out
}

// isPlural reports whether m has forms other than "other".
func isPlural(m *goi18n.Message) bool {
	f := forms(m)
	for i, s := range f {
		if s != "" && plural.Form(i) != plural.Other {
			return true
		}
	}
	return false
}

// checkForms describes what is wrong with m's plural forms in l, or returns "".
// englishPlural says whether the English message is plural.
func checkForms(l Lang, m *goi18n.Message, englishPlural bool) string {
	own := isPlural(m)
	switch {
	case !own && !englishPlural:
		return ""
	case own && !englishPlural:
		return "plural here but not in English"
	}
	need := formsOf(l)
	have := forms(m)
	var missing, unused []string
	for _, f := range need {
		if have[formIndex(f)] == "" {
			missing = append(missing, f)
		}
	}
	for i, s := range have {
		if s != "" && !slices.Contains(need, formNames[i]) {
			unused = append(unused, formNames[i])
		}
	}
	var d []string
	if len(missing) > 0 {
		d = append(d, "lacks "+strings.Join(missing, ", "))
	}
	if len(unused) > 0 {
		d = append(d, "never uses "+strings.Join(unused, ", "))
	}
	return strings.Join(d, "; ")
}

func formIndex(name string) int {
	return slices.Index(formNames[:], name)
}

// formsOf returns the CLDR plural categories l's numbers fall into, in CLDR's order
// (zero, one, two, few, many, other): what a plural message in l must define. They are
// read from x/text's CLDR rules by classifying integers and decimals.
func formsOf(l Lang) []string {
	t := pluralTag(l)
	var seen [numForms]bool
	for i := range 1000 {
		seen[plural.Cardinal.MatchPlural(t, i, 0, 0, 0, 0)] = true
	}
	for _, i := range []int{1_000_000, 1_000_001, 10_000_000} {
		seen[plural.Cardinal.MatchPlural(t, i, 0, 0, 0, 0)] = true
	}
	for i := range 20 {
		for f := range 100 {
			// Two visible fraction digits (1.05, 1.50) and, when the second is 0,
			// one (1.5).
			w, tt := 2, f
			for w > 0 && tt%10 == 0 {
				w, tt = w-1, tt/10
			}
			seen[plural.Cardinal.MatchPlural(t, i, 2, w, f, tt)] = true
			if f%10 == 0 {
				seen[plural.Cardinal.MatchPlural(t, i, 1, w, f/10, tt)] = true
			}
		}
	}
	var out []string
	for _, f := range []plural.Form{plural.Zero, plural.One, plural.Two, plural.Few, plural.Many, plural.Other} {
		if seen[f] {
			out = append(out, formNames[f])
		}
	}
	return out
}

var digitsRE = regexp.MustCompile(`\d+`)

// Unused returns the English IDs that none of sources (the contents of the program's
// Go files and templates) uses, sorted. An ID counts as used where it appears as a
// string literal ("users.title"), where its English text does (a service's message that
// Printer.Text finds by it), or where a literal prefix of it ending in a dot is joined
// to something ("problem." + code + ".title").
func Unused(sources []string) []string {
	all := strings.Join(sources, "\n")
	en := For(EN)
	var out []string
	for _, id := range IDs() {
		if strings.Contains(all, `"`+id+`"`) || strings.Contains(all, `"hint=`+id+`"`) {
			continue // a literal, or a field's hint ("hint=users.username.hint")
		}
		if e := en.msgs[id]; e != nil && e.plain && (strings.Contains(all, `"`+e.text+`"`) ||
			strings.Contains(all, `"`+digitsRE.ReplaceAllString(e.text, "%d")+`"`)) {
			continue // a service's message, literal or formatted ("must be at least %d characters")
		}
		used := false
		for i := len(id) - 1; i > 0 && !used; i-- {
			if id[i] != '.' {
				continue
			}
			prefix := `"` + id[:i+1] + `"`
			used = strings.Contains(all, prefix+" +") || strings.Contains(all, prefix+"+")
		}
		if !used {
			out = append(out, id)
		}
	}
	return out
}
