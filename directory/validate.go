package directory

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/atrium-admin/atrium"
)

var (
	localPartRE    = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$`)
	domainPrefixRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)
)

// checkText records a problem when s is empty (if required), longer than max
// characters, or contains control characters.
func checkText(p atrium.Problems, field, s string, required bool, max int) {
	switch {
	case required && strings.TrimSpace(s) == "":
		p.Add(field, "is required")
	case !utf8.ValidString(s):
		p.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		p.Addf(field, "err.max_chars", "must be at most {{.Count}} characters", "Count", max)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		p.Add(field, "must not contain control characters")
	}
}

// checkEmail records a problem unless s is a bare address such as ada@example.com.
func checkEmail(p atrium.Problems, field, s string, required bool) {
	if s == "" {
		if required {
			p.Add(field, "is required")
		}
		return
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") {
		p.Add(field, "must be an email address such as ada@example.com")
	}
}

// checkLocalPart records a problem unless s is a valid username local part.
func checkLocalPart(p atrium.Problems, field, s string) {
	if s == "" {
		p.Add(field, "is required")
		return
	}
	if !localPartRE.MatchString(strings.ToLower(s)) {
		p.Add(field, "may contain only ASCII letters (a–z), digits and . _ -, up to 64 characters, starting and ending with a letter or digit")
	}
}

// checkCountry records a problem unless s is empty or an ISO 3166-1 alpha-2 country
// code.
func checkCountry(p atrium.Problems, field, s string) {
	if s != "" && !IsCountry(s) {
		p.Add(field, "must be an ISO 3166-1 country code, such as US or DE")
	}
}

// checkLanguage records a problem unless s is a language the console speaks.
func checkLanguage(p atrium.Problems, field, s string) {
	switch s {
	case "en", "sv", "nb", "pl":
	default:
		p.Add(field, "must be en, sv, nb or pl")
	}
}
