package directory

import (
	"context"
	"slices"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
)

// Card is what other modules may know of a user: names and contact, for lists and mail.
type Card struct {
	ID           atrium.UserID
	Username     string
	DisplayName  string
	ContactEmail string
	// Language is the language mail to the user is written in: their own, else their
	// organization's.
	Language string
}

// Cards returns the cards of the active (not deleted) users among ids in org, ordered by
// name, read with q (the caller's transaction, or a read pool). Other modules use it
// instead of reading the users table.
func (s *Service) Cards(ctx context.Context, q store.Querier, org atrium.OrgID, ids []atrium.UserID) ([]Card, error) {
	out := []Card{}
	orgLang := ""
	const chunk = 500
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		part := ids[:n]
		ids = ids[n:]
		args, marks := store.In([]any{string(org)}, part)
		rows, err := q.QueryContext(ctx, `SELECT u.id, u.username, u.display_name, u.contact_email, CASE WHEN u.language = '' THEN o.language ELSE u.language END, o.language
			FROM users u JOIN organizations o ON o.id = u.org_id
			WHERE u.org_id = $1 AND u.deleted_at IS NULL AND u.id IN (`+marks+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c Card
			if err := rows.Scan(&c.ID, &c.Username, &c.DisplayName, &c.ContactEmail, &c.Language, &orgLang); err != nil {
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
	sortCards(out, orgLang)
	return out, nil
}

// sortCards sorts cs by display name in the alphabet of lang, the organization's
// language, as the user list is sorted.
func sortCards(cs []Card, lang string) {
	keys := make(map[atrium.UserID]string, len(cs))
	for _, c := range cs {
		keys[c.ID] = sortName(lang, c.DisplayName)
	}
	slices.SortFunc(cs, func(a, b Card) int {
		if c := strings.Compare(keys[a.ID], keys[b.ID]); c != 0 {
			return c
		}
		return strings.Compare(string(a.ID), string(b.ID))
	})
}

// OrgName returns the name of organization id, read with q.
func (s *Service) OrgName(ctx context.Context, q store.Querier, id atrium.OrgID) (string, error) {
	var name string
	err := q.QueryRowContext(ctx, `SELECT name FROM organizations WHERE id = $1`, string(id)).Scan(&name)
	return name, store.Translate(err)
}

// CardsByUsername returns the cards of the active users of org whose usernames are
// among usernames (compared case-insensitively), read with q, in no particular order; a
// username no active user has is left out.
func (s *Service) CardsByUsername(ctx context.Context, q store.Querier, org atrium.OrgID, usernames []string) ([]Card, error) {
	out := []Card{}
	const chunk = 500
	for len(usernames) > 0 {
		n := min(chunk, len(usernames))
		part := make([]string, n)
		for i, u := range usernames[:n] {
			part[i] = strings.ToLower(strings.TrimSpace(u))
		}
		usernames = usernames[n:]
		args, marks := store.In([]any{string(org)}, part)
		rows, err := q.QueryContext(ctx, `SELECT u.id, u.username, u.display_name, u.contact_email, CASE WHEN u.language = '' THEN o.language ELSE u.language END
			FROM users u JOIN organizations o ON o.id = u.org_id
			WHERE u.org_id = $1 AND u.deleted_at IS NULL AND u.username_key IN (`+marks+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c Card
			if err := rows.Scan(&c.ID, &c.Username, &c.DisplayName, &c.ContactEmail, &c.Language); err != nil {
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

// OrgFacts is what other modules may know of an organization.
type OrgFacts struct {
	Name string
	// Language is the organization's default language, whose alphabet its lists follow.
	Language string
	// Domain is the organization's default domain, for addresses it gives out.
	Domain string
}

// Facts returns the facts of organization id, read with q; not_found when there is no
// such organization.
func (s *Service) Facts(ctx context.Context, q store.Querier, id atrium.OrgID) (OrgFacts, error) {
	var f OrgFacts
	err := q.QueryRowContext(ctx, `SELECT name, language, initial_domain FROM organizations WHERE id = $1`, string(id)).Scan(&f.Name, &f.Language, &f.Domain)
	return f, store.Translate(err)
}
