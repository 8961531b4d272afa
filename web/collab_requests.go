package web

import (
	"errors"
	"net/http"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/collab"
)

// collabRequestsPage is the data of an engagement's access requests.
type collabRequestsPage struct {
	engagementHeader
	Requests []collab.AccessRequest
	Pager    pager
}

// requestsView loads the pending access requests of r's engagement, oldest first: all
// of them for its owners, their own organization's for power users.
func (c *collabPages) requestsView(r *http.Request) (*view, error) {
	lq, err := collabListQuery(r)
	if err != nil {
		return nil, err
	}
	e, err := c.loadEngagement(r)
	if err != nil {
		return nil, err
	}
	page, err := c.svc.AccessRequests(r.Context(), sessionFrom(r.Context()).P(), e.ID, collab.RequestQuery{ListQuery: lq})
	if err != nil {
		return nil, err
	}
	v := c.newView(r, "collab.console.mine.title")
	v.Title = v.T("collab.console.requests.title", "Name", e.Name)
	v.Data = collabRequestsPage{engagementHeader: engagementHeaderOf(e, "/requests"), Requests: page.Items, Pager: pageLinks(r, page.NextCursor)}
	return v, nil
}

// requests is an engagement's queue of pending access requests, to approve or deny.
func (c *collabPages) requests(w http.ResponseWriter, r *http.Request) error {
	v, err := c.requestsView(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "collab_requests.html", v)
	return nil
}

// decide approves or denies an access request, with an optional message the requester
// is mailed.
func (c *collabPages) decide(w http.ResponseWriter, r *http.Request) error {
	verb := r.PathValue("verb")
	if verb != "approve" && verb != "deny" {
		return atrium.Errorf(atrium.CodeNotFound, "there is no page at this address")
	}
	id := r.PathValue("id")
	req, err := c.svc.Decide(r.Context(), sessionFrom(r.Context()).P(), id, r.PathValue("rid"), verb == "approve", r.PostForm.Get("message"))
	if err != nil {
		v, verr := c.requestsView(r)
		if verr != nil {
			return errors.Join(err, verr)
		}
		if !v.formError(err) {
			return err
		}
		c.render(w, r, statusOf(err), "collab_requests.html", v)
		return nil
	}
	msg := "collab.console.request.denied"
	if verb == "approve" {
		msg = "collab.console.request.approved"
	}
	return c.redirect(w, r, "/collab/engagements/"+id+"/requests", c.t(r, msg, "User", req.DisplayName))
}
