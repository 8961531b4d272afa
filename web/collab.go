package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/atrium-admin/atrium/collab"
)

// Collab is the collab module's console pages: Admin centers > Collaborate (the
// signed-in person's engagements, those they may join, an engagement's page with joining
// and access requests), an engagement's membership, access requests and copy
// (collab_members.go, collab_requests.go), and Operator > Programs
// (collab_programs.go). Every decision is the service's: a page shows what the service
// let it read, and the service's forbidden and not found become the console's error
// pages; the service writes the audit log.
func Collab(svc *collab.Service) Module {
	return func(c *console) {
		p := &collabPages{console: c, svc: svc}
		// Everyone may take part in engagements (of any organization the operator
		// shows them to).
		c.nav(navEntry{Section: sectionAdminCenters, Label: "collab.console.nav.collaborate", Href: "/collab",
			Show: func(_ *http.Request, s *session) bool { return s.ID.Principal.UserID != "" }})
		c.nav(navEntry{Section: sectionOperator, Label: "collab.console.nav.programs", Href: "/collab/programs", Show: p.showPrograms})
		c.page("GET /collab", p.mine)
		c.page("GET /collab/available", p.available)
		c.page("GET /collab/engagements/{id}", p.detail)
		c.page("POST /collab/engagements/{id}/join", p.join)
		c.page("POST /collab/engagements/{id}/request", p.request)
		c.page("GET /collab/engagements/{id}/members", p.members)
		c.page("GET /collab/engagements/{id}/members/export", p.export)
		c.page("GET /collab/engagements/{id}/members/add", p.addForm)
		c.page("POST /collab/engagements/{id}/members/add", p.add)
		c.page("GET /collab/engagements/{id}/members/copy", p.copyForm)
		c.page("POST /collab/engagements/{id}/members/copy", p.copy)
		c.page("GET /collab/engagements/{id}/members/{user}/remove", p.removeConfirm)
		c.page("POST /collab/engagements/{id}/members/{user}/remove", p.remove)
		c.page("GET /collab/engagements/{id}/requests", p.requests)
		c.page("POST /collab/engagements/{id}/requests/{rid}/{verb}", p.decide)
		c.page("GET /collab/programs", p.programs)
		c.page("POST /collab/programs", p.createProgram)
		c.page("GET /collab/programs/{id}", p.program)
		c.page("POST /collab/programs/{id}/engagements", p.createEngagement)
		p.registerContent()
		p.registerFeedback()
	}
}

// collabPages serves the collaboration pages with the collab service.
type collabPages struct {
	*console
	svc *collab.Service
}

// collabGroupLabels are the message IDs of the groups' names.
var collabGroupLabels = map[collab.Group]string{
	collab.Participant:       "collab.console.group.participant",
	collab.PowerUser:         "collab.console.group.power_user",
	collab.Owner:             "collab.console.group.owner",
	collab.ProgramOwner:      "collab.console.group.program_owner",
	collab.EngagementCreator: "collab.console.group.engagement_creator",
	collab.PackagePublisher:  "collab.console.group.package_publisher",
}

// collabPolicyLabels are the message IDs of the join policies' names.
var collabPolicyLabels = map[collab.JoinPolicy]string{
	collab.Open:       "collab.console.policy.open",
	collab.Request:    "collab.console.policy.request",
	collab.Invitation: "collab.console.policy.invitation",
}

// collabRow is an engagement as a list or page shows it, with the names of the
// caller's groups and of its join policy.
type collabRow struct {
	collab.Engagement
}

// GroupLabels are the message IDs of the caller's groups in the engagement.
func (e collabRow) GroupLabels() []string {
	out := make([]string, 0, len(e.Groups))
	for _, g := range collab.EngagementGroups {
		if slices.Contains(e.Groups, g) {
			out = append(out, collabGroupLabels[g])
		}
	}
	return out
}

// PolicyLabel is the message ID of the engagement's join policy.
func (e collabRow) PolicyLabel() string { return collabPolicyLabels[e.JoinPolicy] }

// IsParticipant reports whether the caller is a participant.
func (e collabRow) IsParticipant() bool { return slices.Contains(e.Groups, collab.Participant) }

// MayManageMembers reports whether the caller may open the membership pages.
func (e collabRow) MayManageMembers() bool { return e.CanManage || e.CanManageParticipants }

func rows(es []collab.Engagement) []collabRow {
	out := make([]collabRow, len(es))
	for i, e := range es {
		out[i] = collabRow{e}
	}
	return out
}

// collabListQuery reads the search, cursor and page size of a list page.
func collabListQuery(r *http.Request) (collab.ListQuery, error) {
	limit, err := listLimit(r)
	if err != nil {
		return collab.ListQuery{}, err
	}
	q := r.URL.Query()
	return collab.ListQuery{Q: strings.TrimSpace(q.Get("q")), Cursor: q.Get("cursor"), Limit: limit}, nil
}

// collabListPage is the data of My engagements and Join engagements.
type collabListPage struct {
	Engagements []collabRow
	Pager       pager
	// Available says the list is of the engagements the caller may join.
	Available bool
}

// mine is Admin centers > Collaborate: the engagements the signed-in person takes part
// in or manages, by name, searched by a fragment of the name or description.
func (c *collabPages) mine(w http.ResponseWriter, r *http.Request) error {
	return c.listPage(w, r, false)
}

// available is the engagements the signed-in person may join or ask for access to.
func (c *collabPages) available(w http.ResponseWriter, r *http.Request) error {
	return c.listPage(w, r, true)
}

func (c *collabPages) listPage(w http.ResponseWriter, r *http.Request, available bool) error {
	lq, err := collabListQuery(r)
	if err != nil {
		return err
	}
	page, err := c.svc.Engagements(r.Context(), sessionFrom(r.Context()).P(), collab.EngagementQuery{ListQuery: lq, Available: available})
	if err != nil {
		return err
	}
	title := "collab.console.mine.title"
	if available {
		title = "collab.console.available.title"
	}
	v := c.newView(r, title)
	v.Form = r.URL.Query()
	v.Data = collabListPage{Engagements: rows(page.Items), Pager: pageLinks(r, page.NextCursor), Available: available}
	c.render(w, r, http.StatusOK, "collab_list.html", v)
	return nil
}

// engagementHeader is what every page of one engagement shows above its own content:
// the engagement and the tabs the signed-in person may open.
type engagementHeader struct {
	E    collabRow
	Tabs []groupTab
}

// engagementHeaderOf builds the tabs of e's pages, current the path after the
// engagement's address.
func engagementHeaderOf(e *collab.Engagement, current string) engagementHeader {
	base := "/collab/engagements/" + e.ID
	h := engagementHeader{E: collabRow{*e}}
	tabs := []groupTab{{Label: "collab.console.tab.overview", Href: base}}
	if e.CanDownload || e.CanPublish {
		tabs = append(tabs, groupTab{Label: "collab.console.tab.content", Href: base + "/content"})
	}
	if e.FeedbackEnabled && e.CanRead {
		tabs = append(tabs, groupTab{Label: "collab.console.tab.feedback", Href: base + "/feedback"})
	}
	if h.E.MayManageMembers() {
		tabs = append(tabs, groupTab{Label: "collab.console.tab.members", Href: base + "/members"},
			groupTab{Label: "collab.console.tab.requests", Href: base + "/requests"},
			groupTab{Label: "collab.console.tab.copy", Href: base + "/members/copy"})
	}
	for i := range tabs {
		tabs[i].Current = tabs[i].Href == base+current
	}
	h.Tabs = tabs
	return h
}

// loadEngagement reads the engagement of r's path as the signed-in person sees it.
func (c *collabPages) loadEngagement(r *http.Request) (*collab.Engagement, error) {
	return c.svc.Engagement(r.Context(), sessionFrom(r.Context()).P(), r.PathValue("id"))
}

// detailView is the engagement page of e.
func (c *collabPages) detailView(r *http.Request, e *collab.Engagement) *view {
	v := c.newView(r, "collab.console.mine.title")
	v.Title = e.Name
	v.Data = engagementHeaderOf(e, "")
	return v
}

// detail is an engagement's page: its program, description, terms of use and state,
// the caller's groups or pending request, and joining or asking for access for those
// who may.
func (c *collabPages) detail(w http.ResponseWriter, r *http.Request) error {
	e, err := c.loadEngagement(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "collab_engagement.html", c.detailView(r, e))
	return nil
}

// join makes the signed-in person a participant of an open engagement once they
// accept its terms of use.
func (c *collabPages) join(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	e, err := c.svc.Join(r.Context(), sessionFrom(r.Context()).P(), id, r.PostForm.Get("accept_terms") == "1")
	if err != nil {
		return c.detailFailed(w, r, err)
	}
	return c.redirect(w, r, "/collab/engagements/"+id, c.t(r, "collab.console.joined", "Name", e.Name))
}

// request asks for access to an engagement that needs approval, with the terms accepted
// and a justification.
func (c *collabPages) request(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	_, err := c.svc.RequestAccess(r.Context(), sessionFrom(r.Context()).P(), id, r.PostForm.Get("accept_terms") == "1", r.PostForm.Get("justification"))
	if err != nil {
		return c.detailFailed(w, r, err)
	}
	return c.redirect(w, r, "/collab/engagements/"+id, c.t(r, "collab.console.requested"))
}

// detailFailed shows the engagement page again with err beside the join or request
// form's fields, or returns err when it deserves an error page.
func (c *collabPages) detailFailed(w http.ResponseWriter, r *http.Request, err error) error {
	e, gerr := c.loadEngagement(r)
	if gerr != nil {
		return errors.Join(err, gerr)
	}
	v := c.detailView(r, e)
	v.Form = r.PostForm
	if !v.formError(err, "accept_terms", "justification") {
		return err
	}
	c.render(w, r, statusOf(err), "collab_engagement.html", v)
	return nil
}
