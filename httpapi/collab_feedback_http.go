package httpapi

import (
	"encoding/base64"
	"encoding/hex"
	"mime"
	"net/http"
	"strconv"

	"github.com/atrium-admin/atrium/collab"
)

// feedbackBodyMax bounds the body of a new feedback item: the JSON of an ordinary
// request and as many attachments of the largest size as an item may carry, in base64.
// An attachment just over the limit is thus refused naming the field (attachments); a
// body far over it is too_large before it is read whole.
const feedbackBodyMax = MaxBodyBytes + collab.MaxFeedbackAttachments*((collab.MaxFeedbackAttachment+2)/3*4)

// feedbackCommentInput is a comment on a feedback item.
type feedbackCommentInput struct {
	Text string `json:"text"`
}

var feedbackListQuery = []string{"q", "type", "state", "limit", "cursor"}

func writeFeedback(w http.ResponseWriter, status int, f *collab.Feedback) error {
	w.Header().Set("ETag", f.ETag())
	return writeJSON(w, status, f)
}

// registerCollabFeedback adds engagements' feedback: items, their comments and their
// attachments.
func (s *Server) registerCollabFeedback(svc *collab.Service) {
	s.handle(Route{Method: "GET", Path: "/api/v1/engagements/{id}/feedback", Summary: "An engagement's feedback, newest first " +
		"(participants and owners); q matches a fragment of the title, type (bug, suggestion, question) and state (new, in_review, planned, resolved, declined) filter. " +
		"Authors of other organizations than yours show as their organization only, except to owners",
		Tag: "collab", Query: feedbackListQuery, Response: List[collab.Feedback]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			lq, err := collabList(r)
			if err != nil {
				return err
			}
			q := collab.FeedbackQuery{ListQuery: lq, Type: collab.FeedbackType(r.URL.Query().Get("type")),
				State: collab.FeedbackState(r.URL.Query().Get("state"))}
			out, err := collabPage(svc.Feedback(r.Context(), principal(r), r.PathValue("id"), q))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, out)
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/engagements/{id}/feedback", Summary: "Submit feedback to an engagement that takes it " +
		"(participants and owners): title, description (plain text), type bug|suggestion|question, up to 5 attachments of 5 MiB (data in base64)",
		Tag: "collab", Request: collab.FeedbackInput{}, Response: collab.Feedback{}, Status: http.StatusCreated, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			var in collab.FeedbackInput
			if err := decodeMax(w, r, &in, feedbackBodyMax); err != nil {
				return err
			}
			f, err := svc.SubmitFeedback(r.Context(), principal(r), r.PathValue("id"), in)
			if err != nil {
				return err
			}
			w.Header().Set("Location", "/api/v1/engagements/"+f.EngagementID+"/feedback/"+f.ID)
			return writeFeedback(w, http.StatusCreated, f)
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/engagements/{id}/feedback/{fid}", Summary: "One feedback item with its attachments",
		Tag: "collab", Response: collab.Feedback{}, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			f, err := svc.GetFeedback(r.Context(), principal(r), r.PathValue("id"), r.PathValue("fid"))
			if err != nil {
				return err
			}
			return writeFeedback(w, http.StatusOK, f)
		})
	s.handle(Route{Method: "PATCH", Path: "/api/v1/engagements/{id}/feedback/{fid}", Summary: "Change a feedback item: its author and the owners " +
		"its title, description and type; the owners its state",
		Tag: "collab", Request: collab.FeedbackPatch{}, Response: collab.Feedback{}, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			version, err := ifMatch(r)
			if err != nil {
				return err
			}
			var in collab.FeedbackPatch
			if err := decode(w, r, &in); err != nil {
				return err
			}
			f, err := svc.UpdateFeedback(r.Context(), principal(r), r.PathValue("id"), r.PathValue("fid"), version, in)
			if err != nil {
				return err
			}
			return writeFeedback(w, http.StatusOK, f)
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/engagements/{id}/feedback/{fid}/comments", Summary: "The comments on a feedback item, oldest first",
		Tag: "collab", Query: []string{"limit", "cursor"}, Response: List[collab.FeedbackComment]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			lq, err := collabList(r)
			if err != nil {
				return err
			}
			out, err := collabPage(svc.Comments(r.Context(), principal(r), r.PathValue("id"), r.PathValue("fid"), lq))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, out)
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/engagements/{id}/feedback/{fid}/comments", Summary: "Comment on a feedback item (text, plain, at most 4,000 characters)",
		Tag: "collab", Request: feedbackCommentInput{}, Response: collab.FeedbackComment{}, Status: http.StatusCreated},
		func(w http.ResponseWriter, r *http.Request) error {
			var in feedbackCommentInput
			if err := decode(w, r, &in); err != nil {
				return err
			}
			c, err := svc.AddComment(r.Context(), principal(r), r.PathValue("id"), r.PathValue("fid"), in.Text)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusCreated, c)
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/engagements/{id}/feedback/{fid}/attachments/{aid}",
		Summary: "Download a feedback item's attachment (its own Content-Type, as an attachment)", Tag: "collab"},
		func(w http.ResponseWriter, r *http.Request) error {
			f, err := svc.FeedbackAttachment(r.Context(), principal(r), r.PathValue("id"), r.PathValue("fid"), r.PathValue("aid"))
			if err != nil {
				return err
			}
			writeFeedbackFile(w, f)
			return nil
		})
}

// writeFeedbackFile sends a feedback attachment as a download, never rendered in the
// console's origin (as writeAttachment does for posts).
func writeFeedbackFile(w http.ResponseWriter, f *collab.FeedbackFile) {
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": f.Name})
	if disposition == "" {
		disposition = "attachment"
	}
	h.Set("Content-Disposition", disposition)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Content-Length", strconv.Itoa(len(f.Data)))
	h.Set("Cache-Control", "private, no-store")
	if sum, err := hex.DecodeString(f.SHA256); err == nil {
		h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(f.Data)
}
