package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/licensing"
)

// purchasePage is Billing > Purchase services: the catalog to buy from and the
// organization's subscriptions.
type purchasePage struct {
	Products      []licensing.Product
	Subscriptions []subscriptionRow
	// Pager pages the subscriptions, newest first.
	Pager     pager
	CanManage bool
	// Failed is the subscription whose form the field errors belong to.
	Failed string
}

// subscriptionRow is a subscription with what the page shows beside it.
type subscriptionRow struct {
	licensing.Subscription
	PartnerName string
	// Live subscriptions can still be changed.
	Live bool
}

// orderReview is the order as it will be placed, for the review step: the service's
// plan of it, which the order then must match (OrderInput.SeatsAfter).
type orderReview struct {
	*licensing.OrderPlan
	// SubscriptionID is the subscription the form named ("" for a new one).
	SubscriptionID string
	// Summary says in a sentence of the request's language what the subscription has
	// afterwards (the plan's own Summary is English).
	Summary string
}

// purchaseView builds the purchase page of the signed-in organization, with the page of
// its subscriptions that ?cursor= asks for.
func (c *console) purchaseView(r *http.Request) (*view, error) {
	s := sessionFrom(r.Context())
	limit, err := listLimit(r)
	if err != nil {
		return nil, err
	}
	subs, next, err := c.Licensing.Subscriptions(r.Context(), s.P(), licensing.ListQuery{Limit: limit, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return nil, err
	}
	products, err := c.Licensing.Products(r.Context())
	if err != nil {
		return nil, err
	}
	p := purchasePage{Products: products, Pager: pageLinks(r, next), CanManage: s.Can(access.BillingManage)}
	names := map[string]string{}
	for _, sub := range subs {
		row := subscriptionRow{Subscription: sub, Live: sub.State != licensing.StateExpired}
		if sub.PartnerOrg != "" {
			if _, ok := names[sub.PartnerOrg]; !ok {
				names[sub.PartnerOrg] = sub.PartnerOrg
				if o, err := c.Directory.Org(r.Context(), atrium.OrgID(sub.PartnerOrg)); err == nil {
					names[sub.PartnerOrg] = o.Name
				}
			}
			row.PartnerName = names[sub.PartnerOrg]
		}
		p.Subscriptions = append(p.Subscriptions, row)
	}
	v := c.newView(r, "billing.purchase.title")
	v.Data = p
	return v, nil
}

// purchase is Billing > Purchase services.
func (c *console) purchase(w http.ResponseWriter, r *http.Request) error {
	v, err := c.purchaseView(r)
	if err != nil {
		return err
	}
	// "Change" on the review page comes back with the order filled in.
	q := r.URL.Query()
	for _, k := range []string{"product_id", "quantity", "subscription_id"} {
		if x := q.Get(k); x != "" {
			v.Form.Set(k, x)
		}
	}
	c.render(w, r, http.StatusOK, "purchase.html", v)
	return nil
}

// readOrder reads the product, quantity and subscription of an order form and asks the
// service what the order would do.
func (c *console) readOrder(r *http.Request, f url.Values) (*orderReview, licensing.OrderInput, error) {
	s := sessionFrom(r.Context())
	p := i18n.For(c.lang(r))
	probs := atrium.Problems{}
	in := licensing.OrderInput{SubscriptionID: f.Get("subscription_id")}
	id := f.Get("product_id")
	if id == "" {
		probs.Add("product_id", p.T("billing.order.choose_product"))
	} else if prod, err := c.Licensing.Product(r.Context(), id); err != nil {
		probs.Add("product_id", p.T("billing.order.not_in_catalog"))
	} else if prod.Kind == licensing.KindAddon {
		in.AddonID = prod.ID
	} else {
		in.ProductID = prod.ID
	}
	q, err := strconv.Atoi(strings.TrimSpace(f.Get("quantity")))
	if err != nil || q < 1 || q > licensing.MaxQuantity {
		probs.Add("quantity", p.T("billing.order.quantity_range", "Max", licensing.MaxQuantity))
	}
	in.Quantity = q
	if err := probs.Err(); err != nil {
		return nil, in, err
	}
	plan, err := c.Licensing.PlanOrder(r.Context(), s.P(), in)
	if err != nil {
		return nil, in, err
	}
	o := &orderReview{OrderPlan: plan, SubscriptionID: in.SubscriptionID}
	o.Summary, err = c.orderSummary(r, p, plan)
	if err != nil {
		return nil, in, err
	}
	return o, in, nil
}

// orderSummary says in p's language what the subscription has after the order planned,
// such as "10 trial seats become 15 paid seats."
func (c *console) orderSummary(r *http.Request, p *i18n.Printer, plan *licensing.OrderPlan) (string, error) {
	switch {
	case plan.ParentID != "":
		root, err := c.Licensing.Subscription(r.Context(), sessionFrom(r.Context()).P(), plan.ParentID)
		if err != nil {
			return "", err
		}
		return p.T("billing.review.summary.addon", "Count", plan.Quantity, "Product", root.ProductName), nil
	case plan.Subscription != nil:
		before := "billing.seats.paid"
		if plan.TrialBefore {
			before = "billing.seats.trial"
		}
		return p.T("billing.review.summary.change", "Count", plan.SeatsBefore,
			"Before", p.T(before, "Count", plan.SeatsBefore), "After", p.T("billing.seats.paid", "Count", plan.SeatsAfter)), nil
	}
	return p.T("billing.review.summary.new", "Count", plan.Quantity), nil
}

// purchaseFailed shows the purchase page again with err beside the order form's fields.
func (c *console) purchaseFailed(w http.ResponseWriter, r *http.Request, f url.Values, err error) error {
	v, lerr := c.purchaseView(r)
	if lerr != nil {
		return lerr
	}
	v.Form = f
	if !v.formError(renameField(err, "addon_id", "product_id"), "product_id", "quantity", "subscription_id") {
		return err
	}
	c.render(w, r, statusOf(err), "purchase.html", v)
	return nil
}

// purchaseReview shows the order with its price, and what the subscription has
// afterwards, before it is placed.
func (c *console) purchaseReview(w http.ResponseWriter, r *http.Request) error {
	if err := requireBilling(r); err != nil {
		return err
	}
	f := r.URL.Query()
	o, _, err := c.readOrder(r, f)
	if err != nil {
		return c.purchaseFailed(w, r, f, err)
	}
	return c.renderReview(w, r, http.StatusOK, o, "")
}

func (c *console) renderReview(w http.ResponseWriter, r *http.Request, status int, o *orderReview, errMsg string) error {
	v := c.newView(r, "billing.review.title")
	v.Data = o
	v.Error = errMsg
	c.render(w, r, status, "purchase_review.html", v)
	return nil
}

// requireBilling refuses everyone but Global and Billing administrators before a billing
// form is read, so others get forbidden rather than remarks on their input.
func requireBilling(r *http.Request) error {
	s := sessionFrom(r.Context())
	return access.Require(s.P(), access.BillingManage, access.Resource{Org: s.ID.Principal.Org})
}

// purchaseOrder places the reviewed order. The review's outcome goes with it: when the
// subscription changed since, the review is shown again with the new outcome.
func (c *console) purchaseOrder(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	if err := requireBilling(r); err != nil {
		return err
	}
	f := r.PostForm
	o, in, err := c.readOrder(r, f)
	var order *licensing.Order
	if err == nil {
		in.SeatsAfter, _ = strconv.Atoi(f.Get("seats_after"))
		_, order, err = c.Licensing.PlaceOrder(r.Context(), s.P(), in)
	}
	if atrium.ErrorCode(err) == atrium.CodePreconditionFailed {
		if fresh, _, rerr := c.readOrder(r, f); rerr == nil {
			return c.renderReview(w, r, statusOf(err), fresh, messageIn(i18n.For(c.lang(r)), err))
		}
	}
	if err != nil {
		return c.purchaseFailed(w, r, f, err)
	}
	p := i18n.For(c.lang(r))
	msg := p.T("billing.order.placed."+periodKey(o.Product.BillingPeriod), "Quantity", p.Number(int64(order.Quantity)),
		"Product", o.Product.Name, "Price", p.Money(order.TotalMinor, order.Currency))
	if o.Subscription != nil {
		msg += " " + p.T("billing.order.paid_seats", "Count", o.SeatsAfter)
	}
	return c.redirect(w, r, "/billing/purchase", msg)
}

// subscriptionQuantity changes a subscription's seats. Lowering below the licenses
// assigned shows the service's message beside the quantity field.
func (c *console) subscriptionQuantity(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	if err := requireBilling(r); err != nil {
		return err
	}
	f := r.PostForm
	id := r.PathValue("id")
	version, _ := strconv.ParseInt(f.Get("version"), 10, 64)
	q, perr := strconv.Atoi(strings.TrimSpace(f.Get("quantity")))
	var sub *licensing.Subscription
	err := error(atrium.FieldError("quantity", c.t(r, "billing.order.quantity_range", "Max", licensing.MaxQuantity)))
	if perr == nil {
		sub, err = c.Licensing.SetQuantity(r.Context(), s.P(), id, q, version)
	}
	if err != nil {
		return c.subscriptionFailed(w, r, id, f, err, "quantity")
	}
	return c.redirect(w, r, "/billing/purchase#sub-"+sub.ID, c.t(r, "billing.subscription.quantity_done", "Product", sub.ProductName, "Count", sub.Quantity))
}

// subscriptionFailed shows the purchase page with err beside field of subscription id's
// form.
func (c *console) subscriptionFailed(w http.ResponseWriter, r *http.Request, id string, f url.Values, err error, fields ...string) error {
	v, lerr := c.purchaseView(r)
	if lerr != nil {
		return lerr
	}
	if !v.formError(err, fields...) {
		return err
	}
	p := v.Data.(purchasePage)
	p.Failed = id
	v.Data = p
	for _, name := range fields {
		v.Form.Set(name, f.Get(name))
	}
	c.render(w, r, statusOf(err), "purchase.html", v)
	return nil
}

// cancelPage asks before a subscription is cancelled, saying what its end takes: its
// seats, which users lose which license, and their app data (the service's preview,
// counted with today's licenses). Its buttons read "Cancel subscription" and "Keep
// subscription".
type cancelPage struct {
	Preview *licensing.EndingPreview
	Losses  []cancelLoss
	// More is how many users lose a license beyond those listed.
	More int
	// Data says what app data goes in all, in words.
	Data   string
	Action string
	// Heading, Button and Keep word the page: the cancellation's ("Cancel …?", "Cancel
	// subscription", "Keep subscription") unless changed. Hidden are fields its form
	// posts again.
	Heading, Button, Keep string
	Hidden                [][2]string
}

// cancelLoss is one user's loss, in words.
type cancelLoss struct {
	licensing.LicenseLoss
	// Data says what of the user's app data goes; empty when they keep every app.
	Data string
}

// cancelView words the cancel confirmation of prev in pr's language.
func cancelView(pr *i18n.Printer, prev *licensing.EndingPreview) cancelPage {
	product := prev.Subscription.ProductName
	p := cancelPage{Preview: prev, More: prev.UsersLosing - len(prev.Losses), Data: removalData(pr, prev.Data),
		Action:  "/billing/subscriptions/" + prev.Subscription.ID + "/cancel",
		Heading: pr.T("billing.cancel.title", "Product", product),
		Button:  pr.T("billing.subscription.cancel"), Keep: pr.T("billing.cancel.keep")}
	for _, l := range prev.Losses {
		cl := cancelLoss{LicenseLoss: l}
		if len(l.LostApps) > 0 {
			cl.Data = removalData(pr, l.Data)
		}
		p.Losses = append(p.Losses, cl)
	}
	return p
}

// renderCancel shows the cancel confirmation of subscription id; errMsg, when set, says
// why the last attempt failed.
func (c *console) renderCancel(w http.ResponseWriter, r *http.Request, id string, status int, errMsg string) error {
	s := sessionFrom(r.Context())
	prev, err := c.Licensing.CancelPreview(r.Context(), s.P(), id)
	if err != nil {
		return err
	}
	p := cancelView(i18n.For(c.lang(r)), prev)
	v := c.newView(r, p.Heading)
	v.Error = errMsg
	v.Data = p
	c.render(w, r, status, "purchase_cancel.html", v)
	return nil
}

func (c *console) subscriptionCancelConfirm(w http.ResponseWriter, r *http.Request) error {
	if err := requireBilling(r); err != nil {
		return err
	}
	return c.renderCancel(w, r, r.PathValue("id"), http.StatusOK, "")
}

// subscriptionCancel cancels at the end of the period, after confirmation.
func (c *console) subscriptionCancel(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	sub, err := c.Licensing.Cancel(r.Context(), s.P(), r.PathValue("id"))
	if err != nil {
		if atrium.ErrorCode(err) == atrium.CodeConflict {
			if rerr := c.renderCancel(w, r, r.PathValue("id"), statusOf(err), messageIn(i18n.For(c.lang(r)), err)); rerr == nil {
				return nil
			}
		}
		return err
	}
	p := i18n.For(c.lang(r))
	return c.redirect(w, r, "/billing/purchase#sub-"+sub.ID, p.T("billing.cancel.done", "Product", sub.ProductName, "Date", p.Date(sub.PeriodEnd)))
}

// subscriptionTrialConversion makes a trial become paid at its end, or expire then.
func (c *console) subscriptionTrialConversion(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	pr := i18n.For(c.lang(r))
	convert := r.PostFormValue("convert") == "1"
	if !convert && r.PostFormValue("confirmed") != "1" {
		// Letting a trial expire ends it like a cancellation: say what goes first.
		prev, err := c.Licensing.CancelPreview(r.Context(), s.P(), r.PathValue("id"))
		if err != nil {
			return err
		}
		p := cancelView(pr, prev)
		p.Action = "/billing/subscriptions/" + prev.Subscription.ID + "/trial-conversion"
		p.Heading = pr.T("billing.trial.expire.title", "Product", prev.Subscription.ProductName)
		p.Button, p.Keep = pr.T("billing.trial.expire.button"), pr.T("billing.trial.expire.keep")
		p.Hidden = [][2]string{{"convert", "0"}, {"confirmed", "1"}}
		v := c.newView(r, p.Heading)
		v.Data = p
		c.render(w, r, http.StatusOK, "purchase_cancel.html", v)
		return nil
	}
	sub, err := c.Licensing.SetTrialConversion(r.Context(), s.P(), r.PathValue("id"), convert)
	if err != nil {
		return err
	}
	msg := pr.T("billing.trial.will_expire", "Product", sub.ProductName, "Date", pr.Date(sub.PeriodEnd))
	if convert {
		msg = pr.T("billing.trial.will_convert", "Product", sub.ProductName, "Count", sub.Quantity, "Date", pr.Date(sub.PeriodEnd))
	}
	return c.redirect(w, r, "/billing/purchase#sub-"+sub.ID, msg)
}

// subscriptionPartnerSet names the partner of record by one of its domains.
func (c *console) subscriptionPartnerSet(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	if err := requireBilling(r); err != nil {
		return err
	}
	f := r.PostForm
	id := r.PathValue("id")
	domain := strings.TrimSpace(f.Get("partner_domain"))
	var sub *licensing.Subscription
	err := error(atrium.FieldError("partner_domain", c.t(r, "billing.partner.domain_required", "Example", "fabrikam.atrium.localhost")))
	if domain != "" {
		sub, err = c.Licensing.SetPartner(r.Context(), s.P(), id, licensing.PartnerInput{PartnerDomain: domain})
	}
	if err != nil {
		return c.subscriptionFailed(w, r, id, f, renameField(err, "partner_org_id", "partner_domain"), "partner_domain")
	}
	return c.redirect(w, r, "/billing/purchase#sub-"+sub.ID, c.t(r, "billing.partner.set_done", "Product", sub.ProductName))
}

func partnerRemoveConfirm(p *i18n.Printer, sub *licensing.Subscription, partner string) confirmPage {
	return confirmPage{Heading: p.T("billing.partner.remove.title", "Product", sub.ProductName),
		Message: p.T("billing.partner.remove.message", "Partner", partner),
		Action:  "/billing/subscriptions/" + sub.ID + "/partner/remove", Button: p.T("billing.partner.remove.button"), Cancel: "/billing/purchase"}
}

func (c *console) partnerOf(r *http.Request, sub *licensing.Subscription) string {
	if o, err := c.Directory.Org(r.Context(), atrium.OrgID(sub.PartnerOrg)); err == nil {
		return o.Name
	}
	return c.t(r, "billing.partner.unknown")
}

func (c *console) subscriptionPartnerRemoveConfirm(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	if err := requireBilling(r); err != nil {
		return err
	}
	sub, err := c.Licensing.Subscription(r.Context(), s.P(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if sub.PartnerOrg == "" {
		return atrium.Errorf(atrium.CodeNotFound, "%s", c.t(r, "billing.partner.missing"))
	}
	return c.confirm(w, r, partnerRemoveConfirm(i18n.For(c.lang(r)), sub, c.partnerOf(r, sub)), http.StatusOK, "")
}

// subscriptionPartnerRemove removes the partner of record, after confirmation.
func (c *console) subscriptionPartnerRemove(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	sub, err := c.Licensing.RemovePartner(r.Context(), s.P(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return c.redirect(w, r, "/billing/purchase#sub-"+sub.ID, c.t(r, "billing.partner.removed", "Product", sub.ProductName))
}

// renameField returns err with its field from renamed to, so a service's field name
// lands beside the form field that carries it.
func renameField(err error, from, to string) error {
	e, ok := err.(*atrium.Error)
	if !ok || e.Fields == nil {
		return err
	}
	msg, ok := e.Fields[from]
	if !ok {
		return err
	}
	cp := *e
	cp.Fields = map[string]string{}
	for k, v := range e.Fields {
		if k != from {
			cp.Fields[k] = v
		}
	}
	cp.Fields[to] = msg
	if m, ok := e.FieldMsgs[from]; ok {
		cp.FieldMsgs = map[string]atrium.Msg{}
		for k, v := range e.FieldMsgs {
			if k != from {
				cp.FieldMsgs[k] = v
			}
		}
		cp.FieldMsgs[to] = m
	}
	return &cp
}

// periodWords returns the message that says how often a price is billed ("per month"
// or "per year"): templates show it with {{t (per .BillingPeriod)}}.
func periodWords(p licensing.Period) string {
	return "billing.period.per." + periodKey(p)
}

// periodKey ends the IDs of the messages that differ by billing period, such as
// billing.order.placed.yearly.
func periodKey(p licensing.Period) string {
	if p == licensing.Yearly {
		return "yearly"
	}
	return "monthly"
}
