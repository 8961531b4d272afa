package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/directory"
)

type createUserResponse struct {
	directory.User
	// GeneratedPassword is set, once, when the request had no password.
	GeneratedPassword string `json:"generated_password,omitempty"`
}

type passwordReset struct {
	// Password is the new password; empty generates one.
	Password string `json:"password"`
}

type passwordResetResponse struct {
	GeneratedPassword string `json:"generated_password,omitempty"`
	MustChange        bool   `json:"must_change_password"`
}

var userListQuery = []string{"q", "sort", "order", "filter", "limit", "cursor"}

// userQuery reads the list parameters shared by active and deleted users.
func userQuery(r *http.Request, deleted bool) (directory.UserQuery, error) {
	q := r.URL.Query()
	uq := directory.UserQuery{Q: q.Get("q"), Sort: directory.SortField(q.Get("sort")), Cursor: q.Get("cursor"), Deleted: deleted, Filter: q.Get("filter")}
	switch q.Get("order") {
	case "", "asc":
	case "desc":
		uq.Desc = true
	default:
		return uq, atrium.FieldError("order", "must be asc or desc")
	}
	limit, err := Limit(r)
	uq.Limit = limit
	return uq, err
}

// Limit reads the limit query parameter: 1 to 200, default 50.
func Limit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 200 {
		return 0, atrium.FieldError("limit", "must be a whole number from 1 to 200")
	}
	return n, nil
}

// ifMatch reads If-Match: 0 when absent or "*", the version otherwise. A malformed value
// can never match, so it is a failed precondition.
func ifMatch(r *http.Request) (int64, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" || v == "*" {
		return 0, nil
	}
	v = strings.TrimPrefix(v, "W/")
	n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64)
	if err != nil || n <= 0 {
		return 0, atrium.Errorf(atrium.CodePreconditionFailed, "If-Match does not match the current version")
	}
	return n, nil
}

func writeUser(w http.ResponseWriter, status int, u *directory.User) error {
	w.Header().Set("ETag", u.ETag())
	return writeJSON(w, status, u)
}

func (s *Server) registerUsers() {
	listUsers := func(deleted bool) Handler {
		return func(w http.ResponseWriter, r *http.Request) error {
			uq, err := userQuery(r, deleted)
			if err != nil {
				return err
			}
			page, err := s.Directory.ListUsers(r.Context(), principal(r), uq)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, page)
		}
	}
	s.handle(Route{Method: "GET", Path: "/api/v1/users", Summary: "List active users; q searches display name, username and contact email",
		Tag: "users", Query: userListQuery, Response: directory.UserPage{}}, listUsers(false))
	s.handle(Route{Method: "GET", Path: "/api/v1/deleted-users", Summary: "List deleted users, restorable for 30 days",
		Tag: "users", Query: userListQuery, Response: directory.UserPage{}}, listUsers(true))
	s.handle(Route{Method: "POST", Path: "/api/v1/users", Summary: "Add a user", Tag: "users",
		Request: directory.UserInput{}, Response: createUserResponse{}, Status: http.StatusCreated, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			var in directory.UserInput
			if err := decode(w, r, &in); err != nil {
				return err
			}
			u, generated, err := s.Directory.CreateUser(r.Context(), principal(r), in)
			if err != nil {
				return err
			}
			w.Header().Set("ETag", u.ETag())
			w.Header().Set("Location", "/api/v1/users/"+string(u.ID))
			return writeJSON(w, http.StatusCreated, createUserResponse{User: *u, GeneratedPassword: generated})
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/users/{id}", Summary: "Get a user", Tag: "users", Response: directory.User{}, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			u, err := s.Directory.GetUser(r.Context(), principal(r), atrium.UserID(r.PathValue("id")))
			if err != nil {
				return err
			}
			return writeUser(w, http.StatusOK, u)
		})
	s.handle(Route{Method: "PATCH", Path: "/api/v1/users/{id}", Summary: "Edit a user, or block and unblock sign-in", Tag: "users",
		Request: directory.UserPatch{}, Response: directory.User{}, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			version, err := ifMatch(r)
			if err != nil {
				return err
			}
			var patch directory.UserPatch
			if err := decode(w, r, &patch); err != nil {
				return err
			}
			u, err := s.Directory.UpdateUser(r.Context(), principal(r), atrium.UserID(r.PathValue("id")), patch, version)
			if err != nil {
				return err
			}
			return writeUser(w, http.StatusOK, u)
		})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/users/{id}", Summary: "Delete a user (restorable for 30 days)", Tag: "users",
		Status: http.StatusNoContent, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			version, err := ifMatch(r)
			if err != nil {
				return err
			}
			if err := s.Directory.DeleteUser(r.Context(), principal(r), atrium.UserID(r.PathValue("id")), version); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/users/{id}/restore", Summary: "Restore a deleted user; notices say which licenses could not be given back", Tag: "users", Response: directory.User{}},
		func(w http.ResponseWriter, r *http.Request) error {
			u, err := s.Directory.RestoreUser(r.Context(), principal(r), atrium.UserID(r.PathValue("id")))
			if err != nil {
				return err
			}
			return writeUser(w, http.StatusOK, u)
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/users/{id}/password-reset", Summary: "Reset a user's password; they must change it at next sign-in",
		Tag: "users", Request: passwordReset{}, OptionalBody: true, Response: passwordResetResponse{}},
		func(w http.ResponseWriter, r *http.Request) error {
			var in passwordReset
			if r.ContentLength != 0 {
				if err := decode(w, r, &in); err != nil {
					return err
				}
			}
			generated, err := s.Directory.ResetPassword(r.Context(), principal(r), atrium.UserID(r.PathValue("id")), in.Password)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, passwordResetResponse{GeneratedPassword: generated, MustChange: true})
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/users/{id}/sign-in-lock", Summary: "How failed sign-ins lock a user out now", Tag: "users",
		Response: auth.SignInLock{}},
		func(w http.ResponseWriter, r *http.Request) error {
			l, err := s.Auth.SignInLock(r.Context(), principal(r), atrium.UserID(r.PathValue("id")))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, l)
		})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/users/{id}/sign-in-lock", Summary: "Unlock sign-in after failed attempts (audited as user.unlock)",
		Tag: "users", Status: http.StatusNoContent},
		func(w http.ResponseWriter, r *http.Request) error {
			if _, err := s.Auth.Unlock(r.Context(), principal(r), atrium.UserID(r.PathValue("id"))); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		})
}
