package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/groups"
	"github.com/atrium-admin/atrium/i18n"
)

// Groups is the groups module's console pages, under Teams & groups: the active, own and
// deleted groups, a new group, and a group's general settings, members and owners,
// join requests and conversations (groups_conv.go). Every decision is the service's:
// a page shows what the service let it read, and the service's forbidden and not found
// become the console's error pages.
func Groups(svc *groups.Service) Module {
	return func(c *console) {
		p := &groupPages{console: c, svc: svc}
		// Everyone in the organization sees its groups; owners restore their own.
		users := func(_ *http.Request, s *session) bool { return s.ID.Principal.UserID != "" }
		c.nav(navEntry{Section: sectionTeams, Label: "groups.console.nav.active", Href: "/groups", Show: users})
		c.nav(navEntry{Section: sectionTeams, Label: "groups.console.nav.deleted", Href: "/deleted-groups", Show: users})
		c.nav(navEntry{Section: sectionTeams, Label: "groups.console.nav.settings", Href: "/group-settings",
			Show: func(_ *http.Request, s *session) bool { return s.Can(access.OrgUpdate) }})
		c.page("GET /group-settings", p.settings)
		c.page("POST /group-settings", p.putSettings)
		c.page("POST /groups/{id}/following", p.setFollowing)
		c.page("GET /groups", p.list)
		c.page("GET /groups/mine", p.mine)
		c.page("GET /groups/new", p.newForm)
		c.page("POST /groups/new", p.create)
		c.page("GET /deleted-groups", p.deleted)
		c.page("POST /deleted-groups/{id}/restore", p.restore)
		c.page("GET /groups/{id}", p.detail)
		c.page("POST /groups/{id}", p.update)
		c.page("GET /groups/{id}/delete", p.deleteConfirm)
		c.page("POST /groups/{id}/delete", p.delete)
		c.page("POST /groups/{id}/join", p.join)
		c.page("GET /groups/{id}/members", p.members)
		c.page("POST /groups/{id}/members", p.addMembers)
		c.page("POST /groups/{id}/members/import", p.importMembers)
		c.page("GET /groups/{id}/members/{user}/remove", p.removeConfirm(false))
		c.page("POST /groups/{id}/members/{user}/remove", p.remove(false))
		c.page("GET /groups/{id}/owners/{user}/remove", p.removeConfirm(true))
		c.page("POST /groups/{id}/owners/{user}/remove", p.remove(true))
		c.page("GET /groups/{id}/requests", p.requests)
		c.page("POST /groups/{id}/requests/{rid}/{verb}", p.decide)
		c.page("GET /groups/{id}/conversations", p.threads)
		// A post may carry one attachment of up to the configured size.
		upload := maxFormBytes(svc.MaxAttachment() + 1<<20)
		c.page("POST /groups/{id}/conversations", p.createThread, upload)
		c.page("GET /groups/{id}/conversations/{tid}", p.thread)
		c.page("POST /groups/{id}/conversations/{tid}", p.reply, upload)
		c.page("POST /groups/{id}/conversations/{tid}/lock", p.setLocked)
		c.page("GET /groups/{id}/conversations/{tid}/posts/{pid}/delete", p.deletePostConfirm)
		c.page("POST /groups/{id}/conversations/{tid}/posts/{pid}/delete", p.deletePost)
		c.page("GET /groups/{id}/conversations/{tid}/posts/{pid}/attachments/{aid}", p.attachment)
	}
}

// groupPages serves the group pages with the groups service.
type groupPages struct {
	*console
	svc *groups.Service
}

// groupListPage is the data of the active, own and deleted group lists.
type groupListPage struct {
	Groups []groups.Group
	Pager  pager
	// Mine says the list is the signed-in user's own groups.
	Mine bool
	// RestoreDays is how long a deleted group can be restored.
	RestoreDays int
}

// listQuery reads the search, cursor and page size of a list page.
func listQuery(r *http.Request) (groups.ListQuery, error) {
	limit, err := listLimit(r)
	if err != nil {
		return groups.ListQuery{}, err
	}
	q := r.URL.Query()
	return groups.ListQuery{Q: strings.TrimSpace(q.Get("q")), Cursor: q.Get("cursor"), Limit: limit}, nil
}

// list is Teams & groups > Active groups: every group of the organization, by name,
// searched by a fragment of its name, nickname or description.
func (c *groupPages) list(w http.ResponseWriter, r *http.Request) error {
	return c.listPage(w, r, false)
}

// mine is the groups the signed-in user is a member or owner of.
func (c *groupPages) mine(w http.ResponseWriter, r *http.Request) error {
	return c.listPage(w, r, true)
}

func (c *groupPages) listPage(w http.ResponseWriter, r *http.Request, mine bool) error {
	s := sessionFrom(r.Context())
	lq, err := listQuery(r)
	if err != nil {
		return err
	}
	var page groups.Page[groups.Group]
	title := "groups.console.nav.active"
	if mine {
		title = "groups.console.mine.title"
		page, err = c.svc.Mine(r.Context(), s.P(), lq)
	} else {
		page, err = c.svc.List(r.Context(), s.P(), lq)
	}
	if err != nil {
		return err
	}
	v := c.newView(r, title)
	v.Form = r.URL.Query()
	v.Data = groupListPage{Groups: page.Items, Pager: pageLinks(r, page.NextCursor), Mine: mine}
	c.render(w, r, http.StatusOK, "groups_list.html", v)
	return nil
}

// deleted is Teams & groups > Deleted groups: the deleted groups the signed-in person
// may restore, most recently deleted first.
func (c *groupPages) deleted(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	lq, err := listQuery(r)
	if err != nil {
		return err
	}
	page, err := c.svc.Deleted(r.Context(), s.P(), lq)
	if err != nil {
		return err
	}
	v := c.newView(r, "groups.console.nav.deleted")
	v.Data = groupListPage{Groups: page.Items, Pager: pageLinks(r, page.NextCursor), RestoreDays: int(groups.RestoreWindow.Hours() / 24)}
	c.render(w, r, http.StatusOK, "groups_deleted.html", v)
	return nil
}

// restore brings a deleted group back with its members and conversations.
func (c *groupPages) restore(w http.ResponseWriter, r *http.Request) error {
	g, err := c.svc.Restore(r.Context(), sessionFrom(r.Context()).P(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return c.redirect(w, r, "/groups/"+g.ID, c.t(r, "groups.console.restored", "Name", g.Name))
}

// groupFields are the fields of the new group and general forms.
var groupFields = []string{"name", "description", "mail_nickname", "visibility", "owners", "classification"}

func (c *groupPages) newForm(w http.ResponseWriter, r *http.Request) error {
	v := c.newView(r, "groups.console.new.title")
	v.Form = url.Values{"visibility": {string(groups.Private)}}
	c.render(w, r, http.StatusOK, "groups_new.html", v)
	return nil
}

// splitNames reads a list of usernames: separated by commas, semicolons or spaces.
func splitNames(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
}

// qualify gives a bare username (mia) the organization's domain, as the sign-in page
// and the user form do; a full username stays as it is.
func qualify(s *session, names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !strings.Contains(n, "@") && s.Org != nil && s.Org.InitialDomain != "" {
			n += "@" + s.Org.InitialDomain
		}
		out = append(out, n)
	}
	return out
}

// create creates a group from the form; the owners are named by username (the creator
// when none are).
func (c *groupPages) create(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	f := r.PostForm
	in := groups.Input{Name: f.Get("name"), Description: f.Get("description"), MailNickname: f.Get("mail_nickname"),
		Visibility: groups.Visibility(f.Get("visibility"))}
	fail := func(err error) error {
		v := c.newView(r, "groups.console.new.title")
		v.Form = f
		if !v.formError(renameField(err, "owner_ids", "owners"), groupFields...) {
			return err
		}
		c.render(w, r, statusOf(err), "groups_new.html", v)
		return nil
	}
	if names := splitNames(f.Get("owners")); len(names) > 0 {
		ids, unknown, err := c.userIDs(r, s, names)
		if err != nil {
			return err
		}
		if len(unknown) > 0 {
			v := c.newView(r, "groups.console.new.title")
			v.Form = f
			v.Errors["owners"] = v.T("groups.console.owners.unknown", "Names", strings.Join(unknown, ", "))
			v.Error = v.T("form.correct_fields")
			c.render(w, r, http.StatusBadRequest, "groups_new.html", v)
			return nil
		}
		in.OwnerIDs = ids
	}
	g, err := c.svc.Create(r.Context(), s.P(), in)
	if err != nil {
		return fail(err)
	}
	return c.redirect(w, r, "/groups/"+g.ID, c.t(r, "groups.console.created", "Name", g.Name))
}

// userIDs finds the active users of the organization by username; unknown are the
// names no user has.
func (c *groupPages) userIDs(r *http.Request, s *session, names []string) (ids []atrium.UserID, unknown []string, err error) {
	full := qualify(s, names)
	cards, err := c.Directory.CardsByUsername(r.Context(), c.DB.Read(), s.ID.Principal.Org, full)
	if err != nil {
		return nil, nil, err
	}
	found := map[string]atrium.UserID{}
	for _, card := range cards {
		found[strings.ToLower(card.Username)] = card.ID
	}
	for i, n := range full {
		if id, ok := found[strings.ToLower(n)]; ok {
			ids = append(ids, id)
		} else {
			unknown = append(unknown, names[i])
		}
	}
	return ids, unknown, nil
}

// groupTab is one tab of a group's pages.
type groupTab struct {
	Label, Href string
	Current     bool
}

// groupHeader is what every page of one group shows above its own content: the group
// and the tabs the signed-in person may open.
type groupHeader struct {
	Group *groups.Group
	Tabs  []groupTab
}

// IsPrivate reports whether the group is private.
func (h groupHeader) IsPrivate() bool { return h.Group.Visibility == groups.Private }

// IsMember reports whether the signed-in person is a member (or owner) of the group.
func (h groupHeader) IsMember() bool { return h.Group.Membership != groups.NotMember }

// IsOwner reports whether the signed-in person owns the group.
func (h groupHeader) IsOwner() bool { return h.Group.Membership == groups.AsOwner }

// loadGroup reads the group of r's path as the signed-in person sees it.
func (c *groupPages) loadGroup(r *http.Request) (*groups.Group, error) {
	return c.svc.Get(r.Context(), sessionFrom(r.Context()).P(), r.PathValue("id"))
}

// mayManage refuses the confirmation pages of changes only g's managers make, as the
// service refuses the changes themselves: with the forbidden error of groups.manage.
func mayManage(r *http.Request, g *groups.Group) error {
	if g.CanManage {
		return nil
	}
	return access.Require(sessionFrom(r.Context()).P(), groups.Manage, access.Resource{Org: g.Org})
}

// header builds the tabs of g's pages, tab current.
func header(g *groups.Group, current string) groupHeader {
	base := "/groups/" + g.ID
	tabs := []groupTab{{Label: "groups.console.tab.general", Href: base}}
	if g.CanRead {
		tabs = append(tabs, groupTab{Label: "groups.console.tab.members", Href: base + "/members"})
	}
	if g.CanManage && g.Visibility == groups.Private {
		tabs = append(tabs, groupTab{Label: "groups.console.tab.requests", Href: base + "/requests"})
	}
	if g.CanRead {
		tabs = append(tabs, groupTab{Label: "groups.console.tab.conversations", Href: base + "/conversations"})
	}
	for i := range tabs {
		tabs[i].Current = tabs[i].Href == base+current
	}
	return groupHeader{Group: g, Tabs: tabs}
}

// groupDetailPage is the data of a group's general page.
type groupDetailPage struct {
	groupHeader
	// Following says the signed-in member gets the group's mail.
	Following bool
	// Classifications are the labels the organization lets a group carry.
	Classifications []string
}

// detailPage is the data of g's general page for r's signed-in person.
func (c *groupPages) detailPage(r *http.Request, g *groups.Group) (groupDetailPage, error) {
	s := sessionFrom(r.Context())
	d := groupDetailPage{groupHeader: header(g, "")}
	var err error
	if d.IsMember() {
		if d.Following, err = c.svc.Following(r.Context(), s.P(), g.ID); err != nil {
			return d, err
		}
	}
	if g.CanManage {
		st, err := c.svc.Settings(r.Context(), s.P())
		if err != nil {
			return d, err
		}
		d.Classifications = st.Classifications
	}
	return d, nil
}

// setFollowing turns the signed-in member's group mail on (following=1) or off.
func (c *groupPages) setFollowing(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	id := r.PathValue("id")
	on := r.PostForm.Get("following") == "1"
	if err := c.svc.SetFollowing(r.Context(), s.P(), id, on); err != nil {
		return err
	}
	msg := "groups.console.following.off"
	if on {
		msg = "groups.console.following.on"
	}
	return c.redirect(w, r, "/groups/"+id, c.t(r, msg))
}

// groupSettingsPage is the data of the organization's group settings.
type groupSettingsPage struct {
	// Groups are the groups the creators' group may be chosen from (the first 200 by
	// name).
	Groups []groups.Group
}

// settingsView is the group settings page with form f.
func (c *groupPages) settingsView(r *http.Request, f url.Values) (*view, error) {
	s := sessionFrom(r.Context())
	if err := access.Require(s.P(), access.OrgUpdate, access.Resource{Org: s.Org.ID}); err != nil {
		return nil, err
	}
	list, err := c.svc.List(r.Context(), s.P(), groups.ListQuery{Limit: groups.MaxLimit})
	if err != nil {
		return nil, err
	}
	v := c.newView(r, "groups.console.nav.settings")
	v.Form = f
	v.Data = groupSettingsPage{Groups: list.Items}
	return v, nil
}

// settings shows who may create groups and the labels groups may carry.
func (c *groupPages) settings(w http.ResponseWriter, r *http.Request) error {
	st, err := c.svc.Settings(r.Context(), sessionFrom(r.Context()).P())
	if err != nil {
		return err
	}
	v, err := c.settingsView(r, url.Values{"creators_group_id": {st.CreatorsGroupID}, "classifications": {strings.Join(st.Classifications, "\n")}})
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "groups_settings.html", v)
	return nil
}

// putSettings saves the group settings: the creators' group and the classification
// labels, one a line.
func (c *groupPages) putSettings(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	labels := []string{}
	for l := range strings.SplitSeq(f.Get("classifications"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			labels = append(labels, l)
		}
	}
	_, err := c.svc.PutSettings(r.Context(), sessionFrom(r.Context()).P(), groups.Settings{CreatorsGroupID: f.Get("creators_group_id"), Classifications: labels})
	if err != nil {
		v, verr := c.settingsView(r, f)
		if verr != nil {
			return errors.Join(err, verr)
		}
		if !v.formError(err, "creators_group_id", "classifications") {
			return err
		}
		c.render(w, r, statusOf(err), "groups_settings.html", v)
		return nil
	}
	return c.redirect(w, r, "/group-settings", c.t(r, "groups.console.settings.saved"))
}

// groupForm is the general form's fields as g has them.
func groupForm(g *groups.Group) url.Values {
	return url.Values{"name": {g.Name}, "description": {g.Description}, "mail_nickname": {g.MailNickname}, "visibility": {string(g.Visibility)},
		"classification": {g.Classification}}
}

// detail is a group's general page: its settings (a form for those who may change
// them), joining or asking to join, group mail for members, and deletion.
func (c *groupPages) detail(w http.ResponseWriter, r *http.Request) error {
	g, err := c.loadGroup(r)
	if err != nil {
		return err
	}
	d, err := c.detailPage(r, g)
	if err != nil {
		return err
	}
	v := c.newView(r, "groups.console.nav.active")
	v.Title = g.Name
	v.Form = groupForm(g)
	v.Data = d
	c.render(w, r, http.StatusOK, "groups_detail.html", v)
	return nil
}

// update changes a group's name, description, nickname and visibility.
func (c *groupPages) update(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	f := r.PostForm
	name, desc, nick := f.Get("name"), f.Get("description"), f.Get("mail_nickname")
	vis := groups.Visibility(f.Get("visibility"))
	patch := groups.Patch{Name: &name, Description: &desc, MailNickname: &nick, Visibility: &vis}
	if _, ok := f["classification"]; ok {
		label := f.Get("classification")
		patch.Classification = &label
	}
	g, err := c.svc.Update(r.Context(), s.P(), r.PathValue("id"), patch)
	if err != nil {
		cur, gerr := c.loadGroup(r)
		if gerr != nil {
			return errors.Join(err, gerr)
		}
		v := c.newView(r, "groups.console.nav.active")
		v.Title = cur.Name
		v.Form = f
		if !v.formError(err, groupFields...) {
			return err
		}
		d, derr := c.detailPage(r, cur)
		if derr != nil {
			return errors.Join(err, derr)
		}
		v.Data = d
		c.render(w, r, statusOf(err), "groups_detail.html", v)
		return nil
	}
	return c.redirect(w, r, "/groups/"+g.ID, c.t(r, "groups.console.updated", "Name", g.Name))
}

func (c *groupPages) deletePage(r *http.Request, g *groups.Group) confirmPage {
	return confirmPage{Heading: c.t(r, "groups.console.delete.heading", "Name", g.Name),
		Message: c.t(r, "groups.console.delete.message", "Count", int(groups.RestoreWindow.Hours()/24)),
		Action:  "/groups/" + g.ID + "/delete", Button: c.t(r, "groups.console.delete.button"), Cancel: "/groups/" + g.ID}
}

func (c *groupPages) deleteConfirm(w http.ResponseWriter, r *http.Request) error {
	g, err := c.loadGroup(r)
	if err != nil {
		return err
	}
	if err := mayManage(r, g); err != nil {
		return err
	}
	return c.confirm(w, r, c.deletePage(r, g), http.StatusOK, "")
}

// delete deletes a group after confirmation; Deleted groups can restore it.
func (c *groupPages) delete(w http.ResponseWriter, r *http.Request) error {
	g, err := c.loadGroup(r)
	if err != nil {
		return err
	}
	if err := c.svc.Delete(r.Context(), sessionFrom(r.Context()).P(), g.ID); err != nil {
		var e *atrium.Error
		if errors.As(err, &e) && e.Code == atrium.CodeConflict {
			return c.confirm(w, r, c.deletePage(r, g), statusOf(err), messageIn(i18n.For(c.lang(r)), err))
		}
		return err
	}
	return c.redirect(w, r, "/groups", c.t(r, "groups.console.deleted", "Name", g.Name))
}

// join makes the signed-in person a member of a public group, or asks a private
// group's owners.
func (c *groupPages) join(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	res, err := c.svc.Join(r.Context(), sessionFrom(r.Context()).P(), id, r.PostForm.Get("message"))
	if err != nil {
		g, gerr := c.loadGroup(r)
		if gerr != nil {
			return errors.Join(err, gerr)
		}
		v := c.newView(r, "groups.console.nav.active")
		v.Title = g.Name
		v.Form = groupForm(g)
		v.Form.Set("message", r.PostForm.Get("message"))
		if !v.formError(err, "message") {
			return err
		}
		v.Data = groupDetailPage{groupHeader: header(g, "")}
		c.render(w, r, statusOf(err), "groups_detail.html", v)
		return nil
	}
	msg := "groups.console.join.requested"
	if res.Joined {
		msg = "groups.console.join.joined"
	}
	return c.redirect(w, r, "/groups/"+id, c.t(r, msg))
}

// groupMembersPage is the data of a group's members and owners.
type groupMembersPage struct {
	groupHeader
	Members []groups.Member
	Pager   pager
	// Find is the name fragment searched for users to add; Found the users of the
	// organization it found (members among them are reported as already there when
	// added); FindForbidden says the signed-in person may not search
	// the directory (they add by username).
	Find          string
	Found         []directory.User
	Searched      bool
	FindForbidden bool
	// ExportMembers and ExportOwners are the API's CSV exports.
	ExportMembers, ExportOwners string
}

// membersView loads a group's members page for r's search (q), page (cursor) and user
// search (find).
func (c *groupPages) membersView(r *http.Request) (*view, error) {
	s := sessionFrom(r.Context())
	g, err := c.loadGroup(r)
	if err != nil {
		return nil, err
	}
	lq, err := listQuery(r)
	if err != nil {
		return nil, err
	}
	page, err := c.svc.Members(r.Context(), s.P(), g.ID, false, lq)
	if err != nil {
		return nil, err
	}
	d := groupMembersPage{groupHeader: header(g, "/members"), Members: page.Items, Pager: pageLinks(r, page.NextCursor),
		Find:          strings.TrimSpace(r.URL.Query().Get("find")),
		ExportMembers: "/api/v1/groups/" + g.ID + "/members/export", ExportOwners: "/api/v1/groups/" + g.ID + "/owners/export"}
	if g.CanManage && d.Find != "" {
		d.Searched = true
		found, err := c.Directory.ListUsers(r.Context(), s.P(), directory.UserQuery{Q: d.Find, Limit: 20})
		switch {
		case atrium.ErrorCode(err) == atrium.CodeForbidden:
			d.FindForbidden = true
		case err != nil:
			return nil, err
		default:
			d.Found = found.Items
		}
	}
	v := c.newView(r, "groups.console.nav.active")
	v.Title = v.T("groups.console.members.title", "Name", g.Name)
	v.Form = r.URL.Query()
	v.Data = d
	return v, nil
}

func (c *groupPages) members(w http.ResponseWriter, r *http.Request) error {
	v, err := c.membersView(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "groups_members.html", v)
	return nil
}

// addMembers adds the users picked from the search (user_id) and those named by
// username (usernames), as members or, with role=owner, as owners.
func (c *groupPages) addMembers(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	id := r.PathValue("id")
	f := r.PostForm
	owners := f.Get("role") == string(groups.AsOwner)
	picked := f["user_id"]
	if f.Get("all_found") == "1" {
		picked = append(picked, f["found_id"]...) // "Select all" of the search's results
	}
	var ids []atrium.UserID
	for _, u := range picked {
		if u != "" && !slices.Contains(ids, atrium.UserID(u)) {
			ids = append(ids, atrium.UserID(u))
		}
	}
	names := splitNames(f.Get("usernames"))
	var results []groups.AddResult
	var err error
	if len(ids) == 0 && len(names) == 0 {
		err = atrium.FieldError("usernames", "is required")
	}
	if err == nil && len(names) > 0 {
		full := qualify(s, names)
		if owners {
			var unknown []string
			var more []atrium.UserID
			more, unknown, err = c.userIDs(r, s, names)
			ids = append(ids, more...)
			for _, n := range unknown {
				results = append(results, groups.AddResult{Username: n, Status: groups.Failed, Error: "no active user of your organization has this username"})
			}
		} else {
			var res []groups.AddResult
			res, err = c.svc.AddMembersByUsername(r.Context(), s.P(), id, full)
			results = append(results, res...)
		}
	}
	if err == nil && len(ids) > 0 {
		var res []groups.AddResult
		if owners {
			res, err = c.svc.AddOwners(r.Context(), s.P(), id, ids)
		} else {
			res, err = c.svc.AddMembers(r.Context(), s.P(), id, ids)
		}
		results = append(results, res...)
	}
	if err != nil {
		v, verr := c.membersView(r)
		if verr != nil {
			return errors.Join(err, verr)
		}
		v.Form.Set("usernames", f.Get("usernames"))
		v.Form.Set("role", f.Get("role"))
		if !v.formError(renameField(err, "user_ids", "usernames"), "usernames") {
			return err
		}
		c.render(w, r, statusOf(err), "groups_members.html", v)
		return nil
	}
	return c.redirect(w, r, "/groups/"+id+"/members", c.addedMessage(r, results))
}

// importMembers adds the users a CSV of usernames names (the first column of each
// row, a header row named username skipped) as members.
func (c *groupPages) importMembers(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	id := r.PathValue("id")
	var results []groups.AddResult
	file, _, err := r.FormFile("file")
	if err != nil {
		err = atrium.FieldError("file", "is required")
	} else {
		defer file.Close()
		var names []string
		if names, err = groups.ReadUsernames(file); err == nil && len(names) == 0 {
			err = atrium.FieldError("file", "is required")
		}
		if err == nil {
			results, err = c.svc.AddMembersByUsername(r.Context(), s.P(), id, qualify(s, names))
		}
	}
	if err != nil {
		v, verr := c.membersView(r)
		if verr != nil {
			return errors.Join(err, verr)
		}
		if !v.formError(err, "file") {
			return err
		}
		c.render(w, r, statusOf(err), "groups_members.html", v)
		return nil
	}
	return c.redirect(w, r, "/groups/"+id+"/members", c.addedMessage(r, results))
}

// addedMessage says what adding did: how many were added, already there and not
// added, naming the ones that failed (as many as a flash message holds).
func (c *groupPages) addedMessage(r *http.Request, results []groups.AddResult) string {
	p := i18n.For(c.lang(r))
	var added, already int
	var failed []string
	for _, res := range results {
		switch res.Status {
		case groups.Added:
			added++
		case groups.Already:
			already++
		default:
			who := res.Username
			if who == "" {
				who = string(res.UserID)
			}
			failed = append(failed, fmt.Sprintf("%s (%s)", who, p.Text(res.Error)))
		}
	}
	msg := p.T("groups.console.added", "Added", added, "Already", already, "Failed", len(failed))
	for _, f := range failed {
		if len(msg)+len(f)+2 > 280 {
			break
		}
		msg += " " + f
	}
	return msg
}

// removeTarget reads the group and the user of r's path.
func (c *groupPages) removeTarget(r *http.Request) (*groups.Group, directory.Card, error) {
	g, err := c.loadGroup(r)
	if err != nil {
		return nil, directory.Card{}, err
	}
	cards, err := c.Directory.Cards(r.Context(), c.DB.Read(), g.Org, []atrium.UserID{atrium.UserID(r.PathValue("user"))})
	if err != nil {
		return nil, directory.Card{}, err
	}
	if len(cards) == 0 {
		return nil, directory.Card{}, atrium.Errorf(atrium.CodeNotFound, "there is no page at this address")
	}
	return g, cards[0], nil
}

// leaving reports whether r removes its signed-in user from the group (owner false).
func leaving(r *http.Request, u directory.Card, owner bool) bool {
	return !owner && u.ID == sessionFrom(r.Context()).ID.Principal.UserID
}

func (c *groupPages) removePage(r *http.Request, g *groups.Group, u directory.Card, owner bool) confirmPage {
	base := "/groups/" + g.ID
	if leaving(r, u, owner) {
		return confirmPage{Heading: c.t(r, "groups.console.leave.heading", "Name", g.Name),
			Message: c.t(r, "groups.console.leave.message"),
			Action:  base + "/members/" + string(u.ID) + "/remove", Button: c.t(r, "groups.console.leave"), Cancel: base}
	}
	if owner {
		return confirmPage{Heading: c.t(r, "groups.console.owner.remove.heading", "User", u.DisplayName, "Name", g.Name),
			Message: c.t(r, "groups.console.owner.remove.message"),
			Action:  base + "/owners/" + string(u.ID) + "/remove", Button: c.t(r, "groups.console.owner.remove.button"), Cancel: base + "/members"}
	}
	return confirmPage{Heading: c.t(r, "groups.console.member.remove.heading", "User", u.DisplayName, "Name", g.Name),
		Message: c.t(r, "groups.console.member.remove.message"),
		Action:  base + "/members/" + string(u.ID) + "/remove", Button: c.t(r, "groups.console.member.remove.button"), Cancel: base + "/members"}
}

// removeConfirm asks before removing a member (owner false) or making an owner a
// plain member (owner true).
func (c *groupPages) removeConfirm(owner bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		g, u, err := c.removeTarget(r)
		if err != nil {
			return err
		}
		// Members leave on their own; the others are removed by the group's managers.
		if !leaving(r, u, owner) || !g.CanRead {
			if err := mayManage(r, g); err != nil {
				return err
			}
		}
		return c.confirm(w, r, c.removePage(r, g, u, owner), http.StatusOK, "")
	}
}

// remove removes a member from the group (owner false), or makes an owner a plain
// member (owner true), after confirmation.
func (c *groupPages) remove(owner bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error { return c.removeUser(w, r, owner) }
}

func (c *groupPages) removeUser(w http.ResponseWriter, r *http.Request, owner bool) error {
	g, u, err := c.removeTarget(r)
	if err != nil {
		return err
	}
	p := sessionFrom(r.Context()).P()
	msg := "groups.console.member.removed"
	if owner {
		msg = "groups.console.owner.removed"
		err = c.svc.RemoveOwner(r.Context(), p, g.ID, u.ID)
	} else {
		err = c.svc.RemoveMember(r.Context(), p, g.ID, u.ID)
	}
	if err != nil {
		switch atrium.ErrorCode(err) {
		case atrium.CodeConflict, atrium.CodeInvalid, atrium.CodePreconditionFailed:
			return c.confirm(w, r, c.removePage(r, g, u, owner), statusOf(err), messageIn(i18n.For(c.lang(r)), err))
		}
		return err
	}
	if leaving(r, u, owner) {
		return c.redirect(w, r, "/groups", c.t(r, "groups.console.left", "Name", g.Name))
	}
	return c.redirect(w, r, "/groups/"+g.ID+"/members", c.t(r, msg, "User", u.DisplayName))
}

// groupRequestsPage is the data of a group's pending join requests.
type groupRequestsPage struct {
	groupHeader
	Requests []groups.JoinRequest
	Pager    pager
}

// requests shows a private group's pending join requests, oldest first, to approve or
// deny.
func (c *groupPages) requests(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	g, err := c.loadGroup(r)
	if err != nil {
		return err
	}
	lq, err := listQuery(r)
	if err != nil {
		return err
	}
	page, err := c.svc.JoinRequests(r.Context(), s.P(), g.ID, true, lq)
	if err != nil {
		return err
	}
	v := c.newView(r, "groups.console.nav.active")
	v.Title = v.T("groups.console.requests.title", "Name", g.Name)
	v.Data = groupRequestsPage{groupHeader: header(g, "/requests"), Requests: page.Items, Pager: pageLinks(r, page.NextCursor)}
	c.render(w, r, http.StatusOK, "groups_requests.html", v)
	return nil
}

// decide approves or denies a join request, with an optional reply to the requester.
func (c *groupPages) decide(w http.ResponseWriter, r *http.Request) error {
	verb := r.PathValue("verb")
	if !slices.Contains([]string{"approve", "deny"}, verb) {
		return atrium.Errorf(atrium.CodeNotFound, "there is no page at this address")
	}
	id := r.PathValue("id")
	req, err := c.svc.Decide(r.Context(), sessionFrom(r.Context()).P(), id, r.PathValue("rid"), verb == "approve", r.PostForm.Get("reply"))
	if err != nil {
		return err
	}
	msg := "groups.console.request.denied"
	if verb == "approve" {
		msg = "groups.console.request.approved"
	}
	return c.redirect(w, r, "/groups/"+id+"/requests", c.t(r, msg, "User", req.DisplayName))
}
