package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/collab"
)

// showPrograms reports whether s sees Operator > Programs: operator staff who may
// create programs or hold a group in one.
func (c *collabPages) showPrograms(r *http.Request, s *session) bool {
	if s.CanInstance(collab.CreateProgram) {
		return true
	}
	if s.Org == nil || !s.Org.Operator {
		return false
	}
	return c.holdsProgram(r, s)
}

// holdsProgram reports whether s holds a group in some program.
func (c *collabPages) holdsProgram(r *http.Request, s *session) bool {
	page, err := c.svc.Programs(r.Context(), s.P(), collab.ListQuery{Limit: 1})
	return err == nil && len(page.Items) > 0
}

// programListPage is the data of Operator > Programs.
type programListPage struct {
	Programs []collab.Program
	Pager    pager
	// CanCreate says the signed-in person may create programs.
	CanCreate bool
}

// programsView loads the program list for r, with form f.
func (c *collabPages) programsView(r *http.Request, f url.Values) (*view, error) {
	s := sessionFrom(r.Context())
	canCreate := s.CanInstance(collab.CreateProgram)
	if !canCreate && !c.holdsProgram(r, s) {
		return nil, access.Require(s.P(), collab.CreateProgram, access.Resource{})
	}
	lq, err := collabListQuery(r)
	if err != nil {
		return nil, err
	}
	page, err := c.svc.Programs(r.Context(), s.P(), lq)
	if err != nil {
		return nil, err
	}
	v := c.newView(r, "collab.console.nav.programs")
	v.Form = f
	v.Data = programListPage{Programs: page.Items, Pager: pageLinks(r, page.NextCursor), CanCreate: canCreate}
	return v, nil
}

// programs is Operator > Programs: the programs the signed-in person holds a group in
// (every program for operator administrators), by name, and a form creating one.
func (c *collabPages) programs(w http.ResponseWriter, r *http.Request) error {
	v, err := c.programsView(r, r.URL.Query())
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "collab_programs.html", v)
	return nil
}

// createProgram creates a program owned by the signed-in person.
func (c *collabPages) createProgram(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	prog, err := c.svc.CreateProgram(r.Context(), sessionFrom(r.Context()).P(), collab.ProgramInput{Name: f.Get("name"), Description: f.Get("description")})
	if err != nil {
		v, verr := c.programsView(r, f)
		if verr != nil {
			return errors.Join(err, verr)
		}
		if !v.formError(err, "name", "description") {
			return err
		}
		c.render(w, r, statusOf(err), "collab_programs.html", v)
		return nil
	}
	return c.redirect(w, r, "/collab/programs/"+prog.ID, c.t(r, "collab.console.program.created", "Name", prog.Name))
}

// programPage is the data of a program's page.
type programPage struct {
	Program     *collab.Program
	Engagements []collabRow
	Pager       pager
	// GroupLabels are the message IDs of the caller's groups in the program.
	GroupLabels []string
}

// programView loads program id's page with the engagement form f.
func (c *collabPages) programView(r *http.Request, f url.Values) (*view, error) {
	p := sessionFrom(r.Context()).P()
	prog, err := c.svc.Program(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	lq, err := collabListQuery(r)
	if err != nil {
		return nil, err
	}
	page, err := c.svc.Engagements(r.Context(), p, collab.EngagementQuery{ListQuery: lq, ProgramID: prog.ID})
	if err != nil {
		return nil, err
	}
	d := programPage{Program: prog, Engagements: rows(page.Items), Pager: pageLinks(r, page.NextCursor)}
	for _, g := range collab.ProgramGroups {
		for _, x := range prog.Groups {
			if x == g {
				d.GroupLabels = append(d.GroupLabels, collabGroupLabels[g])
			}
		}
	}
	v := c.newView(r, "collab.console.nav.programs")
	v.Title = prog.Name
	v.Form = f
	v.Data = d
	return v, nil
}

// program is a program's page: its description, its engagements and, for those who
// may, a form creating an engagement in it.
func (c *collabPages) program(w http.ResponseWriter, r *http.Request) error {
	v, err := c.programView(r, url.Values{"join_policy": {string(collab.Open)}})
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "collab_program.html", v)
	return nil
}

// engagementFields are the fields of the engagement form.
var engagementFields = []string{"name", "description", "terms_of_use", "join_policy", "feedback_enabled"}

// createEngagement creates an engagement in the program; its creator owns it.
func (c *collabPages) createEngagement(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	in := collab.EngagementInput{ProgramID: r.PathValue("id"), Name: f.Get("name"), Description: f.Get("description"), TermsOfUse: f.Get("terms_of_use"),
		JoinPolicy: collab.JoinPolicy(f.Get("join_policy")), FeedbackEnabled: f.Get("feedback_enabled") == "1"}
	e, err := c.svc.CreateEngagement(r.Context(), sessionFrom(r.Context()).P(), in)
	if err != nil {
		v, verr := c.programView(r, f)
		if verr != nil {
			return errors.Join(err, verr)
		}
		if !v.formError(err, engagementFields...) {
			return err
		}
		c.render(w, r, statusOf(err), "collab_program.html", v)
		return nil
	}
	return c.redirect(w, r, "/collab/engagements/"+e.ID, c.t(r, "collab.console.engagement.created", "Name", e.Name))
}
