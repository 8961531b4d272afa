package collab

import (
	"context"
	"slices"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/store"
)

// copySource loads engagement id as the target of a copy from engagement from, which
// the caller must be able to read. Its participants are offered to the caller within
// the same constraints as an add: a power user of the target copies only users of
// their own organization.
func (s *Service) copySource(ctx context.Context, q store.Querier, p *access.Principal, id, from string) (*memberScope, *Engagement, error) {
	ms, err := s.engagementMembers(ctx, q, p, id, Participant, true)
	if err != nil {
		return nil, nil, err
	}
	if from == ms.id {
		return nil, nil, atrium.FieldError("from_engagement_id", "must be another engagement")
	}
	src, _, err := s.load(ctx, q, p, from, false)
	if err != nil || !src.CanRead {
		return nil, nil, atrium.FieldError("from_engagement_id", "is not an engagement you can see")
	}
	return ms, src, nil
}

// CopyCandidates returns a page of the participants of engagement from that the caller
// may copy into engagement id, each marked when already a participant there or when
// they cannot be added (and why): the preview of a copy.
func (s *Service) CopyCandidates(ctx context.Context, p *access.Principal, id, from string, q MemberQuery) (Page[Candidate], error) {
	ms, src, err := s.copySource(ctx, s.db.Read(), p, id, from)
	if err != nil {
		return Page[Candidate]{}, err
	}
	q.State = StateActive
	page, err := s.memberPage(ctx, src.ID, Participant, ms.onlyOrg, q)
	if err != nil {
		return Page[Candidate]{}, err
	}
	ids := make([]atrium.UserID, len(page.Items))
	for i, m := range page.Items {
		ids[i] = m.UserID
	}
	members, err := memberSet(ctx, s.db.Read(), ms.id, Participant, ids)
	if err != nil {
		return Page[Candidate]{}, err
	}
	out := Page[Candidate]{Items: make([]Candidate, len(page.Items)), NextCursor: page.NextCursor}
	for i, m := range page.Items {
		out.Items[i] = Candidate{UserID: m.UserID, Username: m.Username, DisplayName: m.DisplayName, Email: m.Email, OrgID: m.OrgID,
			OrgName: m.OrgName, Member: members[m.UserID], Refused: ms.refuse(Participant, m.OrgID)}
	}
	return out, nil
}

// CopyResult is what a copy did: how many users it added, how many were participants
// already, and those it could not add with why.
type CopyResult struct {
	Added   int         `json:"added"`
	Already int         `json:"already"`
	Failed  []AddResult `json:"failed"`
}

// CopyMembers adds participants of engagement from to engagement id as participants:
// those among users, or all of them (that the caller may copy) when all is set. It is
// one statement per 500 users, not one per user, so that copying ten thousand
// participants stays a matter of a second; the audit log records the copy once and an
// event is published for every user added.
func (s *Service) CopyMembers(ctx context.Context, p *access.Principal, id, from string, users []atrium.UserID, all bool) (*CopyResult, error) {
	users = slices.Compact(slices.Sorted(slices.Values(users)))
	if !all {
		if err := checkBulk(users, MaxCopy); err != nil {
			return nil, err
		}
	}
	res := &CopyResult{Failed: []AddResult{}}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		ms, src, err := s.copySource(ctx, tx, p, id, from)
		if err != nil {
			return err
		}
		if ms.eng.State != Active {
			return atrium.Errorf(atrium.CodeConflict, "the engagement is closed; it takes no new participants")
		}
		now := tx.Now()
		// The source's participants the caller may copy, with their cards.
		offered, err := s.sourceRows(ctx, tx, src.ID, ms.onlyOrg, users, all)
		if err != nil {
			return err
		}
		if len(offered) > MaxCopy {
			return atrium.FieldErrorf("user_ids", "err.collab.too_many", "name at most {{.Count}} users", "Count", MaxCopy)
		}
		seen := make(map[atrium.UserID]bool, len(offered))
		var ok []atrium.UserID
		for _, c := range offered {
			seen[c.ID] = true
			if why := ms.refuse(Participant, c.Org); why != "" {
				res.Failed = append(res.Failed, AddResult{UserID: c.ID, Username: c.Username, Status: Failed, Error: why})
				continue
			}
			ok = append(ok, c.ID)
		}
		for _, u := range users {
			if !seen[u] {
				res.Failed = append(res.Failed, AddResult{UserID: u, Status: Failed, Error: "is not a participant of the engagement copied from"})
			}
		}
		byID := make(map[atrium.UserID]directory.OrgCard, len(offered))
		for _, c := range offered {
			byID[c.ID] = c
		}
		for len(ok) > 0 {
			n := min(500, len(ok))
			part := ok[:n]
			ok = ok[n:]
			added, err := s.copyChunk(ctx, tx, ms.id, src.ID, part, p.UserID)
			if err != nil {
				return err
			}
			res.Added += len(added)
			res.Already += len(part) - len(added)
			for _, u := range added {
				c := byID[u]
				ref := MemberRef{ScopeID: ms.id, Group: Participant, UserID: c.ID, Username: c.Username, UserOrg: c.Org}
				if _, err := s.bus.Publish(ctx, tx, ms.org, ms.id, EngagementMemberAdded{ref}); err != nil {
					return err
				}
			}
		}
		return audit.Record(ctx, tx, now, audit.Entry{Org: ms.org, Action: "engagement.members_copy", TargetType: "engagement", TargetID: ms.id,
			TargetName: ms.name, After: map[string]any{"from": src.Name, "added": res.Added, "already": res.Already, "failed": len(res.Failed)}})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// sourceRows reads the active participants of engagement src (of org only, when set;
// among users unless all).
func (s *Service) sourceRows(ctx context.Context, tx *store.Tx, src string, org atrium.OrgID, users []atrium.UserID, all bool) ([]directory.OrgCard, error) {
	var out []directory.OrgCard
	read := func(extra string, args []any) error {
		rows, err := tx.QueryContext(ctx, `SELECT user_id, username, display_name, email, org_id, org_name FROM collab_members
			WHERE scope_id = $1 AND grp = 'participant' AND state = 'active'`+extra, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c directory.OrgCard
			if err := rows.Scan(&c.ID, &c.Username, &c.DisplayName, &c.ContactEmail, &c.Org, &c.OrgName); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	}
	base := []any{src}
	extra := ""
	if org != "" {
		base = append(base, string(org))
		extra = ` AND org_id = $2`
	}
	if all {
		return out, read(extra+` LIMIT `+itoa(MaxCopy+1), base)
	}
	for len(users) > 0 {
		n := min(500, len(users))
		args, marks := store.In(slices.Clone(base), users[:n])
		users = users[n:]
		if err := read(extra+` AND user_id IN (`+marks+`)`, args); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// copyChunk copies the participant rows of users from engagement src to engagement dst
// in one statement, giving back deactivated memberships, and returns the users added.
func (s *Service) copyChunk(ctx context.Context, tx *store.Tx, dst, src string, users []atrium.UserID, by atrium.UserID) ([]atrium.UserID, error) {
	at := store.Micros(tx.Now())
	args, marks := store.In([]any{dst, src, at, string(by)}, users)
	rows, err := tx.QueryContext(ctx, `INSERT INTO collab_members (scope_id, grp, user_id, org_id, org_name, username, display_name, email, sort_name, search,
		added_at, added_by)
		SELECT $1, 'participant', user_id, org_id, org_name, username, display_name, email, sort_name, search, $3, $4 FROM collab_members
		WHERE scope_id = $2 AND grp = 'participant' AND state = 'active' AND user_id IN (`+marks+`)
		ON CONFLICT (scope_id, grp, user_id) DO UPDATE SET state = 'active', deactivated_at = NULL, added_at = excluded.added_at, added_by = excluded.added_by
		WHERE collab_members.state = 'deactivated'
		RETURNING user_id`, args...)
	if err != nil {
		return nil, err
	}
	var added []atrium.UserID
	for rows.Next() {
		var u atrium.UserID
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return nil, err
		}
		added = append(added, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(added) == 0 {
		return nil, nil
	}
	pargs, pmarks := store.In([]any{dst, at}, added)
	if _, err := tx.ExecContext(ctx, `INSERT INTO collab_people (user_id, org_id, last_access_at)
		SELECT user_id, org_id, $2 FROM collab_members WHERE scope_id = $1 AND grp = 'participant' AND user_id IN (`+pmarks+`)
		ON CONFLICT (user_id) DO UPDATE SET last_access_at = excluded.last_access_at, notice = 0, deactivated_at = NULL
		WHERE collab_people.deactivated_at IS NOT NULL`, pargs...); err != nil {
		return nil, err
	}
	return added, nil
}
