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
)

func TestJoinWords(t *testing.T) {
	for _, tc := range []struct {
		name  string
		items []string
		want  string
	}{
		{"none", nil, ""},
		{"one", []string{"view users"}, "view users"},
		{"two", []string{"view users", "add users"}, "view users and add users"},
		{"two with and", []string{"view the organization and its settings", "change it"}, "view the organization and its settings, and change it"},
		{"three", []string{"a", "b", "c"}, "a, b, and c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := joinWords(tc.items); got != tc.want {
				t.Errorf("joinWords(%q) = %q, want %q", tc.items, got, tc.want)
			}
		})
	}
}

func TestRoleSentences(t *testing.T) {
	for _, tc := range []struct {
		name string
		role access.Role
		want []string
		not  []string
	}{
		{"helpdesk", access.HelpdeskAdmin,
			[]string{"Can view the organization and its settings.", "Can view users, block and unblock sign-in, and reset passwords."},
			[]string{"add users", "licenses"}},
		{"billing", access.BillingAdmin,
			[]string{"Can view subscriptions, orders and bills, and buy, change quantities, cancel and name partners of record."},
			[]string{"reset passwords"}},
		{"license admin holds the social action", access.LicenseAdmin,
			[]string{"Can reassign the organization's Social Engagement search topics."}, nil},
		{"service support admin", access.ServiceSupportAdmin, []string{"Can view the organization and its settings."}, []string{"users"}},
		{"operator", access.OperatorAdmin, []string{"Can edit the product catalog.", "Can mark invoices paid or void."}, []string{"users"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := roleSentences(tc.role)
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
				if !strings.HasPrefix(s, "Can ") || !strings.HasSuffix(s, ".") || strings.Contains(s, "_") {
					t.Errorf("%s: %q is not a sentence in words", tc.role.Title(), s)
				}
			}
		})
	}
}

// TestRoleSentencesOfDefinedRole: a role defined from data reads in words too.
func TestRoleSentencesOfDefinedRole(t *testing.T) {
	reg := access.Default
	roles, err := reg.Define(access.RoleDef{ID: "test-words-role", Name: "Word tester", Actions: []access.Action{access.UserRead, access.AuditRead}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Remove("test-words-role") })
	got := roleSentences(roles[0])
	want := []string{"Can view users.", "Can read the audit log."}
	if !slices.Equal(got, want) {
		t.Errorf("sentences %q, want %q", got, want)
	}
}

func TestActionWords(t *testing.T) {
	for _, tc := range []struct {
		name, action, target string
		after, before        map[string]any
		general, named       string
	}{
		{"user added", "user.create", "Mia Member", map[string]any{"username": "mia@x"}, nil, "added a user", "added Mia Member"},
		{"role by title", "role.assign", "Mia Member", map[string]any{"role": "helpdesk_admin"}, nil, "assigned an admin role", "gave Mia Member the Helpdesk administrator role"},
		{"role missing", "role.assign", "Mia Member", nil, nil, "assigned an admin role", "assigned an admin role"},
		{"license from before", "license.remove", "Mia Member", nil, map[string]any{"product": "Office"}, "removed a license", "removed the Office license of Mia Member"},
		{"no target", "org.update", "", nil, nil, "changed an organization's profile", "changed an organization's profile"},
		{"unknown", "thing.happen", "X", nil, nil, "thing.happen", "thing.happen X"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := actionPhrase(tc.action); got != tc.general {
				t.Errorf("actionPhrase(%s) = %q, want %q", tc.action, got, tc.general)
			}
			if got := actionAbout(tc.action, tc.target, tc.after, tc.before); got != tc.named {
				t.Errorf("actionAbout(%s) = %q, want %q", tc.action, got, tc.named)
			}
		})
	}
}

func TestSummaryChanges(t *testing.T) {
	got := summaryChanges(map[string]any{"state": "active", "seats": float64(50)},
		map[string]any{"state": "suspended", "seats": float64(60.5), "plans": []any{"a", "b"}, "trial": false, "role": "global_admin"})
	want := []summaryChange{{"seats", "50", "60.5", true}, {"state", "active", "suspended", true},
		{"plans", "—", "a, b", false}, {"role", "—", "Global administrator", false}, {"trial", "—", "no", false}}
	if !slices.Equal(got, want) {
		t.Errorf("changes\n%v\nwant\n%v", got, want)
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Second, "just now"},
		{time.Minute, "1 minute ago"},
		{5*time.Minute + 30*time.Second, "5 minutes ago"},
		{3 * time.Hour, "3 hours ago"},
		{30 * time.Hour, "yesterday"},
		{5 * 24 * time.Hour, "5 days ago"},
		{40 * 24 * time.Hour, "on 12 October 2026"},
	} {
		if got := ago(now, now.Add(-tc.d)); got != tc.want {
			t.Errorf("ago(%v) = %q, want %q", tc.d, got, tc.want)
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
	for _, tc := range []struct{ id, name, want string }{
		{"u1", "admin@contoso", "Ada Admin"},
		{"u2", "gone@contoso", "gone@contoso"},
		{"system", "system", "Atrium"},
		{"anonymous", "anonymous", "Someone"},
		{"token:t1", "deploy token", "deploy token"},
	} {
		if got := actorWords(tc.id, tc.name, names); got != tc.want {
			t.Errorf("actorWords(%s, %s) = %q, want %q", tc.id, tc.name, got, tc.want)
		}
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
