package httpapi

import (
	"net/http"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/groups"
)

type memberIDs struct {
	UserIDs   []atrium.UserID `json:"user_ids,omitempty"`
	Usernames []string        `json:"usernames,omitempty"`
}

type joinInput struct {
	Message string `json:"message,omitempty"`
}

type decisionInput struct {
	Reply string `json:"reply,omitempty"`
}

type followingInput struct {
	Following bool `json:"following"`
}

// groupsQuery reads a list's q, limit (1 to 200, default 50) and cursor.
func groupsQuery(r *http.Request) (groups.ListQuery, error) {
	limit, err := Limit(r)
	return groups.ListQuery{Q: r.URL.Query().Get("q"), Limit: limit, Cursor: r.URL.Query().Get("cursor")}, err
}

func groupsList[T any](page groups.Page[T], err error) (List[T], error) {
	if page.Items == nil {
		page.Items = []T{}
	}
	return List[T]{Items: page.Items, NextCursor: page.NextCursor}, err
}

// Groups is the groups module's API: groups, members and owners, joining and requests.
func Groups(svc *groups.Service) Module {
	return func(s *Server) {
		list := func(path, summary string, fn func(r *http.Request, q groups.ListQuery) (groups.Page[groups.Group], error)) {
			s.handle(Route{Method: "GET", Path: path, Summary: summary, Tag: "groups", Query: []string{"q", "limit", "cursor"}, Response: List[groups.Group]{}},
				func(w http.ResponseWriter, r *http.Request) error {
					q, err := groupsQuery(r)
					if err != nil {
						return err
					}
					out, err := groupsList(fn(r, q))
					if err != nil {
						return err
					}
					return writeJSON(w, http.StatusOK, out)
				})
		}
		list("/api/v1/groups", "The organization's groups by name; q matches a fragment of the name, nickname or description",
			func(r *http.Request, q groups.ListQuery) (groups.Page[groups.Group], error) {
				return svc.List(r.Context(), principal(r), q)
			})
		list("/api/v1/me/groups", "The groups you are a member or owner of, by name",
			func(r *http.Request, q groups.ListQuery) (groups.Page[groups.Group], error) {
				return svc.Mine(r.Context(), principal(r), q)
			})
		list("/api/v1/deleted-groups", "Deleted groups you may restore, most recently deleted first",
			func(r *http.Request, q groups.ListQuery) (groups.Page[groups.Group], error) {
				return svc.Deleted(r.Context(), principal(r), q)
			})
		s.handle(Route{Method: "POST", Path: "/api/v1/groups", Summary: "Create a group; owners default to you", Tag: "groups",
			Request: groups.Input{}, Response: groups.Group{}, Status: http.StatusCreated},
			func(w http.ResponseWriter, r *http.Request) error {
				var in groups.Input
				if err := decode(w, r, &in); err != nil {
					return err
				}
				g, err := svc.Create(r.Context(), principal(r), in)
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusCreated, g)
			})
		s.handle(Route{Method: "GET", Path: "/api/v1/groups/{id}", Summary: "One group, with your membership and rights", Tag: "groups", Response: groups.Group{}},
			func(w http.ResponseWriter, r *http.Request) error {
				g, err := svc.Get(r.Context(), principal(r), r.PathValue("id"))
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, g)
			})
		s.handle(Route{Method: "PATCH", Path: "/api/v1/groups/{id}", Summary: "Change a group's name, description, nickname, visibility or classification",
			Tag: "groups", Request: groups.Patch{}, Response: groups.Group{}},
			func(w http.ResponseWriter, r *http.Request) error {
				var in groups.Patch
				if err := decode(w, r, &in); err != nil {
					return err
				}
				g, err := svc.Update(r.Context(), principal(r), r.PathValue("id"), in)
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, g)
			})
		s.handle(Route{Method: "DELETE", Path: "/api/v1/groups/{id}", Summary: "Delete a group; it can be restored for 30 days", Tag: "groups",
			Status: http.StatusNoContent},
			func(w http.ResponseWriter, r *http.Request) error {
				if err := svc.Delete(r.Context(), principal(r), r.PathValue("id")); err != nil {
					return err
				}
				w.WriteHeader(http.StatusNoContent)
				return nil
			})
		s.handle(Route{Method: "POST", Path: "/api/v1/groups/{id}/restore", Summary: "Restore a deleted group with its members and conversations",
			Tag: "groups", Response: groups.Group{}},
			func(w http.ResponseWriter, r *http.Request) error {
				g, err := svc.Restore(r.Context(), principal(r), r.PathValue("id"))
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, g)
			})
		for _, kind := range []struct {
			path   string
			owners bool
		}{{"members", false}, {"owners", true}} {
			s.handle(Route{Method: "GET", Path: "/api/v1/groups/{id}/" + kind.path, Summary: "A group's " + kind.path + " by name; q matches a fragment of the name, username or email",
				Tag: "groups", Query: []string{"q", "limit", "cursor"}, Response: List[groups.Member]{}},
				func(w http.ResponseWriter, r *http.Request) error {
					q, err := groupsQuery(r)
					if err != nil {
						return err
					}
					out, err := groupsList(svc.Members(r.Context(), principal(r), r.PathValue("id"), kind.owners, q))
					if err != nil {
						return err
					}
					return writeJSON(w, http.StatusOK, out)
				})
			s.handle(Route{Method: "GET", Path: "/api/v1/groups/{id}/" + kind.path + "/export", Summary: "A group's " + kind.path + " as CSV (text/csv)", Tag: "groups"},
				func(w http.ResponseWriter, r *http.Request) error {
					return svc.ExportMembers(r.Context(), principal(r), r.PathValue("id"), kind.owners, csvAttachment{w: w, name: "group-" + kind.path + ".csv"})
				})
			s.handle(Route{Method: "POST", Path: "/api/v1/groups/{id}/" + kind.path, Summary: "Add " + kind.path + " by user_ids (or usernames, for members); one result per user",
				Tag: "groups", Request: memberIDs{}, Response: List[groups.AddResult]{}},
				func(w http.ResponseWriter, r *http.Request) error {
					var in memberIDs
					if err := decode(w, r, &in); err != nil {
						return err
					}
					var res []groups.AddResult
					var err error
					switch {
					case kind.owners && len(in.Usernames) > 0:
						return atrium.FieldError("usernames", "owners are added by user_ids")
					case kind.owners:
						res, err = svc.AddOwners(r.Context(), principal(r), r.PathValue("id"), in.UserIDs)
					case len(in.Usernames) > 0 && len(in.UserIDs) > 0:
						return atrium.FieldError("usernames", "give user_ids or usernames, not both")
					case len(in.Usernames) > 0:
						res, err = svc.AddMembersByUsername(r.Context(), principal(r), r.PathValue("id"), in.Usernames)
					default:
						res, err = svc.AddMembers(r.Context(), principal(r), r.PathValue("id"), in.UserIDs)
					}
					if err != nil {
						return err
					}
					return writeJSON(w, http.StatusOK, List[groups.AddResult]{Items: res})
				})
			s.handle(Route{Method: "DELETE", Path: "/api/v1/groups/{id}/" + kind.path + "/{user_id}", Summary: "Remove one of a group's " + kind.path +
				"; the last owner stays", Tag: "groups", Status: http.StatusNoContent},
				func(w http.ResponseWriter, r *http.Request) error {
					var err error
					if kind.owners {
						err = svc.RemoveOwner(r.Context(), principal(r), r.PathValue("id"), atrium.UserID(r.PathValue("user_id")))
					} else {
						err = svc.RemoveMember(r.Context(), principal(r), r.PathValue("id"), atrium.UserID(r.PathValue("user_id")))
					}
					if err != nil {
						return err
					}
					w.WriteHeader(http.StatusNoContent)
					return nil
				})
		}
		s.handle(Route{Method: "PUT", Path: "/api/v1/groups/{id}/following", Summary: "Turn group mail on or off for yourself", Tag: "groups",
			Request: followingInput{}, Status: http.StatusNoContent},
			func(w http.ResponseWriter, r *http.Request) error {
				var in followingInput
				if err := decode(w, r, &in); err != nil {
					return err
				}
				if err := svc.SetFollowing(r.Context(), principal(r), r.PathValue("id"), in.Following); err != nil {
					return err
				}
				w.WriteHeader(http.StatusNoContent)
				return nil
			})
		s.handle(Route{Method: "POST", Path: "/api/v1/groups/{id}/join", Summary: "Join a public group, or ask to join a private one", Tag: "groups",
			Request: joinInput{}, OptionalBody: true, Response: groups.JoinResult{}},
			func(w http.ResponseWriter, r *http.Request) error {
				var in joinInput // the message is optional, and so is the body
				if r.ContentLength != 0 {
					if err := decode(w, r, &in); err != nil {
						return err
					}
				}
				res, err := svc.Join(r.Context(), principal(r), r.PathValue("id"), in.Message)
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, res)
			})
		s.handle(Route{Method: "GET", Path: "/api/v1/groups/{id}/join-requests", Summary: "A group's join requests, oldest first; state=pending for open ones",
			Tag: "groups", Query: []string{"state", "limit", "cursor"}, Response: List[groups.JoinRequest]{}},
			func(w http.ResponseWriter, r *http.Request) error {
				q, err := groupsQuery(r)
				if err != nil {
					return err
				}
				state := r.URL.Query().Get("state")
				if state != "" && state != groups.RequestPending {
					return atrium.FieldErrorf("state", "err.one_of", "must be one of {{.Values}}", "Values", "pending")
				}
				out, err := groupsList(svc.JoinRequests(r.Context(), principal(r), r.PathValue("id"), state != "", q))
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, out)
			})
		for _, verb := range []string{"approve", "deny"} {
			s.handle(Route{Method: "POST", Path: "/api/v1/groups/{id}/join-requests/{rid}/" + verb, Summary: "Answer a join request (" + verb + "); the requester is mailed",
				Tag: "groups", Request: decisionInput{}, OptionalBody: true, Response: groups.JoinRequest{}},
				func(w http.ResponseWriter, r *http.Request) error {
					var in decisionInput // the reply is optional, and so is the body
					if r.ContentLength != 0 {
						if err := decode(w, r, &in); err != nil {
							return err
						}
					}
					jr, err := svc.Decide(r.Context(), principal(r), r.PathValue("id"), r.PathValue("rid"), verb == "approve", in.Reply)
					if err != nil {
						return err
					}
					return writeJSON(w, http.StatusOK, jr)
				})
		}
		s.handle(Route{Method: "GET", Path: "/api/v1/group-settings", Summary: "The organization's group settings", Tag: "groups", Response: groups.Settings{}},
			func(w http.ResponseWriter, r *http.Request) error {
				st, err := svc.Settings(r.Context(), principal(r))
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, st)
			})
		s.handle(Route{Method: "PUT", Path: "/api/v1/group-settings", Summary: "Set who may create groups and the classification labels", Tag: "groups",
			Request: groups.Settings{}, Response: groups.Settings{}},
			func(w http.ResponseWriter, r *http.Request) error {
				var in groups.Settings
				if err := decode(w, r, &in); err != nil {
					return err
				}
				st, err := svc.PutSettings(r.Context(), principal(r), in)
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, st)
			})
	}
}
