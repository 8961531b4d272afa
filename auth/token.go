package auth

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/store"
)

// APIToken is an organization's credential for automation. Its secret is shown once, at
// creation, and stored only as a hash.
type APIToken struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	Role       access.Role `json:"role"`
	CreatedBy  string      `json:"created_by"`
	CreatedAt  time.Time   `json:"created_at"`
	ExpiresAt  *time.Time  `json:"expires_at"`
	LastUsedAt *time.Time  `json:"last_used_at"`
}

// TokenInput creates an API token.
type TokenInput struct {
	Name string      `json:"name"`
	Role access.Role `json:"role"`
	// ExpiresAt defaults to DefaultTokenLifetime from now; a token that never expires
	// is an explicit choice (NeverExpires), never a default.
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	NeverExpires bool       `json:"never_expires,omitempty"`
}

// DefaultTokenLifetime is how long a token lives when its creator names no expiry.
const DefaultTokenLifetime = 90 * 24 * time.Hour

// CreateToken creates an API token for p's organization with one organization role and
// returns it with its secret. Nobody can mint a token more powerful than themselves: p
// must be allowed, at the organization's scope, everything the role allows
// (access.CanDelegate); operator roles cannot be given to tokens.
func (s *Service) CreateToken(ctx context.Context, p *access.Principal, in TokenInput) (*APIToken, string, error) {
	if err := access.Require(p, access.TokenManage, access.Resource{Org: p.Org}); err != nil {
		return nil, "", err
	}
	probs := atrium.Problems{}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		probs.Add("name", "is required")
	} else if utf8.RuneCountInString(in.Name) > 128 {
		probs.Add("name", "must be at most 128 characters")
	}
	if in.Role.Operator() {
		probs.Add("role", "operator roles cannot be given to API tokens")
	} else if !access.CanDelegate(p, in.Role, access.Resource{Org: p.Org}) {
		probs.Add("role", "you can only give a token a role you hold yourself")
	}
	now := s.clock.Now()
	switch {
	case in.NeverExpires && in.ExpiresAt != nil:
		probs.Add("expires_at", "give an expiry date or never_expires, not both")
		probs.Add("never_expires", "give an expiry date or never_expires, not both")
	case in.ExpiresAt != nil && !in.ExpiresAt.After(now):
		probs.Add("expires_at", "must be in the future")
	case in.ExpiresAt == nil && !in.NeverExpires:
		e := now.Add(DefaultTokenLifetime)
		in.ExpiresAt = &e
	}
	if err := probs.Err(); err != nil {
		return nil, "", err
	}
	secret := newToken(apiPrefix)
	t := &APIToken{ID: uuid.Must(uuid.NewV7()).String(), Name: in.Name, Role: in.Role, CreatedBy: p.Name, CreatedAt: now, ExpiresAt: in.ExpiresAt}
	var expires any
	if in.ExpiresAt != nil {
		e := in.ExpiresAt.UTC()
		t.ExpiresAt = &e
		expires = store.Micros(e)
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, org_id, name, role, token_hash, created_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, t.ID, string(p.Org), t.Name, t.Role.String(), hashToken(secret), p.Name, store.Micros(now), expires); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "token.create", TargetType: "api_token", TargetID: t.ID, TargetName: t.Name,
			After: map[string]any{"role": t.Role.String(), "expires_at": t.ExpiresAt}}); err != nil {
			return err
		}
		_, err := s.events.Publish(ctx, tx, p.Org, t.ID, TokenCreated{Token: t.ID, Org: p.Org, Name: t.Name, Role: t.Role.String(),
			CreatedBy: t.CreatedBy, ExpiresAt: t.ExpiresAt})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// TokenQuery selects one page of an organization's live API tokens.
type TokenQuery struct {
	Q      string // case-insensitive substring of the token's name
	Limit  int    // 1 to 200; 50 when out of range
	Cursor string
}

// newestTokens is the order of the token list, on api_tokens_org (org_id, created_at, id).
var newestTokens = store.Keyset{Columns: []string{"created_at", "id"}, Desc: true}

const tokenColumns = `id, name, role, created_by, created_at, expires_at, last_used_at`

func scanToken(row interface{ Scan(...any) error }) (APIToken, error) {
	var t APIToken
	var role string
	var created int64
	var expires, used *int64
	if err := row.Scan(&t.ID, &t.Name, &role, &t.CreatedBy, &created, &expires, &used); err != nil {
		return APIToken{}, err
	}
	t.Role, _ = access.ParseRole(role)
	t.CreatedAt = store.Time(created)
	if expires != nil {
		e := store.Time(*expires)
		t.ExpiresAt = &e
	}
	if used != nil {
		u := store.Time(*used)
		t.LastUsedAt = &u
	}
	return t, nil
}

// ListTokens returns one page of the live (not revoked) API tokens of p's organization,
// newest first, and the cursor of the next page ("" on the last). It returns forbidden
// unless p may read tokens, invalid (field "q") for a search over 256 characters and
// invalid (field "cursor") for a cursor this list did not give out.
func (s *Service) ListTokens(ctx context.Context, p *access.Principal, q TokenQuery) ([]APIToken, string, error) {
	if err := access.Require(p, access.TokenRead, access.Resource{Org: p.Org}); err != nil {
		return nil, "", err
	}
	limit := q.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	args := []any{string(p.Org)}
	where := "org_id = $1 AND revoked_at IS NULL"
	if name := strings.TrimSpace(q.Q); name != "" {
		if len(name) > 256 {
			return nil, "", atrium.FieldError("q", "must be at most 256 characters")
		}
		args = append(args, "%"+store.EscapeLike(strings.ToLower(name))+"%")
		where += fmt.Sprintf(" AND lower(name) LIKE $%d ESCAPE '\\'", len(args))
	}
	var at int64
	var id string
	page, err := newestTokens.Page(args, q.Cursor, limit, &at, &id)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE `+where+` AND `+page.Where+` `+page.OrderLimit, page.Args...)
	if err != nil {
		return nil, "", store.Translate(err)
	}
	defer rows.Close()
	out := []APIToken{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, "", store.Translate(err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, "", store.Translate(err)
	}
	out, next := store.NextPage(page, out, func(t APIToken) []any { return []any{store.Micros(t.CreatedAt), t.ID} })
	return out, next, nil
}

// Token returns one live API token of p's organization; forbidden unless p may read
// tokens, not_found for a revoked token or any other.
func (s *Service) Token(ctx context.Context, p *access.Principal, id string) (*APIToken, error) {
	if err := access.Require(p, access.TokenRead, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	t, err := scanToken(s.db.Read().QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL`,
		id, string(p.Org)))
	if err != nil {
		if err = store.Translate(err); atrium.ErrorCode(err) == atrium.CodeNotFound {
			return nil, atrium.Errorf(atrium.CodeNotFound, "API token not found; it may have been revoked already")
		}
		return nil, err
	}
	return &t, nil
}

// RevokeToken revokes an API token of p's organization; not_found for any other.
func (s *Service) RevokeToken(ctx context.Context, p *access.Principal, id string) error {
	if err := access.Require(p, access.TokenManage, access.Resource{Org: p.Org}); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM api_tokens WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL`, id, string(p.Org)).Scan(&name); err != nil {
			if atrium.ErrorCode(store.Translate(err)) == atrium.CodeNotFound {
				return atrium.Errorf(atrium.CodeNotFound, "API token not found")
			}
			return err
		}
		now := s.clock.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2`, store.Micros(now), id); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "token.revoke", TargetType: "api_token", TargetID: id, TargetName: name}); err != nil {
			return err
		}
		_, err := s.events.Publish(ctx, tx, p.Org, id, TokenRevoked{Token: id, Org: p.Org, Name: name})
		return err
	})
}

func (s *Service) authenticateAPIToken(ctx context.Context, token string) (*Identity, error) {
	now := s.clock.Now()
	var id Identity
	var role string
	var expires, used *int64
	var tokenID string
	err := s.db.Read().QueryRowContext(ctx, `SELECT id, org_id, name, role, expires_at, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`,
		hashToken(token)).Scan(&tokenID, &id.Principal.Org, &id.Username, &role, &expires, &used)
	if err != nil {
		if atrium.ErrorCode(store.Translate(err)) == atrium.CodeNotFound {
			return nil, errUnauthenticated
		}
		return nil, store.Translate(err)
	}
	if expires != nil && store.Micros(now) >= *expires {
		return nil, errUnauthenticated
	}
	org, err := s.dir.Org(ctx, id.Principal.Org)
	if atrium.ErrorCode(err) == atrium.CodeNotFound {
		return nil, errUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	if org.State != directory.OrgActive {
		return nil, errUnauthenticated
	}
	r, ok := access.ParseRole(role)
	if !ok {
		return nil, errUnauthenticated
	}
	id.Principal.TokenID = tokenID
	id.HomeOrg = id.Principal.Org
	id.Principal.Name = fmt.Sprintf("API token %s", id.Username)
	id.DisplayName = id.Principal.Name
	id.OrgLanguage = org.Language
	id.Principal.Grants = []access.Grant{{Role: r, Scope: access.OrgScope(id.Principal.Org)}}
	if used == nil || now.Sub(store.Time(*used)) >= touchEvery {
		s.db.Write().ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, store.Micros(now), tokenID)
	}
	return &id, nil
}
