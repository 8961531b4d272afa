package httpapi

import (
	"net/http"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/social"
)

type settingValue struct {
	Value string `json:"value"`
}

type topicOwner struct {
	OwnerID atrium.UserID `json:"owner_id"`
}

// socialListQuery reads a list's paging parameters: limit (1 to 200, default 50; invalid
// on the field "limit" otherwise) and cursor (checked by the list).
func socialListQuery(r *http.Request) (social.ListQuery, error) {
	limit, err := Limit(r)
	return social.ListQuery{Limit: limit, Cursor: r.URL.Query().Get("cursor")}, err
}

// socialList is a page of a social list in the envelope of every list response.
func socialList[T any](page social.Page[T]) List[T] {
	return List[T]{Items: page.Items, NextCursor: page.NextCursor}
}

// Social is the Social Engagement app's API: the signed-in user's settings, alerts and
// streams, and the organization's search topics.
func Social(svc *social.Service) Module {
	return func(s *Server) {
		s.handle(Route{Method: "GET", Path: "/api/v1/social/settings", Summary: "Your Social Engagement settings, by name", Tag: "social",
			Query: []string{"limit", "cursor"}, Response: List[social.Setting]{}},
			func(w http.ResponseWriter, r *http.Request) error {
				q, err := socialListQuery(r)
				if err != nil {
					return err
				}
				page, err := svc.Settings(r.Context(), principal(r), q)
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, socialList(page))
			})
		s.handle(Route{Method: "PUT", Path: "/api/v1/social/settings/{name}", Summary: "Set one of your Social Engagement settings", Tag: "social",
			Request: settingValue{}, Status: http.StatusNoContent},
			func(w http.ResponseWriter, r *http.Request) error {
				var in settingValue
				if err := decode(w, r, &in); err != nil {
					return err
				}
				if err := svc.PutSetting(r.Context(), principal(r), social.Setting{Name: r.PathValue("name"), Value: in.Value}); err != nil {
					return err
				}
				w.WriteHeader(http.StatusNoContent)
				return nil
			})
		s.handle(Route{Method: "GET", Path: "/api/v1/social/alerts", Summary: "Your alerts, oldest first", Tag: "social",
			Query: []string{"limit", "cursor"}, Response: List[social.Alert]{}},
			func(w http.ResponseWriter, r *http.Request) error {
				q, err := socialListQuery(r)
				if err != nil {
					return err
				}
				page, err := svc.Alerts(r.Context(), principal(r), q)
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, socialList(page))
			})
		s.handle(Route{Method: "POST", Path: "/api/v1/social/alerts", Summary: "Create an alert", Tag: "social", Request: social.Alert{},
			Response: social.Alert{}, Status: http.StatusCreated},
			func(w http.ResponseWriter, r *http.Request) error {
				var in social.Alert
				if err := decode(w, r, &in); err != nil {
					return err
				}
				a, err := svc.CreateAlert(r.Context(), principal(r), in)
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusCreated, a)
			})
		s.handle(Route{Method: "GET", Path: "/api/v1/social/streams", Summary: "Streams you own or that are shared with you, oldest first", Tag: "social",
			Query: []string{"limit", "cursor"}, Response: List[social.Stream]{}},
			func(w http.ResponseWriter, r *http.Request) error {
				q, err := socialListQuery(r)
				if err != nil {
					return err
				}
				page, err := svc.Streams(r.Context(), principal(r), q)
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, socialList(page))
			})
		s.handle(Route{Method: "POST", Path: "/api/v1/social/streams", Summary: "Create a stream, optionally shared", Tag: "social", Request: social.Stream{},
			Response: social.Stream{}, Status: http.StatusCreated},
			func(w http.ResponseWriter, r *http.Request) error {
				var in social.Stream
				if err := decode(w, r, &in); err != nil {
					return err
				}
				st, err := svc.CreateStream(r.Context(), principal(r), in)
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusCreated, st)
			})
		s.handle(Route{Method: "GET", Path: "/api/v1/social/search-topics", Summary: "The organization's search topics, oldest first", Tag: "social",
			Query: []string{"limit", "cursor"}, Response: List[social.SearchTopic]{}},
			func(w http.ResponseWriter, r *http.Request) error {
				q, err := socialListQuery(r)
				if err != nil {
					return err
				}
				page, err := svc.Topics(r.Context(), principal(r), q)
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, socialList(page))
			})
		s.handle(Route{Method: "POST", Path: "/api/v1/social/search-topics", Summary: "Create a search topic", Tag: "social", Request: social.SearchTopic{},
			Response: social.SearchTopic{}, Status: http.StatusCreated},
			func(w http.ResponseWriter, r *http.Request) error {
				var in social.SearchTopic
				if err := decode(w, r, &in); err != nil {
					return err
				}
				t, err := svc.CreateTopic(r.Context(), principal(r), in)
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusCreated, t)
			})
		s.handle(Route{Method: "PUT", Path: "/api/v1/social/search-topics/{id}/owner", Summary: "Reassign a search topic to another user (license administrators)",
			Tag: "social", Request: topicOwner{}, Response: social.SearchTopic{}},
			func(w http.ResponseWriter, r *http.Request) error {
				var in topicOwner
				if err := decode(w, r, &in); err != nil {
					return err
				}
				t, err := svc.ReassignTopic(r.Context(), principal(r), r.PathValue("id"), atrium.UserID(strings.TrimSpace(string(in.OwnerID))))
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, t)
			})
	}
}
