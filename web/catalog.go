package web

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/licensing"
)

// catalogPage is the operator's product catalog.
type catalogPage struct {
	Products []licensing.Product
	// Names maps product ids to names, for add-ons' parents.
	Names map[string]string
	// Plans maps product ids to the names of their service plans, as a list.
	Plans map[string]string
}

func requireCatalog(r *http.Request) error {
	return access.Require(sessionFrom(r.Context()).P(), access.CatalogManage, access.Resource{})
}

// catalog lists the products and add-ons for operator staff.
func (c *console) catalog(w http.ResponseWriter, r *http.Request) error {
	if err := requireCatalog(r); err != nil {
		return err
	}
	list, err := c.Licensing.Products(r.Context())
	if err != nil {
		return err
	}
	p := catalogPage{Products: list, Names: map[string]string{}, Plans: map[string]string{}}
	for _, prod := range list {
		p.Names[prod.ID] = prod.Name
		names := make([]string, len(prod.ServicePlans))
		for i, pl := range prod.ServicePlans {
			names[i] = pl.Name
		}
		if len(names) > 0 {
			p.Plans[prod.ID] = strings.Join(names, ", ")
		}
	}
	v := c.newView(r, "billing.catalog.title")
	v.Data = p
	c.render(w, r, http.StatusOK, "catalog.html", v)
	return nil
}

// productFormPage is the add or edit form of a product.
type productFormPage struct {
	// Product is nil when adding.
	Product *licensing.Product
	Parents []licensing.Product
}

// productFields are the fields of the add form, as the page names them.
var productFields = []string{"sku", "kind", "parent_id", "name", "description", "apps", "price", "currency", "billing_period", "service_plans", "trial_available"}

func (c *console) productFormView(r *http.Request, prod *licensing.Product) (*view, error) {
	list, err := c.Licensing.Products(r.Context())
	if err != nil {
		return nil, err
	}
	p := productFormPage{Product: prod}
	for _, x := range list {
		if x.Kind == licensing.KindProduct && x.PreviewOf == "" {
			p.Parents = append(p.Parents, x)
		}
	}
	title := c.t(r, "billing.product.new.title")
	if prod != nil {
		title = c.t(r, "billing.catalog.edit", "Product", prod.Name)
	}
	v := c.newView(r, title)
	v.Data = p
	return v, nil
}

func (c *console) productNewForm(w http.ResponseWriter, r *http.Request) error {
	if err := requireCatalog(r); err != nil {
		return err
	}
	v, err := c.productFormView(r, nil)
	if err != nil {
		return err
	}
	v.Form.Set("kind", string(licensing.KindProduct))
	v.Form.Set("currency", "USD")
	v.Form.Set("billing_period", string(licensing.Monthly))
	c.render(w, r, http.StatusOK, "product_form.html", v)
	return nil
}

// productCreate adds a product or add-on.
func (c *console) productCreate(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	f := r.PostForm
	in := licensing.ProductInput{SKU: f.Get("sku"), Kind: licensing.Kind(f.Get("kind")), Name: f.Get("name"), Description: f.Get("description"),
		Currency: f.Get("currency"), BillingPeriod: licensing.Period(f.Get("billing_period")), TrialAvailable: f.Get("trial_available") != ""}
	if in.Kind == licensing.KindAddon {
		in.ParentID = f.Get("parent_id")
	}
	for _, a := range strings.Split(f.Get("apps"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			in.Apps = append(in.Apps, a)
		}
	}
	for _, pl := range strings.Split(f.Get("service_plans"), "\n") {
		if pl = strings.TrimSpace(pl); pl != "" {
			in.ServicePlans = append(in.ServicePlans, pl)
		}
	}
	price, err := parsePrice(i18n.For(c.lang(r)), f.Get("price"))
	var prod *licensing.Product
	if err == nil {
		in.PriceMinor = price
		prod, err = c.Licensing.CreateProduct(r.Context(), s.P(), in)
	} else {
		// The price could not be read: report it with every other problem at once.
		probs := in.Problems()
		delete(probs, "price_minor")
		probs.AddFrom(err)
		err = probs.Err()
	}
	if err != nil {
		v, verr := c.productFormView(r, nil)
		if verr != nil {
			return verr
		}
		v.Form = f
		if !v.formError(renameField(err, "price_minor", "price"), productFields...) {
			return err
		}
		c.render(w, r, statusOf(err), "product_form.html", v)
		return nil
	}
	return c.redirect(w, r, "/catalog", c.t(r, "billing.catalog.added", "Product", prod.Name))
}

func (c *console) productEditForm(w http.ResponseWriter, r *http.Request) error {
	if err := requireCatalog(r); err != nil {
		return err
	}
	prod, err := c.Licensing.Product(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	v, err := c.productFormView(r, prod)
	if err != nil {
		return err
	}
	v.Form.Set("name", prod.Name)
	v.Form.Set("description", prod.Description)
	v.Form.Set("price", licensing.FormatMinor(prod.PriceMinor))
	if prod.TrialAvailable {
		v.Form.Set("trial_available", "1")
	}
	c.render(w, r, http.StatusOK, "product_form.html", v)
	return nil
}

// productUpdate changes a product's name, description, price and trial flag.
func (c *console) productUpdate(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	if err := requireCatalog(r); err != nil {
		return err
	}
	f := r.PostForm
	name, desc, trial := f.Get("name"), f.Get("description"), f.Get("trial_available") != ""
	patch := licensing.ProductPatch{Name: &name, Description: &desc, TrialAvailable: &trial}
	price, err := parsePrice(i18n.For(c.lang(r)), f.Get("price"))
	var prod *licensing.Product
	if err == nil {
		patch.PriceMinor = &price
		prod, err = c.Licensing.UpdateProduct(r.Context(), s.P(), r.PathValue("id"), patch)
	}
	if err != nil {
		cur, gerr := c.Licensing.Product(r.Context(), r.PathValue("id"))
		if gerr != nil {
			return gerr
		}
		v, verr := c.productFormView(r, cur)
		if verr != nil {
			return verr
		}
		v.Form = f
		if !v.formError(renameField(err, "price_minor", "price"), "name", "description", "price") {
			return err
		}
		c.render(w, r, statusOf(err), "product_form.html", v)
		return nil
	}
	return c.redirect(w, r, "/catalog", c.t(r, "billing.catalog.saved", "Product", prod.Name))
}

var priceRE = regexp.MustCompile(`^([0-9]{1,9})(?:[.,]([0-9]{1,2}))?$`)

// parsePrice reads a price such as "15", "15.5" or "15,50" into minor units; its error
// is in p's language.
func parsePrice(p *i18n.Printer, s string) (int64, error) {
	m := priceRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, atrium.FieldError("price", p.T("billing.product.price.invalid"))
	}
	major, _ := strconv.ParseInt(m[1], 10, 64)
	minor := int64(0)
	if m[2] != "" {
		minor, _ = strconv.ParseInt(m[2], 10, 64)
		if len(m[2]) == 1 {
			minor *= 10
		}
	}
	return major*100 + minor, nil
}
