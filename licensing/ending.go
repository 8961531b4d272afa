package licensing

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/store"
)

// When a subscription ends (a cancelled one at its period's end, a trial that is not
// converted at the trial's end), its seats leave the pool and the licenses beyond the
// seats that remain go, with the app data the app modules delete. CancelPreview says
// beforehand who loses what, by running that very code in a transaction it rolls back,
// and the warning sweep mails it to the organization's Global and Billing
// administrators a week and a day before.

// JobWarnEnding mails the warnings of subscriptions that end within a week.
const JobWarnEnding jobs.Kind = "licensing.warn_ending"

// WarnBefore are how long before a subscription ends its warnings are mailed, the
// earliest first.
var WarnBefore = []time.Duration{7 * 24 * time.Hour, 24 * time.Hour}

// MaxPreviewLosses bounds the users an EndingPreview lists by name; it counts all.
const MaxPreviewLosses = 200

// LicenseLoss is one user's license that goes when a subscription ends, with what the
// app modules delete with it.
type LicenseLoss struct {
	UserID      atrium.UserID `json:"user_id"`
	Username    string        `json:"username"`
	DisplayName string        `json:"display_name"`
	ProductID   string        `json:"product_id"`
	ProductName string        `json:"product_name"`
	// LostApps are the apps the user can no longer use at all.
	LostApps []string `json:"lost_apps"`
	// Data counts, per kind, the user's app data that goes (kinds ending in "_kept" are
	// kept, see DataWords).
	Data map[string]int `json:"data"`
}

// EndingPreview is what ending a subscription does, counted as if it ended now: the
// seats that go, who loses which license, and the app data that goes with them.
type EndingPreview struct {
	Subscription Subscription `json:"subscription"`
	// EndsAt is when the subscription ends.
	EndsAt time.Time `json:"ends_at"`
	// SeatsRemoved are the seats that leave the product's pool; SeatsLeft those of its
	// other subscriptions, which remain.
	SeatsRemoved int `json:"seats_removed"`
	SeatsLeft    int `json:"seats_left"`
	// Losses are the licenses that go, by the users' names; at most MaxPreviewLosses of
	// them, of UsersLosing in all.
	Losses      []LicenseLoss `json:"losses"`
	UsersLosing int           `json:"users_losing"`
	// Data sums the app data of every loss, per kind.
	Data map[string]int `json:"data"`
}

var errPreviewRollback = errors.New("licensing: preview rolls back")

// CancelPreview tells what cancelling subscription id of p's organization (or letting
// its trial expire) will take when it ends, counted with today's licenses, so the
// confirmation can list it before anything changes. It returns not_found for a
// subscription of another organization and conflict for one that has expired.
func (s *Service) CancelPreview(ctx context.Context, p *access.Principal, id string) (*EndingPreview, error) {
	if err := access.Require(p, access.BillingRead, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	return s.endingPreview(ctx, p.Org, id)
}

func (s *Service) endingPreview(ctx context.Context, org atrium.OrgID, id string) (*EndingPreview, error) {
	var out *EndingPreview
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		sub, err := getSubscription(ctx, tx, org, id)
		if err != nil {
			return err
		}
		if sub.State == StateExpired {
			return atrium.Errorf(atrium.CodeConflict, "the subscription has expired")
		}
		// The same code the expiry job runs, in a transaction that is rolled back: the
		// preview cannot drift from what the end does.
		losses, err := s.end(ctx, tx, sub, tx.Now())
		if err != nil {
			return err
		}
		left, _, err := seatCounts(ctx, tx, org, sub.ProductID)
		if err != nil {
			return err
		}
		out = &EndingPreview{Subscription: *sub, EndsAt: sub.PeriodEnd, SeatsRemoved: sub.Quantity, SeatsLeft: max(left, 0),
			UsersLosing: len(losses), Data: map[string]int{}}
		for _, l := range losses {
			for k, n := range l.Data {
				out.Data[k] += n
			}
		}
		sort.SliceStable(losses, func(i, j int) bool {
			if losses[i].DisplayName != losses[j].DisplayName {
				return losses[i].DisplayName < losses[j].DisplayName
			}
			return losses[i].Username < losses[j].Username
		})
		out.Losses = losses[:min(len(losses), MaxPreviewLosses)]
		return errPreviewRollback
	})
	if err != nil && !errors.Is(err, errPreviewRollback) {
		return nil, err
	}
	return out, nil
}

// warnEnding mails, for every subscription that ends within a week and will not
// renew or convert, the warning of the threshold it has reached — a week before, then a
// day before — once per subscription, period and threshold. A subscription that
// reaches a threshold late (cancelled three days before its end) gets that one warning.
func (s *Service) warnEnding(ctx context.Context, _ *jobs.Job) error {
	now := s.now()
	day := WarnBefore[len(WarnBefore)-1]
	for {
		rows, err := s.db.Read().QueryContext(ctx, `SELECT s.id, s.org_id, s.period_end FROM subscriptions s
			WHERE s.state <> 'expired' AND s.period_end > $1 AND s.period_end <= $2
			AND (s.cancel_at_period_end OR (s.trial AND NOT s.convert_at_trial_end))
			AND NOT EXISTS (SELECT 1 FROM subscription_end_warnings w WHERE w.subscription_id = s.id AND w.period_end = s.period_end
				AND w.days_before = CASE WHEN s.period_end <= $3 THEN CAST($4 AS INTEGER) ELSE CAST($5 AS INTEGER) END)
			ORDER BY s.period_end, s.id LIMIT 100`,
			store.Micros(now), store.Micros(now.Add(WarnBefore[0])), store.Micros(now.Add(day)), days(day), days(WarnBefore[0]))
		if err != nil {
			return store.Translate(err)
		}
		type due struct {
			id, org string
			end     int64
		}
		var batch []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.id, &d.org, &d.end); err != nil {
				rows.Close()
				return store.Translate(err)
			}
			batch = append(batch, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return store.Translate(err)
		}
		if len(batch) == 0 {
			return nil
		}
		for _, d := range batch {
			before := WarnBefore[0]
			if store.Time(d.end).Sub(now) <= day {
				before = day
			}
			if err := s.warnOne(ctx, atrium.OrgID(d.org), d.id, d.end, before, now); err != nil {
				return fmt.Errorf("licensing: warn of the end of %s: %w", d.id, err)
			}
		}
	}
}

func days(d time.Duration) int { return int(d / (24 * time.Hour)) }

// warnOne mails one subscription's warning to its organization's Global and Billing
// administrators that have a contact address, and records that it was sent.
func (s *Service) warnOne(ctx context.Context, org atrium.OrgID, id string, end int64, before time.Duration, now time.Time) error {
	prev, err := s.endingPreview(ctx, org, id)
	if atrium.ErrorCode(err) == atrium.CodeConflict || atrium.ErrorCode(err) == atrium.CodeNotFound {
		return nil // it ended, or its organization went, since the sweep read it
	}
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO subscription_end_warnings (subscription_id, org_id, period_end, days_before, sent_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (subscription_id, period_end, days_before) DO NOTHING`,
			id, string(org), end, days(before), store.Micros(tx.Now()))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 || s.mailer == nil {
			return nil // another node sent it
		}
		var ids []atrium.UserID
		seen := map[atrium.UserID]bool{}
		for _, role := range []access.Role{access.GlobalAdmin, access.BillingAdmin} {
			holders, err := access.Holders(ctx, tx, org, role)
			if err != nil {
				return err
			}
			for _, h := range holders {
				if !seen[h] {
					seen[h] = true
					ids = append(ids, h)
				}
			}
		}
		cards, err := s.dir.Cards(ctx, tx, org, ids)
		if err != nil {
			return err
		}
		for _, c := range cards {
			if c.ContactEmail == "" {
				continue
			}
			l, _ := i18n.Parse(c.Language)
			m := endingMail(i18n.For(l), prev, store.Time(end).Sub(now))
			m["DisplayName"] = c.DisplayName
			if err := s.mailer.Enqueue(ctx, tx, mail.Message{Org: org, To: c.ContactEmail, Template: "subscription_ending", Lang: c.Language, Data: m}); err != nil {
				return err
			}
		}
		return nil
	})
}

// mailLosses bounds the users a warning mail names.
const mailLosses = 20

// endingMail is the data of the subscription_ending mail but the recipient's name, in
// the recipient's language p.
func endingMail(p *i18n.Printer, prev *EndingPreview, left time.Duration) map[string]any {
	daysLeft := max(int((left+24*time.Hour-1)/(24*time.Hour)), 1)
	losses := []string{}
	for _, l := range prev.Losses[:min(len(prev.Losses), mailLosses)] {
		line := p.T("mail.ending.loss", "Name", l.DisplayName, "Username", l.Username)
		if len(l.LostApps) > 0 {
			line = p.T("mail.ending.loss_data", "Name", l.DisplayName, "Username", l.Username, "Data", DataSummaryIn(p, l.Data))
		}
		losses = append(losses, line)
	}
	return map[string]any{
		"Product":    prev.Subscription.ProductName,
		"Trial":      prev.Subscription.Trial,
		"Days":       daysLeft,
		"EndsOn":     p.Date(prev.EndsAt),
		"Seats":      prev.SeatsRemoved,
		"Losses":     losses,
		"MoreLosses": prev.UsersLosing - len(losses),
		"Data":       DataSummaryIn(p, prev.Data),
	}
}

// KeptSuffix marks the kinds of app data counts that the app keeps.
const KeptSuffix = "_kept"

// dataKinds are the messages that count the kinds of app data the app modules report.
var dataKinds = map[string]string{
	"settings":       "users.data.settings",
	"alerts":         "users.data.alerts",
	"streams":        "users.data.streams",
	"shared_streams": "users.data.shared_streams",
	"search_topics":  "users.data.search_topics",
}

// DataSummary says in English what app data counts mean (DataSummaryIn).
func DataSummary(counts map[string]int) string { return DataSummaryIn(i18n.For(i18n.EN), counts) }

// DataSummaryIn says in p's language what app data counts mean: "3 alerts, 2 settings
// will be deleted; 2 search topics are kept". Kinds ending in KeptSuffix are kept; zero
// counts are left out.
func DataSummaryIn(p *i18n.Printer, counts map[string]int) string {
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var deleted, kept []string
	keptCount := 0
	for _, k := range kinds {
		n := counts[k]
		if n == 0 {
			continue
		}
		base, isKept := strings.CutSuffix(k, KeptSuffix)
		words := p.T("users.data.other", "Kind", strings.ReplaceAll(base, "_", " "), "Count", n)
		if id, ok := dataKinds[base]; ok {
			words = p.T(id, "Count", n)
		}
		if isKept {
			kept, keptCount = append(kept, words), keptCount+n
		} else {
			deleted = append(deleted, words)
		}
	}
	// The lists are of counted things ("3 alerts, 2 settings"), which every language
	// separates with commas; Count, the number of things kept, picks the verb that
	// agrees with them ("1 search topic is kept").
	del, keep := strings.Join(deleted, ", "), strings.Join(kept, ", ")
	switch {
	case len(kept) == 0 && len(deleted) == 0:
		return p.T("users.data.none")
	case len(kept) == 0:
		return p.T("users.data.deleted", "Deleted", del)
	case len(deleted) == 0:
		return p.T("users.data.none_kept", "Kept", keep, "Count", keptCount)
	}
	return p.T("users.data.deleted_kept", "Deleted", del, "Kept", keep, "Count", keptCount)
}
