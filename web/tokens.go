package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/auth"
)

// tokensPage is the data of the API tokens page.
type tokensPage struct {
	Tokens    []auth.APIToken
	Pager     pager
	CanManage bool
	Roles     []access.Role
	// Created and Secret are set right after creating a token: the secret is shown once.
	Created *auth.APIToken
	Secret  string
	// DefaultDays is how long a token made without an expiry date works.
	DefaultDays int
}

// tokenView lists the tokens whose names contain the search q, a page at a time, newest
// first.
func (c *console) tokenView(r *http.Request) (*view, error) {
	s := sessionFrom(r.Context())
	limit, err := listLimit(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	list, next, err := c.Auth.ListTokens(r.Context(), s.P(), auth.TokenQuery{Q: q.Get("q"), Limit: limit, Cursor: q.Get("cursor")})
	if err != nil {
		return nil, err
	}
	p := tokensPage{Tokens: list, Pager: pageLinks(r, next), CanManage: s.Can(access.TokenManage),
		DefaultDays: int(auth.DefaultTokenLifetime / (24 * time.Hour))}
	for _, role := range access.Roles() {
		if !role.Operator() && access.CanDelegate(s.P(), role, access.Resource{Org: s.ID.Principal.Org}) {
			p.Roles = append(p.Roles, role)
		}
	}
	v := c.newView(r, "nav.settings.tokens")
	v.Form.Set("q", q.Get("q"))
	v.Data = p
	return v, nil
}

func (c *console) tokenList(w http.ResponseWriter, r *http.Request) error {
	v, err := c.tokenView(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "tokens.html", v)
	return nil
}

// tokenCreate creates a token and shows its secret, once.
func (c *console) tokenCreate(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	f := r.PostForm
	in := auth.TokenInput{Name: f.Get("name"), NeverExpires: f.Get("never_expires") != ""}
	probs := atrium.Problems{}
	// No role is chosen for the admin: the list starts empty.
	role, ok := access.ParseRole(f.Get("role"))
	if !ok {
		probs.Add("role", "tokens.error.role")
	}
	in.Role = role
	if e := strings.TrimSpace(f.Get("expires_at")); e != "" {
		t, err := time.Parse("2006-01-02", e)
		if err != nil {
			probs.Add("expires_at", "tokens.error.date")
		} else {
			t = t.Add(24*time.Hour - time.Second) // the token works through the whole day
			in.ExpiresAt = &t
		}
	}
	err := probs.Err()
	var tok *auth.APIToken
	secret := ""
	if err == nil {
		tok, secret, err = c.Auth.CreateToken(r.Context(), s.P(), in)
	}
	v, lerr := c.tokenView(r)
	if lerr != nil {
		return lerr
	}
	if err != nil {
		v.Form = f
		if !v.formError(err, "name", "role", "expires_at", "never_expires") {
			return err
		}
		c.render(w, r, statusOf(err), "tokens.html", v)
		return nil
	}
	// The list is read again so it includes the new token.
	v, err = c.tokenView(r)
	if err != nil {
		return err
	}
	p := v.Data.(tokensPage)
	p.Created, p.Secret = tok, secret
	v.Data = p
	c.render(w, r, http.StatusCreated, "tokens.html", v)
	return nil
}

func (c *console) findToken(r *http.Request) (*auth.APIToken, error) {
	return c.Auth.Token(r.Context(), sessionFrom(r.Context()).P(), r.PathValue("id"))
}

func (c *console) tokenRevokePage(r *http.Request, t *auth.APIToken) confirmPage {
	return confirmPage{Heading: c.t(r, "tokens.revoke.heading", "Name", t.Name),
		Message: c.t(r, "tokens.revoke.message"),
		Action:  "/tokens/" + t.ID + "/revoke", Button: c.t(r, "tokens.revoke.button"), Cancel: "/tokens"}
}

func (c *console) tokenRevokeConfirm(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	if err := access.Require(s.P(), access.TokenManage, access.Resource{Org: s.ID.Principal.Org}); err != nil {
		return err
	}
	t, err := c.findToken(r)
	if err != nil {
		return err
	}
	return c.confirm(w, r, c.tokenRevokePage(r, t), http.StatusOK, "")
}

// tokenRevoke revokes a token, after confirmation.
func (c *console) tokenRevoke(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	if err := c.Auth.RevokeToken(r.Context(), s.P(), r.PathValue("id")); err != nil {
		return err
	}
	return c.redirect(w, r, "/tokens", c.t(r, "tokens.revoked"))
}
