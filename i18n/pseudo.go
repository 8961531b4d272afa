package i18n

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// pseudoPrinter is XA's printer, set by EnablePseudo.
var pseudoPrinter atomic.Pointer[Printer]

var enablePseudo sync.Once

func pseudoEnabled() bool { return pseudoPrinter.Load() != nil }

// EnablePseudo makes the pseudo-language XA ("en-XA") available to Parse, Choose and
// For. Its catalogue is generated from the English one: every letter replaced by an
// accented look-alike, the text padded about 30% longer with tildes and wrapped in
// brackets ("Sign in" → "[Šîĝñ îñ ~~~]"), placeholders and markup left as they are. A
// page shown in XA reveals text that does not come from a catalogue (it is not
// bracketed) and layouts that break on longer translations. Calling it again does
// nothing.
func EnablePseudo() {
	enablePseudo.Do(func() {
		en := catalogues().messages[EN]
		msgs := make(map[string]*entry, len(en))
		for id, m := range en {
			pm := *m
			pm.Zero, pm.One, pm.Two = pseudo(m.Zero), pseudo(m.One), pseudo(m.Two)
			pm.Few, pm.Many, pm.Other = pseudo(m.Few), pseudo(m.Many), pseudo(m.Other)
			e, err := compile(&pm, XA)
			if err != nil {
				// English compiled, and pseudo leaves actions alone.
				panic("i18n: pseudo " + id + ": " + err.Error())
			}
			msgs[id] = e
		}
		pseudoPrinter.Store(newPrinter(XA, msgs))
	})
}

// IsPseudo reports whether s, with surrounding space trimmed, is a message from the
// pseudo catalogue: bracketed, with the padding before the closing bracket.
func IsPseudo(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "[") && strings.HasSuffix(s, "~]")
}

// lookalikes are the accented letters pseudo uses for ASCII letters.
var lookalikes = map[rune]rune{
	'a': 'á', 'b': 'ƀ', 'c': 'ç', 'd': 'ð', 'e': 'é', 'f': 'ƒ', 'g': 'ĝ', 'h': 'ĥ',
	'i': 'î', 'j': 'ĵ', 'k': 'ķ', 'l': 'ļ', 'm': 'ɱ', 'n': 'ñ', 'o': 'ö', 'p': 'þ',
	'q': 'ǫ', 'r': 'ŕ', 's': 'š', 't': 'ţ', 'u': 'û', 'v': 'ṽ', 'w': 'ŵ', 'x': 'ẋ',
	'y': 'ý', 'z': 'ž',
	'A': 'Á', 'B': 'Ɓ', 'C': 'Ç', 'D': 'Ð', 'E': 'É', 'F': 'Ƒ', 'G': 'Ĝ', 'H': 'Ĥ',
	'I': 'Î', 'J': 'Ĵ', 'K': 'Ķ', 'L': 'Ļ', 'M': 'Ṁ', 'N': 'Ñ', 'O': 'Ö', 'P': 'Þ',
	'Q': 'Ǫ', 'R': 'Ŕ', 'S': 'Š', 'T': 'Ţ', 'U': 'Û', 'V': 'Ṽ', 'W': 'Ŵ', 'X': 'Ẋ',
	'Y': 'Ý', 'Z': 'Ž',
}

// pseudo returns src pseudo-localized. Actions ({{.Name}}), tags (<a href="…">) and
// character references (&amp;) are copied as they are; an empty src stays empty, so
// that a form English lacks stays missing.
func pseudo(src string) string {
	if src == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(2*len(src) + 8)
	b.WriteByte('[')
	visible := 0
	for s := src; s != ""; {
		if n := verbatim(s); n > 0 {
			b.WriteString(s[:n])
			s = s[n:]
			continue
		}
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		visible++
		if l, ok := lookalikes[r]; ok {
			r = l
		}
		b.WriteRune(r)
	}
	// At least 30% longer, counting the text that shows (not actions or tags), and at
	// least one tilde, which IsPseudo looks for.
	b.WriteByte(' ')
	b.WriteString(strings.Repeat("~", max(1, (visible*3+9)/10)))
	b.WriteByte(']')
	return b.String()
}

// verbatim returns the length of the action, tag or character reference s starts
// with, or 0.
func verbatim(s string) int {
	var end string
	switch {
	case strings.HasPrefix(s, "{{"):
		end = "}}"
	case strings.HasPrefix(s, "<") && len(s) > 1 && (s[1] == '/' || s[1] == '!' || isLetter(s[1])):
		end = ">"
	case strings.HasPrefix(s, "&"):
		// &amp; &#39; &#x27;: a name or number and a semicolon, nothing else.
		i := 1
		for i < len(s) && i < 32 && (isLetter(s[i]) || s[i] == '#' || '0' <= s[i] && s[i] <= '9') {
			i++
		}
		if i > 1 && i < len(s) && s[i] == ';' {
			return i + 1
		}
		return 0
	default:
		return 0
	}
	if i := strings.Index(s, end); i >= 0 {
		return i + len(end)
	}
	return 0
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
