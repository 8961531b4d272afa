package web

import (
	"bufio"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/licensing"
)

// bulkResultPage is the outcome of a bulk assignment or removal, one row per user.
type bulkResultPage struct {
	Assign  bool
	Product string
	Rows    []bulkRow
	OK      int
	Failed  int
}

type bulkRow struct {
	// Who is the line of the upload or the user's display name; Username is empty for
	// lines that named nobody.
	Who, Username, UserID string
	OK                    bool
	Error                 string
}

// bulkUploadPage is the CSV upload form.
type bulkUploadPage struct {
	Pools []licensing.LicenseCount
	Max   int
}

// bulkRequest is a bulk change read from a form: the users, the product, assign or
// remove, and the upload's lines that named no user of the organization.
type bulkRequest struct {
	Users   []atrium.UserID
	Product string
	Assign  bool
	Missing []string
	// UsageLocation is given first to the users who have none, when assigning.
	UsageLocation string
}

// readBulkAction reads product_id and action; the service checks the product.
func (c *console) readBulkAction(r *http.Request, f url.Values) (product string, assign bool, err error) {
	probs := atrium.Problems{}
	product = f.Get("product_id")
	if product == "" {
		probs.Add("product_id", c.t(r, "users.bulk.error.product"))
	}
	switch f.Get("action") {
	case "assign":
		assign = true
	case "remove":
	default:
		probs.Add("action", c.t(r, "users.bulk.error.action"))
	}
	return product, assign, probs.Err()
}

// bulkLicenses assigns or removes a product for the users checked on the users list
// (and for the users of a confirmed upload).
func (c *console) bulkLicenses(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	if err := access.Require(s.P(), access.LicenseAssign, access.Resource{Org: s.ID.Principal.Org}); err != nil {
		return err
	}
	f := r.PostForm
	product, assign, err := c.readBulkAction(r, f)
	users := userIDs(f["user"])
	if err == nil && f.Get("all") == "1" {
		// Every user of the list's search and filter, across its pages.
		users, err = c.allListed(r, directory.UserQuery{Q: f.Get("q"), Filter: f.Get("filter")})
	}
	if err == nil && len(users) == 0 && len(f["missing"]) == 0 {
		err = atrium.FieldError("user", c.t(r, "users.bulk.error.none_selected"))
	}
	if err == nil && len(users) > licensing.BulkMaxUsers {
		err = atrium.FieldError("user", c.t(r, "users.bulk.error.too_many", "Max", licensing.BulkMaxUsers))
	}
	if err != nil {
		v, lerr := c.userListView(r)
		if lerr != nil {
			return lerr
		}
		v.Form.Set("product_id", f.Get("product_id"))
		if !v.formError(err, "product_id") {
			return err
		}
		c.render(w, r, statusOf(err), "users.html", v)
		return nil
	}
	return c.runBulk(w, r, bulkRequest{Users: users, Product: product, Assign: assign, Missing: f["missing"], UsageLocation: f.Get("usage_location")},
		f.Get("confirm") == "1")
}

// allListed returns the ids of every active user uq's list shows, page by page, and an
// error on the field "user" when there are more than a bulk action takes.
func (c *console) allListed(r *http.Request, uq directory.UserQuery) ([]atrium.UserID, error) {
	s := sessionFrom(r.Context())
	uq.Limit = 200
	var out []atrium.UserID
	for {
		page, err := c.Directory.ListUsers(r.Context(), s.P(), uq)
		if err != nil {
			return nil, err
		}
		for _, u := range page.Items {
			out = append(out, u.ID)
		}
		if len(out) > licensing.BulkMaxUsers {
			return nil, atrium.FieldError("user", c.t(r, "users.bulk.error.list_too_long", "Max", licensing.BulkMaxUsers))
		}
		if page.NextCursor == "" {
			return out, nil
		}
		uq.Cursor = page.NextCursor
	}
}

// runBulk applies a bulk request and shows the result per user. A removal that makes
// users lose apps shows what will be deleted first, unless confirmed.
func (c *console) runBulk(w http.ResponseWriter, r *http.Request, b bulkRequest, confirmed bool) error {
	s := sessionFrom(r.Context())
	prod, err := c.Licensing.Product(r.Context(), b.Product)
	if err != nil {
		return atrium.FieldError("product_id", c.t(r, "users.bulk.error.no_such_product"))
	}
	if b.Assign && b.UsageLocation != "" {
		if _, err := c.Directory.FillUsageLocation(r.Context(), s.P(), b.Users, b.UsageLocation); err != nil {
			return err
		}
	}
	if !b.Assign && !confirmed && len(b.Users) > 0 {
		total := map[string]map[string]int{}
		affected := 0
		for _, id := range b.Users {
			preview, err := c.Licensing.RemovalPreview(r.Context(), s.P(), id, []string{prod.ID})
			if atrium.ErrorCode(err) == atrium.CodeNotFound {
				continue // reported per user when applied
			}
			if err != nil {
				return err
			}
			if len(preview) > 0 {
				affected++
			}
			for app, counts := range preview {
				if total[app] == nil {
					total[app] = map[string]int{}
				}
				for k, n := range counts {
					total[app][k] += n
				}
			}
		}
		if len(total) > 0 {
			hidden := url.Values{"product_id": {prod.ID}, "action": {"remove"}, "missing": b.Missing}
			for _, id := range b.Users {
				hidden.Add("user", string(id))
			}
			p := i18n.For(c.lang(r))
			return c.confirmRemoval(w, r, removalPage{
				Heading: p.T("users.bulk.remove.heading", "Product", prod.Name, "Count", len(b.Users)),
				Intro: joinSentences([]string{p.T("users.bulk.remove.losing", "Apps", c.appList(total), "Count", affected),
					p.T("users.bulk.remove.data")}),
				Action: "/users/licenses/bulk", Cancel: "/users", Button: p.T("users.removal.button"), Hidden: hidden,
				Apps: c.appLosses(p, total),
			})
		}
	}
	p := bulkResultPage{Assign: b.Assign, Product: prod.Name}
	for _, line := range b.Missing {
		p.Rows = append(p.Rows, bulkRow{Who: line, Error: c.t(r, "users.bulk.error.no_such_user")})
	}
	if len(b.Users) > 0 {
		results, err := c.Licensing.Bulk(r.Context(), s.P(), b.Assign, prod.ID, b.Users)
		if err != nil {
			return err
		}
		for _, res := range results {
			row := bulkRow{Who: string(res.UserID), UserID: string(res.UserID), OK: res.OK, Error: res.Error}
			if u, err := c.Directory.GetUser(r.Context(), s.P(), res.UserID); err == nil {
				row.Who, row.Username = u.DisplayName, u.Username
			}
			p.Rows = append(p.Rows, row)
		}
	}
	for _, row := range p.Rows {
		if row.OK {
			p.OK++
		} else {
			p.Failed++
		}
	}
	title := "users.bulk.assigned.title"
	if !b.Assign {
		title = "users.bulk.removed.title"
	}
	v := c.newView(r, title)
	v.Data = p
	c.render(w, r, http.StatusOK, "bulk_result.html", v)
	return nil
}

func (c *console) bulkUploadView(r *http.Request) (*view, error) {
	s := sessionFrom(r.Context())
	if err := access.Require(s.P(), access.LicenseAssign, access.Resource{Org: s.ID.Principal.Org}); err != nil {
		return nil, err
	}
	pools, err := c.Licensing.Licenses(r.Context(), s.P())
	if err != nil {
		return nil, err
	}
	v := c.newView(r, "users.upload.title")
	v.Data = bulkUploadPage{Pools: pools, Max: licensing.BulkMaxUsers}
	v.Form.Set("action", "assign")
	return v, nil
}

func (c *console) bulkUploadForm(w http.ResponseWriter, r *http.Request) error {
	v, err := c.bulkUploadView(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "bulk_upload.html", v)
	return nil
}

// maxUploadLine bounds a line of an upload: a username or id is far shorter.
const maxUploadLine = 512

// bulkUpload reads a CSV of usernames or user ids, one a line (the first column
// counts), and assigns or removes a product for them.
func (c *console) bulkUpload(w http.ResponseWriter, r *http.Request) error {
	v, err := c.bulkUploadView(r)
	if err != nil {
		return err
	}
	f := r.PostForm // with the multipart form's values
	product, assign, err := c.readBulkAction(r, f)
	var lines []string
	if err == nil {
		lines, err = readUploadLines(r, i18n.For(c.lang(r)))
	}
	var b bulkRequest
	if err == nil {
		b = bulkRequest{Product: product, Assign: assign}
		seen := map[atrium.UserID]bool{}
		for _, line := range lines {
			id, ok, rerr := c.resolveUser(r, line)
			if rerr != nil {
				return rerr
			}
			switch {
			case !ok:
				b.Missing = append(b.Missing, line)
			case !seen[id]:
				seen[id] = true
				b.Users = append(b.Users, id)
			}
		}
	}
	if err != nil {
		v.Form = url.Values{"product_id": {f.Get("product_id")}, "action": {f.Get("action")}}
		if !v.formError(err, "product_id", "action", "file") {
			return err
		}
		c.render(w, r, statusOf(err), "bulk_upload.html", v)
		return nil
	}
	return c.runBulk(w, r, b, false)
}

// readUploadLines returns the non-empty first columns of the uploaded file, at most
// licensing.BulkMaxUsers of them. A first line "username" or "user" is a header. Its
// errors are in p's language.
func readUploadLines(r *http.Request, p *i18n.Printer) ([]string, error) {
	file, _, err := r.FormFile("file")
	if err != nil {
		return nil, atrium.FieldError("file", p.T("users.upload.error.no_file"))
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, maxUploadLine), maxUploadLine)
	var out []string
	for n := 0; sc.Scan(); n++ {
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		line, _, _ = strings.Cut(line, ",")
		line = strings.Trim(strings.TrimSpace(line), `"`)
		if line == "" || (n == 0 && (strings.EqualFold(line, "username") || strings.EqualFold(line, "user") || strings.EqualFold(line, "id"))) {
			continue
		}
		if strings.IndexByte(line, 0) >= 0 || !utf8.ValidString(line) {
			return nil, atrium.FieldError("file", p.T("users.upload.error.not_text", "Line", n+1))
		}
		if len(out) == licensing.BulkMaxUsers {
			return nil, atrium.FieldError("file", p.T("users.upload.error.too_many", "Max", licensing.BulkMaxUsers))
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, atrium.FieldError("file", p.T("users.upload.error.long_line"))
		}
		return nil, atrium.FieldError("file", p.T("users.upload.error.unreadable"))
	}
	if len(out) == 0 {
		return nil, atrium.FieldError("file", p.T("users.upload.error.empty"))
	}
	return out, nil
}

// resolveUser finds the active user of the signed-in organization named by line: a
// username, a user id, or a username without its domain (the organization's initial
// domain is added).
func (c *console) resolveUser(r *http.Request, line string) (atrium.UserID, bool, error) {
	s := sessionFrom(r.Context())
	org := s.ID.Principal.Org
	byName := func(name string) (atrium.UserID, bool, error) {
		cred, err := c.Directory.CredentialsByUsername(r.Context(), name)
		if atrium.ErrorCode(err) == atrium.CodeNotFound {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		return cred.User, cred.Org == org && !cred.Deleted, nil
	}
	if strings.Contains(line, "@") {
		return byName(line)
	}
	u, err := c.Directory.GetUser(r.Context(), s.P(), atrium.UserID(line))
	switch {
	case err == nil:
		return u.ID, u.DeletedAt == nil, nil
	case atrium.ErrorCode(err) != atrium.CodeNotFound:
		return "", false, err
	}
	return byName(line + "@" + s.Org.InitialDomain)
}
