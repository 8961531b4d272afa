package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/i18n"
)

func TestJoinWords(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lang  i18n.Lang
		items []string
		want  string
	}{
		{"none", i18n.EN, nil, ""},
		{"one", i18n.EN, []string{"Listening"}, "Listening"},
		{"two", i18n.EN, []string{"Listening", "Publishing"}, "Listening and Publishing"},
		{"three", i18n.EN, []string{"a", "b", "c"}, "a, b, and c"},
		{"four", i18n.EN, []string{"a", "b", "c", "d"}, "a, b, c, and d"},
		{"swedish", i18n.SV, []string{"a", "b", "c"}, "a, b och c"},
		{"bokmål", i18n.NB, []string{"a", "b", "c"}, "a, b og c"},
		{"polish two", i18n.PL, []string{"a", "b"}, "a i b"},
		{"polish", i18n.PL, []string{"a", "b", "c"}, "a, b i c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := joinWordsIn(i18n.For(tc.lang), tc.items); got != tc.want {
				t.Errorf("joinWordsIn(%s, %q) = %q, want %q", tc.lang, tc.items, got, tc.want)
			}
		})
	}
}

func TestRoleSentences(t *testing.T) {
	for _, tc := range []struct {
		name string
		lang i18n.Lang
		role access.Role
		want []string
		not  []string
	}{
		{"helpdesk", i18n.EN, access.HelpdeskAdmin,
			[]string{"Can view the organization and its settings.", "Can view users, block and unblock sign-in, and reset passwords."},
			[]string{"add users", "licenses"}},
		{"billing", i18n.EN, access.BillingAdmin,
			[]string{"Can view subscriptions, orders and bills, and buy, change quantities, cancel and name partners of record."},
			[]string{"reset passwords"}},
		{"license admin holds the social action", i18n.EN, access.LicenseAdmin,
			[]string{"Can reassign the organization's Social Engagement search topics."}, nil},
		{"service support admin", i18n.EN, access.ServiceSupportAdmin, []string{"Can view the organization and its settings."}, []string{"users"}},
		{"operator", i18n.EN, access.OperatorAdmin, []string{"Can edit the product catalog.", "Can mark invoices paid or void.",
			"Can read outgoing mail and send a message of the outgoing mail again."}, []string{"users"}},
		{"swedish", i18n.SV, access.HelpdeskAdmin,
			[]string{"Kan visa organisationen och dess inställningar.", "Kan visa användare, blockera och avblockera inloggning samt återställa lösenord."},
			[]string{"Can "}},
		{"bokmål", i18n.NB, access.GlobalReader, []string{"Kan lese revisjonsloggen."}, []string{"Can "}},
		{"polish", i18n.PL, access.LicenseAdmin,
			[]string{"Może wyświetlać liczbę licencji i licencje użytkowników oraz przypisywać i usuwać licencje."}, []string{"Can "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := roleSentencesIn(i18n.For(tc.lang), tc.role)
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("%s: sentences %q lack %q", tc.role.Title(), got, w)
				}
			}
			all := strings.Join(got, " ")
			for _, n := range tc.not {
				if strings.Contains(all, n) {
					t.Errorf("%s: sentences %q say %q", tc.role.Title(), got, n)
				}
			}
			for _, s := range got {
				if !strings.HasSuffix(s, ".") || strings.Contains(s, "_") || strings.Contains(s, "\n") {
					t.Errorf("%s: %q is not a sentence in words", tc.role.Title(), s)
				}
			}
		})
	}
}

// TestRoleWords: every compiled role is described by a message of its own, which never
// says more than the role allows (a description that does would be dropped for
// sentences action by action), and every registered action has a sentence of its own,
// so that a role defined from data, or an action a module adds to a role, reads in
// words too.
func TestRoleWords(t *testing.T) {
	ids := map[string]bool{}
	for _, id := range i18n.IDs() {
		ids[id] = true
	}
	for _, r := range access.Roles() {
		acts, ok := roleWords[r.String()]
		if !ok {
			t.Errorf("%s: no entry in roleWords", r)
			continue
		}
		for _, a := range acts {
			if !r.Allows(a) {
				t.Errorf("%s: roles.%s.can describes %s, which the role does not allow", r, r, a)
			}
		}
		for _, suffix := range []string{"title", "description", "can"} {
			if id := "roles." + r.String() + "." + suffix; !ids[id] {
				t.Errorf("no message %s", id)
			}
		}
	}
	for _, a := range access.Actions() {
		if id := "roles.action." + a.String(); !ids[id] {
			t.Errorf("action %s: no message %s", a, id)
		}
	}
}

// TestRoleSentencesOfDefinedRole: a role defined from data reads in words too, one
// sentence an action.
func TestRoleSentencesOfDefinedRole(t *testing.T) {
	reg := access.Default
	roles, err := reg.Define(access.RoleDef{ID: "test-words-role", Name: "Word tester", Actions: []access.Action{access.UserRead, access.AuditRead}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Remove("test-words-role") })
	for lang, want := range map[i18n.Lang][]string{
		i18n.EN: {"Can view users.", "Can read the audit log."},
		i18n.PL: {"Może wyświetlać użytkowników.", "Może czytać dziennik inspekcji."},
	} {
		if got := roleSentencesIn(i18n.For(lang), roles[0]); !slices.Equal(got, want) {
			t.Errorf("%s: sentences %q, want %q", lang, got, want)
		}
	}
	if got := roleTitleIn(i18n.For(i18n.PL), roles[0]); got != "Word tester" {
		t.Errorf("title of a defined role = %q, want its own name", got)
	}
}

func TestRoleTitles(t *testing.T) {
	for _, tc := range []struct {
		lang i18n.Lang
		role access.Role
		want string
	}{
		{i18n.EN, access.HelpdeskAdmin, "Helpdesk administrator"},
		{i18n.SV, access.GlobalAdmin, "Global administratör"},
		{i18n.NB, access.HelpdeskAdmin, "Brukerstøtteadministrator"},
		{i18n.PL, access.GlobalReader, "Czytelnik globalny"},
	} {
		if got := roleTitleIn(i18n.For(tc.lang), tc.role); got != tc.want {
			t.Errorf("roleTitleIn(%s, %s) = %q, want %q", tc.lang, tc.role, got, tc.want)
		}
	}
}

func TestActionWords(t *testing.T) {
	for _, tc := range []struct {
		name, action, target string
		after, before        map[string]any
		general, sentence    string
	}{
		{"user added", "user.create", "Mia Member", map[string]any{"username": "mia@x"}, nil, "added a user", "Ada Admin added Mia Member"},
		{"role by title", "role.assign", "Mia Member", map[string]any{"role": "helpdesk_admin"}, nil, "assigned an admin role", "Ada Admin gave Mia Member the Helpdesk administrator role"},
		{"role missing", "role.assign", "Mia Member", nil, nil, "assigned an admin role", "Ada Admin: assigned an admin role"},
		{"license from before", "license.remove", "Mia Member", nil, map[string]any{"product": "Office"}, "removed a license", "Ada Admin removed the Office license of Mia Member"},
		{"no target", "org.update", "", nil, nil, "changed an organization's profile", "Ada Admin: changed an organization's profile"},
		{"needs no target", "session.create", "", nil, nil, "signed in", "Ada Admin signed in"},
		{"unknown", "thing.happen", "X", nil, nil, "thing.happen", "Ada Admin: thing.happen (X)"},
		{"unknown without target", "thing.happen", "", nil, nil, "thing.happen", "Ada Admin: thing.happen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := i18n.For(i18n.EN)
			if got := actionPhraseIn(p, tc.action); got != tc.general {
				t.Errorf("actionPhraseIn(%s) = %q, want %q", tc.action, got, tc.general)
			}
			if got := actionSentenceIn(p, tc.action, "Ada Admin", tc.target, tc.after, tc.before); got != tc.sentence {
				t.Errorf("actionSentenceIn(%s) = %q, want %q", tc.action, got, tc.sentence)
			}
		})
	}
}

// TestActionWordsTranslated: the sentences are whole in each language, the actor and
// target in the places the language puts them.
func TestActionWordsTranslated(t *testing.T) {
	for _, tc := range []struct {
		lang          i18n.Lang
		action        string
		after         map[string]any
		general, want string
	}{
		{i18n.SV, "role.assign", map[string]any{"role": "helpdesk_admin"}, "tilldelade en administratörsroll", "Ada Admin gav Mia Member rollen Supportadministratör"},
		{i18n.NB, "user.create", nil, "la til en bruker", "Ada Admin la til Mia Member"},
		{i18n.PL, "user.create", nil, "dodano użytkownika", "Ada Admin dodał(a) użytkownika Mia Member"},
		{i18n.PL, "license.assign", map[string]any{"product": "Office"}, "przypisano licencję", "Ada Admin przypisał(a) użytkownikowi Mia Member licencję Office"},
	} {
		p := i18n.For(tc.lang)
		if got := actionPhraseIn(p, tc.action); got != tc.general {
			t.Errorf("%s %s: phrase %q, want %q", tc.lang, tc.action, got, tc.general)
		}
		if got := actionSentenceIn(p, tc.action, "Ada Admin", "Mia Member", tc.after, nil); got != tc.want {
			t.Errorf("%s %s: sentence %q, want %q", tc.lang, tc.action, got, tc.want)
		}
	}
}

func TestSummaryChanges(t *testing.T) {
	got := summaryChangesIn(i18n.For(i18n.EN), map[string]any{"state": "active", "seats": float64(50)},
		map[string]any{"state": "suspended", "seats": float64(60.5), "plans": []any{"a", "b"}, "trial": false, "role": "global_admin"})
	want := []summaryChange{{"seats", "50", "60.5", true}, {"state", "active", "suspended", true},
		{"plans", "—", "a and b", false}, {"role", "—", "Global administrator", false}, {"trial", "—", "no", false}}
	if !slices.Equal(got, want) {
		t.Errorf("changes\n%v\nwant\n%v", got, want)
	}
	got = summaryChangesIn(i18n.For(i18n.PL), nil, map[string]any{"display_name": "Zed", "blocked": true, "seats": float64(12000), "role": "helpdesk_admin"})
	want = []summaryChange{{"zablokowany", "—", "tak", false}, {"nazwa wyświetlana", "—", "Zed", false},
		{"rola", "—", "Administrator pomocy technicznej", false}, {"seats", "—", "12\u00a0000", false}}
	if !slices.Equal(got, want) {
		t.Errorf("Polish changes\n%v\nwant\n%v", got, want)
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		lang i18n.Lang
		d    time.Duration
		want string
	}{
		{i18n.EN, 10 * time.Second, "just now"},
		{i18n.EN, time.Minute, "1 minute ago"},
		{i18n.EN, 5*time.Minute + 30*time.Second, "5 minutes ago"},
		{i18n.EN, 3 * time.Hour, "3 hours ago"},
		{i18n.EN, 30 * time.Hour, "yesterday"},
		{i18n.EN, 5 * 24 * time.Hour, "5 days ago"},
		{i18n.EN, 40 * 24 * time.Hour, "on 12 Oct 2026"},
		{i18n.SV, 3 * time.Hour, "för 3 timmar sedan"},
		{i18n.SV, 40 * 24 * time.Hour, "den 12 okt. 2026"},
		{i18n.NB, time.Minute, "for 1 minutt siden"},
		{i18n.NB, 30 * time.Hour, "i går"},
		{i18n.PL, time.Minute, "minutę temu"},
		{i18n.PL, 3 * time.Hour, "3 godziny temu"},
		{i18n.PL, 5 * time.Hour, "5 godzin temu"},
		{i18n.PL, 22 * time.Hour, "22 godziny temu"},
		{i18n.PL, 12 * time.Minute, "12 minut temu"},
		{i18n.PL, 2 * 24 * time.Hour, "2 dni temu"},
		{i18n.PL, 40 * 24 * time.Hour, "12 paź 2026"},
	} {
		if got := agoIn(i18n.For(tc.lang), now, now.Add(-tc.d)); got != tc.want {
			t.Errorf("agoIn(%s, %v) = %q, want %q", tc.lang, tc.d, got, tc.want)
		}
	}
}

func TestBreakable(t *testing.T) {
	for in, want := range map[string]string{
		"first.last@contoso.example": "first.<wbr>last@<wbr>contoso.<wbr>example",
		"<b>.x":                      "&lt;b&gt;.<wbr>x",
		"end.":                       "end.",
		"plain":                      "plain",
	} {
		if got := string(breakable(in)); got != want {
			t.Errorf("breakable(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestActorWords(t *testing.T) {
	names := map[string]string{"u1": "Ada Admin"}
	for _, tc := range []struct {
		lang           i18n.Lang
		id, name, want string
	}{
		{i18n.EN, "u1", "admin@contoso", "Ada Admin"},
		{i18n.EN, "u2", "gone@contoso", "gone@contoso"},
		{i18n.EN, "system", "system", "Atrium"},
		{i18n.EN, "anonymous", "anonymous", "Someone"},
		{i18n.PL, "anonymous", "anonymous", "Ktoś"},
		{i18n.EN, "token:t1", "deploy token", "deploy token"},
	} {
		if got := actorWordsIn(i18n.For(tc.lang), tc.id, tc.name, names); got != tc.want {
			t.Errorf("actorWordsIn(%s, %s, %s) = %q, want %q", tc.lang, tc.id, tc.name, got, tc.want)
		}
	}
}

func TestAuditActionChoices(t *testing.T) {
	choices := auditActionChoicesIn(i18n.For(i18n.SV))
	if len(choices) != len(auditTopics) {
		t.Fatalf("%d choices, want %d", len(choices), len(auditTopics))
	}
	words := make([]string, len(choices))
	for i, c := range choices {
		words[i] = c.Words
		if c.Words == auditTopics[c.Code] {
			t.Errorf("group %s has no words (%s)", c.Code, c.Words)
		}
	}
	// Swedish sorts Å, Ä and Ö after Z: "Åtkomst som partner för posten" comes last.
	if last := words[len(words)-1]; last != "Åtkomst som partner för posten" {
		t.Errorf("Swedish choices %q, want Åtkomst… last", words)
	}
}

// codeRE matches an audit action code such as "user.create" or "social.topic.create".
var codeRE = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)+$`)

// TestAuditActionsHaveWords reads the repository's Go source for the actions modules
// write to the audit log (the Action of an audit.Entry literal, and strings assigned to
// a variable named action in a file that uses the audit package) and fails for one
// without words, so that a new audited action does not show up as a code.
func TestAuditActionsHaveWords(t *testing.T) {
	found := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != ".." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		usesAudit := f.Name.Name == "audit"
		for _, imp := range f.Imports {
			if strings.HasSuffix(imp.Path.Value, `/audit"`) {
				usesAudit = true
			}
		}
		if !usesAudit {
			return nil
		}
		collect := func(e ast.Expr) {
			ast.Inspect(e, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && codeRE.MatchString(s) {
						found[s] = fset.Position(lit.Pos()).String()
					}
				}
				return true
			})
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if !isAuditEntry(n.Type) {
					return true
				}
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Action" {
							collect(kv.Value)
						}
					}
				}
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					if id, ok := lhs.(*ast.Ident); ok && id.Name == "action" && len(n.Rhs) == len(n.Lhs) {
						collect(n.Rhs[i])
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 20 {
		t.Fatalf("found only %d audited actions in the source (%v); the scan is broken", len(found), found)
	}
	for code, where := range found {
		if _, ok := auditActionWords[code]; !ok {
			t.Errorf("%s: audit action %q has no words in auditActionWords", where, code)
		}
	}
	ids := map[string]bool{}
	for _, id := range i18n.IDs() {
		ids[id] = true
	}
	for code := range auditActionWords {
		for _, id := range []string{"audit.action." + code, "audit.action." + code + ".about"} {
			if !ids[id] {
				t.Errorf("audit action %q: no message %s", code, id)
			}
		}
	}
	for prefix, id := range auditTopics {
		if !ids[id] {
			t.Errorf("audit action group %q: no message %s", prefix, id)
		}
	}
	for code := range auditActionWords {
		prefix := code[:strings.IndexByte(code, '.')+1]
		if _, ok := auditTopics[prefix]; !ok {
			t.Errorf("audit action %q: its group %q has no name in auditTopics", code, prefix)
		}
	}
}

// isAuditEntry reports whether a composite literal's type is audit.Entry (or Entry in
// package audit itself).
func isAuditEntry(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		return ok && x.Name == "audit" && e.Sel.Name == "Entry"
	case *ast.Ident:
		return e.Name == "Entry"
	}
	return false
}
