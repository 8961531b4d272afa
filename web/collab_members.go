package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/collab"
	"github.com/atrium-admin/atrium/i18n"
)

// collabGroup reads the engagement group a page is about: the form's group on a POST,
// else the address's (participant when neither names one).
func collabGroup(r *http.Request) (collab.Group, error) {
	v := r.URL.Query().Get("group")
	if r.Method == http.MethodPost && r.PostForm.Has("group") {
		v = r.PostForm.Get("group")
	}
	return collab.ParseEngagementGroup(v)
}

// mayChange reports whether the caller of e may add to and remove from group g:
// participants for power users, owners and program owners; the power users and owners
// for the owners only.
func mayChange(e *collab.Engagement, g collab.Group) bool {
	if g == collab.Participant {
		return e.CanManage || e.CanManageParticipants
	}
	return e.CanManage
}

// requireChange refuses the confirmation and dialog pages of changes to group g of e
// as the service refuses the changes themselves: with the forbidden error of the
// action they need.
func requireChange(r *http.Request, e *collab.Engagement, g collab.Group) error {
	if mayChange(e, g) {
		return nil
	}
	a := collab.ManageEngagement
	if g == collab.Participant {
		a = collab.ManageParticipants
	}
	return access.Require(sessionFrom(r.Context()).P(), a, access.Resource{Org: e.Org,
		Scopes: []access.Scope{{Kind: access.ScopeEngagement, ID: e.ID}, {Kind: access.ScopeProgram, ID: e.ProgramID}}})
}

// collabMembersPage is the data of an engagement's membership page.
type collabMembersPage struct {
	engagementHeader
	Group collab.Group
	// GroupLabel is the message ID of the group's name; GroupTabs the groups the caller
	// may open.
	GroupLabel string
	GroupTabs  []groupTab
	Members    []collab.Member
	Pager      pager
	// Base is the page's address with its group; Export the CSV's, Add the add dialog's.
	Base, Export, Add string
	// MayChange says the caller may add to and remove from the group.
	MayChange bool
}

// groupTabs are the tabs of e's groups the caller may open, g's current.
func groupTabs(e *collab.Engagement, g collab.Group) []groupTab {
	base := "/collab/engagements/" + e.ID + "/members?group="
	var tabs []groupTab
	for _, x := range collab.EngagementGroups {
		if x == collab.Owner && !e.CanManage {
			continue
		}
		tabs = append(tabs, groupTab{Label: collabGroupLabels[x], Href: base + string(x), Current: x == g})
	}
	return tabs
}

// members is an engagement's membership page: the members of one of its groups, by
// name, searched by a fragment of the name, username or email, with their
// organization, when they were added and last used the engagement.
func (c *collabPages) members(w http.ResponseWriter, r *http.Request) error {
	g, err := collabGroup(r)
	if err != nil {
		return err
	}
	lq, err := collabListQuery(r)
	if err != nil {
		return err
	}
	p := sessionFrom(r.Context()).P()
	e, err := c.loadEngagement(r)
	if err != nil {
		return err
	}
	page, err := c.svc.Members(r.Context(), p, e.ID, g, collab.MemberQuery{ListQuery: lq, State: r.URL.Query().Get("state")})
	if err != nil {
		return err
	}
	base := "/collab/engagements/" + e.ID + "/members"
	q := url.Values{"group": {string(g)}}.Encode()
	v := c.newView(r, "collab.console.mine.title")
	v.Title = v.T("collab.console.members.title", "Name", e.Name)
	v.Form = r.URL.Query()
	v.Data = collabMembersPage{engagementHeader: engagementHeaderOf(e, "/members"), Group: g, GroupLabel: collabGroupLabels[g],
		GroupTabs: groupTabs(e, g), Members: page.Items, Pager: pageLinks(r, page.NextCursor),
		Base: base + "?" + q, Export: base + "/export?" + q, Add: base + "/add?" + q, MayChange: mayChange(e, g)}
	c.render(w, r, http.StatusOK, "collab_members.html", v)
	return nil
}

// csvDownload sets the CSV headers on the first write, so that an error before any row
// is still an error page.
type csvDownload struct {
	w    http.ResponseWriter
	name string
}

func (d csvDownload) Write(b []byte) (int, error) {
	h := d.w.Header()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="`+d.name+`"`)
		h.Set("Cache-Control", "no-store")
	}
	return d.w.Write(b)
}

// export streams the members of one of an engagement's groups as CSV.
func (c *collabPages) export(w http.ResponseWriter, r *http.Request) error {
	g, err := collabGroup(r)
	if err != nil {
		return err
	}
	return c.svc.ExportMembers(r.Context(), sessionFrom(r.Context()).P(), r.PathValue("id"), g, csvDownload{w: w, name: "engagement-" + string(g) + "s.csv"})
}

// collabCandidate is a user the add dialog found.
type collabCandidate struct {
	collab.Candidate
}

// Selectable reports whether the user can be added: not in the group yet, not refused.
func (c collabCandidate) Selectable() bool { return !c.Member && c.Refused == "" }

// collabAddPage is the data of the add dialog.
type collabAddPage struct {
	engagementHeader
	Group      collab.Group
	GroupLabel string
	Back       string
	// Searched says a search ran; Result is what it found.
	Searched   bool
	Result     *collab.CandidateResult
	Candidates []collabCandidate
	// Selectable counts the candidates that can be added.
	Selectable int
}

// addLimit is how many users the add dialog shows (and "Add all shown" adds) at most.
const addLimit = 100

// addView loads the add dialog for group g with the search q (none when q is empty).
func (c *collabPages) addView(r *http.Request, g collab.Group, q string) (*view, error) {
	e, err := c.loadEngagement(r)
	if err != nil {
		return nil, err
	}
	if err := requireChange(r, e, g); err != nil {
		return nil, err
	}
	v := c.newView(r, "collab.console.mine.title")
	v.Title = v.T("collab.console.add.title", "Group", v.T(collabGroupLabels[g]), "Name", e.Name)
	v.Form = url.Values{"q": {q}, "group": {string(g)}}
	d := collabAddPage{engagementHeader: engagementHeaderOf(e, "/members"), Group: g, GroupLabel: collabGroupLabels[g],
		Back: "/collab/engagements/" + e.ID + "/members?group=" + string(g)}
	if q != "" {
		res, err := c.svc.Candidates(r.Context(), sessionFrom(r.Context()).P(), e.ID, g, collab.CandidateQuery{Q: q, Limit: addLimit})
		if err != nil {
			if !v.formError(err, "q") {
				return nil, err
			}
		} else {
			d.Searched, d.Result = true, res
			for _, cand := range res.Items {
				cc := collabCandidate{cand}
				d.Candidates = append(d.Candidates, cc)
				if cc.Selectable() {
					d.Selectable++
				}
			}
		}
	}
	v.Data = d
	return v, nil
}

// addForm is the add dialog: a search for users by a fragment of their name, username
// or email, the users found with a checkbox each, and whether to mail them.
func (c *collabPages) addForm(w http.ResponseWriter, r *http.Request) error {
	g, err := collabGroup(r)
	if err != nil {
		return err
	}
	v, err := c.addView(r, g, strings.TrimSpace(r.URL.Query().Get("q")))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if v.Error != "" {
		status = http.StatusBadRequest
	}
	c.render(w, r, status, "collab_add.html", v)
	return nil
}

// collabAddedPage is what adding did, user by user.
type collabAddedPage struct {
	engagementHeader
	GroupLabel string
	Results    []collab.AddResult
	Added      int
	Back       string
}

// add adds the users picked in the add dialog (user_id), or all it showed (all=1), to
// the group, mailing them with invite=1, and shows what it did for each.
func (c *collabPages) add(w http.ResponseWriter, r *http.Request) error {
	g, err := collabGroup(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	picked := f["user_id"]
	if f.Get("all") == "1" {
		picked = append(picked, f["shown_id"]...)
	}
	var ids []atrium.UserID
	for _, u := range picked {
		if u != "" && !slices.Contains(ids, atrium.UserID(u)) {
			ids = append(ids, atrium.UserID(u))
		}
	}
	id := r.PathValue("id")
	res, err := c.svc.AddMembers(r.Context(), sessionFrom(r.Context()).P(), id, g, ids, f.Get("invite") == "1")
	if err != nil {
		v, verr := c.addView(r, g, strings.TrimSpace(f.Get("q")))
		if verr != nil {
			return errors.Join(err, verr)
		}
		v.Form.Set("invite", f.Get("invite"))
		if !v.formError(err, "user_ids") {
			return err
		}
		c.render(w, r, statusOf(err), "collab_add.html", v)
		return nil
	}
	e, err := c.loadEngagement(r)
	if err != nil {
		return err
	}
	d := collabAddedPage{engagementHeader: engagementHeaderOf(e, "/members"), GroupLabel: collabGroupLabels[g], Results: res,
		Back: "/collab/engagements/" + id + "/members?group=" + string(g)}
	for _, x := range res {
		if x.Status == collab.Added {
			d.Added++
		}
	}
	v := c.newView(r, "collab.console.mine.title")
	v.Title = v.T("collab.console.added.title", "Group", v.T(collabGroupLabels[g]), "Name", e.Name)
	v.Data = d
	c.render(w, r, http.StatusOK, "collab_added.html", v)
	return nil
}

// removeTarget reads the engagement, the group and the user of r.
func (c *collabPages) removeTarget(r *http.Request) (*collab.Engagement, collab.Group, string, error) {
	g, err := collabGroup(r)
	if err != nil {
		return nil, "", "", err
	}
	e, err := c.loadEngagement(r)
	if err != nil {
		return nil, "", "", err
	}
	if err := requireChange(r, e, g); err != nil {
		return nil, "", "", err
	}
	user := atrium.UserID(r.PathValue("user"))
	name := string(user)
	cards, err := c.Directory.CardsAnywhere(r.Context(), c.DB.Read(), []atrium.UserID{user})
	if err != nil {
		return nil, "", "", err
	}
	if len(cards) > 0 {
		name = cards[0].DisplayName
	}
	return e, g, name, nil
}

func (c *collabPages) removePage(r *http.Request, e *collab.Engagement, g collab.Group, name string) confirmPage {
	base := "/collab/engagements/" + e.ID + "/members"
	p := c.t
	return confirmPage{Heading: p(r, "collab.console.member.remove.heading", "User", name, "Group", p(r, collabGroupLabels[g]), "Name", e.Name),
		Message: p(r, "collab.console.member.remove.message"),
		Action:  base + "/" + r.PathValue("user") + "/remove", Button: p(r, "collab.console.member.remove.button"),
		Cancel: base + "?group=" + string(g), Hidden: [][2]string{{"group", string(g)}}}
}

// removeConfirm asks before taking a user out of one of an engagement's groups.
func (c *collabPages) removeConfirm(w http.ResponseWriter, r *http.Request) error {
	e, g, name, err := c.removeTarget(r)
	if err != nil {
		return err
	}
	return c.confirm(w, r, c.removePage(r, e, g, name), http.StatusOK, "")
}

// remove takes a user out of one of an engagement's groups after confirmation; their
// account and other memberships stay.
func (c *collabPages) remove(w http.ResponseWriter, r *http.Request) error {
	e, g, name, err := c.removeTarget(r)
	if err != nil {
		return err
	}
	if err := c.svc.RemoveMember(r.Context(), sessionFrom(r.Context()).P(), e.ID, g, atrium.UserID(r.PathValue("user"))); err != nil {
		switch atrium.ErrorCode(err) {
		case atrium.CodeConflict, atrium.CodeInvalid, atrium.CodePreconditionFailed:
			return c.confirm(w, r, c.removePage(r, e, g, name), statusOf(err), messageIn(i18n.For(c.lang(r)), err))
		}
		return err
	}
	return c.redirect(w, r, "/collab/engagements/"+e.ID+"/members?group="+string(g), c.t(r, "collab.console.member.removed", "User", name))
}

// collabCopyPage is the data of the copy page.
type collabCopyPage struct {
	engagementHeader
	// Sources are the engagements the caller may copy from (the first 200 by name).
	Sources []collab.Engagement
	From    string
	// Candidates are the participants of From, a page at a time.
	Candidates []collabCandidate
	Selectable int
	Pager      pager
}

// copyView loads the copy page for source engagement from (none when empty).
func (c *collabPages) copyView(r *http.Request, from string, lq collab.ListQuery) (*view, error) {
	p := sessionFrom(r.Context()).P()
	e, err := c.loadEngagement(r)
	if err != nil {
		return nil, err
	}
	if err := requireChange(r, e, collab.Participant); err != nil {
		return nil, err
	}
	mine, err := c.svc.Engagements(r.Context(), p, collab.EngagementQuery{ListQuery: collab.ListQuery{Limit: collab.MaxLimit}})
	if err != nil {
		return nil, err
	}
	v := c.newView(r, "collab.console.mine.title")
	v.Title = v.T("collab.console.copy.title", "Name", e.Name)
	v.Form = url.Values{"from": {from}}
	d := collabCopyPage{engagementHeader: engagementHeaderOf(e, "/members/copy"), From: from}
	for _, x := range mine.Items {
		if x.ID != e.ID && x.CanRead {
			d.Sources = append(d.Sources, x)
		}
	}
	if from != "" {
		page, err := c.svc.CopyCandidates(r.Context(), p, e.ID, from, collab.MemberQuery{ListQuery: lq, Sort: collab.SortName})
		if err != nil {
			if !v.formError(renameField(err, "from_engagement_id", "from"), "from") {
				return nil, err
			}
		} else {
			for _, cand := range page.Items {
				cc := collabCandidate{cand}
				d.Candidates = append(d.Candidates, cc)
				if cc.Selectable() {
					d.Selectable++
				}
			}
			d.Pager = pageLinks(r, page.NextCursor)
		}
	}
	v.Data = d
	return v, nil
}

// copyForm is the copy page: pick one of the caller's other engagements, see its
// participants (marked when they are here already or cannot be added) and copy them.
func (c *collabPages) copyForm(w http.ResponseWriter, r *http.Request) error {
	lq, err := collabListQuery(r)
	if err != nil {
		return err
	}
	v, err := c.copyView(r, strings.TrimSpace(r.URL.Query().Get("from")), lq)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if v.Error != "" {
		status = http.StatusBadRequest
	}
	c.render(w, r, status, "collab_copy.html", v)
	return nil
}

// copy copies the participants picked (user_id), or all of them (all=1), of the source
// engagement as participants.
func (c *collabPages) copy(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	from := strings.TrimSpace(f.Get("from"))
	var ids []atrium.UserID
	for _, u := range f["user_id"] {
		if u != "" {
			ids = append(ids, atrium.UserID(u))
		}
	}
	id := r.PathValue("id")
	res, err := c.svc.CopyMembers(r.Context(), sessionFrom(r.Context()).P(), id, from, ids, f.Get("all") == "1")
	if err != nil {
		v, verr := c.copyView(r, from, collab.ListQuery{})
		if verr != nil {
			return errors.Join(err, verr)
		}
		if !v.formError(renameField(err, "from_engagement_id", "from"), "from", "user_ids") {
			return err
		}
		c.render(w, r, statusOf(err), "collab_copy.html", v)
		return nil
	}
	msg := c.t(r, "collab.console.copied", "Added", res.Added, "Already", res.Already, "Failed", len(res.Failed))
	return c.redirect(w, r, "/collab/engagements/"+id+"/members?group=participant", msg)
}
