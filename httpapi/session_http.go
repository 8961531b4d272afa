package httpapi

import (
	"net/http"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/directory"
)

// Me is the signed-in caller as GET /api/v1/me shows them.
type Me struct {
	User               *directory.User         `json:"user"`
	Organization       *directory.Organization `json:"organization"`
	Roles              []access.Role           `json:"roles"`
	MustChangePassword bool                    `json:"must_change_password"`
	CSRFToken          string                  `json:"csrf_token,omitempty"`
	TokenName          string                  `json:"token_name,omitempty"`
	// Guest is set while the session works with a guest account: User and Organization
	// are then the guest account and its host, HomeOrgID the person's home organization.
	Guest     bool         `json:"guest"`
	HomeOrgID atrium.OrgID `json:"home_org_id,omitempty"`
}

type sessionResponse struct {
	Token     string          `json:"token"`
	CSRFToken string          `json:"csrf_token"`
	ExpiresAt time.Time       `json:"expires_at"`
	User      *directory.User `json:"user"`
}

// mePatch changes the caller's own preferences.
type mePatch struct {
	// Language is the display language: en, sv, nb or pl, or "" to follow the organization's.
	Language *string `json:"language"`
}

type passwordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// SetSessionCookie sets the session cookie: a browser-session cookie unless persistent.
func (s *Server) SetSessionCookie(w http.ResponseWriter, r *http.Request, token string, persistent bool, expires time.Time) {
	c := &http.Cookie{Name: CookieName, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.SecureCookies || r.TLS != nil}
	if persistent {
		c.Expires = expires
		c.MaxAge = int(expires.Sub(s.Clock.Now()).Seconds())
	}
	http.SetCookie(w, c)
}

// ClearSessionCookie removes the session cookie.
func (s *Server) ClearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.SecureCookies || r.TLS != nil, MaxAge: -1})
}

// SignIn runs a sign-in with per-address rate limiting; the console uses it too. A
// refusal for too many attempts says, for Retry-After, when to try again.
func (s *Server) SignIn(r *http.Request, in auth.SignInInput) (*auth.Identity, string, error) {
	if ok, wait := s.signIns.Take(ClientIP(r), s.Clock.Now()); !ok {
		return nil, "", RateLimited(wait, "Too many sign-in attempts from your address.")
	}
	in.SourceIP, in.UserAgent = ClientIP(r), r.UserAgent()
	return s.Auth.SignIn(r.Context(), in)
}

func (s *Server) registerSessions() {
	s.handle(Route{Method: "POST", Path: "/api/v1/sessions", Summary: "Sign in", Tag: "sessions", Public: true,
		Request: auth.SignInInput{}, Response: sessionResponse{}, Status: http.StatusCreated},
		func(w http.ResponseWriter, r *http.Request) error {
			var in auth.SignInInput
			if err := decode(w, r, &in); err != nil {
				return err
			}
			in.Via = auth.SessionAPI
			id, token, err := s.SignIn(r, in)
			if err != nil {
				return err
			}
			expires := s.Clock.Now().Add(auth.BrowserIdleTimeout)
			if id.Persistent {
				expires = s.Clock.Now().Add(auth.PersistentLifetime)
			}
			s.SetSessionCookie(w, r, token, id.Persistent, expires)
			u, err := s.Directory.GetUserUnchecked(r.Context(), id.Principal.Org, id.Principal.UserID)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusCreated, sessionResponse{Token: token, CSRFToken: auth.CSRFToken(token), ExpiresAt: expires, User: u})
		})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/sessions/current", Summary: "Sign out", Tag: "sessions", DuringPasswordChange: true, Status: http.StatusNoContent},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := s.Auth.SignOut(r.Context(), IdentityFrom(r.Context())); err != nil {
				return err
			}
			s.ClearSessionCookie(w, r)
			w.WriteHeader(http.StatusNoContent)
			return nil
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/me", Summary: "The signed-in user, their organization and roles", Tag: "sessions",
		DuringPasswordChange: true, Response: Me{}},
		func(w http.ResponseWriter, r *http.Request) error {
			me, err := s.Me(r)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, me)
		})
	s.handle(Route{Method: "PATCH", Path: "/api/v1/me", Summary: "Change your own preferences: display language (en, sv, nb, pl, or empty for your organization's)",
		Tag: "sessions", Request: mePatch{}, Response: Me{}},
		func(w http.ResponseWriter, r *http.Request) error {
			var in mePatch
			if err := decode(w, r, &in); err != nil {
				return err
			}
			id := IdentityFrom(r.Context())
			if in.Language != nil {
				if id.Principal.TokenID != "" {
					return atrium.Errorf(atrium.CodeConflict, "an API token has no display language of its own; its organization's applies")
				}
				if _, err := s.Directory.SetLanguage(r.Context(), principal(r), *in.Language); err != nil {
					return err
				}
			}
			me, err := s.Me(r)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, me)
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/me/password", Summary: "Change your own password", Tag: "sessions",
		DuringPasswordChange: true, Request: passwordChange{}, Status: http.StatusNoContent},
		func(w http.ResponseWriter, r *http.Request) error {
			var in passwordChange
			if err := decode(w, r, &in); err != nil {
				return err
			}
			if err := s.Auth.ChangePassword(r.Context(), IdentityFrom(r.Context()), in.CurrentPassword, in.NewPassword); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/me/sessions", Summary: "Your sessions", Tag: "sessions", Response: List[auth.Session]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			list, err := s.Auth.Sessions(r.Context(), IdentityFrom(r.Context()))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, List[auth.Session]{Items: list})
		})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/me/sessions/{id}", Summary: "Revoke one of your sessions", Tag: "sessions", Status: http.StatusNoContent},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := s.Auth.RevokeSession(r.Context(), IdentityFrom(r.Context()), r.PathValue("id")); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		})
}

// Me describes the caller of r.
func (s *Server) Me(r *http.Request) (*Me, error) {
	id := IdentityFrom(r.Context())
	org, err := s.Directory.Org(r.Context(), id.Principal.Org)
	if err != nil {
		return nil, err
	}
	me := &Me{Organization: org, MustChangePassword: id.MustChangePassword, Roles: []access.Role{}, Guest: id.Acting}
	if id.Acting {
		me.HomeOrgID = id.HomeOrg
	}
	for _, g := range id.Principal.Grants {
		if g.Scope.Kind == access.ScopeOrg {
			me.Roles = append(me.Roles, g.Role)
		}
	}
	if id.SessionID != "" {
		u, err := s.Directory.GetUserUnchecked(r.Context(), id.Principal.Org, id.Principal.UserID)
		if err != nil {
			return nil, err
		}
		me.User = u
		if t := SessionToken(r); t != "" {
			me.CSRFToken = auth.CSRFToken(t)
		}
	} else {
		me.TokenName = id.Username
	}
	return me, nil
}
