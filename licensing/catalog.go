package licensing

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/store"
)

// Kind tells products from add-ons.
type Kind string

// Product kinds.
const (
	KindProduct Kind = "product"
	KindAddon   Kind = "addon"
)

// Period is a billing period.
type Period string

// Billing periods.
const (
	Monthly Period = "monthly"
	Yearly  Period = "yearly"
)

// Product is a sellable product or add-on of the catalog. Prices are in minor units
// (cents): no floating point anywhere near money.
type Product struct {
	ID             string    `json:"id"`
	SKU            string    `json:"sku"`
	Kind           Kind      `json:"kind"`
	ParentID       string    `json:"parent_id,omitempty"`  // add-ons: the product they attach to
	PreviewOf      string    `json:"preview_of,omitempty"` // previews: the full product of the same app
	Name           string    `json:"name"`
	Description    string    `json:"description"`
	Apps           []string  `json:"apps"`
	PriceMinor     int64     `json:"price_minor"`
	Currency       string    `json:"currency"`
	BillingPeriod  Period    `json:"billing_period"`
	TrialAvailable bool      `json:"trial_available"`
	Default        bool      `json:"default"`
	ServicePlans   []Plan    `json:"service_plans"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	Version        int64     `json:"-"`
}

// Plan is a service plan inside a product; a license can have single plans turned off.
type Plan struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ProductInput creates or (with pointers left nil) partly updates a product.
type ProductInput struct {
	SKU            string   `json:"sku"`
	Kind           Kind     `json:"kind"`
	ParentID       string   `json:"parent_id"`
	PreviewOf      string   `json:"preview_of"`
	Name           string   `json:"name"`
	Description    string   `json:"description"`
	Apps           []string `json:"apps"`
	PriceMinor     int64    `json:"price_minor"`
	Currency       string   `json:"currency"`
	BillingPeriod  Period   `json:"billing_period"`
	TrialAvailable bool     `json:"trial_available"`
	ServicePlans   []string `json:"service_plans"`
}

// ProductPatch changes the catalog fields that are not nil.
type ProductPatch struct {
	Name           *string `json:"name"`
	Description    *string `json:"description"`
	PriceMinor     *int64  `json:"price_minor"`
	TrialAvailable *bool   `json:"trial_available"`
}

var (
	skuRE      = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_]{1,63}$`)
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	appRE      = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
)

func (in *ProductInput) validate() error { return in.Problems().Err() }

// Problems returns every problem of in at once, per field (the catalog form adds its
// own, such as a price it could not read, to the same set).
func (in *ProductInput) Problems() atrium.Problems {
	p := atrium.Problems{}
	if !skuRE.MatchString(in.SKU) {
		p.Add("sku", "must be 2 to 64 upper-case letters, digits and underscores")
	}
	if in.Kind != KindProduct && in.Kind != KindAddon {
		p.Add("kind", "must be product or addon")
	}
	if in.Kind == KindAddon && in.ParentID == "" {
		p.Add("parent_id", "is required for an add-on")
	}
	if in.Kind == KindProduct && in.ParentID != "" {
		p.Add("parent_id", "only add-ons have a parent product")
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(in.Name)); n == 0 || n > 128 {
		p.Add("name", "is required, at most 128 characters")
	}
	if utf8.RuneCountInString(in.Description) > 2000 {
		p.Add("description", "must be at most 2000 characters")
	}
	if len(in.Apps) == 0 {
		p.Add("apps", "name at least one app")
	}
	for _, a := range in.Apps {
		if !appRE.MatchString(a) {
			p.Add("apps", "app names are lower-case letters, digits and underscores")
		}
	}
	if in.PriceMinor < 0 || in.PriceMinor > 100_000_000 {
		p.Add("price_minor", "must be between 0 and 100000000")
	}
	if !currencyRE.MatchString(in.Currency) {
		p.Add("currency", "must be a three-letter currency code such as USD")
	}
	if in.BillingPeriod != Monthly && in.BillingPeriod != Yearly {
		p.Add("billing_period", "must be monthly or yearly")
	}
	seen := map[string]bool{}
	for _, sp := range in.ServicePlans {
		if n := utf8.RuneCountInString(strings.TrimSpace(sp)); n == 0 || n > 64 || seen[sp] {
			p.Add("service_plans", "each plan needs a unique name of at most 64 characters")
		}
		seen[sp] = true
	}
	return p
}

type catalogEntry struct {
	ProductInput
	Default      bool   `json:"default"`
	ParentSKU    string `json:"parent_sku"`
	PreviewOfSKU string `json:"preview_of_sku"`
}

// LoadBuiltinCatalog adds the products of the built-in catalog that are not in the
// database yet (matched by SKU). Operator edits are kept.
func (s *Service) LoadBuiltinCatalog(ctx context.Context) error {
	var entries []catalogEntry
	if err := json.Unmarshal(builtinCatalog, &entries); err != nil {
		return fmt.Errorf("licensing: built-in catalog: %w", err)
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		for _, e := range entries {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM products WHERE sku = $1`, e.SKU).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			resolve := func(sku string) (string, error) {
				if sku == "" {
					return "", nil
				}
				var id string
				err := tx.QueryRowContext(ctx, `SELECT id FROM products WHERE sku = $1`, sku).Scan(&id)
				return id, err
			}
			var err error
			if e.ParentID, err = resolve(e.ParentSKU); err != nil {
				return fmt.Errorf("licensing: catalog %s: parent %s: %w", e.SKU, e.ParentSKU, err)
			}
			if e.PreviewOf, err = resolve(e.PreviewOfSKU); err != nil {
				return fmt.Errorf("licensing: catalog %s: preview of %s: %w", e.SKU, e.PreviewOfSKU, err)
			}
			if err := e.validate(); err != nil {
				return fmt.Errorf("licensing: catalog %s: %w", e.SKU, err)
			}
			if _, err := s.insertProduct(ctx, tx, e.ProductInput, e.Default); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Service) insertProduct(ctx context.Context, tx *store.Tx, in ProductInput, isDefault bool) (*Product, error) {
	now := tx.Now()
	apps, _ := json.Marshal(in.Apps)
	p := &Product{ID: uuid.Must(uuid.NewV7()).String(), SKU: in.SKU, Kind: in.Kind, ParentID: in.ParentID, PreviewOf: in.PreviewOf,
		Name: strings.TrimSpace(in.Name), Description: in.Description, Apps: in.Apps, PriceMinor: in.PriceMinor, Currency: in.Currency,
		BillingPeriod: in.BillingPeriod, TrialAvailable: in.TrialAvailable, Default: isDefault, CreatedAt: now, UpdatedAt: now, Version: 1,
		ServicePlans: []Plan{}}
	_, err := tx.ExecContext(ctx, `INSERT INTO products (id, sku, kind, parent_id, preview_of, name, description, apps, price_minor, currency,
			billing_period, trial_available, is_default, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)`,
		p.ID, p.SKU, string(p.Kind), nullable(p.ParentID), nullable(p.PreviewOf), p.Name, p.Description, string(apps), p.PriceMinor,
		p.Currency, string(p.BillingPeriod), p.TrialAvailable, isDefault, store.Micros(now))
	if err != nil {
		if store.IsUniqueViolation(err) {
			return nil, &atrium.Error{Code: atrium.CodeConflict, Message: "a product with this SKU exists", Fields: map[string]string{"sku": "is taken"}, Cause: err}
		}
		return nil, err
	}
	for _, name := range in.ServicePlans {
		plan := Plan{ID: uuid.Must(uuid.NewV7()).String(), Name: strings.TrimSpace(name)}
		if _, err := tx.ExecContext(ctx, `INSERT INTO service_plans (id, product_id, name) VALUES ($1, $2, $3)`, plan.ID, p.ID, plan.Name); err != nil {
			return nil, err
		}
		p.ServicePlans = append(p.ServicePlans, plan)
	}
	return p, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const productColumns = `id, sku, kind, parent_id, preview_of, name, description, apps, price_minor, currency, billing_period,
	trial_available, is_default, created_at, updated_at, version`

func scanProduct(row interface{ Scan(...any) error }) (*Product, error) {
	var p Product
	var parent, preview *string
	var apps string
	var created, updated int64
	if err := row.Scan(&p.ID, &p.SKU, &p.Kind, &parent, &preview, &p.Name, &p.Description, &apps, &p.PriceMinor, &p.Currency,
		&p.BillingPeriod, &p.TrialAvailable, &p.Default, &created, &updated, &p.Version); err != nil {
		return nil, err
	}
	if parent != nil {
		p.ParentID = *parent
	}
	if preview != nil {
		p.PreviewOf = *preview
	}
	_ = json.Unmarshal([]byte(apps), &p.Apps)
	p.CreatedAt, p.UpdatedAt = store.Time(created), store.Time(updated)
	return &p, nil
}

// plansOf fills in the service plans of products: one query per 500 products, not one
// per product.
func (s *Service) plansOf(ctx context.Context, q store.Querier, products []*Product) error {
	byID := make(map[string]*Product, len(products))
	for _, p := range products {
		p.ServicePlans = []Plan{}
		byID[p.ID] = p
	}
	for len(products) > 0 {
		chunk := products[:min(len(products), 500)]
		products = products[len(chunk):]
		ids := make([]string, len(chunk))
		for i, p := range chunk {
			ids[i] = p.ID
		}
		args, marks := store.In(nil, ids)
		rows, err := q.QueryContext(ctx, `SELECT product_id, id, name FROM service_plans WHERE product_id IN (`+marks+`)
			ORDER BY product_id, name`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var product string
			var pl Plan
			if err := rows.Scan(&product, &pl.ID, &pl.Name); err != nil {
				rows.Close()
				return err
			}
			if p := byID[product]; p != nil {
				p.ServicePlans = append(p.ServicePlans, pl)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// MaxCatalog bounds the catalog, which Products returns whole (the console shows it on
// one page, grouped): adding a product beyond it is refused rather than the list cut.
const MaxCatalog = 1000

// Products returns the catalog, products first, by name. Any signed-in principal may
// read it.
func (s *Service) Products(ctx context.Context) ([]Product, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+productColumns+` FROM products ORDER BY kind DESC, name, id LIMIT `+strconv.Itoa(MaxCatalog))
	if err != nil {
		return nil, store.Translate(err)
	}
	var ptrs []*Product
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			rows.Close()
			return nil, store.Translate(err)
		}
		ptrs = append(ptrs, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, store.Translate(err)
	}
	if err := s.plansOf(ctx, s.db.Read(), ptrs); err != nil {
		return nil, store.Translate(err)
	}
	out := make([]Product, 0, len(ptrs))
	for _, p := range ptrs {
		out = append(out, *p)
	}
	return out, nil
}

// Product returns one product with its plans; not_found if there is none.
func (s *Service) Product(ctx context.Context, id string) (*Product, error) {
	return getProduct(ctx, s, s.db.Read(), id)
}

func getProduct(ctx context.Context, s *Service, q store.Querier, id string) (*Product, error) {
	p, err := scanProduct(q.QueryRowContext(ctx, `SELECT `+productColumns+` FROM products WHERE id = $1`, id))
	if err != nil {
		err = store.Translate(err)
		if atrium.ErrorCode(err) == atrium.CodeNotFound {
			return nil, atrium.Errorf(atrium.CodeNotFound, "product not found")
		}
		return nil, err
	}
	if err := s.plansOf(ctx, q, []*Product{p}); err != nil {
		return nil, store.Translate(err)
	}
	return p, nil
}

// checkProductRefs adds to probs a problem for each product in names (its parent, the
// product it previews) that is not a product of the catalog.
func (s *Service) checkProductRefs(ctx context.Context, q store.Querier, in ProductInput, probs atrium.Problems) error {
	for field, id := range map[string]string{"parent_id": in.ParentID, "preview_of": in.PreviewOf} {
		if id == "" {
			continue
		}
		const msg = "must be the id of a product in the catalog"
		ref, err := getProduct(ctx, s, q, id)
		if atrium.ErrorCode(err) == atrium.CodeNotFound {
			probs.Add(field, msg)
			continue
		}
		if err != nil {
			return err
		}
		if ref.Kind != KindProduct {
			probs.Add(field, msg)
		}
	}
	return nil
}

// CreateProduct adds a product or add-on to the catalog (operator staff).
func (s *Service) CreateProduct(ctx context.Context, pr *access.Principal, in ProductInput) (*Product, error) {
	if err := access.Require(pr, access.CatalogManage, access.Resource{}); err != nil {
		return nil, err
	}
	in.SKU = strings.ToUpper(strings.TrimSpace(in.SKU))
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	// Every problem at once: the fields', and products they name that are not there.
	probs := in.Problems()
	if err := s.checkProductRefs(ctx, s.db.Read(), in, probs); err != nil {
		return nil, err
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	var out *Product
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		// Again in the transaction: a product named may have gone meanwhile.
		refs := atrium.Problems{}
		if err := s.checkProductRefs(ctx, tx, in, refs); err != nil {
			return err
		}
		if err := refs.Err(); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM products`).Scan(&n); err != nil {
			return err
		}
		if n >= MaxCatalog {
			return &atrium.Error{Code: atrium.CodeConflict, Message: fmt.Sprintf("the catalog already holds %d products and add-ons, the most it can", MaxCatalog),
				ID: "err.licensing.catalog_full", Args: []any{"Count", MaxCatalog}}
		}
		p, err := s.insertProduct(ctx, tx, in, false)
		if err != nil {
			return err
		}
		out = p
		return audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: pr.Org, Action: "product.create", TargetType: "product", TargetID: p.ID,
			TargetName: p.Name, After: map[string]any{"sku": p.SKU, "price_minor": p.PriceMinor, "currency": p.Currency}})
	})
	return out, err
}

// UpdateProduct changes a product's name, description, price or trial flag (operator
// staff). A price change applies to invoices issued from then on.
func (s *Service) UpdateProduct(ctx context.Context, pr *access.Principal, id string, patch ProductPatch) (*Product, error) {
	if err := access.Require(pr, access.CatalogManage, access.Resource{}); err != nil {
		return nil, err
	}
	var out *Product
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		p, err := getProduct(ctx, s, tx, id)
		if err != nil {
			return err
		}
		before := map[string]any{"name": p.Name, "price_minor": p.PriceMinor, "trial_available": p.TrialAvailable}
		probs := atrium.Problems{}
		if patch.Name != nil {
			if n := utf8.RuneCountInString(strings.TrimSpace(*patch.Name)); n == 0 || n > 128 {
				probs.Add("name", "is required, at most 128 characters")
			}
			p.Name = strings.TrimSpace(*patch.Name)
		}
		if patch.Description != nil {
			if utf8.RuneCountInString(*patch.Description) > 2000 {
				probs.Add("description", "must be at most 2000 characters")
			}
			p.Description = *patch.Description
		}
		if patch.PriceMinor != nil {
			if *patch.PriceMinor < 0 || *patch.PriceMinor > 100_000_000 {
				probs.Add("price_minor", "must be between 0 and 100000000")
			}
			p.PriceMinor = *patch.PriceMinor
		}
		if patch.TrialAvailable != nil {
			p.TrialAvailable = *patch.TrialAvailable
		}
		if err := probs.Err(); err != nil {
			return err
		}
		now := tx.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE products SET name = $1, description = $2, price_minor = $3, trial_available = $4,
			updated_at = $5, version = version + 1 WHERE id = $6`, p.Name, p.Description, p.PriceMinor, p.TrialAvailable, store.Micros(now), p.ID); err != nil {
			return err
		}
		p.UpdatedAt, p.Version = now, p.Version+1
		out = p
		return audit.Record(ctx, tx, now, audit.Entry{Org: pr.Org, Action: "product.update", TargetType: "product", TargetID: p.ID,
			TargetName: p.Name, Before: before, After: map[string]any{"name": p.Name, "price_minor": p.PriceMinor, "trial_available": p.TrialAvailable}})
	})
	return out, err
}

// periodEnd returns the end of the billing period that starts at start.
func periodEnd(start time.Time, period Period) time.Time {
	if period == Yearly {
		return start.AddDate(1, 0, 0)
	}
	return start.AddDate(0, 1, 0)
}
