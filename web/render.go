package web

import (
	"bytes"
	"embed"
	"errors"
	htmlstd "html"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/template/parse"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/licensing"
)

//go:embed templates/*.html static
var assets embed.FS

// templates maps a page file name (users.html) to its template set: the layout and
// partials plus the page's own "content" block.
type templates map[string]*template.Template

var funcs = template.FuncMap{
	"field":     newField,
	"roleTitle": func(r access.Role) string { return r.Title() },
	"join":      strings.Join,
	"sortLink":  sortLink,
	"per":       periodWords,
	"lowSeats":  licensing.LowOnSeats,
	"has":       func(list []string, s string) bool { return slices.Contains(list, s) },
}

// pageSets holds the page templates once per language: each set is parsed with its
// language's "t", date and number functions, so a template asks for {{t "id"}} wherever
// it is and pays one map lookup. A language's set is parsed the first time it is used.
type pageSets struct {
	funcs func(*i18n.Printer) template.FuncMap
	mu    sync.Mutex // held while a language's set is parsed
	sets  sync.Map   // i18n.Lang → templates
}

func newPageSets(funcs func(*i18n.Printer) template.FuncMap) *pageSets {
	ps := &pageSets{funcs: funcs}
	ps.of(i18n.EN) // English at start: a template that does not parse fails New
	return ps
}

// of returns the templates of l. Every page render asks, so a parsed set is read
// without a lock.
func (ps *pageSets) of(l i18n.Lang) templates {
	if t, ok := ps.sets.Load(l); ok {
		return t.(templates)
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if t, ok := ps.sets.Load(l); ok {
		return t.(templates)
	}
	t := loadTemplates(ps.funcs(i18n.For(l)))
	for _, page := range t {
		inlineMessages(page, i18n.For(l))
	}
	ps.sets.Store(l, t)
	return t
}

// inlineMessages replaces every {{t "id"}} of set's templates that has no arguments by
// the message's text, HTML-escaped: the set is of one language, so the text is known at
// parse time, and the page no longer calls a function (through reflection) for it. It
// runs before the first execution, when html/template escapes the trees; the messages
// are used in text and quoted attributes, where escaped text is what the escaper would
// have written.
func inlineMessages(set *template.Template, p *i18n.Printer) {
	for _, t := range set.Templates() {
		if t.Tree != nil && t.Tree.Root != nil {
			inlineList(t.Tree.Root, p)
		}
	}
}

func inlineList(list *parse.ListNode, p *i18n.Printer) {
	if list == nil {
		return
	}
	for i, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			if id, ok := plainMessage(n); ok {
				list.Nodes[i] = &parse.TextNode{NodeType: parse.NodeText, Pos: n.Pos, Text: []byte(htmlstd.EscapeString(p.T(id)))}
			}
		case *parse.IfNode:
			inlineList(n.List, p)
			inlineList(n.ElseList, p)
		case *parse.RangeNode:
			inlineList(n.List, p)
			inlineList(n.ElseList, p)
		case *parse.WithNode:
			inlineList(n.List, p)
			inlineList(n.ElseList, p)
		}
	}
}

// plainMessage reports whether action is {{t "id"}}, and its id.
func plainMessage(action *parse.ActionNode) (string, bool) {
	pipe := action.Pipe
	if pipe == nil || len(pipe.Decl) > 0 || len(pipe.Cmds) != 1 || len(pipe.Cmds[0].Args) != 2 {
		return "", false
	}
	fn, ok := pipe.Cmds[0].Args[0].(*parse.IdentifierNode)
	if !ok || fn.Ident != "t" {
		return "", false
	}
	id, ok := pipe.Cmds[0].Args[1].(*parse.StringNode)
	if !ok {
		return "", false
	}
	return id.Text, true
}

func loadTemplates(funcs template.FuncMap) templates {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/partials.html"))
	files, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := templates{}
	for _, f := range files {
		name := path.Base(f)
		if name == "layout.html" || name == "partials.html" {
			continue
		}
		t := template.Must(base.Clone())
		out[name] = template.Must(t.ParseFS(assets, f))
	}
	return out
}

// view is what every page template gets: the session, navigation, the flash message,
// the submitted form with its errors, and the page's own data.
type view struct {
	// P speaks the language of the request: v.T("id") in Go, {{t "id"}} in templates.
	P *i18n.Printer
	// Path is the page's own address, for the language picker to come back to.
	Path  string
	Title string
	S     *session
	Nav   []navItem
	Flash string
	// Error is a message about the whole form; Errors are messages beside fields.
	Error  string
	Errors map[string]string
	Form   url.Values
	Data   any
	// Accounts are the organizations the signed-in person may work in, for the
	// header's "Work with this account" when there is more than one.
	Accounts []directory.GuestAccount
}

// T returns the message id in the page's language, its placeholders filled from the
// name/value pairs of args.
func (v *view) T(id string, args ...any) string {
	if v.P == nil {
		return i18n.For(i18n.EN).T(id, args...)
	}
	return v.P.T(id, args...)
}

// Text translates a message ID or the English text of a message (the services' error
// messages) into the page's language; other text is shown as it is (i18n.Printer.Text).
func (v *view) Text(s string) string {
	if v.P == nil {
		return s
	}
	return v.P.Text(s)
}

// fieldText is what e says about field f, msg in English, in the page's language.
func (v *view) fieldText(e *atrium.Error, f, msg string) string {
	if v.P == nil {
		return msg
	}
	return fieldIn(v.P, e, f, msg)
}

// errorText is what e says, in the page's language.
func (v *view) errorText(e *atrium.Error) string {
	if v.P == nil {
		return e.Message
	}
	return errorIn(v.P, e)
}

// Languages are the choices of the language picker, the page's own marked.
func (v *view) Languages() []languageChoice {
	if v.P == nil {
		return languageChoices(i18n.EN)
	}
	return languageChoices(v.P.Lang())
}

// CSRF returns the token every POST form of the page carries.
func (v *view) CSRF() string {
	if v.S == nil {
		return ""
	}
	return v.S.CSRF
}

type navItem struct {
	Label, Href string
	Current     bool
	Section     string // the section's title
	SectionSlug string // the section in HTML ids
}

func (c *console) newView(r *http.Request, title string) *view {
	p := i18n.For(c.lang(r))
	v := &view{P: p, Path: r.URL.Path, Title: p.T(title), S: sessionFrom(r.Context()), Errors: map[string]string{}, Form: url.Values{}}
	if r.Method == http.MethodGet && r.URL.RawQuery != "" {
		v.Path = r.URL.RequestURI()
	}
	if v.S == nil {
		return v
	}
	if v.S.ID.MustChangePassword {
		return v
	}
	v.Nav = c.navFor(r, v.S, p)
	// Best effort: without its list the header offers no switch, the page still works.
	if accounts, err := c.Auth.Organizations(r.Context(), v.S.ID); err == nil {
		v.Accounts = accounts
	}
	return v
}

// formError puts err beside the form's fields when it is about the input; it returns
// false for errors that deserve an error page (forbidden, not found, internal). Field
// messages for fields the form does not show join the form-level message.
func (v *view) formError(err error, fields ...string) bool {
	var e *atrium.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case atrium.CodeInvalid, atrium.CodeConflict, atrium.CodePreconditionFailed, atrium.CodeRateLimited,
		atrium.CodeUnauthenticated, atrium.CodeNoSeatsAvailable, atrium.CodeTooLarge, atrium.CodeUnavailable:
	default:
		return false
	}
	var other []string
	for f, msg := range e.Fields {
		if slices.Contains(fields, f) {
			v.Errors[f] = v.fieldText(e, f, msg)
		} else {
			// A sentence stands alone; a fragment ("is required") needs its field.
			if r, _ := utf8.DecodeRuneInString(msg); unicode.IsUpper(r) {
				other = append(other, v.fieldText(e, f, msg))
			} else {
				other = append(other, f+": "+v.fieldText(e, f, msg))
			}
		}
	}
	sort.Strings(other)
	switch {
	case len(e.Fields) == 0:
		v.Error = v.errorText(e)
	case len(other) > 0:
		v.Error = strings.Join(other, "; ")
	case e.Code == atrium.CodeConflict:
		v.Error = v.errorText(e)
	default:
		v.Error = v.T("form.correct_fields")
	}
	return true
}

// render executes page name with v and writes it with status.
func (c *console) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	if v.P == nil {
		v.P = i18n.For(c.lang(r))
	}
	t, ok := c.pages.of(v.P.Lang())[name]
	if !ok {
		c.Log.Error("web: no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if v.Flash == "" && r.Method == http.MethodGet {
		v.Flash = takeFlash(w, r)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.Log.Error("web: render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fieldView is one labelled form field with its error beside it.
type fieldView struct {
	ID, Name, Label, Type, Value, Error, Hint, Autocomplete, Suffix, Inputmode string
	Required, Autofocus                                                        bool
}

// newField builds a field for the "field" partial. opts are "required", "autofocus",
// "hint=…", "autocomplete=…", "suffix=…", "inputmode=…" and "value=…" (a default when
// the form has no value). Password fields never echo what was typed.
//
// label and the hint are message IDs (or, until a page is translated, English text,
// which the catalogues do not know and which is shown as it is).
func newField(v *view, name, label, typ string, opts ...string) fieldView {
	f := fieldView{ID: "f-" + name, Name: name, Label: v.T(label), Type: typ, Error: v.Errors[name]}
	if typ != "password" {
		f.Value = v.Form.Get(name)
	}
	for _, o := range opts {
		k, val, _ := strings.Cut(o, "=")
		switch k {
		case "required":
			f.Required = true
		case "autofocus":
			f.Autofocus = true
		case "hint":
			f.Hint = v.T(val)
		case "autocomplete":
			f.Autocomplete = val
		case "suffix":
			f.Suffix = val
		case "inputmode":
			f.Inputmode = val
		case "value":
			if _, ok := v.Form[name]; !ok {
				f.Value = val
			}
		}
	}
	return f
}

// formatTimeIn writes a time as p's language does ("2 Dec 2026, 15:04 UTC"); a zero or
// nil time is a dash.
func formatTimeIn(p *i18n.Printer, t any) string { return formatIn(t, p.DateTime) }

// formatDateIn writes a date as p's language does ("2 Dec 2026").
func formatDateIn(p *i18n.Printer, t any) string { return formatIn(t, p.Date) }

// formatIn writes t, a time.Time or *time.Time, with format; a zero or nil time is a dash.
func formatIn(t any, format func(time.Time) string) string {
	if tt, ok := timeOf(t); ok {
		return format(tt)
	} else if tt.IsZero() && t != nil {
		return "—"
	}
	return ""
}

// timeOf reads a time.Time or *time.Time; ok is false for zero, nil and other values.
func timeOf(t any) (time.Time, bool) {
	switch t := t.(type) {
	case time.Time:
		return t, !t.IsZero()
	case *time.Time:
		if t == nil {
			return time.Time{}, false
		}
		return *t, !t.IsZero()
	}
	return time.Time{}, false
}

// pager holds the links of a keyset-paginated list: the next page carries the cursor
// and every filter of this one.
type pager struct {
	Next, First string
}

func pageLinks(r *http.Request, next string) pager {
	var p pager
	q := r.URL.Query()
	for k, vs := range q {
		if len(vs) == 0 || vs[0] == "" {
			q.Del(k)
		}
	}
	if next != "" {
		q.Set("cursor", next)
		p.Next = r.URL.Path + "?" + q.Encode()
	}
	if r.URL.Query().Get("cursor") != "" {
		q.Del("cursor")
		p.First = r.URL.Path
		if len(q) > 0 {
			p.First += "?" + q.Encode()
		}
	}
	return p
}

// sortHeader is a sortable column heading.
type sortHeader struct {
	Label, Href, AriaSort, Arrow string
	// Class is the heading's CSS class, such as hide-sm for columns phones skip.
	Class string
}

// sortLink returns the heading of column field for a list sorted by cur (asc or desc).
// Following it sorts by field, reversing the order when field is the current column.
func sortLink(base string, q url.Values, field, label string) sortHeader {
	cur, order := q.Get("sort"), q.Get("order")
	if cur == "" {
		cur = "display_name"
	}
	h := sortHeader{Label: label, AriaSort: "none"}
	next := url.Values{}
	if s := q.Get("q"); s != "" {
		next.Set("q", s)
	}
	next.Set("sort", field)
	if cur == field {
		if order == "desc" {
			h.AriaSort, h.Arrow = "descending", "↓"
		} else {
			h.AriaSort, h.Arrow = "ascending", "↑"
			next.Set("order", "desc")
		}
	}
	h.Href = base + "?" + next.Encode()
	return h
}

// messageIn returns what err says, in p's language: its catalogue message (ID with Args)
// or its safe message translated where a catalogue has it; internal errors say only that
// something went wrong.
func messageIn(p *i18n.Printer, err error) string {
	var e *atrium.Error
	if !errors.As(err, &e) || e.Code == atrium.CodeInternal {
		return p.T("error.internal")
	}
	return errorIn(p, e)
}

// errorIn is what e says in p's language. English readers get Message as the code wrote
// it; the others its catalogue message, by ID or by its English text.
func errorIn(p *i18n.Printer, e *atrium.Error) string {
	if e.ID != "" && p.Lang() != i18n.EN {
		return p.T(e.ID, e.Args...)
	}
	if f, ok := e.OneField(); ok {
		return f + ": " + fieldIn(p, e, f, e.Fields[f])
	}
	return p.Text(e.Message)
}

// fieldIn is what e says about field f, msg in English, in p's language: its catalogue
// message by ID (FieldMsgs) when it has values in it, else the catalogue's by its
// English text.
func fieldIn(p *i18n.Printer, e *atrium.Error, f, msg string) string {
	m := e.FieldMsg(f)
	return p.Message(msg, m.ID, m.Args...)
}
