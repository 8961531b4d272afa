package directory

import (
	"context"
	"database/sql"
	"errors"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
)

// OrgCard is a card with the user's organization, for modules whose lists span
// organizations (an engagement's participants).
type OrgCard struct {
	Card
	Org     atrium.OrgID
	OrgName string
}

// CardsAnywhere returns the cards of the active users among ids in any active
// organization, with their organization, read with q, in no particular order. A user
// who is deleted, or whose organization is not active, is left out.
func (s *Service) CardsAnywhere(ctx context.Context, q store.Querier, ids []atrium.UserID) ([]OrgCard, error) {
	out := []OrgCard{}
	const chunk = 500
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		args, marks := store.In(nil, ids[:n])
		ids = ids[n:]
		rows, err := q.QueryContext(ctx, `SELECT u.id, u.username, u.display_name, u.contact_email, CASE WHEN u.language = '' THEN o.language ELSE u.language END,
			o.id, o.name FROM users u JOIN organizations o ON o.id = u.org_id
			WHERE u.id IN (`+marks+`) AND u.deleted_at IS NULL AND o.state = 'active'`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c OrgCard
			if err := rows.Scan(&c.ID, &c.Username, &c.DisplayName, &c.ContactEmail, &c.Language, &c.Org, &c.OrgName); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// FindCards returns up to limit (at most 1,000) active users of org, an active
// organization, whose display name, username or contact email holds fragment, as the
// user list finds them, in its order (by name). It checks no permission: the module
// that asks decides who may search whom.
func (s *Service) FindCards(ctx context.Context, org atrium.OrgID, fragment string, limit int) ([]OrgCard, error) {
	var name string
	err := s.db.Read().QueryRowContext(ctx, `SELECT name FROM organizations WHERE id = $1 AND state = 'active' AND deleted_at IS NULL`, string(org)).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return []OrgCard{}, nil
	}
	if err != nil {
		return nil, store.Translate(err)
	}
	limit = min(max(limit, 1), 1000)
	out := []OrgCard{}
	uq := UserQuery{Q: fragment, Limit: min(limit, 200)}
	for len(out) < limit {
		page, err := listUsers(ctx, s.db, org, uq)
		if err != nil {
			return nil, err
		}
		for _, u := range page.Items {
			if len(out) == limit {
				break
			}
			out = append(out, OrgCard{Card: Card{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, ContactEmail: u.ContactEmail,
				Language: u.Language}, Org: org, OrgName: name})
		}
		if page.NextCursor == "" {
			break
		}
		uq.Cursor = page.NextCursor
	}
	return out, nil
}

// FindCardsAnywhere returns up to limit (at most 1,000) active users of every active
// organization whose display name, username or contact email holds fragment (of at
// least three characters), by display name. It reads users of every organization, so
// it scans where a fragment is rare: it is for operator staff, whose engagements span
// organizations; FindCards answers within one organization from its own index.
func (s *Service) FindCardsAnywhere(ctx context.Context, fragment string, limit int) ([]OrgCard, error) {
	f := SearchFragment(fragment)
	if len([]rune(f)) < 3 {
		return nil, atrium.FieldErrorf("q", "err.min_chars", "must be at least {{.Count}} characters", "Count", 3)
	}
	if len(f) > MaxQueryLength {
		return nil, atrium.FieldError("q", "must be at most 256 characters")
	}
	limit = min(max(limit, 1), 1000)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT u.id, u.username, u.display_name, u.contact_email, CASE WHEN u.language = '' THEN o.language ELSE u.language END,
		o.id, o.name FROM users u JOIN organizations o ON o.id = u.org_id
		WHERE u.search LIKE $1 ESCAPE '\' AND u.deleted_at IS NULL AND o.state = 'active' AND o.deleted_at IS NULL
		ORDER BY lower(u.display_name), u.id LIMIT $2`, "%"+store.EscapeLike(f)+"%", limit)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	out := []OrgCard{}
	for rows.Next() {
		var c OrgCard
		if err := rows.Scan(&c.ID, &c.Username, &c.DisplayName, &c.ContactEmail, &c.Language, &c.Org, &c.OrgName); err != nil {
			return nil, store.Translate(err)
		}
		out = append(out, c)
	}
	return out, store.Translate(rows.Err())
}
