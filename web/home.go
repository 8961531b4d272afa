package web

import (
	"net/http"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
)

// homePage is the dashboard's data.
type homePage struct {
	ShowUsers bool
	Users     int
	Roles     []access.Role
	ShowAudit bool
	Recent    []audit.Entry
	// Apps are the apps the signed-in user is licensed for.
	Apps []homeApp
}

// home is the dashboard: the organization, its user count, the apps the user is
// licensed for and recent activity.
func (c *console) home(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	p := homePage{}
	for _, g := range s.ID.Principal.Grants {
		if g.Scope.Kind == access.ScopeOrg {
			p.Roles = append(p.Roles, g.Role)
		}
	}
	if s.Can(access.UserRead) {
		n, err := c.Directory.CountUsers(r.Context(), s.ID.Principal.Org)
		if err != nil {
			return err
		}
		p.ShowUsers, p.Users = true, n
	}
	if s.Can(access.AuditRead) {
		page, err := c.audit.List(r.Context(), s.P(), audit.Filter{Limit: 10})
		if err != nil {
			return err
		}
		p.ShowAudit, p.Recent = true, page.Items
	}
	apps, err := c.licensedApps(r)
	if err != nil {
		return err
	}
	p.Apps = apps
	v := c.newView(r, "Home")
	v.Data = p
	c.render(w, r, http.StatusOK, "home.html", v)
	return nil
}
