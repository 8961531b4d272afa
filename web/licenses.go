package web

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/licensing"
)

// licenseCountsPage is Billing > Licenses.
type licenseCountsPage struct {
	Counts []licensing.LicenseCount
	// Low names the products with 10% or fewer seats available.
	Low    []string
	CanBuy bool
}

// licenseCounts shows, per product, the seats purchased, assigned and available, with a
// warning for pools running low.
func (c *console) licenseCounts(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	counts, err := c.Licensing.Licenses(r.Context(), s.P())
	if err != nil {
		return err
	}
	p := licenseCountsPage{Counts: counts, CanBuy: s.Can(access.BillingManage)}
	for _, lc := range counts {
		if licensing.LowOnSeats(lc.Purchased, lc.Assigned) {
			p.Low = append(p.Low, lc.ProductName)
		}
	}
	v := c.newView(r, "users.counts.title")
	v.Data = p
	c.render(w, r, http.StatusOK, "licenses.html", v)
	return nil
}

// userLicensesPage is Users > a user > Licenses: one toggle per product and per service
// plan.
type userLicensesPage struct {
	User        *directory.User
	Toggles     []licenseToggle
	CanAssign   bool
	CanEditUser bool
}

// licenseToggle is one product's checkbox with its plans' checkboxes. The plans of a
// product the user does not hold are listed without checkboxes: they are all turned on
// when the license is assigned, and can be turned off one by one once it is.
type licenseToggle struct {
	Product licensing.Product
	On      bool
	Pool    licensing.LicenseCount
	Plans   []planToggle
	// PlanBoxes says whether the plans have checkboxes.
	PlanBoxes bool
}

// PlanNames lists the names of the product's service plans.
func (t licenseToggle) PlanNames() string {
	names := make([]string, len(t.Plans))
	for i, p := range t.Plans {
		names[i] = p.Plan.Name
	}
	return strings.Join(names, ", ")
}

type planToggle struct {
	Plan licensing.Plan
	On   bool
}

// licenseForm names the fields of the toggles: product holds the checked products,
// planField(id) the checked plans of product id.
const productField = "product"

func planField(product string) string { return "plan-" + product }

// userLicenseView builds the toggles of u: from form when it was submitted, otherwise
// from the licenses u holds. The products shown are those the organization has seats of
// and those u holds.
func (c *console) userLicenseView(r *http.Request, u *directory.User, form url.Values) (*view, error) {
	s := sessionFrom(r.Context())
	held, err := c.Licensing.UserLicenses(r.Context(), s.P(), u.ID)
	if err != nil {
		return nil, err
	}
	counts, err := c.Licensing.Licenses(r.Context(), s.P())
	if err != nil {
		return nil, err
	}
	products, err := c.Licensing.Products(r.Context())
	if err != nil {
		return nil, err
	}
	pools := map[string]licensing.LicenseCount{}
	for _, lc := range counts {
		pools[lc.ProductID] = lc
	}
	have := map[string]licensing.License{}
	for _, l := range held.Licenses {
		have[l.ProductID] = l
	}
	p := userLicensesPage{User: u, CanAssign: access.Can(s.P(), access.LicenseAssign, targetOf(u)),
		CanEditUser: access.Can(s.P(), access.UserUpdate, targetOf(u))}
	for _, prod := range products {
		l, holds := have[prod.ID]
		pool, pooled := pools[prod.ID]
		if !holds && (!pooled || pool.Purchased == 0) {
			continue
		}
		t := licenseToggle{Product: prod, On: holds, Pool: pool, PlanBoxes: holds}
		_, planned := form[planField(prod.ID)]
		if form != nil {
			t.On = slices.Contains(form[productField], prod.ID)
			t.PlanBoxes = holds || planned
		}
		for _, pl := range prod.ServicePlans {
			// Only a held license has plans turned on: a product that is not assigned
			// ticks none.
			on := holds && !slices.Contains(l.DisabledServicePlans, pl.ID)
			if form != nil && t.PlanBoxes {
				on = slices.Contains(form[planField(prod.ID)], pl.ID)
			}
			t.Plans = append(t.Plans, planToggle{Plan: pl, On: on})
		}
		p.Toggles = append(p.Toggles, t)
	}
	v := c.newView(r, "")
	v.Title = v.T("users.licenses.title", "Name", u.DisplayName)
	v.Data = p
	return v, nil
}

// userLicenses shows a user's license toggles.
func (c *console) userLicenses(w http.ResponseWriter, r *http.Request) error {
	u, err := c.activeUser(r)
	if err != nil {
		return err
	}
	v, err := c.userLicenseView(r, u, nil)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "user_licenses.html", v)
	return nil
}

// wantedLicenses reads the toggles: the checked products, each with its unchecked plans
// turned off. A product the user does not hold yet, whose plans the form did not show as
// checkboxes, gets all of them.
func wantedLicenses(form url.Values, products []licensing.Product, held *licensing.UserLicenses) []licensing.License {
	holds := map[string]bool{}
	for _, l := range held.Licenses {
		holds[l.ProductID] = true
	}
	var out []licensing.License
	for _, prod := range products {
		if !slices.Contains(form[productField], prod.ID) {
			continue
		}
		l := licensing.License{ProductID: prod.ID, DisabledServicePlans: []string{}}
		if _, planned := form[planField(prod.ID)]; !planned && !holds[prod.ID] {
			out = append(out, l)
			continue
		}
		for _, pl := range prod.ServicePlans {
			if !slices.Contains(form[planField(prod.ID)], pl.ID) {
				l.DisabledServicePlans = append(l.DisabledServicePlans, pl.ID)
			}
		}
		out = append(out, l)
	}
	return out
}

// userLicensesSave applies the whole set of toggles in one call. When the save removes
// products and the user would lose apps, it first shows what will be deleted and
// applies only once that page is confirmed.
func (c *console) userLicensesSave(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	u, err := c.activeUser(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	products, err := c.Licensing.Products(r.Context())
	if err != nil {
		return err
	}
	held, err := c.Licensing.UserLicenses(r.Context(), s.P(), u.ID)
	if err != nil {
		return err
	}
	want := wantedLicenses(f, products, held)
	var removed []string
	for _, l := range held.Licenses {
		if !slices.ContainsFunc(want, func(x licensing.License) bool { return x.ProductID == l.ProductID }) {
			removed = append(removed, l.ProductID)
		}
	}
	if len(removed) > 0 && f.Get("confirm") != "1" {
		if err := access.Require(s.P(), access.LicenseAssign, targetOf(u)); err != nil {
			return err
		}
		wantIDs := make([]string, 0, len(want))
		for _, l := range want {
			wantIDs = append(wantIDs, l.ProductID)
		}
		preview, err := c.Licensing.ChangePreview(r.Context(), s.P(), u.ID, wantIDs)
		if err != nil {
			return err
		}
		if len(preview) > 0 {
			var names []string
			for _, l := range held.Licenses {
				if slices.Contains(removed, l.ProductID) {
					names = append(names, l.ProductName)
				}
			}
			keep := url.Values{}
			for k, vs := range f {
				if k == productField || strings.HasPrefix(k, "plan-") {
					keep[k] = vs
				}
			}
			p := i18n.For(c.lang(r))
			return c.confirmRemoval(w, r, removalPage{
				Heading: p.T("users.licenses.remove.heading", "Products", strings.Join(names, ", "), "Name", u.DisplayName, "Count", len(names)),
				Intro: joinSentences([]string{p.T("users.licenses.remove.losing", "Name", u.DisplayName, "Apps", c.appList(preview)),
					p.T("users.licenses.remove.data")}),
				Action: "/users/" + string(u.ID) + "/licenses", Cancel: "/users/" + string(u.ID) + "/licenses",
				Button: p.T("users.removal.button"), Hidden: keep, Apps: c.appLosses(p, preview),
			})
		}
	}
	if _, err := c.Licensing.SetUserLicenses(r.Context(), s.P(), u.ID, want); err != nil {
		v, verr := c.userLicenseView(r, u, f)
		if verr != nil {
			return verr
		}
		if !v.formError(err, "usage_location") {
			return err
		}
		v.Error = messageIn(v.P, err)
		c.render(w, r, statusOf(err), "user_licenses.html", v)
		return nil
	}
	return c.redirect(w, r, "/users/"+string(u.ID)+"/licenses", c.t(r, "users.licenses.saved", "Name", u.DisplayName))
}

// removalPage asks before removing licenses deletes app data: per app, what is
// deleted and what is kept. Its form posts Hidden again with confirm=1.
type removalPage struct {
	Heading, Intro, Action, Cancel, Button string
	Hidden                                 url.Values
	Apps                                   []appLoss
}

// appLoss is what one lost app deletes and keeps, counted per kind, and Summary says it
// in a sentence, such as "Social Engagement: 3 alerts, 2 settings will be deleted; 2
// search topics are kept."
type appLoss struct {
	App     string
	Counts  map[string]int
	Summary string
}

func (c *console) confirmRemoval(w http.ResponseWriter, r *http.Request, p removalPage) error {
	v := c.newView(r, p.Heading)
	v.Data = p
	c.render(w, r, http.StatusOK, "license_remove.html", v)
	return nil
}

// appLosses turns a removal preview into sentences in p's language, apps in a stable
// order.
func (c *console) appLosses(p *i18n.Printer, preview map[string]map[string]int) []appLoss {
	apps := make([]string, 0, len(preview))
	for app := range preview {
		apps = append(apps, app)
	}
	sort.Strings(apps)
	out := make([]appLoss, 0, len(apps))
	for _, app := range apps {
		title := c.appTitle(app)
		out = append(out, appLoss{App: title, Counts: preview[app],
			Summary: p.T("users.removal.app", "App", title, "Data", removalData(p, preview[app]))})
	}
	return out
}

// appList names the apps of a removal preview, in a stable order.
func (c *console) appList(preview map[string]map[string]int) string {
	apps := make([]string, 0, len(preview))
	for app := range preview {
		apps = append(apps, app)
	}
	sort.Strings(apps)
	for i, app := range apps {
		apps[i] = c.appTitle(app)
	}
	return strings.Join(apps, ", ")
}

// removalData says in p's language what app data counts mean (licensing.DataSummaryIn).
func removalData(p *i18n.Printer, counts map[string]int) string {
	return licensing.DataSummaryIn(p, counts)
}

// homeApp is an app on the home page.
type homeApp struct {
	Name, Title, Href string
}

// licensedApps returns the apps the signed-in user is licensed for.
func (c *console) licensedApps(r *http.Request) ([]homeApp, error) {
	s := sessionFrom(r.Context())
	apps, err := c.Licensing.Apps(r.Context(), s.P())
	if err != nil {
		return nil, err
	}
	out := make([]homeApp, 0, len(apps))
	for _, a := range apps {
		out = append(out, homeApp{Name: a, Title: c.appTitle(a), Href: c.apps[a].Href})
	}
	return out, nil
}

// userIDs converts form values to user ids.
func userIDs(vals []string) []atrium.UserID {
	out := make([]atrium.UserID, 0, len(vals))
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, atrium.UserID(v))
		}
	}
	return out
}
