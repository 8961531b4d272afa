package licensing

import (
	"context"
	"embed"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/store"
)

// JobIssueInvoices issues the invoices of billing periods that have none yet.
const JobIssueInvoices jobs.Kind = "licensing.issue_invoices"

// InvoiceState is an invoice's payment state.
type InvoiceState string

// Invoice states.
const (
	InvoiceOpen InvoiceState = "open"
	InvoicePaid InvoiceState = "paid"
	InvoiceVoid InvoiceState = "void"
)

// Invoice bills one subscription (with its add-ons) for one billing period, in advance.
// Amounts are integers in minor units; taxes are left out.
type Invoice struct {
	ID             string       `json:"id"`
	Org            atrium.OrgID `json:"org_id"`
	SubscriptionID string       `json:"subscription_id"`
	Number         string       `json:"number"`
	PeriodStart    time.Time    `json:"period_start"`
	PeriodEnd      time.Time    `json:"period_end"`
	State          InvoiceState `json:"state"`
	Currency       string       `json:"currency"`
	TotalMinor     int64        `json:"total_minor"`
	IssuedAt       time.Time    `json:"issued_at"`
	// DueAt is when payment is due: PaymentTerm after issue.
	DueAt time.Time `json:"due_at"`
	// TotalMinor is the lines' sum, before tax. The tax is that of the buyer's country
	// when the invoice was issued; TotalDueMinor is what the buyer pays.
	BuyerCountry  string        `json:"buyer_country,omitempty"`
	TaxRateBP     int           `json:"tax_rate_bp"`
	TaxMinor      int64         `json:"tax_minor"`
	ReverseCharge bool          `json:"reverse_charge"`
	TotalDueMinor int64         `json:"total_due_minor"`
	PaidAt        *time.Time    `json:"paid_at"`
	Lines         []InvoiceLine `json:"lines,omitempty"`
}

// InvoiceLine is one line of an invoice: seats, an add-on, or a prorated change.
type InvoiceLine struct {
	Kind           string `json:"kind"` // seats, addon, proration
	Description    string `json:"description"`
	Quantity       int    `json:"quantity"`
	UnitPriceMinor int64  `json:"unit_price_minor"`
	AmountMinor    int64  `json:"amount_minor"`
}

// Prorate returns delta × unitPrice × remaining / period, rounded half away from zero:
// what a quantity change costs (or credits) for the rest of a period.
func Prorate(delta int, unitPrice int64, remaining, period time.Duration) int64 {
	if period <= 0 || remaining <= 0 {
		return 0
	}
	num := new(big.Int).Mul(big.NewInt(int64(delta)), big.NewInt(unitPrice))
	num.Mul(num, big.NewInt(int64(remaining)))
	den := big.NewInt(int64(period))
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	// Round half away from zero: compare 2|r| with the divisor.
	r.Abs(r).Mul(r, big.NewInt(2))
	if r.Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Int64()
}

// recordChange notes a quantity change of sub (of root's billing) for proration on the
// root's next invoice.
func recordChange(ctx context.Context, tx *store.Tx, root *Subscription, subID string, delta int, unitPrice int64, at time.Time) error {
	if delta == 0 || root.Trial {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO subscription_changes (id, root_id, subscription_id, at, delta, unit_price_minor, period_start, period_end)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, uuid.Must(uuid.NewV7()).String(), root.ID, subID, store.Micros(at), delta, unitPrice,
		store.Micros(root.PeriodStart), store.Micros(root.PeriodEnd))
	return err
}

// issueInvoices issues every missing invoice of the current periods.
func (s *Service) issueInvoices(ctx context.Context, _ *jobs.Job) error {
	_, err := s.IssueInvoices(ctx)
	return err
}

// IssueInvoices issues the invoice of each paid root subscription's current period that
// has none yet and returns how many it issued. Safe to run on several nodes at once: the
// (subscription, period) key lets one invoice through.
func (s *Service) IssueInvoices(ctx context.Context) (int, error) {
	now := s.now()
	rows, err := s.db.Read().QueryContext(ctx, `SELECT s.id, s.org_id FROM subscriptions s
		WHERE s.parent_id IS NULL AND s.trial = FALSE AND s.state = 'active' AND s.period_start <= $1
		AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.subscription_id = s.id AND i.period_start = s.period_start)
		ORDER BY s.period_start LIMIT 1000`, store.Micros(now))
	if err != nil {
		return 0, store.Translate(err)
	}
	type due struct{ id, org string }
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.org); err != nil {
			rows.Close()
			return 0, store.Translate(err)
		}
		list = append(list, d)
	}
	rows.Close()
	n := 0
	for _, d := range list {
		err := s.db.Tx(ctx, func(tx *store.Tx) error { return s.issueOne(ctx, tx, atrium.OrgID(d.org), d.id, now) })
		if atrium.ErrorCode(err) == atrium.CodeConflict {
			continue // another node issued it
		}
		if err != nil {
			return n, fmt.Errorf("licensing: invoice %s: %w", d.id, err)
		}
		n++
	}
	return n, nil
}

func (s *Service) issueOne(ctx context.Context, tx *store.Tx, org atrium.OrgID, subID string, now time.Time) error {
	root, err := getSubscription(ctx, tx, org, subID)
	if err != nil {
		return err
	}
	prod, err := getProduct(ctx, s, tx, root.ProductID)
	if err != nil {
		return err
	}
	period := fmt.Sprintf("%s – %s", root.PeriodStart.Format("2006-01-02"), root.PeriodEnd.Format("2006-01-02"))
	lines := []InvoiceLine{{Kind: "seats", Description: fmt.Sprintf("%s, %s", prod.Name, period), Quantity: root.Quantity,
		UnitPriceMinor: prod.PriceMinor, AmountMinor: int64(root.Quantity) * prod.PriceMinor}}
	crows, err := tx.QueryContext(ctx, `SELECT s.quantity, p.name, p.price_minor FROM subscriptions s JOIN products p ON p.id = s.product_id
		WHERE s.parent_id = $1 AND s.state <> 'expired' AND s.trial = FALSE ORDER BY s.created_at, s.id`, root.ID)
	if err != nil {
		return err
	}
	for crows.Next() {
		var l InvoiceLine
		if err := crows.Scan(&l.Quantity, &l.Description, &l.UnitPriceMinor); err != nil {
			crows.Close()
			return err
		}
		l.Kind, l.AmountMinor = "addon", int64(l.Quantity)*l.UnitPriceMinor
		l.Description += ", " + period
		lines = append(lines, l)
	}
	crows.Close()
	inv := &Invoice{ID: uuid.Must(uuid.NewV7()).String(), Org: org, SubscriptionID: root.ID, PeriodStart: root.PeriodStart, PeriodEnd: root.PeriodEnd,
		State: InvoiceOpen, Currency: prod.Currency, IssuedAt: now, DueAt: now.Add(PaymentTerm)}
	// Changes inside earlier periods are prorated now; changes since this period began
	// are already in the quantities above.
	chrows, err := tx.QueryContext(ctx, `SELECT c.id, c.at, c.delta, c.unit_price_minor, c.period_start, c.period_end, p.name
		FROM subscription_changes c JOIN subscriptions s ON s.id = c.subscription_id JOIN products p ON p.id = s.product_id
		WHERE c.root_id = $1 AND c.invoice_id IS NULL ORDER BY c.at, c.id`, root.ID)
	if err != nil {
		return err
	}
	var changeIDs []string
	for chrows.Next() {
		var id, name string
		var at, ps, pe int64
		var delta int
		var price int64
		if err := chrows.Scan(&id, &at, &delta, &price, &ps, &pe, &name); err != nil {
			chrows.Close()
			return err
		}
		changeIDs = append(changeIDs, id)
		if at >= store.Micros(root.PeriodStart) {
			continue
		}
		remaining := store.Time(pe).Sub(store.Time(at))
		amount := Prorate(delta, price, remaining, store.Time(pe).Sub(store.Time(ps)))
		verb := "added"
		if delta < 0 {
			verb = "removed"
		}
		lines = append(lines, InvoiceLine{Kind: "proration", Quantity: delta, UnitPriceMinor: price, AmountMinor: amount,
			Description: fmt.Sprintf("%s: %d seats %s on %s, prorated to %s", name, abs(delta), verb, store.Time(at).Format("2006-01-02"), store.Time(pe).Format("2006-01-02"))})
	}
	chrows.Close()
	for _, l := range lines {
		inv.TotalMinor += l.AmountMinor
	}
	buyer, err := s.dir.Org(ctx, org)
	if err != nil {
		return err
	}
	tax, err := taxFor(ctx, tx, buyer.Country)
	if err != nil {
		return err
	}
	inv.BuyerCountry, inv.TaxRateBP, inv.ReverseCharge = buyer.Country, tax.RateBP, tax.ReverseCharge
	if !tax.ReverseCharge {
		inv.TaxMinor = taxOf(inv.TotalMinor, tax.RateBP)
	}
	inv.TotalDueMinor = inv.TotalMinor + inv.TaxMinor
	// The number is taken last, just before the row: the issue is decided by now, so
	// a number is never taken for an invoice that is then not written.
	if inv.Number, err = nextInvoiceNumber(ctx, tx, now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO invoices (id, org_id, subscription_id, number, period_start, period_end, state, currency, total_minor, issued_at, due_at,
			buyer_country, tax_rate_bp, tax_minor, reverse_charge)
		VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $10, $11, $12, $13, $14)`, inv.ID, string(org), root.ID, inv.Number, store.Micros(inv.PeriodStart),
		store.Micros(inv.PeriodEnd), inv.Currency, inv.TotalMinor, store.Micros(now), store.Micros(inv.DueAt),
		inv.BuyerCountry, inv.TaxRateBP, inv.TaxMinor, inv.ReverseCharge); err != nil {
		return err
	}
	for i, l := range lines {
		if _, err := tx.ExecContext(ctx, `INSERT INTO invoice_lines (id, invoice_id, position, kind, description, quantity, unit_price_minor, amount_minor)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, uuid.Must(uuid.NewV7()).String(), inv.ID, i, l.Kind, l.Description, l.Quantity, l.UnitPriceMinor, l.AmountMinor); err != nil {
			return err
		}
	}
	for _, id := range changeIDs {
		if _, err := tx.ExecContext(ctx, `UPDATE subscription_changes SET invoice_id = $1 WHERE id = $2`, inv.ID, id); err != nil {
			return err
		}
	}
	if err := audit.Record(ctx, tx, now, audit.Entry{Org: org, Action: "invoice.issue", TargetType: "invoice", TargetID: inv.ID, TargetName: inv.Number,
		After: map[string]any{"total_minor": inv.TotalMinor, "currency": inv.Currency}}); err != nil {
		return err
	}
	_, err = s.events.Publish(ctx, tx, org, inv.ID, InvoiceIssued{Invoice: inv.ID, Org: org, Subscription: root.ID, Number: inv.Number,
		Currency: inv.Currency, TotalMinor: inv.TotalMinor, TaxMinor: inv.TaxMinor, TotalDueMinor: inv.TotalDueMinor, DueAt: inv.DueAt})
	return err
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

const invoiceColumns = `id, org_id, subscription_id, number, period_start, period_end, state, currency, total_minor, issued_at, paid_at, due_at,
	buyer_country, tax_rate_bp, tax_minor, reverse_charge`

// PaymentTerm is how long after issue an invoice is due.
const PaymentTerm = 30 * 24 * time.Hour

// nextInvoiceNumber takes the next number of the year of now in tx: one sequence per
// year without gaps (a rolled-back issue gives its number back).
func nextInvoiceNumber(ctx context.Context, tx *store.Tx, now time.Time) (string, error) {
	year := now.UTC().Year()
	var n int64
	err := tx.QueryRowContext(ctx, `INSERT INTO invoice_numbers (year, last) VALUES ($1, 1)
		ON CONFLICT (year) DO UPDATE SET last = invoice_numbers.last + 1 RETURNING last`, year).Scan(&n)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d-%06d", year, n), nil
}

func scanInvoice(row interface{ Scan(...any) error }) (*Invoice, error) {
	var inv Invoice
	var ps, pe, issued, due int64
	var paid *int64
	if err := row.Scan(&inv.ID, &inv.Org, &inv.SubscriptionID, &inv.Number, &ps, &pe, &inv.State, &inv.Currency, &inv.TotalMinor, &issued, &paid, &due,
		&inv.BuyerCountry, &inv.TaxRateBP, &inv.TaxMinor, &inv.ReverseCharge); err != nil {
		return nil, err
	}
	inv.PeriodStart, inv.PeriodEnd, inv.IssuedAt, inv.DueAt = store.Time(ps), store.Time(pe), store.Time(issued), store.Time(due)
	inv.TotalDueMinor = inv.TotalMinor + inv.TaxMinor
	if paid != nil {
		t := store.Time(*paid)
		inv.PaidAt = &t
	}
	return &inv, nil
}

// newestIssued is the order of the invoice list, on invoices_org (org_id, issued_at, id).
var newestIssued = store.Keyset{Columns: []string{"issued_at", "id"}, Desc: true}

// Invoices lists an organization's invoices, newest first, keyset-paginated: p's own
// organization, or (operator staff who manage invoices) the organization org. It returns
// at most limit invoices (1 to 200; 50 when out of range) and the cursor of the next page
// ("" on the last); forbidden without a billing role, invalid (field "cursor") for a
// cursor this list did not give out.
func (s *Service) Invoices(ctx context.Context, p *access.Principal, org atrium.OrgID, limit int, cursor string) ([]Invoice, string, error) {
	if org == "" {
		org = p.Org
	}
	if !access.Can(p, access.BillingRead, access.Resource{Org: org}) && !access.Can(p, access.InvoiceManage, access.Resource{Org: org}) {
		return nil, "", &atrium.Error{Code: atrium.CodeForbidden, Message: "you do not have permission to " + access.BillingRead.Description(),
			ID: "err.access.forbidden", Args: []any{"Action", access.BillingRead.String()}}
	}
	var at int64
	var id string
	page, err := newestIssued.Page([]any{string(org)}, cursor, ListQuery{Limit: limit}.size(), &at, &id)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE org_id = $1 AND `+page.Where+` `+page.OrderLimit, page.Args...)
	if err != nil {
		return nil, "", store.Translate(err)
	}
	defer rows.Close()
	out := []Invoice{}
	for rows.Next() {
		inv, err := scanInvoice(rows)
		if err != nil {
			return nil, "", store.Translate(err)
		}
		out = append(out, *inv)
	}
	if err := rows.Err(); err != nil {
		return nil, "", store.Translate(err)
	}
	out, next := store.NextPage(page, out, func(inv Invoice) []any { return []any{store.Micros(inv.IssuedAt), inv.ID} })
	return out, next, nil
}

// Invoice returns one invoice with its lines: of p's organization, or any for operator
// staff who manage invoices. Members of the invoice's organization without a billing
// role get forbidden, like for every other billing read; others get not_found.
func (s *Service) Invoice(ctx context.Context, p *access.Principal, id string) (*Invoice, error) {
	inv, err := scanInvoice(s.db.Read().QueryRowContext(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE id = $1`, id))
	if err != nil || (!access.Can(p, access.BillingRead, access.Resource{Org: inv.Org}) && !access.Can(p, access.InvoiceManage, access.Resource{Org: inv.Org})) {
		if err != nil && atrium.ErrorCode(store.Translate(err)) != atrium.CodeNotFound {
			return nil, store.Translate(err)
		}
		if err == nil && inv.Org == p.Org {
			return nil, access.Require(p, access.BillingRead, access.Resource{Org: inv.Org})
		}
		return nil, atrium.Errorf(atrium.CodeNotFound, "invoice not found")
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT kind, description, quantity, unit_price_minor, amount_minor FROM invoice_lines
		WHERE invoice_id = $1 ORDER BY position`, id)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var l InvoiceLine
		if err := rows.Scan(&l.Kind, &l.Description, &l.Quantity, &l.UnitPriceMinor, &l.AmountMinor); err != nil {
			return nil, store.Translate(err)
		}
		inv.Lines = append(inv.Lines, l)
	}
	return inv, store.Translate(rows.Err())
}

// SetInvoiceState marks an open invoice paid or void (operator staff).
func (s *Service) SetInvoiceState(ctx context.Context, p *access.Principal, id string, state InvoiceState) (*Invoice, error) {
	if state != InvoicePaid && state != InvoiceVoid {
		return nil, atrium.FieldError("state", "must be paid or void")
	}
	inv, err := s.Invoice(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := access.Require(p, access.InvoiceManage, access.Resource{Org: inv.Org}); err != nil {
		return nil, err
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		var paid any
		if state == InvoicePaid {
			paid = store.Micros(now)
		}
		res, err := tx.ExecContext(ctx, `UPDATE invoices SET state = $1, paid_at = $2 WHERE id = $3 AND state = 'open'`, string(state), paid, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return atrium.Errorf(atrium.CodeConflict, "only open invoices can be marked paid or void")
		}
		return audit.Record(ctx, tx, now, audit.Entry{Org: inv.Org, Action: "invoice." + string(state), TargetType: "invoice", TargetID: id, TargetName: inv.Number,
			Before: map[string]any{"state": inv.State}, After: map[string]any{"state": state}})
	})
	if err != nil {
		return nil, err
	}
	return s.Invoice(ctx, p, id)
}

// FormatMinor renders an amount in minor units with two decimals, such as "-12.50".
func FormatMinor(amount int64) string {
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	return fmt.Sprintf("%s%d.%02d", sign, amount/100, amount%100)
}

// WriteCSV writes the invoice as CSV: a header, one row per line, and the total.
func (inv *Invoice) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"invoice", "kind", "description", "quantity", "unit_price", "amount", "currency"})
	for _, l := range inv.Lines {
		cw.Write([]string{inv.Number, l.Kind, l.Description, fmt.Sprint(l.Quantity), FormatMinor(l.UnitPriceMinor), FormatMinor(l.AmountMinor), inv.Currency})
	}
	cw.Write([]string{inv.Number, "total", "", "", "", FormatMinor(inv.TotalMinor), inv.Currency})
	cw.Write([]string{inv.Number, "tax", inv.TaxDescription(), "", "", FormatMinor(inv.TaxMinor), inv.Currency})
	cw.Write([]string{inv.Number, "total_due", "", "", "", FormatMinor(inv.TotalDueMinor), inv.Currency})
	cw.Flush()
	return cw.Error()
}

//go:embed invoice.html
var invoiceHTML embed.FS

var invoiceTemplate = template.Must(template.New("invoice.html").Funcs(template.FuncMap{"money": FormatMinor}).ParseFS(invoiceHTML, "invoice.html"))

// TaxDescription says in words what tax the invoice charges.
func (inv *Invoice) TaxDescription() string {
	switch {
	case inv.ReverseCharge:
		return "Reverse charge: the buyer accounts for the tax"
	case inv.TaxRateBP == 0:
		return "No tax"
	}
	return "Tax " + formatRate(inv.TaxRateBP) + " %"
}

// formatRate writes basis points as a percentage: 2500 is "25", 1250 is "12.5".
func formatRate(bp int) string {
	s := fmt.Sprintf("%d.%02d", bp/100, bp%100)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// Party is the seller or the buyer on an invoice.
type Party struct {
	Name, Address, Country, Contact, TaxID string
}

// WriteHTML writes the invoice as a printable page, from seller to buyer.
func (inv *Invoice) WriteHTML(w io.Writer, seller, buyer Party) error {
	terms := fmt.Sprintf("%d days net", int(inv.DueAt.Sub(inv.IssuedAt).Hours()/24+0.5))
	return invoiceTemplate.Execute(w, map[string]any{"Invoice": inv, "Seller": seller, "Buyer": buyer, "Terms": terms})
}
