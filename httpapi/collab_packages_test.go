package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/collab"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/password"
	"github.com/atrium-admin/atrium/store/storetest"
)

type upload struct {
	name, contentType string
	data              []byte
}

// packageForm is a multipart/form-data body of fields and files, and its content type.
func packageForm(t *testing.T, fields map[string]string, files ...upload) ([]byte, http.Header) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+f.name+`"`)
		h.Set("Content-Type", f.contentType)
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.data)
	}
	mw.Close()
	return buf.Bytes(), http.Header{"Content-Type": {mw.FormDataContentType()}}
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestCollabPackages: a package publisher publishes a package of files (stored in
// chunks, checksummed); participants list and download them, each download counted; a
// package dated in the future is the publishers' until then; bad uploads name their
// field and store nothing; those without the right are refused; a file over the
// configured limit is refused.
func TestCollabPackages(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			cfg := app.Defaults()
			cfg.DatabaseURL = storetest.DSN(t, d)
			cfg.Addr = "127.0.0.1:0"
			cfg.PublicURL = "http://atrium.test"
			cfg.AdminPassword = apptest.OperatorPassword
			cfg.PasswordParams = password.TestParams
			cfg.CollabFileMB = "3"
			e := apptest.StartConfig(t, d, cfg)
			w := newCollabWorld(t, e, collab.Open)
			pp, pa, bo := w.as["pp"], w.as["pa"], w.as["bo"]
			base := "/api/v1/engagements/" + w.eng.ID + "/packages"

			big := make([]byte, 2*collab.ChunkSize+12345)
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range big {
				big[i] = byte(rng.UintN(256))
			}
			notes := []byte("Build 42: what changed.\n")
			body, h := packageForm(t, map[string]string{"name": "Build 42", "description": "The preview build", "type": "build",
				"keywords": "preview, windows, preview"}, upload{"build-42.zip", "application/zip", big}, upload{"notes.txt", "text/plain; charset=utf-8", notes})

			// Only publishers and owners publish.
			pa.DoHeader("POST", base, body, h).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
			w.as["pu"].DoHeader("POST", base, body, h).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
			w.as["bert"].DoHeader("POST", base, body, h).WantProblem(http.StatusForbidden, atrium.CodeForbidden)

			var pkg collab.Package
			res := pp.DoHeader("POST", base, body, h).Want(http.StatusCreated).Decode(&pkg)
			if res.Header.Get("Location") != base+"/"+pkg.ID {
				t.Errorf("Location = %q", res.Header.Get("Location"))
			}
			if pkg.Name != "Build 42" || pkg.Type != "build" || len(pkg.Keywords) != 2 || !pkg.Published || len(pkg.Files) != 2 {
				t.Fatalf("package = %+v", pkg)
			}
			files := map[string]collab.PackageFile{}
			for _, f := range pkg.Files {
				files[f.Name] = f
			}
			if f := files["build-42.zip"]; f.Size != int64(len(big)) || f.SHA256 != sum(big) || f.ContentType != "application/zip" {
				t.Errorf("the big file = %+v", f)
			}
			if f := files["notes.txt"]; f.SHA256 != sum(notes) || f.ContentType != "text/plain" {
				t.Errorf("the notes = %+v", f)
			}
			if n := e.Count(`SELECT count(*) FROM collab_file_chunks WHERE file_id = $1`, files["build-42.zip"].ID); n != 3 {
				t.Errorf("the big file is in %d chunks, want 3", n)
			}

			// Participants of any organization download; each download is counted.
			for _, c := range []*apptest.Client{pa, bo, bo} {
				dl := c.Do("GET", base+"/"+pkg.ID+"/files/"+files["build-42.zip"].ID, nil).Want(http.StatusOK)
				if !bytes.Equal(dl.Body, big) || dl.Header.Get("X-Checksum-Sha256") != sum(big) || dl.Header.Get("Content-Type") != "application/zip" {
					t.Fatalf("download: %d bytes, headers %v", len(dl.Body), dl.Header)
				}
				if cd := dl.Header.Get("Content-Disposition"); cd != `attachment; filename=build-42.zip` {
					t.Errorf("Content-Disposition = %q", cd)
				}
			}
			var got collab.Package
			pa.Do("GET", base+"/"+pkg.ID, nil).Want(http.StatusOK).Decode(&got)
			if got.Downloads != 3 {
				t.Errorf("downloads = %d, want 3", got.Downloads)
			}
			pa.Do("GET", base+"/"+pkg.ID+"/files/nope", nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
			// Not a participant: no content.
			w.as["al"].Do("GET", base, nil).Want(http.StatusForbidden, http.StatusNotFound)
			w.as["bert"].Do("GET", base+"/"+pkg.ID+"/files/"+files["notes.txt"].ID, nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
			w.as["pu"].Do("GET", base, nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)

			// A package dated next week is the publishers' until then.
			later, lh := packageForm(t, map[string]string{"name": "Build 43", "publish_at": e.Clock.Now().Add(7 * 24 * time.Hour).Format(time.RFC3339)},
				upload{"build-43.zip", "application/zip", []byte("next")})
			var next collab.Package
			pp.DoHeader("POST", base, later, lh).Want(http.StatusCreated).Decode(&next)
			var list httpapi.List[collab.Package]
			pa.Do("GET", base, nil).Want(http.StatusOK).Decode(&list)
			if len(list.Items) != 1 || list.Items[0].ID != pkg.ID {
				t.Fatalf("a participant lists %+v", list.Items)
			}
			pa.Do("GET", base+"/"+next.ID, nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
			pp.Do("GET", base, nil).Want(http.StatusOK).Decode(&list)
			if len(list.Items) != 2 || list.Items[0].ID != next.ID || list.Items[0].Published {
				t.Fatalf("the publisher lists %+v", list.Items)
			}
			pa.Do("GET", base+"?q=WINDOWS", nil).Want(http.StatusOK).Decode(&list)
			if len(list.Items) != 1 {
				t.Errorf("keyword search found %d", len(list.Items))
			}
			pa.Do("GET", base+"?q=nothing-like-it", nil).Want(http.StatusOK).Decode(&list)
			if len(list.Items) != 0 {
				t.Errorf("a search for nothing found %d", len(list.Items))
			}
			e.Clock.Advance(8 * 24 * time.Hour)
			pa = e.SignIn(w.users["pa"].Username, apptest.Password)
			pa.Do("GET", base, nil).Want(http.StatusOK).Decode(&list)
			if len(list.Items) != 2 {
				t.Errorf("after its date a participant lists %d packages", len(list.Items))
			}
			pp = e.SignIn(w.staff["pp"].Username, apptest.Password)

			// Bad uploads name their field and store nothing.
			before := e.Count(`SELECT count(*) FROM collab_file_chunks`)
			noFiles, nh := packageForm(t, map[string]string{"name": "Empty"})
			pp.DoHeader("POST", base, noFiles, nh).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "files")
			noName, nnh := packageForm(t, map[string]string{"name": " "}, upload{"a.txt", "text/plain", []byte("a")})
			pp.DoHeader("POST", base, noName, nnh).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "name")
			badDate, bdh := packageForm(t, map[string]string{"name": "X", "publish_at": "tomorrow"}, upload{"a.txt", "text/plain", []byte("a")})
			pp.DoHeader("POST", base, badDate, bdh).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "publish_at")
			odd, oh := packageForm(t, map[string]string{"name": "X", "colour": "red"}, upload{"a.txt", "text/plain", []byte("a")})
			pp.DoHeader("POST", base, odd, oh).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "colour")
			pp.Do("POST", base, map[string]any{"name": "JSON"}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid)
			huge, hh := packageForm(t, map[string]string{"name": "Huge"}, upload{"small.txt", "text/plain", []byte("ok")},
				upload{"huge.bin", "application/octet-stream", make([]byte, 3<<20+1)})
			pp.DoHeader("POST", base, huge, hh).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "files")
			if n := e.Count(`SELECT count(*) FROM collab_file_chunks`); n != before {
				t.Errorf("refused uploads stored %d chunks", n-before)
			}
			if n := e.Count(`SELECT count(*) FROM collab_packages`); n != 2 {
				t.Errorf("%d packages, want 2", n)
			}

			// Deleting: publishers only; the chunks go with it.
			pa.Do("DELETE", base+"/"+next.ID, nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
			pp.Do("DELETE", base+"/"+next.ID, nil).Want(http.StatusNoContent)
			pp.Do("DELETE", base+"/"+next.ID, nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
			if n := e.Count(`SELECT count(*) FROM collab_file_chunks WHERE file_id IN (SELECT id FROM collab_package_files WHERE package_id = $1)`, next.ID); n != 0 {
				t.Errorf("%d chunks of the deleted package left", n)
			}
			for _, a := range []string{"engagement.package_publish", "engagement.package_delete"} {
				if n := e.Count(`SELECT count(*) FROM audit_log WHERE action = $1 AND target_id = $2`, a, w.eng.ID); n == 0 {
					t.Errorf("no %s audit entry", a)
				}
			}
			if n := e.Count(`SELECT count(*) FROM events WHERE type = 'engagement.package_published'`); n != 2 {
				t.Errorf("%d package events, want 2", n)
			}
		})
	}
}
