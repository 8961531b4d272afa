package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"sync"
	"text/template"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// files holds the catalogues: per language, the union of locales/<area>.<lang>.toml.
//
//go:embed locales/*.toml
var files embed.FS

// catalogues is everything loaded from the embedded catalogues, built on first use.
// The catalogues are part of the binary, so failing to load them is a bug that the
// package's tests catch; load panics rather than making every caller handle it.
var catalogues = sync.OnceValue(func() *set {
	s, err := load(files)
	if err != nil {
		panic("i18n: " + err.Error())
	}
	return s
})

// set is the loaded catalogues: go-i18n's bundle of them, their messages by language
// and ID, and a printer per supported language.
type set struct {
	bundle   *goi18n.Bundle
	messages map[Lang]map[string]*goi18n.Message
	printers map[Lang]*Printer
	// byText maps the English text of each message without placeholders or plurals to
	// its ID, for Printer.Text.
	byText map[string]string
}

// load parses the catalogues in fsys (locales/<area>.<lang>.toml) with go-i18n and compiles
// a printer for each language.
func load(fsys fs.FS) (*set, error) {
	s := &set{
		bundle:   goi18n.NewBundle(tags[EN]),
		messages: map[Lang]map[string]*goi18n.Message{},
		printers: map[Lang]*Printer{},
	}
	s.bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	paths, err := fs.Glob(fsys, "locales/*.toml")
	if err != nil {
		return nil, err
	}
	for _, l := range supported {
		s.messages[l] = map[string]*goi18n.Message{}
	}
	for _, path := range paths {
		// locales/<area>.<lang>.toml: each language's catalogue is the union of its
		// areas, so that modules add their messages in files of their own.
		name := strings.TrimSuffix(strings.TrimPrefix(path, "locales/"), ".toml")
		l := Lang(name[strings.LastIndexByte(name, '.')+1:])
		byID, ok := s.messages[l]
		if !ok {
			return nil, fmt.Errorf("%s: not a supported language (name files <area>.<lang>.toml)", path)
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return nil, err
		}
		f, err := s.bundle.ParseMessageFileBytes(data, path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if f.Tag != tags[l] {
			return nil, fmt.Errorf("%s: go-i18n read it as %s", path, f.Tag)
		}
		for _, m := range f.Messages {
			if _, dup := byID[m.ID]; dup {
				return nil, fmt.Errorf("%s: message %q is also in another file", path, m.ID)
			}
			byID[m.ID] = m
		}
	}
	for _, l := range supported {
		if len(s.messages[l]) == 0 {
			return nil, fmt.Errorf("locales: no catalogue for %s", l)
		}
	}
	en, err := compileAll(s.messages[EN], EN)
	if err != nil {
		return nil, err
	}
	s.byText = make(map[string]string, len(en))
	for _, id := range slices.Sorted(maps.Keys(en)) {
		if e := en[id]; e.plain {
			if _, dup := s.byText[e.text]; !dup {
				s.byText[e.text] = id
			}
		}
	}
	for _, l := range supported {
		own := en
		if l != EN {
			if own, err = compileAll(s.messages[l], l); err != nil {
				return nil, err
			}
		}
		// A message missing from a catalogue falls back to English, with English's
		// plural rules. Resolving that here leaves T one map lookup.
		msgs := make(map[string]*entry, len(en))
		for id, e := range en {
			msgs[id] = e
		}
		for id, e := range own {
			msgs[id] = e
		}
		s.printers[l] = newPrinter(l, msgs)
	}
	return s, nil
}

// compileAll compiles a catalogue's messages, whose plural forms are chosen by l's
// rules.
func compileAll(msgs map[string]*goi18n.Message, l Lang) (map[string]*entry, error) {
	out := make(map[string]*entry, len(msgs))
	for id, m := range msgs {
		e, err := compile(m, l)
		if err != nil {
			return nil, fmt.Errorf("%s: message %q: %w", l, id, err)
		}
		out[id] = e
	}
	return out, nil
}

// entry is a compiled message: a template per plural form it defines, indexed by
// x/text's plural.Form, and the language whose rules pick among them.
type entry struct {
	forms  [numForms]*tmpl
	plural language.Tag
	// text is the message itself when it is one form without placeholders, which
	// T returns without looking at its arguments.
	text  string
	plain bool
}

// numForms is the number of CLDR plural categories (x/text's plural.Form values).
const numForms = int(plural.Many) + 1

// forms maps go-i18n's message fields to CLDR categories.
func forms(m *goi18n.Message) [numForms]string {
	var f [numForms]string
	f[plural.Zero], f[plural.One], f[plural.Two] = m.Zero, m.One, m.Two
	f[plural.Few], f[plural.Many], f[plural.Other] = m.Few, m.Many, m.Other
	return f
}

// formNames are the CLDR names of the plural categories, as catalogues spell them.
var formNames = [numForms]string{
	plural.Other: "other", plural.Zero: "zero", plural.One: "one",
	plural.Two: "two", plural.Few: "few", plural.Many: "many",
}

// compile compiles m, whose plural forms are chosen by l's rules.
func compile(m *goi18n.Message, l Lang) (*entry, error) {
	e := &entry{plural: pluralTag(l)}
	src := forms(m)
	n := 0
	for f, s := range src {
		if s == "" {
			continue
		}
		t, err := parseTemplate(s, m.LeftDelim, m.RightDelim)
		if err != nil {
			return nil, fmt.Errorf("form %s: %w", formNames[f], err)
		}
		e.forms[f] = t
		n++
	}
	if e.forms[plural.Other] == nil {
		return nil, fmt.Errorf("no %q form", "other")
	}
	if t := e.forms[plural.Other]; n == 1 && t.isLiteral() {
		e.text, e.plain = t.src, true
	}
	return e, nil
}

// pluralTag is the tag whose CLDR plural rules apply to l's messages.
func pluralTag(l Lang) language.Tag {
	if l == XA {
		return tags[EN]
	}
	return tags[l]
}

// tmpl is one form of a message. Most messages are text and {{.Name}} placeholders,
// which render from parts without text/template; any other template (a condition, a
// custom delimiter) is parsed once with text/template as go-i18n would.
type tmpl struct {
	src   string
	parts []part
	tpl   *template.Template
}

// part is literal text, or a placeholder when name is set.
type part struct {
	lit, name string
}

func (t *tmpl) isLiteral() bool {
	return t.tpl == nil && (len(t.parts) == 0 || len(t.parts) == 1 && t.parts[0].name == "")
}

// parseTemplate parses one message form.
func parseTemplate(src, left, right string) (*tmpl, error) {
	t := &tmpl{src: src}
	if left == "" && right == "" {
		if parts, ok := simpleParts(src); ok {
			t.parts = parts
			return t, nil
		}
		left, right = "{{", "}}"
	}
	if left == "" {
		left = "{{"
	}
	if right == "" {
		right = "}}"
	}
	// The options are go-i18n's: a missing key renders as "<no value>".
	tt, err := template.New("").Delims(left, right).Option("missingkey=default").Parse(src)
	if err != nil {
		return nil, err
	}
	t.tpl = tt
	return t, nil
}

// simpleParts splits src into text and {{.Name}} placeholders, reporting false when it
// holds any other action.
func simpleParts(src string) ([]part, bool) {
	var parts []part
	for src != "" {
		i := strings.Index(src, "{{")
		if i < 0 {
			parts = append(parts, part{lit: src})
			break
		}
		if i > 0 {
			parts = append(parts, part{lit: src[:i]})
		}
		j := strings.Index(src[i:], "}}")
		if j < 0 {
			return nil, false
		}
		name, ok := fieldName(src[i+2 : i+j])
		if !ok {
			return nil, false
		}
		parts = append(parts, part{name: name})
		src = src[i+j+2:]
	}
	return parts, true
}

// fieldName returns Name for the action " .Name ", reporting false for any other.
func fieldName(action string) (string, bool) {
	a := strings.TrimSpace(action)
	if len(a) < 2 || a[0] != '.' || strings.HasPrefix(action, "-") || strings.HasSuffix(action, "-") {
		return "", false
	}
	name := a[1:]
	for i, r := range name {
		letter := r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
		if !letter && (i == 0 || r < '0' || r > '9') {
			return "", false
		}
	}
	return name, true
}

// placeholders returns the sorted names of the fields a message's forms refer to.
func placeholders(m *goi18n.Message) []string {
	var names []string
	for _, s := range forms(m) {
		names = append(names, fieldsIn(s, m.LeftDelim, m.RightDelim)...)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// fieldsIn returns the names of the fields (.Name) the actions in src refer to.
func fieldsIn(src, left, right string) []string {
	if left == "" {
		left = "{{"
	}
	if right == "" {
		right = "}}"
	}
	var names []string
	for {
		i := strings.Index(src, left)
		if i < 0 {
			return names
		}
		src = src[i+len(left):]
		j := strings.Index(src, right)
		if j < 0 {
			return names
		}
		action := src[:j]
		src = src[j+len(right):]
		for k := 0; k < len(action); k++ {
			if action[k] != '.' || k > 0 && isIdent(action[k-1]) {
				continue
			}
			n := k + 1
			for n < len(action) && isIdent(action[n]) {
				n++
			}
			if n > k+1 {
				names = append(names, action[k+1:n])
			}
			k = n - 1
		}
	}
}

func isIdent(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// IDs returns the IDs of all English messages, sorted: every message Atrium has.
func IDs() []string {
	en := catalogues().messages[EN]
	ids := make([]string, 0, len(en))
	for id := range en {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
