package licensing_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

func TestProrate(t *testing.T) {
	for _, tc := range []struct {
		name             string
		delta            int
		price            int64
		remaining, total time.Duration
		want             int64
	}{
		{"half a period", 6, 1500, 15, 30, 4500},
		{"rounds down below half", 1, 1000, 1, 3, 333},
		{"rounds up above half", 1, 1000, 2, 3, 667},
		{"credit rounds away from zero", -1, 1000, 2, 3, -667},
		{"exact half rounds up", 1, 1, 1, 2, 1},
		{"exact half credit rounds down", -1, 1, 1, 2, -1},
		{"nothing left", 5, 1000, 0, 30, 0},
		{"huge numbers do not overflow", 1_000_000, 100_000_000, 365 * 24 * time.Hour, 365 * 24 * time.Hour, 100_000_000_000_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := licensing.Prorate(tc.delta, tc.price, tc.remaining, tc.total); got != tc.want {
				t.Errorf("Prorate(%d, %d, %v, %v) = %d, want %d", tc.delta, tc.price, tc.remaining, tc.total, got, tc.want)
			}
		})
	}
}

func TestInvoicesWithProration(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		admin := e.org(t, "invoiced")
		se := e.product(t, "SOCIAL_ENGAGEMENT")               // 15.00 a seat, monthly
		quota := e.product(t, "SOCIAL_ENGAGEMENT_POST_QUOTA") // 5.00
		sub, _, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: se.ID, Quantity: 10})
		if err != nil {
			t.Fatal(err)
		}
		// The first period was invoiced with the order.
		if n, err := e.lic.IssueInvoices(ctx); err != nil || n != 0 {
			t.Fatalf("issued the ordered period again: %d, %v", n, err)
		}
		e.clock.Advance(15 * 24 * time.Hour) // half of the 30-day November period left
		if _, err := e.lic.SetQuantity(ctx, admin, sub.ID, 16, 0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{AddonID: quota.ID, Quantity: 2}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(10 * 24 * time.Hour) // 5 of 30 days left
		if _, err := e.lic.SetQuantity(ctx, admin, sub.ID, 13, 0); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(5*24*time.Hour + time.Hour) // into December
		e.queue.SchedulePeriodic(ctx)
		if _, err := e.queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := e.lic.IssueInvoices(ctx); err != nil {
			t.Fatal(err)
		}
		list, _, err := e.lic.Invoices(ctx, admin, "", 10, "")
		if err != nil || len(list) != 2 {
			t.Fatalf("invoices = %+v, %v", list, err)
		}
		first, err := e.lic.Invoice(ctx, admin, list[1].ID)
		if err != nil || first.TotalMinor != 15000 || len(first.Lines) != 1 {
			t.Fatalf("November invoice = %+v, %v; want 10 × 15.00", first, err)
		}
		second, err := e.lic.Invoice(ctx, admin, list[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"seats": 13 * 1500, "addon": 2 * 500}
		prorations := []int64{}
		for _, l := range second.Lines {
			if l.Kind == "proration" {
				prorations = append(prorations, l.AmountMinor)
				continue
			}
			if want[l.Kind] != l.AmountMinor {
				t.Errorf("line %+v, want amount %d", l, want[l.Kind])
			}
		}
		// +6 seats for 15 of 30 days, +2 add-ons for 15 of 30 days, −3 seats for 5 of 30 days.
		wantPro := []int64{4500, 500, -750}
		if len(prorations) != 3 || prorations[0] != wantPro[0] || prorations[1] != wantPro[1] || prorations[2] != wantPro[2] {
			t.Errorf("prorations = %v, want %v", prorations, wantPro)
		}
		if second.TotalMinor != 19500+1000+4250 {
			t.Errorf("December total = %d, want %d", second.TotalMinor, 19500+1000+4250)
		}
		var buf bytes.Buffer
		if err := second.WriteCSV(&buf); err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(records) != 1+len(second.Lines)+3 || records[len(records)-3][5] != "247.50" || records[len(records)-1][5] != "247.50" {
			t.Errorf("CSV = %v, %v", records, err)
		}
		buf.Reset()
		if err := second.WriteHTML(&buf, licensing.Party{Name: "Atrium Operator"}, licensing.Party{Name: "Org invoiced", Address: "1 Main St\nSpringfield"}); err != nil ||
			!strings.Contains(buf.String(), "247.50") || !strings.Contains(buf.String(), second.Number) || !strings.Contains(buf.String(), "Springfield") ||
			!strings.Contains(buf.String(), "<dt>Due date</dt><dd>"+second.DueAt.Format("2006-01-02")+"</dd>") ||
			!strings.Contains(buf.String(), "<dd>30 days net</dd>") || strings.Contains(buf.String(), `class="stamp`) {
			t.Errorf("HTML lacks the total, number, buyer or due date: %v", err)
		}
		// Numbers run in one sequence per year, and invoices are due PaymentTerm after issue.
		if first.Number != fmt.Sprintf("%d-000001", first.IssuedAt.Year()) || !second.DueAt.Equal(second.IssuedAt.Add(licensing.PaymentTerm)) {
			t.Errorf("numbers %s, %s; due %v after issue %v", first.Number, second.Number, second.DueAt, second.IssuedAt)
		}
		if second.IssuedAt.Year() == first.IssuedAt.Year() && second.Number != fmt.Sprintf("%d-000002", first.IssuedAt.Year()) {
			t.Errorf("second number %s, want the next of %s", second.Number, first.Number)
		}
		// Customers read; operator staff mark paid.
		if _, err := e.lic.SetInvoiceState(ctx, admin, second.ID, licensing.InvoicePaid); atrium.ErrorCode(err) != atrium.CodeForbidden {
			t.Errorf("customer marks paid: %v, want forbidden", err)
		}
		operator := &access.Principal{UserID: "op", Org: "operator-org", Grants: []access.Grant{{Role: access.OperatorAdmin, Scope: access.OrgScope("operator-org")}}}
		paid, err := e.lic.SetInvoiceState(ctx, operator, second.ID, licensing.InvoicePaid)
		if err != nil || paid.State != licensing.InvoicePaid || paid.PaidAt == nil {
			t.Fatalf("mark paid = %+v, %v", paid, err)
		}
		buf.Reset()
		if err := paid.WriteHTML(&buf, licensing.Party{Name: "Atrium Operator"}, licensing.Party{Name: "Org invoiced"}); err != nil ||
			!strings.Contains(buf.String(), `<div class="stamp paid">Paid `+paid.PaidAt.Format("2006-01-02")+`</div>`) {
			t.Errorf("the printable paid invoice has no paid stamp: %v", err)
		}
		if _, err := e.lic.SetInvoiceState(ctx, operator, second.ID, licensing.InvoiceVoid); atrium.ErrorCode(err) != atrium.CodeConflict {
			t.Errorf("voiding a paid invoice: %v, want conflict", err)
		}
		other := e.org(t, "nosy")
		if _, err := e.lic.Invoice(ctx, other, second.ID); atrium.ErrorCode(err) != atrium.CodeNotFound {
			t.Errorf("another organization reads the invoice: %v", err)
		}
	})
}
