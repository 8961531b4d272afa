package web

import (
	"net/http"
	"time"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
)

// homePage is the dashboard's data.
type homePage struct {
	// OrgState names the organization's state in the page's language.
	OrgState  string
	ShowUsers bool
	Users     int
	Roles     []access.Role
	ShowAudit bool
	// Recent is the organization's latest activity, newest first, in words.
	Recent []activity
	// Apps are the apps the signed-in user is licensed for.
	Apps []homeApp
}

// activity is one line of Home's recent activity: "Ada Admin added Mia Member", and
// when ("5 minutes ago").
type activity struct {
	Sentence string
	At       time.Time
	Ago      string
	// Action is the entry's code, for scripts and styles; people read Sentence.
	Action string
}

// homeActivity is how many audit entries Home shows.
const homeActivity = 10

// home is the dashboard: the organization, its user count, the apps the user is
// licensed for and recent activity.
func (c *console) home(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	v := c.newView(r, "nav.home")
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
		page, err := c.audit.List(r.Context(), s.P(), audit.Filter{Limit: homeActivity})
		if err != nil {
			return err
		}
		rows, err := c.auditRowsIn(r.Context(), v.P, s.ID.Principal.Org, page.Items)
		if err != nil {
			return err
		}
		now := c.Clock.Now()
		p.ShowAudit = true
		for _, row := range rows {
			p.Recent = append(p.Recent, activity{Sentence: row.Sentence, At: row.At, Ago: agoIn(v.P, now, row.At), Action: row.Action})
		}
	}
	apps, err := c.licensedApps(r)
	if err != nil {
		return err
	}
	p.Apps = apps
	if s.Org != nil {
		p.OrgState = orgStateName(v.P, s.Org.State)
	}
	v.Data = p
	c.render(w, r, http.StatusOK, "home.html", v)
	return nil
}
