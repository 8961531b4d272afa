package licensing

import (
	"context"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/store"
)

// TaxManage is licensing's action for the tax rates invoices charge.
var TaxManage = access.RegisterActions("licensing", access.ActionDef{
	Name:        "instance.tax.manage",
	Description: "set the tax rate invoices charge per buyer country",
	Instance:    true,
	Grant:       []string{"operator_admin"},
})[0]

// TaxRate is the tax invoices to buyers of one country charge.
type TaxRate struct {
	Country string `json:"country"`
	// RateBP is the rate in basis points: 2500 is 25 %.
	RateBP int `json:"rate_bp"`
	// ReverseCharge: no tax is charged; the buyer accounts for it, and the invoice says so.
	ReverseCharge bool `json:"reverse_charge"`
}

// TaxRates returns every configured rate, by country (operator staff).
func (s *Service) TaxRates(ctx context.Context, p *access.Principal) ([]TaxRate, error) {
	if err := access.Require(p, access.InstanceOrgRead, access.Resource{}); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT country, rate_bp, reverse_charge FROM tax_rates ORDER BY country`)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	out := []TaxRate{}
	for rows.Next() {
		var t TaxRate
		if err := rows.Scan(&t.Country, &t.RateBP, &t.ReverseCharge); err != nil {
			return nil, store.Translate(err)
		}
		out = append(out, t)
	}
	return out, store.Translate(rows.Err())
}

// SetTaxRate sets the rate of a country (operator staff, instance.tax.manage), audited.
// Invoices issued from then on use it; issued ones keep theirs.
func (s *Service) SetTaxRate(ctx context.Context, p *access.Principal, t TaxRate) (*TaxRate, error) {
	if err := access.Require(p, TaxManage, access.Resource{}); err != nil {
		return nil, err
	}
	t.Country = strings.ToUpper(strings.TrimSpace(t.Country))
	probs := atrium.Problems{}
	if !directory.IsCountry(t.Country) {
		probs.Add("country", "must be an ISO 3166-1 country code, such as SE or DE")
	}
	if t.RateBP < 0 || t.RateBP > 10000 {
		probs.Add("rate_bp", "must be between 0 and 10000 (100 %)")
	}
	if t.ReverseCharge && t.RateBP != 0 {
		probs.Add("rate_bp", "must be 0 where the buyer accounts for the tax (reverse charge)")
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tax_rates (country, rate_bp, reverse_charge, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (country) DO UPDATE SET rate_bp = excluded.rate_bp, reverse_charge = excluded.reverse_charge, updated_at = excluded.updated_at`,
			t.Country, t.RateBP, t.ReverseCharge, store.Micros(tx.Now())); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: p.Org, Action: "tax.set", TargetType: "tax_rate", TargetID: t.Country,
			TargetName: directory.CountryName(t.Country), After: map[string]any{"rate_bp": t.RateBP, "reverse_charge": t.ReverseCharge}})
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// DeleteTaxRate removes the rate of a country (operator staff, instance.tax.manage),
// audited: invoices issued from then on charge buyers there no tax; issued ones keep theirs.
func (s *Service) DeleteTaxRate(ctx context.Context, p *access.Principal, country string) error {
	if err := access.Require(p, TaxManage, access.Resource{}); err != nil {
		return err
	}
	country = strings.ToUpper(strings.TrimSpace(country))
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		var before TaxRate
		err := tx.QueryRowContext(ctx, `SELECT rate_bp, reverse_charge FROM tax_rates WHERE country = $1`, country).Scan(&before.RateBP, &before.ReverseCharge)
		if err != nil {
			if atrium.ErrorCode(store.Translate(err)) == atrium.CodeNotFound {
				return atrium.Errorf(atrium.CodeNotFound, "no tax rate is set for this country")
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tax_rates WHERE country = $1`, country); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: p.Org, Action: "tax.delete", TargetType: "tax_rate", TargetID: country,
			TargetName: directory.CountryName(country), Before: map[string]any{"rate_bp": before.RateBP, "reverse_charge": before.ReverseCharge}})
	})
}

// FormatRate writes a rate in basis points as a percentage: 2500 is "25", 1250 is "12.5".
func FormatRate(bp int) string { return formatRate(bp) }

// ParseRate reads a percentage such as "25", "12.5" or "7,25" as basis points.
func ParseRate(s string) (int, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	s = strings.Replace(s, ",", ".", 1)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || len(whole) > 3 {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	n := 0
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
	}
	return n, true
}

// taxFor returns the rate for buyers in country in q; no rate configured charges none.
func taxFor(ctx context.Context, q store.Querier, country string) (TaxRate, error) {
	t := TaxRate{Country: country}
	if country == "" {
		return t, nil
	}
	err := q.QueryRowContext(ctx, `SELECT rate_bp, reverse_charge FROM tax_rates WHERE country = $1`, country).Scan(&t.RateBP, &t.ReverseCharge)
	if atrium.ErrorCode(store.Translate(err)) == atrium.CodeNotFound {
		return t, nil
	}
	return t, store.Translate(err)
}

// taxOf returns the tax on amount at rateBP basis points, rounded half away from zero
// to the currency's minor unit.
func taxOf(amount int64, rateBP int) int64 {
	n := amount * int64(rateBP)
	if n >= 0 {
		return (n + 5000) / 10000
	}
	return -((-n + 5000) / 10000)
}
