package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
)

// DemoPassword is the password of the demo organization's administrator, printed at
// start; the demo is for trying Atrium out, never for production.
const DemoPassword = "Demo-Passw0rd"

var demoPeople = []struct{ first, last, title, dept, country string }{
	{"Ada", "Lovelace", "Chief Engineer", "Engineering", "GB"},
	{"Grace", "Hopper", "Rear Admiral", "Engineering", "US"},
	{"Alan", "Turing", "Researcher", "Research", "GB"},
	{"Katherine", "Johnson", "Mathematician", "Research", "US"},
	{"Edsger", "Dijkstra", "Professor", "Research", "NL"},
	{"Barbara", "Liskov", "Professor", "Research", "US"},
	{"Linus", "Torvalds", "Maintainer", "Engineering", "FI"},
	{"Margaret", "Hamilton", "Director", "Engineering", "US"},
	{"Donald", "Knuth", "Author", "Research", "US"},
	{"Frances", "Allen", "Fellow", "Research", "US"},
	{"Tim", "Berners-Lee", "Director", "Standards", "GB"},
	{"Radia", "Perlman", "Engineer", "Networking", "US"},
	{"Ken", "Thompson", "Engineer", "Engineering", "US"},
	{"Dennis", "Ritchie", "Engineer", "Engineering", "US"},
	{"Hedy", "Lamarr", "Inventor", "Research", "AT"},
	{"Annie", "Easley", "Programmer", "Engineering", "US"},
	{"John", "Backus", "Engineer", "Engineering", "US"},
	{"Sophie", "Wilson", "Architect", "Hardware", "GB"},
	{"Niklaus", "Wirth", "Professor", "Research", "CH"},
	{"Adele", "Goldberg", "Manager", "Research", "US"},
	{"Guido", "van Rossum", "Engineer", "Engineering", "NL"},
	{"Joan", "Clarke", "Cryptanalyst", "Security", "GB"},
	{"Whitfield", "Diffie", "Cryptographer", "Security", "US"},
	{"Shafi", "Goldwasser", "Professor", "Security", "US"},
	{"Leslie", "Lamport", "Researcher", "Research", "US"},
}

// seedDemo creates the "Contoso" customer organization with an administrator and sample
// users, once.
func (m *Main) seedDemo(ctx context.Context) error {
	res, err := m.Directory.Signup(ctx, directory.SignupInput{
		OrganizationName: "Contoso", DomainPrefix: "contoso", AdminDisplayName: "Megan Bowen", AdminUsername: "megan",
		AdminPassword: DemoPassword, ContactEmail: "megan@contoso.example", Seats: 50,
	})
	if atrium.ErrorCode(err) == atrium.CodeConflict {
		return nil // created on an earlier start
	}
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if _, err := m.Queue.RunDue(ctx); err != nil {
		return fmt.Errorf("demo: provision: %w", err)
	}
	p := &access.Principal{UserID: res.Admin.ID, Org: res.Organization.ID, Name: res.Admin.Username,
		Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(res.Organization.ID)}}}
	noChange := false
	for i, d := range demoPeople {
		u, _, err := m.Directory.CreateUser(ctx, p, directory.UserInput{
			Username:    strings.ToLower(strings.ReplaceAll(d.first+"."+d.last, " ", "")),
			DisplayName: d.first + " " + d.last, FirstName: d.first, LastName: d.last,
			ContactEmail: strings.ToLower(d.first) + "@contoso.example", JobTitle: d.title, Department: d.dept, UsageLocation: d.country,
			Password: DemoPassword, MustChangePassword: &noChange,
		})
		if err != nil {
			return fmt.Errorf("demo: user %s: %w", d.first, err)
		}
		if i == 1 {
			if _, err := m.Directory.AssignRole(ctx, p, u.ID, access.UserAdmin); err != nil {
				return err
			}
		}
		if i == 3 {
			if _, err := m.Directory.AssignRole(ctx, p, u.ID, access.HelpdeskAdmin); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(m.Out, "Demo organization Contoso created.\n  username: %s\n  password: %s\n  (25 sample users share this password)\n\n",
		res.Admin.Username, DemoPassword)
	return nil
}
