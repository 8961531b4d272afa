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
	"github.com/atrium-admin/atrium/store"
)

// When a subscription ends (a cancelled one at its period's end, a trial that is not
// converted at the trial's end), its seats leave the pool and the licenses beyond the
// seats that remain go, with the app data the app modules delete. CancelPreview says
// beforehand who loses what, by running that very code in a transaction it rolls back.

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

// dataKinds names the kinds of app data the app modules count, singular and plural.
var dataKinds = map[string][2]string{
	"settings":       {"setting", "settings"},
	"alerts":         {"alert", "alerts"},
	"streams":        {"stream", "streams"},
	"shared_streams": {"share of another user's stream", "shares of other users' streams"},
	"search_topics":  {"search topic", "search topics"},
}

// KeptSuffix marks the kinds of app data counts that the app keeps.
const KeptSuffix = "_kept"

// CountWords says n items of kind in words, such as "3 alerts" or "1 search topic".
func CountWords(kind string, n int) string {
	names, ok := dataKinds[kind]
	if !ok {
		names = [2]string{strings.ReplaceAll(kind, "_", " "), strings.ReplaceAll(kind, "_", " ")}
	}
	if n == 1 {
		return "1 " + names[0]
	}
	return fmt.Sprintf("%d %s", n, names[1])
}

// DataWords turns app data counts into words, kinds in order, zero counts left out:
// deleted lists what goes, kept what the app keeps (kinds ending in KeptSuffix).
func DataWords(counts map[string]int) (deleted, kept []string) {
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		n := counts[k]
		if n == 0 {
			continue
		}
		if base, ok := strings.CutSuffix(k, KeptSuffix); ok {
			kept = append(kept, CountWords(base, n))
		} else {
			deleted = append(deleted, CountWords(k, n))
		}
	}
	return deleted, kept
}

// DataSummary says in a sentence what app data counts mean, such as "3 alerts, 2
// settings will be deleted; 2 search topics are kept".
func DataSummary(counts map[string]int) string {
	deleted, kept := DataWords(counts)
	s := "no data will be deleted"
	if len(deleted) > 0 {
		s = strings.Join(deleted, ", ") + " will be deleted"
	}
	if len(kept) > 0 {
		verb := "are"
		if len(kept) == 1 && strings.HasPrefix(kept[0], "1 ") {
			verb = "is"
		}
		s += "; " + strings.Join(kept, ", ") + " " + verb + " kept"
	}
	return s
}
