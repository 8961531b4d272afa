package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/atrium-admin/atrium/i18n"
)

// pseudoPages are the console pages whose every word comes from the catalogues. A
// page joins the list when it is translated; the test then fails on any English left.
var pseudoPages = []string{"/signin", "/account", "/no-such-page"}

var (
	tagRE       = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<!--.*?-->|<[^>]*>`)
	attrTextRE  = regexp.MustCompile(`\s(?:aria-label|placeholder|title)="([^"]*)"`)
	dateLikeRE  = regexp.MustCompile(`^\d{1,2} [A-Z][a-z]{2} \d{4}(, \d{2}:\d{2} UTC)?$`)
	numberishRE = regexp.MustCompile(`^[\d\s.,:%/+()−-]*$`)
)

// visibleTexts returns the text a reader sees on the page body: text between tags and
// the aria-label, placeholder and title attributes, trimmed, without empty ones.
func visibleTexts(body string) []string {
	var out []string
	if i := strings.Index(body, "<body"); i >= 0 {
		body = body[i:]
	}
	body = strings.ReplaceAll(body, "<wbr>", "") // break opportunities inside one word
	for _, m := range attrTextRE.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	for _, part := range tagRE.Split(body, -1) {
		if s := strings.TrimSpace(html.UnescapeString(part)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// untranslated returns the texts of body that did not come from the pseudo-language and
// are not data (names, addresses, dates, numbers) or the names of the languages.
func untranslated(body string, data []string) []string {
	var bad []string
	for _, s := range visibleTexts(body) {
		if i18n.IsPseudo(s) || dateLikeRE.MatchString(s) || numberishRE.MatchString(s) || !strings.ContainsFunc(s, unicode.IsLetter) {
			continue
		}
		known := false
		for _, d := range append(data, "Atrium", "English", "Svenska", "Norsk bokmål", "Polski", "— Atrium") {
			if s == d || strings.Trim(s, "·*() ") == d {
				known = true
				break
			}
		}
		if !known {
			bad = append(bad, s)
		}
	}
	return bad
}

// TestPseudoLanguageLeavesNoEnglish: in the pseudo-language en-XA, every text of the
// translated pages is pseudo text or data; a literal English string in a template or a
// handler shows up here.
func TestPseudoLanguageLeavesNoEnglish(t *testing.T) {
	i18n.EnablePseudo()
	eachDialect(t, func(t *testing.T, f *fixture) {
		data := []string{"Contoso", "Ada Admin", "Mia Member", "admin@contoso.atrium.localhost", "megan@contoso.atrium.localhost",
			"Social Engagement"}
		b := f.browser()
		u, _ := url.Parse(b.base)
		b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "atrium_lang", Value: "en-XA", Path: "/"}})
		out := b.get("/signin")
		wantContains(t, out, `<html lang="en-XA">`)
		if bad := untranslated(out.body, data); len(bad) > 0 {
			t.Errorf("/signin signed out: untranslated %q", bad)
		}
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		for _, path := range pseudoPages {
			p := b.get(path)
			if p.status == http.StatusSeeOther {
				p = b.get(p.location)
			}
			if bad := untranslated(p.body, data); len(bad) > 0 {
				t.Errorf("%s: untranslated %q", path, bad)
			}
		}
	})
}
