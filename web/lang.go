package web

import (
	"net/http"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/i18n"
)

// langCookie remembers the language picked before anyone signed in (sign-in, sign-up).
const langCookie = "atrium_lang"

// lang is the language the console speaks to r: the signed-in user's own setting, then
// their organization's, then the browser's Accept-Language; before sign-in, the language
// picked on the sign-in or sign-up page, then the browser's.
func (c *console) lang(r *http.Request) i18n.Lang {
	var picked i18n.Lang
	if ck, err := r.Cookie(langCookie); err == nil {
		picked, _ = i18n.Parse(ck.Value)
	}
	if s := sessionFrom(r.Context()); s != nil {
		if picked == i18n.XA {
			return picked // the pseudo-language of the tests, which no setting can hold
		}
		return i18n.Choose(i18n.Lang(s.ID.Language), i18n.Lang(s.ID.OrgLanguage), r.Header.Get("Accept-Language"))
	}
	if picked != "" {
		return picked
	}
	return i18n.Negotiate(r.Header.Get("Accept-Language"))
}

// languageChoice is one entry of the language picker.
type languageChoice struct {
	Code, Name string
	Current    bool
}

// languageChoices lists the languages for the picker, cur marked.
func languageChoices(cur i18n.Lang) []languageChoice {
	out := make([]languageChoice, len(i18n.Supported))
	for i, l := range i18n.Supported {
		out[i] = languageChoice{Code: string(l), Name: l.Name(), Current: l == cur}
	}
	return out
}

// pickLanguage is the picker of the signed-out pages: GET /language?set=sv&next=/signin
// remembers the language in a cookie and goes back. A link, so it works without
// JavaScript and without a form; it changes nothing but the visitor's own cookie.
func (c *console) pickLanguage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	l, ok := i18n.Parse(q.Get("set"))
	if !ok {
		return atrium.FieldError("set", "must be one of en, sv, nb, pl")
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(l), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil, MaxAge: 365 * 24 * 3600})
	http.Redirect(w, r, safeNext(q.Get("next")), http.StatusSeeOther)
	return nil
}

// setOwnLanguage is the console header's picker for a signed-in user: it changes their
// own Display language setting.
func (c *console) setOwnLanguage(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	if _, err := c.Directory.SetLanguage(r.Context(), s.P(), r.PostForm.Get("language")); err != nil {
		return err
	}
	// The session carries the language it was loaded with; the next page reads it anew.
	return c.redirect(w, r, safeNext(r.PostForm.Get("next")), "")
}

// t returns the message id in r's language: for flash messages and other text built in
// Go before any view exists.
func (c *console) t(r *http.Request, id string, args ...any) string {
	return i18n.For(c.lang(r)).T(id, args...)
}

// accountPage is Settings > My account: who you are and your display language.
type accountPage struct {
	Languages []languageChoice
	// Own is the user's own setting ("" follows the organization's); OrgLanguage names
	// the organization's.
	Own, OrgLanguage string
}

// account shows the signed-in person's own settings.
func (c *console) account(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	v := c.newView(r, "account.title")
	data := accountPage{Languages: languageChoices(i18n.Lang(s.ID.Language)), Own: s.ID.Language}
	if l, ok := i18n.Parse(s.ID.OrgLanguage); ok {
		data.OrgLanguage = l.Name()
	}
	v.Data = data
	c.render(w, r, http.StatusOK, "account.html", v)
	return nil
}
