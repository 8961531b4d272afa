package httpapi

import (
	"net/http"
	"strconv"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/collab"
)

type collabAddInput struct {
	UserIDs        []atrium.UserID `json:"user_ids"`
	SendInvitation bool            `json:"send_invitation,omitempty"`
}

type collabProgramAddInput struct {
	UserIDs []atrium.UserID `json:"user_ids"`
}

type collabJoinInput struct {
	AcceptTerms bool `json:"accept_terms"`
}

type collabRequestInput struct {
	AcceptTerms   bool   `json:"accept_terms"`
	Justification string `json:"justification"`
}

type collabDecisionInput struct {
	Message string `json:"message,omitempty"`
}

type collabCopyInput struct {
	FromEngagementID string          `json:"from_engagement_id"`
	UserIDs          []atrium.UserID `json:"user_ids,omitempty"`
	// All copies every participant of the other engagement the caller may copy.
	All bool `json:"all,omitempty"`
}

var collabMemberQuery = []string{"group", "q", "sort", "order", "state", "limit", "cursor"}

func collabList(r *http.Request) (collab.ListQuery, error) {
	limit, err := Limit(r)
	return collab.ListQuery{Q: r.URL.Query().Get("q"), Limit: limit, Cursor: r.URL.Query().Get("cursor")}, err
}

func collabPage[T any](page collab.Page[T], err error) (List[T], error) {
	if page.Items == nil {
		page.Items = []T{}
	}
	return List[T]{Items: page.Items, NextCursor: page.NextCursor}, err
}

// collabMembers reads a member list's query: q, sort (name, added_at, last_access),
// order (asc, desc), state (active, deactivated, scheduled: active with deactivation for inactivity scheduled), limit and cursor.
func collabMembers(r *http.Request) (collab.MemberQuery, error) {
	lq, err := collabList(r)
	if err != nil {
		return collab.MemberQuery{}, err
	}
	q := r.URL.Query()
	mq := collab.MemberQuery{ListQuery: lq, Sort: collab.MemberSort(q.Get("sort")), State: q.Get("state")}
	switch mq.Sort {
	case "":
		mq.Sort = collab.SortName
	case collab.SortName, collab.SortAdded, collab.SortLastAccess:
	default:
		return mq, atrium.FieldErrorf("sort", "err.one_of", "must be one of {{.Values}}", "Values", "name, added_at, last_access")
	}
	switch q.Get("order") {
	case "", "asc":
	case "desc":
		mq.Desc = true
	default:
		return mq, atrium.FieldError("order", "must be asc or desc")
	}
	switch mq.State {
	case "", collab.StateActive, collab.StateDeactivated, collab.StateScheduled:
	default:
		return mq, atrium.FieldErrorf("state", "err.one_of", "must be one of {{.Values}}", "Values", "active, deactivated, scheduled")
	}
	return mq, nil
}

func writeProgram(w http.ResponseWriter, status int, p *collab.Program) error {
	w.Header().Set("ETag", p.ETag())
	return writeJSON(w, status, p)
}

func writeEngagement(w http.ResponseWriter, status int, e *collab.Engagement) error {
	w.Header().Set("ETag", e.ETag())
	return writeJSON(w, status, e)
}

// Collab is the collab module's API: programs, engagements, their groups, joining and
// access requests.
func Collab(svc *collab.Service) Module {
	return func(s *Server) {
		s.registerPrograms(svc)
		s.registerEngagements(svc)
		s.registerEngagementMembers(svc)
		s.registerCollabSettings(svc)
		s.registerCollabPackages(svc)
		s.registerCollabRestore(svc)
		s.registerCollabFeedback(svc)
	}
}

// accessRestore asks for deactivated memberships back.
type accessRestore struct {
	// EngagementIDs are the engagements asked for; empty asks for all of them.
	EngagementIDs []string `json:"engagement_ids"`
	Justification string   `json:"justification"`
}

// registerCollabRestore adds the caller's deactivated memberships and the request that
// asks for them back.
func (s *Server) registerCollabRestore(svc *collab.Service) {
	s.handle(Route{Method: "GET", Path: "/api/v1/me/collab-access", Summary: "Your program and engagement memberships that inactivity deactivated, marking those you asked back already",
		Tag: "collab", Response: List[collab.PastMembership]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			list, err := svc.PastMemberships(r.Context(), principal(r))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, List[collab.PastMembership]{Items: list})
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/me/collab-access/restore", Summary: "Ask for deactivated engagement memberships back (engagement_ids, or all when empty) with a justification: one access request each",
		Tag: "collab", Request: accessRestore{}, Response: List[collab.AccessRequest]{}, Status: http.StatusCreated},
		func(w http.ResponseWriter, r *http.Request) error {
			var in accessRestore
			if err := decode(w, r, &in); err != nil {
				return err
			}
			list, err := svc.RestoreAccess(r.Context(), principal(r), in.EngagementIDs, in.Justification)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusCreated, List[collab.AccessRequest]{Items: list})
		})
}

// registerCollabSettings adds the instance's collaboration settings: when inactive
// people lose their access and when they are told first.
func (s *Server) registerCollabSettings(svc *collab.Service) {
	write := func(w http.ResponseWriter, set *collab.Settings) error {
		w.Header().Set("ETag", set.ETag())
		return writeJSON(w, http.StatusOK, set)
	}
	s.handle(Route{Method: "GET", Path: "/api/v1/collab-settings", Summary: "The collaboration settings (operator admins): days of inactivity that end a person's access, and the days before on which notices go",
		Tag: "collab", Response: collab.Settings{}, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			set, err := svc.Settings(r.Context(), principal(r))
			if err != nil {
				return err
			}
			return write(w, set)
		})
	s.handle(Route{Method: "PATCH", Path: "/api/v1/collab-settings", Summary: "Change the collaboration settings: inactivity_days (30 to 730, default 180) and notice_days (at most five, default 30, 14, 1)",
		Tag: "collab", Request: collab.SettingsInput{}, Response: collab.Settings{}, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			version, err := ifMatch(r)
			if err != nil {
				return err
			}
			var in collab.SettingsInput
			if err := decode(w, r, &in); err != nil {
				return err
			}
			set, err := svc.SetSettings(r.Context(), principal(r), version, in)
			if err != nil {
				return err
			}
			return write(w, set)
		})
}

func (s *Server) registerPrograms(svc *collab.Service) {
	s.handle(Route{Method: "GET", Path: "/api/v1/programs", Summary: "The collaboration programs you take part in (all of them for operator admins), by name; q matches a fragment of the name or description",
		Tag: "collab", Query: []string{"q", "limit", "cursor"}, Response: List[collab.Program]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			q, err := collabList(r)
			if err != nil {
				return err
			}
			out, err := collabPage(svc.Programs(r.Context(), principal(r), q))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, out)
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/programs", Summary: "Create a program (operator staff); you become its program owner",
		Tag: "collab", Request: collab.ProgramInput{}, Response: collab.Program{}, Status: http.StatusCreated, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			var in collab.ProgramInput
			if err := decode(w, r, &in); err != nil {
				return err
			}
			p, err := svc.CreateProgram(r.Context(), principal(r), in)
			if err != nil {
				return err
			}
			return writeProgram(w, http.StatusCreated, p)
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/programs/{id}", Summary: "One program, with your groups and rights in it", Tag: "collab",
		Response: collab.Program{}, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			p, err := svc.Program(r.Context(), principal(r), r.PathValue("id"))
			if err != nil {
				return err
			}
			return writeProgram(w, http.StatusOK, p)
		})
	s.handle(Route{Method: "PATCH", Path: "/api/v1/programs/{id}", Summary: "Change a program's name or description (program owners)", Tag: "collab",
		Request: collab.ProgramPatch{}, Response: collab.Program{}, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			version, err := ifMatch(r)
			if err != nil {
				return err
			}
			var in collab.ProgramPatch
			if err := decode(w, r, &in); err != nil {
				return err
			}
			p, err := svc.UpdateProgram(r.Context(), principal(r), r.PathValue("id"), version, in)
			if err != nil {
				return err
			}
			return writeProgram(w, http.StatusOK, p)
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/programs/{id}/members", Summary: "The members of one of a program's groups (group=program_owner|engagement_creator|package_publisher)",
		Tag: "collab", Query: collabMemberQuery, Response: List[collab.Member]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			g, err := collab.ParseProgramGroup(r.URL.Query().Get("group"))
			if err != nil {
				return err
			}
			q, err := collabMembers(r)
			if err != nil {
				return err
			}
			out, err := collabPage(svc.ProgramMembers(r.Context(), principal(r), r.PathValue("id"), g, q))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, out)
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/programs/{id}/members", Summary: "Add operator staff to one of a program's groups by user_ids; one result per user",
		Tag: "collab", Query: []string{"group"}, Request: collabProgramAddInput{}, Response: List[collab.AddResult]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			g, err := collab.ParseProgramGroup(r.URL.Query().Get("group"))
			if err != nil {
				return err
			}
			var in collabProgramAddInput
			if err := decode(w, r, &in); err != nil {
				return err
			}
			res, err := svc.AddProgramMembers(r.Context(), principal(r), r.PathValue("id"), g, in.UserIDs)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, List[collab.AddResult]{Items: res})
		})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/programs/{id}/members/{user_id}", Summary: "Remove a user from one of a program's groups; their account stays",
		Tag: "collab", Query: []string{"group"}, Status: http.StatusNoContent},
		func(w http.ResponseWriter, r *http.Request) error {
			g, err := collab.ParseProgramGroup(r.URL.Query().Get("group"))
			if err != nil {
				return err
			}
			if err := svc.RemoveProgramMember(r.Context(), principal(r), r.PathValue("id"), g, atrium.UserID(r.PathValue("user_id"))); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		})
}

func (s *Server) registerEngagements(svc *collab.Service) {
	s.handle(Route{Method: "GET", Path: "/api/v1/engagements", Summary: "Your engagements by name, or with available=true those you may join or ask for; program_id keeps one program's",
		Tag: "collab", Query: []string{"q", "available", "program_id", "limit", "cursor"}, Response: List[collab.Engagement]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			lq, err := collabList(r)
			if err != nil {
				return err
			}
			eq := collab.EngagementQuery{ListQuery: lq, ProgramID: r.URL.Query().Get("program_id")}
			if v := r.URL.Query().Get("available"); v != "" {
				if eq.Available, err = strconv.ParseBool(v); err != nil {
					return atrium.FieldError("available", "must be true or false")
				}
			}
			out, err := collabPage(svc.Engagements(r.Context(), principal(r), eq))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, out)
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/engagements", Summary: "Create an engagement in a program (program owners and engagement creators); you become its owner",
		Tag: "collab", Request: collab.EngagementInput{}, Response: collab.Engagement{}, Status: http.StatusCreated, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			var in collab.EngagementInput
			if err := decode(w, r, &in); err != nil {
				return err
			}
			e, err := svc.CreateEngagement(r.Context(), principal(r), in)
			if err != nil {
				return err
			}
			return writeEngagement(w, http.StatusCreated, e)
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/engagements/{id}", Summary: "One engagement with its terms of use, your groups, your pending request and what you may do",
		Tag: "collab", Response: collab.Engagement{}, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			e, err := svc.Engagement(r.Context(), principal(r), r.PathValue("id"))
			if err != nil {
				return err
			}
			return writeEngagement(w, http.StatusOK, e)
		})
	s.handle(Route{Method: "PATCH", Path: "/api/v1/engagements/{id}", Summary: "Change an engagement (owners); new terms of use are a new version",
		Tag: "collab", Request: collab.EngagementPatch{}, Response: collab.Engagement{}, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			version, err := ifMatch(r)
			if err != nil {
				return err
			}
			var in collab.EngagementPatch
			if err := decode(w, r, &in); err != nil {
				return err
			}
			e, err := svc.UpdateEngagement(r.Context(), principal(r), r.PathValue("id"), version, in)
			if err != nil {
				return err
			}
			return writeEngagement(w, http.StatusOK, e)
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/engagements/{id}/join", Summary: "Join an open engagement after accepting its terms of use; you become a participant",
		Tag: "collab", Request: collabJoinInput{}, Response: collab.Engagement{}, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			var in collabJoinInput
			if err := decode(w, r, &in); err != nil {
				return err
			}
			e, err := svc.Join(r.Context(), principal(r), r.PathValue("id"), in.AcceptTerms)
			if err != nil {
				return err
			}
			return writeEngagement(w, http.StatusOK, e)
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/engagements/{id}/access-requests", Summary: "An engagement's access requests, oldest first (state=pending by default; approved, denied, expired); power users see their organization's",
		Tag: "collab", Query: []string{"state", "limit", "cursor"}, Response: List[collab.AccessRequest]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			lq, err := collabList(r)
			if err != nil {
				return err
			}
			out, err := collabPage(svc.AccessRequests(r.Context(), principal(r), r.PathValue("id"), collab.RequestQuery{ListQuery: lq, State: r.URL.Query().Get("state")}))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, out)
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/engagements/{id}/access-requests", Summary: "Ask for access to an engagement: accept its terms and say why; its owners and your organization's power users decide",
		Tag: "collab", Request: collabRequestInput{}, Response: collab.AccessRequest{}, Status: http.StatusCreated},
		func(w http.ResponseWriter, r *http.Request) error {
			var in collabRequestInput
			if err := decode(w, r, &in); err != nil {
				return err
			}
			req, err := svc.RequestAccess(r.Context(), principal(r), r.PathValue("id"), in.AcceptTerms, in.Justification)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusCreated, req)
		})
	for _, d := range []struct {
		verb    string
		approve bool
	}{{"approve", true}, {"deny", false}} {
		s.handle(Route{Method: "POST", Path: "/api/v1/engagements/{id}/access-requests/{rid}/" + d.verb, Summary: d.verb + " a pending access request, with an optional message; the requester is mailed",
			Tag: "collab", Request: collabDecisionInput{}, OptionalBody: true, Response: collab.AccessRequest{}},
			func(w http.ResponseWriter, r *http.Request) error {
				var in collabDecisionInput
				if r.ContentLength != 0 {
					if err := decode(w, r, &in); err != nil {
						return err
					}
				}
				req, err := svc.Decide(r.Context(), principal(r), r.PathValue("id"), r.PathValue("rid"), d.approve, in.Message)
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, req)
			})
	}
	s.handle(Route{Method: "GET", Path: "/api/v1/me/access-requests", Summary: "Your own access requests to engagements, newest first, with their state",
		Tag: "collab", Response: List[collab.AccessRequest]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			list, err := svc.MyRequests(r.Context(), principal(r))
			if err != nil {
				return err
			}
			if list == nil {
				list = []collab.AccessRequest{}
			}
			return writeJSON(w, http.StatusOK, List[collab.AccessRequest]{Items: list})
		})
}

func (s *Server) registerEngagementMembers(svc *collab.Service) {
	group := func(r *http.Request) (collab.Group, error) {
		return collab.ParseEngagementGroup(r.URL.Query().Get("group"))
	}
	s.handle(Route{Method: "GET", Path: "/api/v1/engagements/{id}/members", Summary: "The members of one of an engagement's groups (group=participant|power_user|owner) with organization, date added, last access and state; power users see their organization's",
		Tag: "collab", Query: collabMemberQuery, Response: List[collab.Member]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			g, err := group(r)
			if err != nil {
				return err
			}
			q, err := collabMembers(r)
			if err != nil {
				return err
			}
			out, err := collabPage(svc.Members(r.Context(), principal(r), r.PathValue("id"), g, q))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, out)
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/engagements/{id}/members", Summary: "Add existing users to one of an engagement's groups, optionally mailing each an invitation; one result per user",
		Tag: "collab", Query: []string{"group"}, Request: collabAddInput{}, Response: List[collab.AddResult]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			g, err := group(r)
			if err != nil {
				return err
			}
			var in collabAddInput
			if err := decode(w, r, &in); err != nil {
				return err
			}
			res, err := svc.AddMembers(r.Context(), principal(r), r.PathValue("id"), g, in.UserIDs, in.SendInvitation)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, List[collab.AddResult]{Items: res})
		})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/engagements/{id}/members/{user_id}", Summary: "Remove a user from one of an engagement's groups; their account stays",
		Tag: "collab", Query: []string{"group"}, Status: http.StatusNoContent},
		func(w http.ResponseWriter, r *http.Request) error {
			g, err := group(r)
			if err != nil {
				return err
			}
			if err := svc.RemoveMember(r.Context(), principal(r), r.PathValue("id"), g, atrium.UserID(r.PathValue("user_id"))); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/engagements/{id}/members/export", Summary: "One of an engagement's groups as CSV (text/csv), streamed",
		Tag: "collab", Query: []string{"group"}},
		func(w http.ResponseWriter, r *http.Request) error {
			g, err := group(r)
			if err != nil {
				return err
			}
			return svc.ExportMembers(r.Context(), principal(r), r.PathValue("id"), g, csvAttachment{w: w, name: "engagement-" + string(g) + "s.csv"})
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/engagements/{id}/candidates", Summary: "The add dialog's search: users whose name, username or email holds q that you may add to the group; scope says where it looked (a power user: their organization)",
		Tag: "collab", Query: []string{"group", "q", "org_id", "limit"}, Response: collab.CandidateResult{}},
		func(w http.ResponseWriter, r *http.Request) error {
			g, err := group(r)
			if err != nil {
				return err
			}
			cq := collab.CandidateQuery{Q: r.URL.Query().Get("q"), Org: atrium.OrgID(r.URL.Query().Get("org_id"))}
			if v := r.URL.Query().Get("limit"); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > collab.MaxBulk {
					return atrium.FieldError("limit", "must be a whole number from 1 to 1000")
				}
				cq.Limit = n
			}
			res, err := svc.Candidates(r.Context(), principal(r), r.PathValue("id"), g, cq)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, res)
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/engagements/{id}/copy-candidates", Summary: "The participants of another engagement (from) that a copy would bring, by name, marking those already here",
		Tag: "collab", Query: []string{"from", "q", "limit", "cursor"}, Response: List[collab.Candidate]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			lq, err := collabList(r)
			if err != nil {
				return err
			}
			from := r.URL.Query().Get("from")
			if from == "" {
				return atrium.FieldError("from", "is required")
			}
			out, err := collabPage(svc.CopyCandidates(r.Context(), principal(r), r.PathValue("id"), from, collab.MemberQuery{ListQuery: lq, Sort: collab.SortName}))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, out)
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/engagements/{id}/members/copy", Summary: "Copy participants of another engagement here: the user_ids given, or all of them",
		Tag: "collab", Request: collabCopyInput{}, Response: collab.CopyResult{}},
		func(w http.ResponseWriter, r *http.Request) error {
			var in collabCopyInput
			if err := decode(w, r, &in); err != nil {
				return err
			}
			res, err := svc.CopyMembers(r.Context(), principal(r), r.PathValue("id"), in.FromEngagementID, in.UserIDs, in.All)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, res)
		})
}
