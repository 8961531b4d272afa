package httpapi

import (
	"encoding/base64"
	"encoding/hex"
	"mime"
	"net/http"
	"strconv"

	"github.com/atrium-admin/atrium/groups"
)

// conversationBodyMax bounds the body of a request that may carry attachments: the
// JSON of an ordinary request and one attachment of the largest size, in base64. An
// attachment just over the limit is thus refused naming the field (attachments); a
// body far over it is too_large before it is read whole.
func conversationBodyMax(svc *groups.Service) int64 {
	return MaxBodyBytes + int64(base64.StdEncoding.EncodedLen(int(svc.MaxAttachment())))
}

// GroupConversations is the API of groups' conversations: threads, their posts and the
// posts' attachments, and moderation (deleting posts, locking threads).
func GroupConversations(svc *groups.Service) Module {
	return func(s *Server) {
		bodyMax := conversationBodyMax(svc)
		s.handle(Route{Method: "GET", Path: "/api/v1/groups/{id}/threads", Summary: "A group's conversations, most recent activity first; q matches a fragment of the topic",
			Tag: "groups", Query: []string{"q", "limit", "cursor"}, Response: List[groups.Thread]{}},
			func(w http.ResponseWriter, r *http.Request) error {
				q, err := groupsQuery(r)
				if err != nil {
					return err
				}
				out, err := groupsList(svc.Threads(r.Context(), principal(r), r.PathValue("id"), q))
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, out)
			})
		s.handle(Route{Method: "POST", Path: "/api/v1/groups/{id}/threads", Summary: "Start a conversation with a topic and a first post " +
			"(HTML, sanitized; attachments' data in base64)", Tag: "groups", Request: groups.ThreadInput{}, Response: groups.Thread{}, Status: http.StatusCreated},
			func(w http.ResponseWriter, r *http.Request) error {
				var in groups.ThreadInput
				if err := decodeMax(w, r, &in, bodyMax); err != nil {
					return err
				}
				t, err := svc.CreateThread(r.Context(), principal(r), r.PathValue("id"), in)
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusCreated, t)
			})
		s.handle(Route{Method: "GET", Path: "/api/v1/groups/{id}/threads/{tid}", Summary: "One conversation of a group", Tag: "groups",
			Response: groups.Thread{}},
			func(w http.ResponseWriter, r *http.Request) error {
				t, err := svc.Thread(r.Context(), principal(r), r.PathValue("id"), r.PathValue("tid"))
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, t)
			})
		s.handle(Route{Method: "GET", Path: "/api/v1/groups/{id}/threads/{tid}/posts", Summary: "A conversation's posts, oldest first, with their attachments",
			Tag: "groups", Query: []string{"limit", "cursor"}, Response: List[groups.Post]{}},
			func(w http.ResponseWriter, r *http.Request) error {
				q, err := groupsQuery(r)
				if err != nil {
					return err
				}
				out, err := groupsList(svc.Posts(r.Context(), principal(r), r.PathValue("id"), r.PathValue("tid"), q))
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, out)
			})
		s.handle(Route{Method: "POST", Path: "/api/v1/groups/{id}/threads/{tid}/posts", Summary: "Reply in a conversation (HTML, sanitized; " +
			"attachments' data in base64); a locked conversation is a conflict", Tag: "groups", Request: groups.PostInput{}, Response: groups.Post{},
			Status: http.StatusCreated},
			func(w http.ResponseWriter, r *http.Request) error {
				var in groups.PostInput
				if err := decodeMax(w, r, &in, bodyMax); err != nil {
					return err
				}
				p, err := svc.CreatePost(r.Context(), principal(r), r.PathValue("id"), r.PathValue("tid"), in)
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusCreated, p)
			})
		s.handle(Route{Method: "DELETE", Path: "/api/v1/groups/{id}/threads/{tid}/posts/{pid}", Summary: "Delete a post and its attachments; " +
			"a conversation left without posts goes with it", Tag: "groups", Status: http.StatusNoContent},
			func(w http.ResponseWriter, r *http.Request) error {
				if err := svc.DeletePost(r.Context(), principal(r), r.PathValue("id"), r.PathValue("tid"), r.PathValue("pid")); err != nil {
					return err
				}
				w.WriteHeader(http.StatusNoContent)
				return nil
			})
		for _, lock := range []struct {
			method, summary string
			locked          bool
		}{{"PUT", "Lock a conversation: nobody posts in it until it is unlocked", true}, {"DELETE", "Unlock a conversation", false}} {
			s.handle(Route{Method: lock.method, Path: "/api/v1/groups/{id}/threads/{tid}/lock", Summary: lock.summary, Tag: "groups", Response: groups.Thread{}},
				func(w http.ResponseWriter, r *http.Request) error {
					t, err := svc.SetLocked(r.Context(), principal(r), r.PathValue("id"), r.PathValue("tid"), lock.locked)
					if err != nil {
						return err
					}
					return writeJSON(w, http.StatusOK, t)
				})
		}
		s.handle(Route{Method: "GET", Path: "/api/v1/groups/{id}/threads/{tid}/posts/{pid}/attachments/{aid}",
			Summary: "Download a post's attachment (its own Content-Type, as an attachment)", Tag: "groups"},
			func(w http.ResponseWriter, r *http.Request) error {
				f, err := svc.Attachment(r.Context(), principal(r), r.PathValue("id"), r.PathValue("tid"), r.PathValue("pid"), r.PathValue("aid"))
				if err != nil {
					return err
				}
				writeAttachment(w, f)
				return nil
			})
	}
}

// writeAttachment sends a stored file as a download. The file is whatever a member
// uploaded: it is never rendered in the console's origin (attachment, nosniff, and a
// sandbox should a browser show it anyway).
func writeAttachment(w http.ResponseWriter, f *groups.AttachmentFile) {
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
