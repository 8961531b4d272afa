package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/collab"
)

// registerCollabPackages adds engagements' content packages: publishing them (a
// multipart/form-data upload), listing, reading, deleting and downloading their files.
func (s *Server) registerCollabPackages(svc *collab.Service) {
	s.handle(Route{Method: "GET", Path: "/api/v1/engagements/{id}/packages", Summary: "An engagement's content packages with their files, newest publish date first; q matches a fragment of the name, description or keywords",
		Tag: "collab", Query: []string{"q", "limit", "cursor"}, Response: List[collab.Package]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			limit, err := Limit(r)
			if err != nil {
				return err
			}
			q := r.URL.Query()
			page, err := svc.Packages(r.Context(), principal(r), r.PathValue("id"), collab.PackageQuery{ListQuery: collab.ListQuery{Q: q.Get("q"), Cursor: q.Get("cursor"), Limit: limit}})
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, List[collab.Package]{Items: page.Items, NextCursor: page.NextCursor})
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/engagements/{id}/packages", Summary: "Publish a content package (package publishers, owners): a multipart/form-data body with the fields name, description, type, " +
		"keywords (comma-separated), publish_at (RFC 3339, optional) and one or more file parts; each file is limited to --collab-file-mb",
		Tag: "collab", Response: collab.Package{}, Status: http.StatusCreated},
		func(w http.ResponseWriter, r *http.Request) error {
			// Nobody who may not publish here gets their upload read.
			if err := svc.MayPublish(r.Context(), principal(r), r.PathValue("id")); err != nil {
				return err
			}
			in, files, cleanup, err := readPackageUpload(w, r, svc.MaxFile())
			defer cleanup()
			if err != nil {
				return err
			}
			pkg, err := svc.PublishPackage(r.Context(), principal(r), r.PathValue("id"), in, files)
			if err != nil {
				return err
			}
			w.Header().Set("Location", "/api/v1/engagements/"+pkg.EngagementID+"/packages/"+pkg.ID)
			return writeJSON(w, http.StatusCreated, pkg)
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/engagements/{id}/packages/{pid}", Summary: "One content package with its files",
		Tag: "collab", Response: collab.Package{}},
		func(w http.ResponseWriter, r *http.Request) error {
			pkg, err := svc.GetPackage(r.Context(), principal(r), r.PathValue("id"), r.PathValue("pid"))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, pkg)
		})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/engagements/{id}/packages/{pid}", Summary: "Delete a content package and its files (package publishers, owners)",
		Tag: "collab", Status: http.StatusNoContent},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := svc.DeletePackage(r.Context(), principal(r), r.PathValue("id"), r.PathValue("pid")); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/engagements/{id}/packages/{pid}/files/{fid}", Summary: "Download a file of a content package, streamed; the digest header carries its SHA-256",
		Tag: "collab"},
		func(w http.ResponseWriter, r *http.Request) error {
			d, err := svc.DownloadFile(r.Context(), principal(r), r.PathValue("id"), r.PathValue("pid"), r.PathValue("fid"))
			if err != nil {
				return err
			}
			h := w.Header()
			h.Set("Content-Type", d.ContentType)
			h.Set("Content-Length", strconv.FormatInt(d.Size, 10))
			h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Name}))
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("ETag", `"`+d.SHA256+`"`)
			h.Set("X-Checksum-Sha256", d.SHA256)
			w.WriteHeader(http.StatusOK)
			// The status is sent: a failure now can only cut the body short.
			_, _ = io.Copy(w, d.Content)
			return nil
		})
}

// readPackageUpload reads a package's multipart form: its fields, and each file part
// spooled to a temporary file (so the service reads it at disk speed inside its
// transaction, not at the client's). cleanup removes the files.
func readPackageUpload(w http.ResponseWriter, r *http.Request, maxFile int64) (collab.PackageInput, []collab.Upload, func(), error) {
	var in collab.PackageInput
	var files []collab.Upload
	var temps []*os.File
	cleanup := func() {
		for _, f := range temps {
			f.Close()
			os.Remove(f.Name())
		}
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return in, nil, cleanup, atrium.Errorf(atrium.CodeInvalid, "send the package as multipart/form-data")
	}
	r.Body = http.MaxBytesReader(w, r.Body, int64(collab.MaxPackageFiles)*(maxFile+1<<20)+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return in, nil, cleanup, atrium.Errorf(atrium.CodeInvalid, "the body is not a valid multipart form")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return in, nil, cleanup, atrium.Errorf(atrium.CodeTooLarge, "the package is larger than its files may be")
		}
		if err != nil {
			return in, nil, cleanup, atrium.Errorf(atrium.CodeInvalid, "the body is not a valid multipart form")
		}
		if part.FileName() != "" {
			if len(files) == collab.MaxPackageFiles {
				return in, nil, cleanup, atrium.FieldError("files", "a package holds at most 20 files")
			}
			f, err := os.CreateTemp("", "atrium-upload-*")
			if err != nil {
				return in, nil, cleanup, err
			}
			temps = append(temps, f)
			n, err := io.Copy(f, io.LimitReader(part, maxFile+1))
			if err != nil {
				return in, nil, cleanup, atrium.Errorf(atrium.CodeInvalid, "the upload broke off")
			}
			if n > maxFile {
				return in, nil, cleanup, atrium.FieldErrorf("files", "err.collab.file_max", "each file must be at most {{.Count}} MiB", "Count", maxFile>>20)
			}
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return in, nil, cleanup, err
			}
			files = append(files, collab.Upload{Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Content: f})
			continue
		}
		value, err := io.ReadAll(io.LimitReader(part, 64<<10))
		if err != nil {
			return in, nil, cleanup, atrium.Errorf(atrium.CodeInvalid, "the body is not a valid multipart form")
		}
		v := string(value)
		switch part.FormName() {
		case "name":
			in.Name = v
		case "description":
			in.Description = v
		case "type":
			in.Type = v
		case "keywords":
			in.Keywords = append(in.Keywords, v)
		case "publish_at":
			if strings.TrimSpace(v) == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
			if err != nil {
				return in, nil, cleanup, atrium.FieldError("publish_at", "must be a time such as 2031-05-01T09:00:00Z")
			}
			in.PublishAt = &t
		default:
			return in, nil, cleanup, atrium.FieldError(part.FormName(), "is not a field of a package")
		}
	}
	return in, files, cleanup, nil
}
