package web

import (
	"net/http"

	"github.com/atrium-admin/atrium/access"
)

// rolesPage is the data of the Roles page.
type rolesPage struct {
	Roles     []roleRow
	CanAssign bool
}

type roleRow struct {
	Name, Title, Description string
	// Title and Description are in the page's language, as are the Sentences that say
	// what the role may do (roleSentencesIn).
	Sentences []string
	Holders   []roleHolderRow
}

type roleHolderRow struct {
	ID, Username, DisplayName string
}

// roleList shows every admin role, what it allows in words, and who holds it.
func (c *console) roleList(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	infos, err := c.API.RoleInfos(r, s.P())
	if err != nil {
		return err
	}
	v := c.newView(r, "nav.users.roles")
	p := rolesPage{CanAssign: s.Can(access.RoleAssign)}
	for _, info := range infos {
		row := roleRow{Name: info.Name, Title: info.Title, Description: info.Description}
		if role, ok := access.LookupRole(info.Name); ok {
			row.Title, row.Description = roleTitleIn(v.P, role), roleDescriptionIn(v.P, role)
			row.Sentences = roleSentencesIn(v.P, role)
		}
		for _, h := range info.Holders {
			row.Holders = append(row.Holders, roleHolderRow{ID: string(h.ID), Username: h.Username, DisplayName: h.DisplayName})
		}
		p.Roles = append(p.Roles, row)
	}
	v.Data = p
	c.render(w, r, http.StatusOK, "roles.html", v)
	return nil
}
