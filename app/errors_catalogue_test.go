package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium/i18n"
)

// errorMessagesKeptAsIs are the services' error messages that are meant to read the
// same in every language, each with its reason. Keep it empty if you can: a message
// here is shown in English to every reader.
//
// The entries are not data: they are messages joined from a literal and a string
// constant. i18n.Unused (TestMessagesCompleteAndUsed) counts a service message as used
// only where its whole English text is one literal, so a catalogue message for them
// would be reported unused; they can be translated once the code writes them whole or
// asks for them by ID.
var errorMessagesKeptAsIs = map[string]string{
	"missing or wrong CSRF token: send the X-CSRF-Token header from GET /api/v1/me": `joined with the constant CSRFHeader (httpapi/server.go); not one literal`,
}

// TestServiceErrorsTranslated: every English error message the services write as a
// literal has a catalogue message (errors.*.toml) that translates it into Swedish,
// Norwegian Bokmål and Polish, so that Printer.Text shows it in the reader's language
// in API problems and beside the console's fields.
//
// It reads every non-test Go file of the program (not bench/, cmd/, the i18n package,
// testdata or hidden directories) and collects the messages given as
//
//   - the message of atrium.FieldError(field, message);
//   - the format of atrium.Errorf(code, format, …) when it has no % verb;
//   - the message of atrium.NotFoundAsField(err, field, message);
//   - the message of Add(field, message) on a value of type atrium.Problems (the
//     type is told from the file alone: parameters, variables and results declared as
//     atrium.Problems, atrium.Problems{…} and make(atrium.Problems), and the result
//     of a method called Problems; golang.org/x/tools is not a dependency);
//   - the values of an atrium.Problems{field: message} literal;
//   - the Message of an atrium.Error{…} literal and the values of the
//     map[string]string (or atrium.Problems) literal given as its Fields.
//
// A message counts when it is a string literal, a string constant of its package or
// function whose value is one, or a sum of them ("must be at most " + "8 lines").
// Anything else cannot be found by its English text and is left out (run with -v to see
// the list): messages built at run time (strconv.Itoa, fmt.Sprintf, variables,
// parameters, function results) and the Errorf formats with verbs, which need catalogue
// messages with placeholders, asked for by ID (atrium.Error.ID and Args, as
// access.Require and the directory's, licensing's, auth's and httpapi's messages with
// values do, and field messages with values by atrium.FieldErrorf and Problems.Addf,
// which TestFieldMessagesByID checks). Still without an ID:
//
//   - "%s" with a message the console has already translated by ID (web)
func TestServiceErrorsTranslated(t *testing.T) {
	sites, _, skipped := collectErrorMessages(t, "..")
	if len(sites) < 100 { // about 160 when written: fewer means the walk or the matching broke
		t.Fatalf("found %d error messages: is the walk reading the source tree?", len(sites))
	}
	if testing.Verbose() {
		for _, s := range skipped {
			t.Logf("not a literal, left out: %s", s)
		}
	}
	var missing []string
	for msg, where := range sites {
		if _, ok := errorMessagesKeptAsIs[msg]; ok {
			continue
		}
		var langs []string
		for _, l := range []i18n.Lang{i18n.SV, i18n.NB, i18n.PL} {
			if i18n.For(l).Text(msg) == msg {
				langs = append(langs, string(l))
			}
		}
		if len(langs) > 0 {
			missing = append(missing, strconv.Quote(msg)+"  ("+strings.Join(langs, ", ")+"; "+where[0]+")")
		}
	}
	for msg := range errorMessagesKeptAsIs {
		if _, ok := sites[msg]; !ok {
			t.Errorf("errorMessagesKeptAsIs has %q, which no code writes any more", msg)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("%d error messages have no translation in errors.*.toml (English text, languages lacking it, first use):\n%s",
			len(missing), strings.Join(missing, "\n"))
	}
}

// TestFieldMessagesByID: every field message with values the program writes with
// atrium.FieldErrorf(field, id, text, args…) or Problems.Addf(field, id, text, args…)
// names a message of the catalogues whose English is text, in one of its plural forms,
// and gives a value for each of text's placeholders (when the arguments are written out
// in the call). Languages other than English get the catalogue's message by id, so a
// text that drifted from the catalogue's would say one thing in English and another
// elsewhere; TestMessagesCompleteAndUsed checks the other languages have id.
func TestFieldMessagesByID(t *testing.T) {
	_, sites, _ := collectErrorMessages(t, "..")
	if len(sites) < 15 { // 17 when written
		t.Fatalf("found %d field messages by ID: is the walk reading the source tree?", len(sites))
	}
	ids := i18n.IDs()
	en := i18n.For(i18n.EN)
	for _, s := range sites {
		if !slices.Contains(ids, s.id) {
			t.Errorf("%s: %q is not a message of the catalogues", s.where, s.id)
			continue
		}
		names := placeholderNames(s.text)
		// The catalogue's form that the code's English says: "other" rendered with
		// every placeholder as itself, or "one" with Count 1.
		var marks []any
		for _, n := range names {
			if n != "Count" {
				marks = append(marks, n, "{{."+n+"}}")
			}
		}
		other := en.T(s.id, append(marks, "Count", "{{.Count}}")...)
		one := en.T(s.id, append(marks, "Count", 1)...)
		if s.text != other && strings.ReplaceAll(s.text, "{{.Count}}", "1") != one {
			t.Errorf("%s: the code says %q for %s, the English catalogue %q", s.where, s.text, s.id, other)
		}
		if s.argNames == nil {
			continue // arguments passed on as a slice
		}
		for _, n := range names {
			if !slices.Contains(s.argNames, n) {
				t.Errorf("%s: %s: no value for {{.%s}} in %q", s.where, s.id, n, s.text)
			}
		}
	}
}

// placeholderNames returns the names of the {{.Name}} placeholders in text.
func placeholderNames(text string) []string {
	var names []string
	for {
		i := strings.Index(text, "{{.")
		if i < 0 {
			return names
		}
		j := strings.Index(text[i:], "}}")
		if j < 0 {
			return names
		}
		names = append(names, text[i+3:i+j])
		text = text[i+j+2:]
	}
}

// idMessage is a field message written with its catalogue ID: atrium.FieldErrorf or
// Problems.Addf with a literal ID and English text.
type idMessage struct {
	id, text, where string
	// argNames are the names among the call's arguments, nil when they are passed
	// on as a slice (args...).
	argNames []string
}

// collectErrorMessages returns the literal error messages of the Go files under root,
// each with where it is written (file:line, sorted), the field messages written with an
// ID, and a description of every message argument that is not a literal.
func collectErrorMessages(t *testing.T, root string) (map[string][]string, []idMessage, []string) {
	t.Helper()
	sites := map[string][]string{}
	var byID []idMessage
	var skipped []string
	fset := token.NewFileSet()
	type parsed struct {
		rel string
		f   *ast.File
	}
	var files []parsed
	skip := func(rel string) bool { return rel == "bench" || rel == "cmd" || rel == "i18n" }
	err := walkProgram(root, skip, func(path string) error {
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		files = append(files, parsed{filepath.ToSlash(rel), f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The string constants of each package, by directory and name.
	consts := map[string]map[string]string{}
	for _, p := range files {
		dir := filepath.Dir(p.rel)
		if consts[dir] == nil {
			consts[dir] = map[string]string{}
		}
		for _, decl := range p.f.Decls {
			stringConsts(decl, consts[dir], false)
		}
	}
	for _, p := range files {
		c := &messageCollector{fset: fset, file: p.rel, pkgConsts: consts[filepath.Dir(p.rel)]}
		c.atrium = atriumName(p.f)
		if c.atrium == "" && p.f.Name.Name != "atrium" {
			continue // neither imports nor is package atrium
		}
		c.collect(p.f)
		for _, m := range c.found {
			sites[m.msg] = append(sites[m.msg], m.where)
		}
		byID = append(byID, c.byID...)
		skipped = append(skipped, c.skipped...)
	}
	for _, w := range sites {
		slices.Sort(w)
	}
	slices.Sort(skipped)
	return sites, byID, skipped
}

// atriumName returns the name f refers to package atrium by, or "".
func atriumName(f *ast.File) string {
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == "github.com/atrium-admin/atrium" {
			if im.Name != nil {
				return im.Name.Name
			}
			return "atrium"
		}
	}
	return ""
}

type foundMessage struct{ msg, where string }

type messageCollector struct {
	fset    *token.FileSet
	file    string
	atrium  string // the import's name; "" in package atrium itself
	found   []foundMessage
	byID    []idMessage
	skipped []string
	// The string constants of the package and of the declaration being read.
	pkgConsts, localConsts map[string]string
}

// isAtrium reports whether e names atrium's exported identifier name.
func (c *messageCollector) isAtrium(e ast.Expr, name string) bool {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		return ok && c.atrium != "" && x.Name == c.atrium && e.Sel.Name == name
	case *ast.Ident:
		return c.atrium == "" && e.Name == name
	case *ast.ParenExpr:
		return c.isAtrium(e.X, name)
	}
	return false
}

func (c *messageCollector) pos(e ast.Node) string {
	p := c.fset.Position(e.Pos())
	return c.file + ":" + strconv.Itoa(p.Line)
}

// add records the message e, or notes that it is not a literal.
func (c *messageCollector) add(e ast.Expr, what string) {
	if s, ok := c.literal(e); ok {
		c.found = append(c.found, foundMessage{s, c.pos(e)})
		return
	}
	if call, ok := e.(*ast.CallExpr); ok {
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "T" || sel.Sel.Name == "t" || c.isAtrium(sel, "FieldMessage")) {
			return // a message asked for by ID, or one passed on from another error
		}
	}
	c.skipped = append(c.skipped, c.pos(e)+": "+what+": "+exprText(e))
}

func (c *messageCollector) collect(f *ast.File) {
	for _, decl := range f.Decls {
		problems := c.problemsVars(decl)
		c.localConsts = map[string]string{}
		if _, ok := decl.(*ast.FuncDecl); ok {
			stringConsts(decl, c.localConsts, true)
		}
		ast.Inspect(decl, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				c.call(n, problems)
			case *ast.CompositeLit:
				c.composite(n)
			}
			return true
		})
	}
}

func (c *messageCollector) call(n *ast.CallExpr, problems map[string]bool) {
	switch {
	case c.isAtrium(n.Fun, "FieldError") && len(n.Args) == 2:
		c.add(n.Args[1], "FieldError message")
	case c.isAtrium(n.Fun, "Errorf") && len(n.Args) >= 2:
		if s, ok := c.literal(n.Args[1]); ok && strings.Contains(s, "%") {
			c.skipped = append(c.skipped, c.pos(n.Args[1])+": Errorf format with verbs: "+strconv.Quote(s))
			return
		}
		c.add(n.Args[1], "Errorf format")
	case c.isAtrium(n.Fun, "NotFoundAsField") && len(n.Args) == 3:
		c.add(n.Args[2], "NotFoundAsField message")
	case c.isAtrium(n.Fun, "FieldErrorf") && len(n.Args) >= 3:
		c.addByID(n, "FieldErrorf message")
	default:
		sel, ok := n.Fun.(*ast.SelectorExpr)
		if !ok {
			return
		}
		x, ok := sel.X.(*ast.Ident)
		if !ok || !problems[x.Name] {
			return
		}
		switch {
		case sel.Sel.Name == "Add" && len(n.Args) == 2:
			c.add(n.Args[1], "Problems.Add message")
		case sel.Sel.Name == "Addf" && len(n.Args) >= 3:
			c.addByID(n, "Problems.Addf message")
		}
	}
}

// addByID records the ID and English text of a FieldErrorf or Addf call, n, or notes
// that they are not literals.
func (c *messageCollector) addByID(n *ast.CallExpr, what string) {
	id, ok := c.literal(n.Args[1])
	text, ok2 := c.literal(n.Args[2])
	if !ok || !ok2 {
		c.skipped = append(c.skipped, c.pos(n)+": "+what+": "+exprText(n.Args[1])+", "+exprText(n.Args[2]))
		return
	}
	m := idMessage{id: id, text: text, where: c.pos(n)}
	if !n.Ellipsis.IsValid() {
		m.argNames = []string{}
		for i := 3; i < len(n.Args); i += 2 {
			if s, ok := c.literal(n.Args[i]); ok {
				m.argNames = append(m.argNames, s)
			}
		}
	}
	c.byID = append(c.byID, m)
}

func (c *messageCollector) composite(n *ast.CompositeLit) {
	switch {
	case c.isAtrium(n.Type, "Problems"):
		c.mapValues(n, "Problems literal message")
	case c.isAtrium(n.Type, "Error"):
		for _, el := range n.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			key, _ := kv.Key.(*ast.Ident)
			switch {
			case key == nil:
			case key.Name == "Message":
				c.add(kv.Value, "Error.Message")
			case key.Name == "Fields":
				if m, ok := kv.Value.(*ast.CompositeLit); ok && (isStringMap(m.Type) || c.isAtrium(m.Type, "Problems")) {
					c.mapValues(m, "Error.Fields message")
				}
				// Any other Fields (a Problems variable, a conversion) gets its messages
				// elsewhere.
			}
		}
	}
}

func (c *messageCollector) mapValues(m *ast.CompositeLit, what string) {
	for _, el := range m.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			c.add(kv.Value, what)
		}
	}
}

// problemsVars returns the names decl declares (anywhere in it) as being of type
// atrium.Problems.
func (c *messageCollector) problemsVars(decl ast.Decl) map[string]bool {
	out := map[string]bool{}
	fields := func(fl *ast.FieldList) {
		if fl == nil {
			return
		}
		for _, f := range fl.List {
			if c.isAtrium(f.Type, "Problems") {
				for _, n := range f.Names {
					out[n.Name] = true
				}
			}
		}
	}
	ast.Inspect(decl, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncType:
			fields(n.Params)
			fields(n.Results)
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if c.isAtrium(n.Type, "Problems") || i < len(n.Values) && c.isProblemsValue(n.Values[i]) {
					out[name.Name] = true
				}
			}
		case *ast.AssignStmt:
			if n.Tok != token.DEFINE || len(n.Lhs) != len(n.Rhs) {
				return true
			}
			for i, l := range n.Lhs {
				if id, ok := l.(*ast.Ident); ok && c.isProblemsValue(n.Rhs[i]) {
					out[id.Name] = true
				}
			}
		}
		return true
	})
	return out
}

// isProblemsValue reports whether e is evidently an atrium.Problems: a literal, a
// make, a conversion or a call of a method called Problems.
func (c *messageCollector) isProblemsValue(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.CompositeLit:
		return c.isAtrium(e.Type, "Problems")
	case *ast.CallExpr:
		if id, ok := e.Fun.(*ast.Ident); ok && id.Name == "make" && len(e.Args) > 0 {
			return c.isAtrium(e.Args[0], "Problems")
		}
		if c.isAtrium(e.Fun, "Problems") {
			return true
		}
		sel, ok := e.Fun.(*ast.SelectorExpr)
		return ok && sel.Sel.Name == "Problems"
	case *ast.ParenExpr:
		return c.isProblemsValue(e.X)
	}
	return false
}

func isStringMap(e ast.Expr) bool {
	m, ok := e.(*ast.MapType)
	if !ok {
		return false
	}
	k, _ := m.Key.(*ast.Ident)
	v, _ := m.Value.(*ast.Ident)
	return k != nil && v != nil && k.Name == "string" && v.Name == "string"
}

// stringConsts adds to into the string constants decl declares whose values are
// literals or sums of literals and constants: those at its top level, or (local) those
// declared inside its functions.
func stringConsts(decl ast.Decl, into map[string]string, local bool) {
	var specs []*ast.ValueSpec
	add := func(g *ast.GenDecl) {
		if g.Tok != token.CONST {
			return
		}
		for _, sp := range g.Specs {
			specs = append(specs, sp.(*ast.ValueSpec))
		}
	}
	if !local {
		if g, ok := decl.(*ast.GenDecl); ok {
			add(g)
		}
	} else {
		ast.Inspect(decl, func(n ast.Node) bool {
			if d, ok := n.(*ast.DeclStmt); ok {
				add(d.Decl.(*ast.GenDecl))
			}
			return true
		})
	}
	for _, sp := range specs {
		if len(sp.Names) != len(sp.Values) {
			continue
		}
		for i, name := range sp.Names {
			if s, ok := literalString(sp.Values[i], func(n string) (string, bool) { v, ok := into[n]; return v, ok }); ok {
				into[name.Name] = s
			}
		}
	}
}

// literal returns the value of e when it is a string literal, a constant of the
// package or the declaration with such a value, or a sum of them.
func (c *messageCollector) literal(e ast.Expr) (string, bool) {
	return literalString(e, func(name string) (string, bool) {
		if v, ok := c.localConsts[name]; ok {
			return v, true
		}
		v, ok := c.pkgConsts[name]
		return v, ok
	})
}

// literalString returns the value of e when it is a string literal or a sum of them
// and of the constants that constant knows.
func literalString(e ast.Expr, constant func(name string) (string, bool)) (string, bool) {
	switch e := e.(type) {
	case *ast.Ident:
		return constant(e.Name)
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.ParenExpr:
		return literalString(e.X, constant)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok := literalString(e.X, constant)
		if !ok {
			return "", false
		}
		b, ok := literalString(e.Y, constant)
		return a + b, ok
	}
	return "", false
}

// exprText is a short rendering of e for a log line.
func exprText(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.BasicLit:
		return e.Value
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprText(e.X) + "." + e.Sel.Name
	case *ast.ParenExpr:
		return "(" + exprText(e.X) + ")"
	case *ast.BinaryExpr:
		return exprText(e.X) + " " + e.Op.String() + " " + exprText(e.Y)
	case *ast.CallExpr:
		args := make([]string, len(e.Args))
		for i, a := range e.Args {
			args[i] = exprText(a)
		}
		return exprText(e.Fun) + "(" + strings.Join(args, ", ") + ")"
	case *ast.IndexExpr:
		return exprText(e.X) + "[" + exprText(e.Index) + "]"
	}
	return "…"
}
