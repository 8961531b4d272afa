package collab

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/store"
)

// AccessRequest is a request for access to an engagement.
type AccessRequest struct {
	ID            string        `json:"id"`
	EngagementID  string        `json:"engagement_id"`
	UserID        atrium.UserID `json:"user_id"`
	Username      string        `json:"username"`
	DisplayName   string        `json:"display_name"`
	OrgID         atrium.OrgID  `json:"org_id"`
	OrgName       string        `json:"org_name"`
	Justification string        `json:"justification"`
	TermsVersion  int           `json:"terms_version"`
	// State is pending, approved, denied or expired.
	State     string     `json:"state"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	DecidedBy string     `json:"decided_by,omitempty"`
	Message   string     `json:"message,omitempty"`
}

// Request states.
const (
	RequestPending  = "pending"
	RequestApproved = "approved"
	RequestDenied   = "denied"
	RequestExpired  = "expired"
)

const requestColumns = `id, engagement_id, user_id, username, display_name, org_id, org_name, justification, terms_version, state, created_at,
	decided_at, decided_by_name, message`

func scanRequest(r scanner) (*AccessRequest, error) {
	var a AccessRequest
	var created int64
	var decided *int64
	if err := r.Scan(&a.ID, &a.EngagementID, &a.UserID, &a.Username, &a.DisplayName, &a.OrgID, &a.OrgName, &a.Justification, &a.TermsVersion,
		&a.State, &created, &decided, &a.DecidedBy, &a.Message); err != nil {
		return nil, err
	}
	a.CreatedAt = store.Time(created)
	a.ExpiresAt = a.CreatedAt.Add(RequestLifetime)
	if decided != nil {
		t := store.Time(*decided)
		a.DecidedAt = &t
	}
	return &a, nil
}

func pendingRequest(ctx context.Context, q store.Querier, engagement string, user atrium.UserID) (*AccessRequest, error) {
	r, err := scanRequest(q.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM collab_requests WHERE engagement_id = $1 AND user_id = $2 AND state = 'pending'`,
		engagement, string(user)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return r, err
}

func pendingRequests(ctx context.Context, q store.Querier, user atrium.UserID, engagements []string) (map[string]*AccessRequest, error) {
	out := map[string]*AccessRequest{}
	args, marks := store.In([]any{string(user)}, engagements)
	rows, err := q.QueryContext(ctx, `SELECT `+requestColumns+` FROM collab_requests WHERE user_id = $1 AND state = 'pending' AND engagement_id IN (`+marks+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out[r.EngagementID] = r
	}
	return out, rows.Err()
}

var errTerms = atrium.FieldError("accept_terms", "you must accept the terms of use")

// Join makes the caller a participant of an open engagement at once, recording the
// version of the terms of use they accepted and when.
func (s *Service) Join(ctx context.Context, p *access.Principal, id string, acceptTerms bool) (*Engagement, error) {
	if !acceptTerms {
		return nil, errTerms
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		e, _, err := s.load(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if !e.CanJoin {
			switch {
			case contains(e.Groups, Participant):
				return atrium.Errorf(atrium.CodeConflict, "you are a participant of this engagement already")
			case e.CanRequest:
				return atrium.Errorf(atrium.CodeConflict, "this engagement needs an owner's approval: request access instead")
			}
			return atrium.Errorf(atrium.CodeForbidden, "this engagement does not take people who join by themselves")
		}
		cards, err := s.users.CardsAnywhere(ctx, tx, []atrium.UserID{p.UserID})
		if err != nil {
			return err
		}
		if len(cards) == 0 {
			return atrium.Errorf(atrium.CodeForbidden, "your account cannot join engagements")
		}
		facts, err := s.users.Facts(ctx, tx, e.Org)
		if err != nil {
			return err
		}
		now := tx.Now()
		if _, err := s.insertMember(ctx, tx, e.ID, Participant, cards[0], p.UserID, facts.Language, now, &acceptance{e.TermsVersion, now}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE collab_members SET last_access_at = $1 WHERE scope_id = $2 AND grp = 'participant' AND user_id = $3`,
			store.Micros(now), e.ID, string(p.UserID)); err != nil {
			return err
		}
		ms := &memberScope{id: e.ID, org: e.Org, name: e.Name, eng: e}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: e.Org, Action: "engagement.join", TargetType: "engagement", TargetID: e.ID, TargetName: e.Name,
			After: map[string]any{"user": cards[0].Username, "organization": cards[0].OrgName, "terms_version": e.TermsVersion}}); err != nil {
			return err
		}
		ref := MemberRef{ScopeID: ms.id, Group: Participant, UserID: p.UserID, Username: cards[0].Username, UserOrg: cards[0].Org}
		_, err = s.bus.Publish(ctx, tx, e.Org, e.ID, EngagementMemberAdded{ref})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Engagement(ctx, p, id)
}

func contains(gs []Group, g Group) bool {
	for _, x := range gs {
		if x == g {
			return true
		}
	}
	return false
}

// RequestAccess asks for access to an engagement that needs approval. The justification
// is required; the engagement's owners and the power users of the caller's organization
// are mailed. A second request while one is pending is refused.
func (s *Service) RequestAccess(ctx context.Context, p *access.Principal, id string, acceptTerms bool, justification string) (*AccessRequest, error) {
	justification = strings.TrimSpace(justification)
	probs := atrium.Problems{}
	if !acceptTerms {
		probs.Add("accept_terms", "you must accept the terms of use")
	}
	checkText(probs, "justification", justification, true, 2000)
	if err := probs.Err(); err != nil {
		return nil, err
	}
	var out *AccessRequest
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		e, _, err := s.load(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if r, err := pendingRequest(ctx, tx, e.ID, p.UserID); err != nil {
			return err
		} else if r != nil {
			return errPending
		}
		if !e.CanRequest {
			switch {
			case contains(e.Groups, Participant):
				return atrium.Errorf(atrium.CodeConflict, "you are a participant of this engagement already")
			case e.CanJoin:
				return atrium.Errorf(atrium.CodeConflict, "this engagement is open: join it instead")
			}
			return atrium.Errorf(atrium.CodeForbidden, "this engagement does not take access requests")
		}
		cards, err := s.users.CardsAnywhere(ctx, tx, []atrium.UserID{p.UserID})
		if err != nil {
			return err
		}
		if len(cards) == 0 {
			return atrium.Errorf(atrium.CodeForbidden, "your account cannot join engagements")
		}
		c := cards[0]
		now := tx.Now()
		out = &AccessRequest{ID: newID(), EngagementID: e.ID, UserID: c.ID, Username: c.Username, DisplayName: c.DisplayName, OrgID: c.Org,
			OrgName: c.OrgName, Justification: justification, TermsVersion: e.TermsVersion, State: RequestPending, CreatedAt: now,
			ExpiresAt: now.Add(RequestLifetime)}
		if _, err := tx.ExecContext(ctx, `INSERT INTO collab_requests (id, engagement_id, user_id, org_id, org_name, username, display_name, justification,
			terms_version, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10)`,
			out.ID, e.ID, string(c.ID), string(c.Org), c.OrgName, c.Username, c.DisplayName, justification, e.TermsVersion, store.Micros(now)); err != nil {
			if store.IsUniqueViolation(err) {
				return errPending
			}
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: e.Org, Action: "engagement.access_request", TargetType: "engagement", TargetID: e.ID,
			TargetName: e.Name, After: map[string]any{"user": c.Username, "organization": c.OrgName}}); err != nil {
			return err
		}
		if _, err := s.bus.Publish(ctx, tx, e.Org, e.ID, AccessRequested{RequestRef: requestRef(out)}); err != nil {
			return err
		}
		return s.mailApprovers(ctx, tx, e, out)
	})
	return out, err
}

var errPending = atrium.Errorf(atrium.CodeConflict, "you have asked for access to this engagement already; your request is waiting for a decision")

// mailApprovers mails the engagement's owners and the power users of the requester's
// organization about request r.
func (s *Service) mailApprovers(ctx context.Context, tx *store.Tx, e *Engagement, r *AccessRequest) error {
	rows, err := tx.QueryContext(ctx, `SELECT user_id FROM collab_members WHERE scope_id = $1 AND state = 'active'
		AND (grp = 'owner' OR (grp = 'power_user' AND org_id = $2))`, e.ID, string(r.OrgID))
	if err != nil {
		return err
	}
	var ids []atrium.UserID
	for rows.Next() {
		var id atrium.UserID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		if id != r.UserID {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return err
	}
	cards, err := s.users.CardsAnywhere(ctx, tx, ids)
	if err != nil {
		return err
	}
	var to []mail.Recipient
	for _, c := range cards {
		if c.ContactEmail != "" {
			to = append(to, mail.Recipient{To: c.ContactEmail, Name: c.DisplayName, Lang: c.Language})
		}
	}
	if len(to) == 0 {
		return nil
	}
	return s.mail.EnqueueEach(ctx, tx, e.Org, "collab_access_request", map[string]any{"Requester": r.DisplayName, "Organization": r.OrgName,
		"Engagement": e.Name, "Justification": r.Justification, "Link": s.link("/collab/engagements/" + e.ID + "/requests")}, to)
}

// RequestQuery asks for a page of an engagement's access requests.
type RequestQuery struct {
	ListQuery
	// State keeps requests of one state; "" is pending.
	State string
}

var byRequest = store.Keyset{Columns: []string{"created_at", "id"}}

// AccessRequests returns a page of the access requests of engagement id, oldest first:
// all of them to its owners, those of their own organization to power users.
func (s *Service) AccessRequests(ctx context.Context, p *access.Principal, id string, q RequestQuery) (Page[AccessRequest], error) {
	ms, err := s.engagementMembers(ctx, s.db.Read(), p, id, Participant, true)
	if err != nil {
		return Page[AccessRequest]{}, err
	}
	if q.State == "" {
		q.State = RequestPending
	}
	switch q.State {
	case RequestPending, RequestApproved, RequestDenied, RequestExpired:
	default:
		return Page[AccessRequest]{}, atrium.FieldErrorf("state", "err.one_of", "must be one of {{.Values}}", "Values", "pending, approved, denied, expired")
	}
	args := []any{ms.id, q.State}
	cond := `engagement_id = $1 AND state = $2`
	if ms.onlyOrg != "" {
		args = append(args, string(ms.onlyOrg))
		cond += ` AND org_id = $3`
	}
	var at int64
	var rid string
	pq, err := byRequest.Page(args, q.Cursor, q.size(), &at, &rid)
	if err != nil {
		return Page[AccessRequest]{}, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+requestColumns+` FROM collab_requests WHERE `+cond+` AND `+pq.Where+` `+pq.OrderLimit, pq.Args...)
	if err != nil {
		return Page[AccessRequest]{}, store.Translate(err)
	}
	var items []AccessRequest
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			rows.Close()
			return Page[AccessRequest]{}, err
		}
		items = append(items, *r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Page[AccessRequest]{}, err
	}
	items, next := store.NextPage(pq, items, func(r AccessRequest) []any { return []any{store.Micros(r.CreatedAt), r.ID} })
	if items == nil {
		items = []AccessRequest{}
	}
	return Page[AccessRequest]{Items: items, NextCursor: next}, nil
}

// MyRequests returns the caller's access requests, newest first (the last 100).
func (s *Service) MyRequests(ctx context.Context, p *access.Principal) ([]AccessRequest, error) {
	out := []AccessRequest{}
	if p.UserID == "" {
		return out, nil
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+requestColumns+` FROM collab_requests WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100`, string(p.UserID))
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

var errRequestNotFound = atrium.Errorf(atrium.CodeNotFound, "access request not found")

// Decide approves or denies a pending access request, with an optional message to the
// requester, who is mailed either way. Owners decide every request; a power user those
// of their own organization; nobody their own. Of two decisions made at once, one
// wins; the other is told the request was decided already.
func (s *Service) Decide(ctx context.Context, p *access.Principal, id, requestID string, approve bool, message string) (*AccessRequest, error) {
	message = strings.TrimSpace(message)
	probs := atrium.Problems{}
	checkText(probs, "message", message, false, 2000)
	if err := probs.Err(); err != nil {
		return nil, err
	}
	var out *AccessRequest
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		ms, err := s.engagementMembers(ctx, tx, p, id, Participant, true)
		if err != nil {
			return err
		}
		r, err := scanRequest(tx.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM collab_requests WHERE id = $1 AND engagement_id = $2`+forUpdate(tx),
			requestID, ms.id))
		if errors.Is(err, sql.ErrNoRows) {
			return errRequestNotFound
		}
		if err != nil {
			return err
		}
		if ms.onlyOrg != "" && r.OrgID != ms.onlyOrg {
			return errRequestNotFound
		}
		if r.UserID == p.UserID {
			return atrium.Errorf(atrium.CodeForbidden, "you cannot decide your own access request")
		}
		if err := access.Require(ms.pp, ManageParticipants, on(ms.eng, r.OrgID)); err != nil {
			return err
		}
		now := tx.Now()
		state, action := RequestDenied, "engagement.access_deny"
		if approve {
			state, action = RequestApproved, "engagement.access_approve"
		}
		res, err := tx.ExecContext(ctx, `UPDATE collab_requests SET state = $1, decided_at = $2, decided_by = $3, decided_by_name = $4, message = $5
			WHERE id = $6 AND state = 'pending'`, state, store.Micros(now), string(p.UserID), p.Name, message, r.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return atrium.Errorf(atrium.CodeConflict, "the request was decided already")
		}
		r.State, r.DecidedAt, r.DecidedBy, r.Message = state, &now, p.Name, message
		if approve {
			cards, err := s.users.CardsAnywhere(ctx, tx, []atrium.UserID{r.UserID})
			if err != nil {
				return err
			}
			if len(cards) == 0 {
				return atrium.Errorf(atrium.CodeConflict, "the requester's account is no longer active")
			}
			facts, err := s.users.Facts(ctx, tx, ms.org)
			if err != nil {
				return err
			}
			added, err := s.insertMember(ctx, tx, ms.id, Participant, cards[0], p.UserID, facts.Language, now, &acceptance{r.TermsVersion, r.CreatedAt})
			if err != nil {
				return err
			}
			if added {
				ref := MemberRef{ScopeID: ms.id, Group: Participant, UserID: r.UserID, Username: r.Username, UserOrg: r.OrgID}
				if _, err := s.bus.Publish(ctx, tx, ms.org, ms.id, EngagementMemberAdded{ref}); err != nil {
					return err
				}
			}
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: ms.org, Action: action, TargetType: "engagement", TargetID: ms.id,
			TargetName: ms.name, After: map[string]any{"user": r.Username, "organization": r.OrgName, "message": message}}); err != nil {
			return err
		}
		if _, err := s.bus.Publish(ctx, tx, ms.org, ms.id, AccessDecided{RequestRef: requestRef(r), State: state}); err != nil {
			return err
		}
		out = r
		return s.mailRequester(ctx, tx, ms.eng, r)
	})
	return out, err
}

// mailRequester tells the requester of r what became of it.
func (s *Service) mailRequester(ctx context.Context, tx *store.Tx, e *Engagement, r *AccessRequest) error {
	cards, err := s.users.CardsAnywhere(ctx, tx, []atrium.UserID{r.UserID})
	if err != nil || len(cards) == 0 || cards[0].ContactEmail == "" {
		return err
	}
	c := cards[0]
	return s.mail.Enqueue(ctx, tx, mail.Message{Org: c.Org, To: c.ContactEmail, Template: "collab_access_decided", Lang: c.Language,
		Data: map[string]any{"DisplayName": c.DisplayName, "Engagement": e.Name, "State": r.State, "Message": r.Message,
			"Link": s.link("/collab/engagements/" + e.ID)}})
}

// expireRequests expires the access requests pending for longer than RequestLifetime,
// a batch at a time, mailing each requester.
func (s *Service) expireRequests(ctx context.Context, _ *jobs.Job) error {
	for {
		var n int
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			now := tx.Now()
			cut := store.Micros(now.Add(-RequestLifetime))
			rows, err := tx.QueryContext(ctx, `SELECT `+requestColumns+` FROM collab_requests WHERE state = 'pending' AND created_at <= $1 ORDER BY created_at LIMIT 200`+forUpdate(tx), cut)
			if err != nil {
				return err
			}
			var rs []*AccessRequest
			for rows.Next() {
				r, err := scanRequest(rows)
				if err != nil {
					rows.Close()
					return err
				}
				rs = append(rs, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			n = len(rs)
			for _, r := range rs {
				res, err := tx.ExecContext(ctx, `UPDATE collab_requests SET state = 'expired', decided_at = $1 WHERE id = $2 AND state = 'pending'`, store.Micros(now), r.ID)
				if err != nil {
					return err
				}
				if k, _ := res.RowsAffected(); k == 0 {
					continue
				}
				r.State = RequestExpired
				e, err := getEngagement(ctx, tx, r.EngagementID, false)
				if err != nil {
					return err
				}
				if _, err := s.bus.Publish(ctx, tx, e.Org, e.ID, AccessDecided{RequestRef: requestRef(r), State: RequestExpired}); err != nil {
					return err
				}
				if err := s.mailRequester(ctx, tx, e, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || n < 200 {
			return err
		}
	}
}
