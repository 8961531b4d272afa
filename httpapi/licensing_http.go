package httpapi

import (
	"net/http"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/licensing"
)

type quantityChange struct {
	Quantity int `json:"quantity"`
}

type trialConversion struct {
	ConvertAtTrialEnd bool `json:"convert_at_trial_end"`
}

type orderResponse struct {
	licensing.Subscription
	Order licensing.Order `json:"order"`
}

type bulkRequest struct {
	Action    string          `json:"action"` // assign or remove
	ProductID string          `json:"product_id"`
	UserIDs   []atrium.UserID `json:"user_ids"`
	// UsageLocation, on assign, is given first to the users who have none (needs
	// user.update too), so they can be licensed in the same call.
	UsageLocation string `json:"usage_location,omitempty"`
}

func writeSubscription(w http.ResponseWriter, status int, sub *licensing.Subscription) error {
	w.Header().Set("ETag", sub.ETag())
	return writeJSON(w, status, sub)
}

type appsResponse struct {
	Apps []string `json:"apps"`
}

type removalPreview struct {
	// Apps maps each app the user would lose to the counts of what would be deleted.
	Apps map[string]map[string]int `json:"apps"`
}

// listQuery reads ?limit=&cursor= for a licensing list.
func listQuery(r *http.Request) (licensing.ListQuery, error) {
	limit, err := Limit(r)
	return licensing.ListQuery{Limit: limit, Cursor: r.URL.Query().Get("cursor")}, err
}

func (s *Server) registerLicensing() {
	if s.Licensing == nil {
		return
	}
	s.handle(Route{Method: "GET", Path: "/api/v1/me/apps", Summary: "The apps you are licensed for", Tag: "licensing", Response: appsResponse{}},
		func(w http.ResponseWriter, r *http.Request) error {
			apps, err := s.Licensing.Apps(r.Context(), principal(r))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, appsResponse{Apps: apps})
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/users/{id}/licenses/removal-preview", Summary: "What removing products from a user deletes, per app",
		Tag: "licensing", Query: []string{"product_id"}, Response: removalPreview{}},
		func(w http.ResponseWriter, r *http.Request) error {
			products := r.URL.Query()["product_id"]
			if len(products) == 0 {
				return atrium.FieldError("product_id", "name at least one product to remove")
			}
			prev, err := s.Licensing.RemovalPreview(r.Context(), principal(r), atrium.UserID(r.PathValue("id")), products)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, removalPreview{Apps: prev})
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/products", Summary: "The product catalog: products, their service plans, and add-ons", Tag: "licensing",
		Response: List[licensing.Product]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			list, err := s.Licensing.Products(r.Context())
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, List[licensing.Product]{Items: list})
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/products", Summary: "Add a product or add-on to the catalog (operator staff)", Tag: "licensing",
		Request: licensing.ProductInput{}, Response: licensing.Product{}, Status: http.StatusCreated},
		func(w http.ResponseWriter, r *http.Request) error {
			var in licensing.ProductInput
			if err := decode(w, r, &in); err != nil {
				return err
			}
			p, err := s.Licensing.CreateProduct(r.Context(), principal(r), in)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusCreated, p)
		})
	s.handle(Route{Method: "PATCH", Path: "/api/v1/products/{id}", Summary: "Change a product's name, description, price or trial (operator staff)",
		Tag: "licensing", Request: licensing.ProductPatch{}, Response: licensing.Product{}},
		func(w http.ResponseWriter, r *http.Request) error {
			var patch licensing.ProductPatch
			if err := decode(w, r, &patch); err != nil {
				return err
			}
			p, err := s.Licensing.UpdateProduct(r.Context(), principal(r), r.PathValue("id"), patch)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, p)
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/orders", Summary: "Buy seats of a product or add-on; creates or extends a subscription (seats bought on a trial are added to it, and all become paid)", Tag: "licensing",
		Request: licensing.OrderInput{}, Response: orderResponse{}, Status: http.StatusCreated},
		func(w http.ResponseWriter, r *http.Request) error {
			var in licensing.OrderInput
			if err := decode(w, r, &in); err != nil {
				return err
			}
			sub, order, err := s.Licensing.PlaceOrder(r.Context(), principal(r), in)
			if err != nil {
				return err
			}
			w.Header().Set("ETag", sub.ETag())
			return writeJSON(w, http.StatusCreated, orderResponse{Subscription: *sub, Order: *order})
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/subscriptions", Summary: "The organization's subscriptions, newest first", Tag: "licensing",
		Query: []string{"limit", "cursor"}, Response: List[licensing.Subscription]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			q, err := listQuery(r)
			if err != nil {
				return err
			}
			list, next, err := s.Licensing.Subscriptions(r.Context(), principal(r), q)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, List[licensing.Subscription]{Items: list, NextCursor: next})
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/subscriptions/{id}", Summary: "One subscription", Tag: "licensing",
		Response: licensing.Subscription{}, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			sub, err := s.Licensing.Subscription(r.Context(), principal(r), r.PathValue("id"))
			if err != nil {
				return err
			}
			return writeSubscription(w, http.StatusOK, sub)
		})
	s.handle(Route{Method: "PATCH", Path: "/api/v1/subscriptions/{id}", Summary: "Change the license quantity; not below the licenses assigned",
		Tag: "licensing", Request: quantityChange{}, Response: licensing.Subscription{}, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			version, err := ifMatch(r)
			if err != nil {
				return err
			}
			var in quantityChange
			if err := decode(w, r, &in); err != nil {
				return err
			}
			sub, err := s.Licensing.SetQuantity(r.Context(), principal(r), r.PathValue("id"), in.Quantity, version)
			if err != nil {
				return err
			}
			return writeSubscription(w, http.StatusOK, sub)
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/subscriptions/{id}/cancel-preview",
		Summary: "What ending the subscription takes, counted with today's licenses: its seats, which users lose which license, and their app data per kind",
		Tag:     "licensing", Response: licensing.EndingPreview{}},
		func(w http.ResponseWriter, r *http.Request) error {
			prev, err := s.Licensing.CancelPreview(r.Context(), principal(r), r.PathValue("id"))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, prev)
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/subscriptions/{id}/cancel", Summary: "Cancel at the end of the period; licenses work until then (GET cancel-preview says what goes then)",
		Tag: "licensing", Response: licensing.Subscription{}},
		func(w http.ResponseWriter, r *http.Request) error {
			sub, err := s.Licensing.Cancel(r.Context(), principal(r), r.PathValue("id"))
			if err != nil {
				return err
			}
			return writeSubscription(w, http.StatusOK, sub)
		})
	s.handle(Route{Method: "PUT", Path: "/api/v1/subscriptions/{id}/trial-conversion", Summary: "Make a trial become a paid subscription when it ends, or expire",
		Tag: "licensing", Request: trialConversion{}, Response: licensing.Subscription{}},
		func(w http.ResponseWriter, r *http.Request) error {
			var in trialConversion
			if err := decode(w, r, &in); err != nil {
				return err
			}
			sub, err := s.Licensing.SetTrialConversion(r.Context(), principal(r), r.PathValue("id"), in.ConvertAtTrialEnd)
			if err != nil {
				return err
			}
			return writeSubscription(w, http.StatusOK, sub)
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/licenses", Summary: "Per product: licenses purchased, assigned and available", Tag: "licensing",
		Response: List[licensing.LicenseCount]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			list, err := s.Licensing.Licenses(r.Context(), principal(r))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, List[licensing.LicenseCount]{Items: list})
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/users/{id}/licenses", Summary: "A user's licenses", Tag: "licensing",
		Response: licensing.UserLicenses{}},
		func(w http.ResponseWriter, r *http.Request) error {
			l, err := s.Licensing.UserLicenses(r.Context(), principal(r), atrium.UserID(r.PathValue("id")))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, l)
		})
	s.handle(Route{Method: "PUT", Path: "/api/v1/users/{id}/licenses", Summary: "Replace a user's whole set of licenses in one transaction; 409 no_seats_available when a pool is empty",
		Tag: "licensing", Request: licensing.UserLicenses{}, Response: licensing.UserLicenses{}},
		func(w http.ResponseWriter, r *http.Request) error {
			var in licensing.UserLicenses
			if err := decode(w, r, &in); err != nil {
				return err
			}
			l, err := s.Licensing.SetUserLicenses(r.Context(), principal(r), atrium.UserID(r.PathValue("id")), in.Licenses)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, l)
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/licenses/bulk", Summary: "Assign or remove one product for many users, with a result per user",
		Tag: "licensing", Request: bulkRequest{}, Response: List[licensing.BulkResult]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			var in bulkRequest
			if err := decode(w, r, &in); err != nil {
				return err
			}
			if in.Action != "assign" && in.Action != "remove" {
				return atrium.FieldError("action", "must be assign or remove")
			}
			if in.UsageLocation != "" {
				if in.Action != "assign" {
					return atrium.FieldError("usage_location", "is given only when assigning")
				}
				if _, err := s.Directory.FillUsageLocation(r.Context(), principal(r), in.UserIDs, in.UsageLocation); err != nil {
					return err
				}
			}
			res, err := s.Licensing.Bulk(r.Context(), principal(r), in.Action == "assign", in.ProductID, in.UserIDs)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, List[licensing.BulkResult]{Items: res})
		})
	s.registerInvoices()
	s.registerTaxRates()
	s.registerPartner()
}

func (s *Server) registerTaxRates() {
	s.handle(Route{Method: "GET", Path: "/api/v1/tax-rates", Summary: "The tax rates invoices charge per buyer country (operator staff)", Tag: "billing",
		Response: List[licensing.TaxRate]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			list, err := s.Licensing.TaxRates(r.Context(), principal(r))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, List[licensing.TaxRate]{Items: list})
		})
	s.handle(Route{Method: "PUT", Path: "/api/v1/tax-rates/{country}",
		Summary: "Set the tax rate (basis points: 2500 is 25 %) or reverse charge for buyers in a country; invoices issued later use it (operator staff)",
		Tag:     "billing", Request: licensing.TaxRate{}, Response: licensing.TaxRate{}},
		func(w http.ResponseWriter, r *http.Request) error {
			var in licensing.TaxRate
			if err := decode(w, r, &in); err != nil {
				return err
			}
			if in.Country != "" && !strings.EqualFold(in.Country, r.PathValue("country")) {
				return atrium.FieldError("country", "must be the country of the path, or left out")
			}
			in.Country = r.PathValue("country")
			t, err := s.Licensing.SetTaxRate(r.Context(), principal(r), in)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, t)
		})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/tax-rates/{country}",
		Summary: "Remove the tax rate of a country: invoices issued later charge buyers there no tax (operator staff)", Tag: "billing"},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := s.Licensing.DeleteTaxRate(r.Context(), principal(r), r.PathValue("country")); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		})
}

func (s *Server) registerInvoices() {
	s.handle(Route{Method: "GET", Path: "/api/v1/invoices", Summary: "The organization's invoices, newest first; operator staff may pass org_id",
		Tag: "billing", Query: []string{"org_id", "limit", "cursor"}, Response: List[licensing.Invoice]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			limit, err := Limit(r)
			if err != nil {
				return err
			}
			q := r.URL.Query()
			list, next, err := s.Licensing.Invoices(r.Context(), principal(r), atrium.OrgID(q.Get("org_id")), limit, q.Get("cursor"))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, List[licensing.Invoice]{Items: list, NextCursor: next})
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/invoices/{id}", Summary: "One invoice: JSON, or CSV (Accept: text/csv or format=csv), or a printable page (Accept: text/html or format=html)",
		Tag: "billing", Query: []string{"format"}, Response: licensing.Invoice{}},
		func(w http.ResponseWriter, r *http.Request) error {
			inv, err := s.Licensing.Invoice(r.Context(), principal(r), r.PathValue("id"))
			if err != nil {
				return err
			}
			format := r.URL.Query().Get("format")
			accept := r.Header.Get("Accept")
			switch {
			case format == "csv" || (format == "" && strings.Contains(accept, "text/csv")):
				w.Header().Set("Content-Type", "text/csv; charset=utf-8")
				w.Header().Set("Content-Disposition", `attachment; filename="`+inv.Number+`.csv"`)
				return inv.WriteCSV(w)
			case format == "html" || (format == "" && strings.Contains(accept, "text/html")):
				buyer, err := s.Directory.Org(r.Context(), inv.Org)
				if err != nil {
					return err
				}
				seller, err := s.Directory.OperatorOrg(r.Context())
				if err != nil {
					return err
				}
				party := func(o *directory.Organization, contact string) licensing.Party {
					p := licensing.Party{Name: o.Name, Address: o.Address, Contact: contact, TaxID: o.TaxID}
					if o.Country != "" {
						p.Country = directory.CountryName(o.Country)
					}
					return p
				}
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
				return inv.WriteHTML(w, party(seller, seller.TechnicalContact), party(buyer, buyer.ContactEmail))
			case format != "" && format != "json":
				return atrium.FieldError("format", "must be json, csv or html")
			}
			return writeJSON(w, http.StatusOK, inv)
		})
	mark := func(state licensing.InvoiceState) Handler {
		return func(w http.ResponseWriter, r *http.Request) error {
			inv, err := s.Licensing.SetInvoiceState(r.Context(), principal(r), r.PathValue("id"), state)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, inv)
		}
	}
	s.handle(Route{Method: "POST", Path: "/api/v1/invoices/{id}/pay", Summary: "Mark an open invoice paid (operator staff)", Tag: "billing",
		Response: licensing.Invoice{}}, mark(licensing.InvoicePaid))
	s.handle(Route{Method: "POST", Path: "/api/v1/invoices/{id}/void", Summary: "Void an open invoice (operator staff)", Tag: "billing",
		Response: licensing.Invoice{}}, mark(licensing.InvoiceVoid))
}

func (s *Server) registerPartner() {
	s.handle(Route{Method: "PUT", Path: "/api/v1/subscriptions/{id}/partner", Summary: "Name the partner of record of a subscription",
		Tag: "billing", Request: licensing.PartnerInput{}, Response: licensing.Subscription{}},
		func(w http.ResponseWriter, r *http.Request) error {
			var in licensing.PartnerInput
			if err := decode(w, r, &in); err != nil {
				return err
			}
			sub, err := s.Licensing.SetPartner(r.Context(), principal(r), r.PathValue("id"), in)
			if err != nil {
				return err
			}
			return writeSubscription(w, http.StatusOK, sub)
		})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/subscriptions/{id}/partner", Summary: "Remove the partner of record of a subscription",
		Tag: "billing", Response: licensing.Subscription{}},
		func(w http.ResponseWriter, r *http.Request) error {
			sub, err := s.Licensing.RemovePartner(r.Context(), principal(r), r.PathValue("id"))
			if err != nil {
				return err
			}
			return writeSubscription(w, http.StatusOK, sub)
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/partner/subscriptions", Summary: "Customers' subscriptions on which your organization is partner of record, newest first (read-only, audited once per page)",
		Tag: "billing", Query: []string{"limit", "cursor"}, Response: List[licensing.PartnerView]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			q, err := listQuery(r)
			if err != nil {
				return err
			}
			list, next, err := s.Licensing.PartnerSubscriptions(r.Context(), principal(r), q)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, List[licensing.PartnerView]{Items: list, NextCursor: next})
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/partner/subscriptions/{id}", Summary: "One customer subscription you are partner of record of (read-only, audited)",
		Tag: "billing", Response: licensing.PartnerView{}},
		func(w http.ResponseWriter, r *http.Request) error {
			v, err := s.Licensing.PartnerSubscription(r.Context(), principal(r), r.PathValue("id"))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, v)
		})
}
