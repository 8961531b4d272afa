package web

import (
	"slices"
	"strings"
	"testing"

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
