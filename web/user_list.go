package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/licensing"
)

// listLimit reads the optional limit parameter of a list page: 1 to 200, default 50.
func listLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 200 {
		return 0, atrium.FieldError("limit", "must be a whole number from 1 to 200")
	}
	return n, nil
}

// userListPage is the data of the active and deleted user lists.
type userListPage struct {
	Users     []directory.User
	Pager     pager
	Sort      []sortHeader
	CanCreate bool
	// ExportURL streams the list with its current search, filter and sort as CSV.
	ExportURL string
	// Total counts the users the list shows for its filter (not its search).
	Total int
	// Licenses names the products each listed user holds, for those who may read them.
	Licenses     map[atrium.UserID][]string
	ShowLicenses bool
	// CanRestore holds, for deleted users, whom the signed-in person may restore, and
	// Restorable until when.
	CanRestore map[atrium.UserID]bool
	Restorable map[atrium.UserID]time.Time
	// CanAssign shows the checkboxes to assign or remove a product for many users; Pools
	// are the products to choose from.
	CanAssign bool
	Pools     []licensing.LicenseCount
	// BulkMax is the most users a bulk action takes.
	BulkMax int
}

// userList is Users > Active users: search, sortable columns, keyset paging.
func (c *console) userList(w http.ResponseWriter, r *http.Request) error {
	v, err := c.userListView(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "users.html", v)
	return nil
}

// userListView builds the active users page for the request's search, sort and page.
func (c *console) userListView(r *http.Request) (*view, error) {
	s := sessionFrom(r.Context())
	q := r.URL.Query()
	uq := directory.UserQuery{Q: q.Get("q"), Sort: directory.SortField(q.Get("sort")), Desc: q.Get("order") == "desc", Cursor: q.Get("cursor"),
		Filter: q.Get("filter")}
	limit, err := listLimit(r)
	if err != nil {
		return nil, err
	}
	uq.Limit = limit
	page, err := c.Directory.ListUsers(r.Context(), s.P(), uq)
	if err != nil {
		return nil, err
	}
	v := c.newView(r, "users.list.title")
	v.Form = q
	data := userListPage{
		Users: page.Items, Pager: pageLinks(r, page.NextCursor), CanCreate: s.Can(access.UserCreate),
		ExportURL: "/api/v1/users/export?" + url.Values{"q": {q.Get("q")}, "sort": {q.Get("sort")}, "order": {q.Get("order")}, "filter": {q.Get("filter")}}.Encode(),
		Sort: []sortHeader{
			sortLink("/users", q, "display_name", v.T("users.field.display_name")),
			sortLink("/users", q, "username", v.T("signin.username")),
			sortLink("/users", q, "created_at", v.T("users.list.created")),
		},
		BulkMax: licensing.BulkMaxUsers,
	}
	data.Sort[2].Class = "hide-sm" // phones skip the created column
	if data.Total, err = c.Directory.CountListed(r.Context(), s.P(), uq); err != nil {
		return nil, err
	}
	if s.Can(access.LicenseRead) {
		ids := make([]atrium.UserID, len(page.Items))
		for i, u := range page.Items {
			ids[i] = u.ID
		}
		if data.Licenses, err = c.Licensing.LicensesOfUsers(r.Context(), s.P(), ids); err != nil {
			return nil, err
		}
		data.ShowLicenses = true
	}
	if s.Can(access.LicenseAssign) {
		pools, err := c.Licensing.Licenses(r.Context(), s.P())
		if err != nil {
			return nil, err
		}
		data.CanAssign, data.Pools = len(pools) > 0, pools
	}
	v.Data = data
	return v, nil
}

// userAdded shows the generated password of the user just added, once.
func (c *console) userAdded(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	p, ok := takeHandoff[userCreatedPage](c, w, r)
	if !ok || p.By != s.P().UserID {
		return c.redirect(w, r, "/users", c.t(r, "users.created.gone")+" "+c.t(r, "users.created.gone.reset"))
	}
	v := c.newView(r, "users.created.title")
	v.Data = p
	c.render(w, r, http.StatusOK, "user_created.html", v)
	return nil
}

// deletedUserList is Users > Deleted users, newest deletion first, restorable for 30 days.
func (c *console) deletedUserList(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	q := r.URL.Query()
	limit, err := listLimit(r)
	if err != nil {
		return err
	}
	page, err := c.Directory.ListUsers(r.Context(), s.P(), directory.UserQuery{Q: q.Get("q"), Deleted: true, Desc: true, Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		return err
	}
	data := userListPage{Users: page.Items, Pager: pageLinks(r, page.NextCursor), CanRestore: map[atrium.UserID]bool{}, Restorable: map[atrium.UserID]time.Time{}}
	for _, u := range page.Items {
		data.CanRestore[u.ID] = access.Can(s.P(), access.UserRestore, targetOf(&u))
		if u.DeletedAt != nil {
			data.Restorable[u.ID] = directory.PurgeCutoff(*u.DeletedAt)
		}
	}
	v := c.newView(r, "users.deleted.title")
	v.Form = q
	v.Data = data
	c.render(w, r, http.StatusOK, "deleted_users.html", v)
	return nil
}

// userRestore brings a deleted user back.
func (c *console) userRestore(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	u, err := c.Directory.RestoreUser(r.Context(), s.P(), atrium.UserID(r.PathValue("id")))
	if err != nil {
		return err
	}
	// The notices say, in sentences, what the restore could not give back.
	p := i18n.For(c.lang(r))
	msg := []string{p.T("users.deleted.restored", "Name", u.DisplayName)}
	for _, n := range u.Notices {
		msg = append(msg, p.Text(n))
	}
	return c.redirect(w, r, "/users/"+string(u.ID), joinSentences(msg))
}

// targetOf is the resource of an action on user u, as the directory checks it.
func targetOf(u *directory.User) access.Resource {
	return access.Resource{Org: u.Org, TargetRank: access.RankOf(u.Roles), TargetOrg: u.Org}
}

// statusOf is the HTTP status of a form's error: the API's mapping.
func statusOf(err error) int { return httpapi.Status(err) }
