package collab

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/store"
)

// Inactivity: a person who has not used the collaboration area (opened an engagement,
// downloaded, given feedback) for Settings.InactivityDays loses their program and
// engagement access. Notices go NoticeDays before, each once; the memberships are kept,
// marked deactivated, and come back when an owner or power user adds the person again
// or the person asks for them back (RestoreAccess). The person's clock is
// collab_people.last_access_at, written with the memberships' (touch) and reset by
// being added anywhere.

// JobSweepInactive is the daily sweep that sends the notices and deactivates.
const JobSweepInactive jobs.Kind = "collab.deactivate_inactive"

// The defaults and bounds of the inactivity settings.
const (
	DefaultInactivityDays = 180
	MinInactivityDays     = 30
	MaxInactivityDays     = 730
	maxNotices            = 5
)

// DefaultNoticeDays are the days before deactivation on which notices go.
var DefaultNoticeDays = []int{30, 14, 1}

const day = 24 * time.Hour

// sweepBatch is how many people one transaction of the sweep handles.
const sweepBatch = 100

// Settings are the instance's collaboration settings, the operator's to change.
type Settings struct {
	// InactivityDays without use end a person's collaboration access.
	InactivityDays int `json:"inactivity_days"`
	// NoticeDays are the days before that on which a notice is mailed, largest first.
	NoticeDays []int      `json:"notice_days"`
	Version    int64      `json:"version"`
	UpdatedAt  *time.Time `json:"updated_at,omitempty"`
}

// ETag is the settings' version as an entity tag.
func (s *Settings) ETag() string { return etag(s.Version) }

// SettingsInput changes the settings; a field left out stays.
type SettingsInput struct {
	InactivityDays *int  `json:"inactivity_days"`
	NoticeDays     []int `json:"notice_days"`
}

func (s *Service) settings(ctx context.Context, q store.Querier) (Settings, error) {
	out := Settings{InactivityDays: DefaultInactivityDays, NoticeDays: slices.Clone(DefaultNoticeDays), Version: 1}
	var notices string
	var updated int64
	err := q.QueryRowContext(ctx, `SELECT inactivity_days, notice_days, version, updated_at FROM collab_settings WHERE id = 1`+forUpdate(q)).
		Scan(&out.InactivityDays, &notices, &out.Version, &updated)
	switch code := atrium.ErrorCode(store.Translate(err)); {
	case err == nil:
		out.NoticeDays = parseNotices(notices)
		t := store.Time(updated)
		out.UpdatedAt = &t
	case code == atrium.CodeNotFound:
	default:
		return Settings{}, store.Translate(err)
	}
	return out, nil
}

func parseNotices(v string) []int {
	out := []int{}
	for _, f := range strings.Split(v, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// Settings returns the collaboration settings. It returns forbidden unless p manages
// every program (the operator's administrators).
func (s *Service) Settings(ctx context.Context, p *access.Principal) (*Settings, error) {
	if err := access.Require(p, Administer, access.Resource{}); err != nil {
		return nil, err
	}
	set, err := s.settings(ctx, s.db.Read())
	return &set, err
}

// SetSettings changes the collaboration settings when ifMatch (0: any) is their
// version. It returns invalid naming the field for days out of range: inactivity_days
// from 30 to 730, notice_days at most five distinct days, each from 1 to one less than
// inactivity_days.
func (s *Service) SetSettings(ctx context.Context, p *access.Principal, ifMatch int64, in SettingsInput) (*Settings, error) {
	if err := access.Require(p, Administer, access.Resource{}); err != nil {
		return nil, err
	}
	var out Settings
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		cur, err := s.settings(ctx, tx)
		if err != nil {
			return err
		}
		if ifMatch != 0 && ifMatch != cur.Version {
			return errStale
		}
		next := cur
		if in.InactivityDays != nil {
			next.InactivityDays = *in.InactivityDays
		}
		if in.NoticeDays != nil {
			next.NoticeDays = slices.Clone(in.NoticeDays)
		}
		probs := atrium.Problems{}
		if next.InactivityDays < MinInactivityDays || next.InactivityDays > MaxInactivityDays {
			probs.Add("inactivity_days", "must be a whole number from 30 to 730")
		}
		slices.Sort(next.NoticeDays)
		slices.Reverse(next.NoticeDays)
		switch {
		case len(next.NoticeDays) > maxNotices:
			probs.Add("notice_days", "name at most five days")
		case len(slices.Compact(slices.Clone(next.NoticeDays))) != len(next.NoticeDays):
			probs.Add("notice_days", "must not name a day twice")
		case len(next.NoticeDays) > 0 && (next.NoticeDays[len(next.NoticeDays)-1] < 1 || next.NoticeDays[0] >= next.InactivityDays):
			probs.Add("notice_days", "each must be from 1 to one less than the days of inactivity")
		}
		if err := probs.Err(); err != nil {
			return err
		}
		now := tx.Now()
		next.Version = cur.Version + 1
		next.UpdatedAt = &now
		notices := make([]string, len(next.NoticeDays))
		for i, n := range next.NoticeDays {
			notices[i] = itoa(n)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO collab_settings (id, inactivity_days, notice_days, version, updated_at) VALUES (1, $1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET inactivity_days = excluded.inactivity_days, notice_days = excluded.notice_days,
			version = excluded.version, updated_at = excluded.updated_at`,
			next.InactivityDays, strings.Join(notices, ","), next.Version, store.Micros(now)); err != nil {
			return err
		}
		out = next
		return audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "program.settings_update", TargetType: "collab_settings", TargetID: "collab",
			TargetName: "collab", Before: map[string]any{"inactivity_days": cur.InactivityDays, "notice_days": cur.NoticeDays},
			After: map[string]any{"inactivity_days": next.InactivityDays, "notice_days": next.NoticeDays}})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// SweepResult is what one sweep did.
type SweepResult struct {
	// Notices counts the notices mailed by days before deactivation.
	Notices map[int]int
	// People and Memberships count those deactivated.
	People, Memberships int
	// LongestTx is the longest of the sweep's transactions.
	LongestTx time.Duration
}

func (s *Service) sweepJob(ctx context.Context, _ *jobs.Job) error {
	_, err := s.SweepInactive(ctx)
	return err
}

// SweepInactive sends the inactivity notices that are due and deactivates the people
// inactive for the settings' days, a batch of people per transaction. It is idempotent
// and safe to run on several nodes at once: each notice and each deactivation is a
// conditional update of the person's row, and only the run whose update took effect
// mails. A notice goes once: the most urgent one due (a person found 1 day before gets
// the 1-day notice, not all three); one found past the deadline is deactivated without.
func (s *Service) SweepInactive(ctx context.Context) (SweepResult, error) {
	res := SweepResult{Notices: map[int]int{}}
	set, err := s.settings(ctx, s.db.Read())
	if err != nil {
		return res, err
	}
	now := s.clock.Now()
	deadline := store.Micros(now.Add(-time.Duration(set.InactivityDays) * day))
	if err := s.deactivateDue(ctx, set, deadline, &res); err != nil {
		return res, err
	}
	notices := slices.Clone(set.NoticeDays)
	slices.Sort(notices) // the most urgent first: it marks the person past the others
	for _, n := range notices {
		cut := store.Micros(now.Add(-time.Duration(set.InactivityDays-n) * day))
		for {
			k, err := s.noticeBatch(ctx, set, n, cut, deadline, &res)
			if err != nil {
				return res, err
			}
			if k < sweepBatch {
				break
			}
		}
	}
	return res, nil
}

type due struct {
	user   atrium.UserID
	access int64
}

// dueBatch reads up to sweepBatch people whose clock is at or before cut (and after
// after, when set), with active memberships, that cond also keeps.
func dueBatch(ctx context.Context, q store.Querier, cond string, args ...any) ([]due, error) {
	rows, err := q.QueryContext(ctx, `SELECT p.user_id, p.last_access_at FROM collab_people p WHERE p.deactivated_at IS NULL AND `+cond+`
		AND EXISTS (SELECT 1 FROM collab_members m WHERE m.user_id = p.user_id AND m.state = 'active')
		ORDER BY p.last_access_at, p.user_id LIMIT `+itoa(sweepBatch), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.user, &d.access); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (s *Service) timedTx(ctx context.Context, res *SweepResult, fn func(tx *store.Tx) error) error {
	start := time.Now()
	err := s.db.Tx(ctx, fn)
	if d := time.Since(start); d > res.LongestTx {
		res.LongestTx = d
	}
	return err
}

// noticeBatch mails the n-days notice to one batch of those due for it and returns how
// many it looked at.
func (s *Service) noticeBatch(ctx context.Context, set Settings, n int, cut, deadline int64, res *SweepResult) (int, error) {
	var k int
	err := s.timedTx(ctx, res, func(tx *store.Tx) error {
		batch, err := dueBatch(ctx, tx, `p.last_access_at <= $1 AND p.last_access_at > $2 AND (p.notice = 0 OR p.notice > $3)`, cut, deadline, n)
		if err != nil {
			return err
		}
		k = len(batch)
		var sent []atrium.UserID
		ends := map[atrium.UserID]time.Time{}
		for _, d := range batch {
			r, err := tx.ExecContext(ctx, `UPDATE collab_people SET notice = $1 WHERE user_id = $2 AND deactivated_at IS NULL AND last_access_at = $3
				AND (notice = 0 OR notice > $1)`, n, string(d.user), d.access)
			if err != nil {
				return err
			}
			if a, _ := r.RowsAffected(); a == 1 {
				sent = append(sent, d.user)
				ends[d.user] = store.Time(d.access).Add(time.Duration(set.InactivityDays) * day)
			}
		}
		if len(sent) == 0 {
			return nil
		}
		cards, err := s.users.CardsAnywhere(ctx, tx, sent)
		if err != nil {
			return err
		}
		now := tx.Now()
		for _, c := range cards {
			res.Notices[n]++
			if c.ContactEmail == "" {
				continue
			}
			end := ends[c.ID]
			left := int((end.Sub(now) + day - 1) / day)
			if err := s.mail.Enqueue(ctx, tx, mail.Message{Org: c.Org, To: c.ContactEmail, Template: "collab_inactivity_notice", Lang: c.Language,
				Data: map[string]any{"DisplayName": c.DisplayName, "Days": max(left, 1), "Date": end.UTC().Format("2006-01-02"),
					"Inactive": set.InactivityDays, "Link": s.link("/collab")}}); err != nil {
				return err
			}
		}
		return nil
	})
	return k, err
}

// deactivateDue deactivates everyone whose clock is at or before deadline, a batch a
// transaction: their active memberships become deactivated (kept, with the time), one
// audit entry per membership and one AccessDeactivated event and mail per person.
func (s *Service) deactivateDue(ctx context.Context, set Settings, deadline int64, res *SweepResult) error {
	for {
		var k int
		err := s.timedTx(ctx, res, func(tx *store.Tx) error {
			batch, err := dueBatch(ctx, tx, `p.last_access_at <= $1`, deadline)
			if err != nil {
				return err
			}
			k = len(batch)
			now := tx.Now()
			var gone []atrium.UserID
			lost := map[atrium.UserID][]deactivated{}
			for _, d := range batch {
				r, err := tx.ExecContext(ctx, `UPDATE collab_people SET deactivated_at = $1 WHERE user_id = $2 AND deactivated_at IS NULL AND last_access_at = $3`,
					store.Micros(now), string(d.user), d.access)
				if err != nil {
					return err
				}
				if a, _ := r.RowsAffected(); a == 0 {
					continue
				}
				ms, err := activeMemberships(ctx, tx, d.user)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE collab_members SET state = 'deactivated', deactivated_at = $1 WHERE user_id = $2 AND state = 'active'`,
					store.Micros(now), string(d.user)); err != nil {
					return err
				}
				gone = append(gone, d.user)
				lost[d.user] = ms
			}
			if len(gone) == 0 {
				return nil
			}
			cards, err := s.users.CardsAnywhere(ctx, tx, gone)
			if err != nil {
				return err
			}
			byID := map[atrium.UserID]directory.OrgCard{}
			for _, c := range cards {
				byID[c.ID] = c
			}
			for _, u := range gone {
				ms := lost[u]
				res.People++
				res.Memberships += len(ms)
				if err := s.recordDeactivation(ctx, tx, set, u, byID[u], ms, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if k < sweepBatch {
			return nil
		}
	}
}

// deactivated is one membership the sweep deactivated.
type deactivated struct {
	scope, name, kind string
	org               atrium.OrgID
	group             Group
}

func activeMemberships(ctx context.Context, tx *store.Tx, user atrium.UserID) ([]deactivated, error) {
	rows, err := tx.QueryContext(ctx, `SELECT m.scope_id, m.grp, e.name, 'engagement', e.org_id FROM collab_members m JOIN collab_engagements e ON e.id = m.scope_id
		WHERE m.user_id = $1 AND m.state = 'active'
		UNION ALL SELECT m.scope_id, m.grp, p.name, 'program', p.org_id FROM collab_members m JOIN collab_programs p ON p.id = m.scope_id
		WHERE m.user_id = $1 AND m.state = 'active' ORDER BY 1, 2`, string(user))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []deactivated
	for rows.Next() {
		var d deactivated
		if err := rows.Scan(&d.scope, &d.group, &d.name, &d.kind, &d.org); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (s *Service) recordDeactivation(ctx context.Context, tx *store.Tx, set Settings, u atrium.UserID, c directory.OrgCard, ms []deactivated, now time.Time) error {
	name := c.Username
	if name == "" {
		name = string(u)
	}
	scopes := make([]DeactivatedMembership, 0, len(ms))
	var org atrium.OrgID
	for _, m := range ms {
		org = m.org
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: m.org, Action: m.kind + ".member_deactivate", TargetType: m.kind, TargetID: m.scope,
			TargetName: m.name, After: map[string]any{"user": name, "organization": c.OrgName, "group": m.group, "inactive_days": set.InactivityDays}}); err != nil {
			return err
		}
		scopes = append(scopes, DeactivatedMembership{ScopeID: m.scope, Group: m.group})
	}
	if org == "" {
		return nil
	}
	if _, err := s.bus.Publish(ctx, tx, org, string(u), AccessDeactivated{UserID: u, Username: name, UserOrg: c.Org,
		InactiveDays: set.InactivityDays, Memberships: scopes}); err != nil {
		return err
	}
	if c.ContactEmail == "" {
		return nil
	}
	return s.mail.Enqueue(ctx, tx, mail.Message{Org: c.Org, To: c.ContactEmail, Template: "collab_access_deactivated", Lang: c.Language,
		Data: map[string]any{"DisplayName": c.DisplayName, "Inactive": set.InactivityDays, "Count": len(ms), "Link": s.link("/collab/restore")}})
}

// scheduled returns, of users, those whose deactivation is scheduled (a notice went)
// with its time, read with q.
func (s *Service) scheduled(ctx context.Context, q store.Querier, users []atrium.UserID) (map[atrium.UserID]time.Time, error) {
	out := map[atrium.UserID]time.Time{}
	if len(users) == 0 {
		return out, nil
	}
	set, err := s.settings(ctx, q)
	if err != nil {
		return nil, err
	}
	args, marks := store.In(nil, users)
	rows, err := q.QueryContext(ctx, `SELECT user_id, last_access_at FROM collab_people WHERE notice > 0 AND deactivated_at IS NULL AND user_id IN (`+marks+`)`, args...)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var u atrium.UserID
		var at int64
		if err := rows.Scan(&u, &at); err != nil {
			return nil, store.Translate(err)
		}
		out[u] = store.Time(at).Add(time.Duration(set.InactivityDays) * day)
	}
	return out, store.Translate(rows.Err())
}

// PastMembership is a membership of the caller that inactivity deactivated.
type PastMembership struct {
	// ScopeID is the engagement's or program's id; Kind says which.
	ScopeID       string    `json:"scope_id"`
	Kind          string    `json:"kind"`
	Name          string    `json:"name"`
	Group         Group     `json:"group"`
	DeactivatedAt time.Time `json:"deactivated_at"`
	// Pending is set when the caller has asked for the engagement back already.
	Pending bool `json:"pending"`
}

// PastMemberships lists p's memberships that inactivity deactivated, by name: what a
// request to get access back is filled with.
func (s *Service) PastMemberships(ctx context.Context, p *access.Principal) ([]PastMembership, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT m.scope_id, 'engagement', e.name, m.grp, m.deactivated_at,
			EXISTS (SELECT 1 FROM collab_requests r WHERE r.engagement_id = m.scope_id AND r.user_id = m.user_id AND r.state = 'pending')
		FROM collab_members m JOIN collab_engagements e ON e.id = m.scope_id WHERE m.user_id = $1 AND m.state = 'deactivated'
		UNION ALL SELECT m.scope_id, 'program', pr.name, m.grp, m.deactivated_at, FALSE
		FROM collab_members m JOIN collab_programs pr ON pr.id = m.scope_id WHERE m.user_id = $1 AND m.state = 'deactivated'
		ORDER BY 3, 1, 4 LIMIT 1000`, string(p.UserID))
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	out := []PastMembership{}
	for rows.Next() {
		var m PastMembership
		var at *int64
		if err := rows.Scan(&m.ScopeID, &m.Kind, &m.Name, &m.Group, &at, &m.Pending); err != nil {
			return nil, store.Translate(err)
		}
		if at != nil {
			m.DeactivatedAt = store.Time(*at)
		}
		out = append(out, m)
	}
	return out, store.Translate(rows.Err())
}

// RestoreAccess asks for p's deactivated engagement memberships back: one access
// request per engagement among engagements (all of them when empty) where p's
// membership was deactivated, whatever the engagement's join policy, each decided as
// any access request (approval makes p a participant again). The justification is
// required. It returns invalid naming engagement_ids for an engagement where p has no
// deactivated membership, and skips those with a pending request.
func (s *Service) RestoreAccess(ctx context.Context, p *access.Principal, engagements []string, justification string) ([]AccessRequest, error) {
	justification = strings.TrimSpace(justification)
	probs := atrium.Problems{}
	checkText(probs, "justification", justification, true, 2000)
	if len(engagements) > MaxBulk {
		probs.Add("engagement_ids", "name at most 1,000 engagements")
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	past, err := s.PastMemberships(ctx, p)
	if err != nil {
		return nil, err
	}
	mine := map[string]bool{}
	var all []string
	for _, m := range past {
		if m.Kind == "engagement" && !m.Pending && !mine[m.ScopeID] {
			mine[m.ScopeID] = true
			all = append(all, m.ScopeID)
		}
	}
	if len(engagements) == 0 {
		engagements = all
	}
	for _, id := range engagements {
		if !mine[id] && !slices.ContainsFunc(past, func(m PastMembership) bool { return m.ScopeID == id && m.Pending }) {
			return nil, atrium.FieldError("engagement_ids", "is not an engagement you lost access to")
		}
	}
	out := []AccessRequest{}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		cards, err := s.users.CardsAnywhere(ctx, tx, []atrium.UserID{p.UserID})
		if err != nil {
			return err
		}
		if len(cards) == 0 {
			return atrium.Errorf(atrium.CodeForbidden, "your account cannot join engagements")
		}
		c := cards[0]
		now := tx.Now()
		for _, id := range engagements {
			if !mine[id] {
				continue // asked already
			}
			e, err := getEngagement(ctx, tx, id, true)
			if err != nil {
				return err
			}
			if e.State != Active {
				continue
			}
			r := AccessRequest{ID: newID(), EngagementID: e.ID, UserID: c.ID, Username: c.Username, DisplayName: c.DisplayName, OrgID: c.Org,
				OrgName: c.OrgName, Justification: justification, TermsVersion: e.TermsVersion, State: RequestPending, CreatedAt: now,
				ExpiresAt: now.Add(RequestLifetime)}
			if _, err := tx.ExecContext(ctx, `INSERT INTO collab_requests (id, engagement_id, user_id, org_id, org_name, username, display_name, justification,
				terms_version, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10)`,
				r.ID, e.ID, string(c.ID), string(c.Org), c.OrgName, c.Username, c.DisplayName, justification, e.TermsVersion, store.Micros(now)); err != nil {
				if store.IsUniqueViolation(err) {
					continue
				}
				return err
			}
			if err := audit.Record(ctx, tx, now, audit.Entry{Org: e.Org, Action: "engagement.access_request", TargetType: "engagement", TargetID: e.ID,
				TargetName: e.Name, After: map[string]any{"user": c.Username, "organization": c.OrgName}}); err != nil {
				return err
			}
			if _, err := s.bus.Publish(ctx, tx, e.Org, e.ID, AccessRequested{RequestRef: requestRef(&r)}); err != nil {
				return err
			}
			if err := s.mailApprovers(ctx, tx, e, &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
