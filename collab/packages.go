package collab

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/store"
)

// Content packages: package publishers (and owners) publish files to an engagement;
// participants download them. A file is stored in the database in chunks of ChunkSize
// (collab_file_chunks), written as it is read and streamed back a chunk at a time, so
// neither an upload nor a download holds a whole file in memory. A package whose
// publish date is in the future is seen by its publishers only until then.

// ChunkSize is the size of the stored pieces of a file.
const ChunkSize = 1 << 20

// DefaultMaxFile is the default size limit of one file of a package.
const DefaultMaxFile = 100 << 20

// MaxPackageFiles is the most files one package holds.
const MaxPackageFiles = 20

// Package is a content package of an engagement.
type Package struct {
	ID           string    `json:"id"`
	EngagementID string    `json:"engagement_id"`
	Name         string    `json:"name"`
	Description  string    `json:"description"`
	Type         string    `json:"type"`
	Keywords     []string  `json:"keywords"`
	PublishAt    time.Time `json:"publish_at"`
	// Published is false until PublishAt.
	Published     bool          `json:"published"`
	CreatedBy     atrium.UserID `json:"created_by"`
	CreatedByName string        `json:"created_by_name"`
	CreatedAt     time.Time     `json:"created_at"`
	// Downloads counts the downloads of all its files.
	Downloads int64         `json:"downloads"`
	Files     []PackageFile `json:"files"`
}

// PackageFile is one file of a package.
type PackageFile struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	// SHA256 is the hex SHA-256 of the content, computed as it was stored.
	SHA256    string `json:"sha256"`
	Downloads int64  `json:"downloads"`
}

// PackageInput describes a new package.
type PackageInput struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Type        string   `json:"type"`
	Keywords    []string `json:"keywords"`
	// PublishAt is when participants see it; nil is now.
	PublishAt *time.Time `json:"publish_at"`
}

// Upload is one file of a new package: its name and type as the client gave them and
// its content, read once.
type Upload struct {
	Name        string
	ContentType string
	Content     io.Reader
}

// PackageQuery asks for a page of an engagement's packages, newest publish date first.
type PackageQuery struct {
	ListQuery
}

// MaxFile is the size limit of one file, in bytes.
func (s *Service) MaxFile() int64 {
	if s.cfg.MaxFile > 0 {
		return s.cfg.MaxFile
	}
	return DefaultMaxFile
}

var errPackageNotFound = atrium.Errorf(atrium.CodeNotFound, "package not found")

// checkFileName normalizes and checks a file's name and content type.
func checkFileName(probs atrium.Problems, field string, u *Upload) {
	u.Name = strings.TrimSpace(u.Name)
	switch {
	case u.Name == "":
		probs.Add(field, "each file needs a name")
	case utf8.RuneCountInString(u.Name) > 255 || strings.ContainsAny(u.Name, `/\`) || strings.IndexFunc(u.Name, unicode.IsControl) >= 0:
		probs.Add(field, "a file's name must be a file name of at most 255 characters")
	}
	if u.ContentType == "" {
		u.ContentType = "application/octet-stream"
	}
	if mt, _, err := mime.ParseMediaType(u.ContentType); err != nil || len(u.ContentType) > 255 || !strings.Contains(mt, "/") {
		probs.Add(field, "a file's content type must be a media type such as application/zip")
	} else {
		u.ContentType = mt
	}
}

// MayPublish returns nil when p may publish packages to engagement id, else not_found
// or forbidden as PublishPackage would: checked before an upload is read.
func (s *Service) MayPublish(ctx context.Context, p *access.Principal, id string) error {
	e, pp, err := s.load(ctx, s.db.Read(), p, id, false)
	if err != nil {
		return err
	}
	return access.Require(pp, Publish, resource(e))
}

// PublishPackage publishes a package of files to engagement id. It needs
// collab.package.publish there (package publishers of the program, owners); the files
// are read and stored in one transaction with the package, its audit entry and event.
// It returns invalid naming the field for a bad name, type, keywords or publish date,
// no files, more than MaxPackageFiles, or a file larger than MaxFile (files).
func (s *Service) PublishPackage(ctx context.Context, p *access.Principal, id string, in PackageInput, files []Upload) (*Package, error) {
	in.Name, in.Description, in.Type = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description), strings.TrimSpace(in.Type)
	probs := atrium.Problems{}
	checkText(probs, "name", in.Name, true, 256)
	checkText(probs, "description", in.Description, false, 4000)
	checkText(probs, "type", in.Type, false, 64)
	var keywords []string
	for _, k := range in.Keywords {
		for _, w := range strings.Split(k, ",") {
			if w = strings.TrimSpace(w); w != "" && !slices.Contains(keywords, w) {
				keywords = append(keywords, w)
			}
		}
	}
	if len(keywords) > 20 {
		probs.Add("keywords", "name at most 20 keywords")
	}
	for _, k := range keywords {
		checkText(probs, "keywords", k, false, 64)
	}
	switch {
	case len(files) == 0:
		probs.Add("files", "a package needs at least one file")
	case len(files) > MaxPackageFiles:
		probs.Add("files", "a package holds at most 20 files")
	}
	for i := range files {
		checkFileName(probs, "files", &files[i])
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	if keywords == nil {
		keywords = []string{}
	}
	var out *Package
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		e, pp, err := s.load(ctx, tx, p, id, false)
		if err != nil {
			return err
		}
		if err := access.Require(pp, Publish, resource(e)); err != nil {
			return err
		}
		now := tx.Now()
		at := now
		if in.PublishAt != nil {
			at = in.PublishAt.UTC()
		}
		name := p.Name
		if cards, err := s.users.CardsAnywhere(ctx, tx, []atrium.UserID{p.UserID}); err == nil && len(cards) == 1 {
			name = cards[0].DisplayName
		}
		pkg := &Package{ID: newID(), EngagementID: e.ID, Name: in.Name, Description: in.Description, Type: in.Type, Keywords: keywords,
			PublishAt: at, Published: !at.After(now), CreatedBy: p.UserID, CreatedByName: name, CreatedAt: now, Files: []PackageFile{}}
		if _, err := tx.ExecContext(ctx, `INSERT INTO collab_packages (id, engagement_id, name, description, type, keywords, search, publish_at,
			created_by, created_by_name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			pkg.ID, e.ID, pkg.Name, pkg.Description, pkg.Type, strings.Join(keywords, "\n"),
			fold(pkg.Name+"\n"+pkg.Description+"\n"+strings.Join(keywords, "\n")), store.Micros(at), string(p.UserID), name, store.Micros(now)); err != nil {
			return err
		}
		for _, u := range files {
			f, err := s.storeFile(ctx, tx, pkg, u, now)
			if err != nil {
				return err
			}
			pkg.Files = append(pkg.Files, *f)
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: e.Org, Action: "engagement.package_publish", TargetType: "engagement", TargetID: e.ID,
			TargetName: e.Name, After: map[string]any{"package": pkg.Name, "files": len(pkg.Files), "publish_at": at}}); err != nil {
			return err
		}
		if _, err := s.bus.Publish(ctx, tx, e.Org, e.ID, PackagePublished{PackageRef: packageRef(pkg), Files: len(pkg.Files), PublishAt: at}); err != nil {
			return err
		}
		out = pkg
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// storeFile writes u's content in chunks, hashing and counting it, and refuses it
// (naming files) past MaxFile.
func (s *Service) storeFile(ctx context.Context, tx *store.Tx, pkg *Package, u Upload, now time.Time) (*PackageFile, error) {
	f := &PackageFile{ID: newID(), Name: u.Name, ContentType: u.ContentType}
	h := sha256.New()
	buf := make([]byte, ChunkSize)
	limit := s.MaxFile()
	for seq := 0; ; seq++ {
		n, err := io.ReadFull(u.Content, buf)
		if n > 0 {
			f.Size += int64(n)
			if f.Size > limit {
				return nil, atrium.FieldErrorf("files", "err.collab.file_max", "each file must be at most {{.Count}} MiB", "Count", limit>>20)
			}
			h.Write(buf[:n])
			if _, err := tx.ExecContext(ctx, `INSERT INTO collab_file_chunks (file_id, seq, data) VALUES ($1, $2, $3)`, f.ID, seq, buf[:n]); err != nil {
				return nil, err
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return nil, atrium.Errorf(atrium.CodeInvalid, "the upload broke off")
		}
	}
	f.SHA256 = hex.EncodeToString(h.Sum(nil))
	if _, err := tx.ExecContext(ctx, `INSERT INTO collab_package_files (id, package_id, engagement_id, name, content_type, size, sha256, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, f.ID, pkg.ID, pkg.EngagementID, f.Name, f.ContentType, f.Size, f.SHA256, store.Micros(now)); err != nil {
		return nil, err
	}
	return f, nil
}

const packageColumns = `id, engagement_id, name, description, type, keywords, publish_at, created_by, created_by_name, created_at, downloads`

func scanPackage(r scanner, now time.Time) (*Package, error) {
	var pkg Package
	var keywords string
	var at, created int64
	if err := r.Scan(&pkg.ID, &pkg.EngagementID, &pkg.Name, &pkg.Description, &pkg.Type, &keywords, &at, &pkg.CreatedBy, &pkg.CreatedByName,
		&created, &pkg.Downloads); err != nil {
		return nil, err
	}
	pkg.Keywords = []string{}
	if keywords != "" {
		pkg.Keywords = strings.Split(keywords, "\n")
	}
	pkg.PublishAt, pkg.CreatedAt = store.Time(at), store.Time(created)
	pkg.Published = !pkg.PublishAt.After(now)
	pkg.Files = []PackageFile{}
	return &pkg, nil
}

// readable loads engagement id for reading its packages: forbidden unless p may
// download there (participants, owners, publishers); publishers also see packages not
// yet published.
func (s *Service) packagesOf(ctx context.Context, q store.Querier, p *access.Principal, id string) (*Engagement, bool, error) {
	e, pp, err := s.load(ctx, q, p, id, false)
	if err != nil {
		return nil, false, err
	}
	if err := access.Require(pp, Download, resource(e)); err != nil {
		return nil, false, err
	}
	return e, access.Can(pp, Publish, resource(e)), nil
}

var newestPackages = store.Keyset{Columns: []string{"publish_at", "id"}, Desc: true}

// Packages returns a page of engagement id's packages, newest publish date first, with
// their files; q matches a fragment of the name, description or keywords.
func (s *Service) Packages(ctx context.Context, p *access.Principal, id string, q PackageQuery) (Page[Package], error) {
	db := s.db.Read()
	e, publisher, err := s.packagesOf(ctx, db, p, id)
	if err != nil {
		return Page[Package]{}, err
	}
	now := s.clock.Now()
	args := []any{e.ID}
	cond := `engagement_id = $1`
	if !publisher {
		args = append(args, store.Micros(now))
		cond += ` AND publish_at <= $2`
	}
	cond, args, _, err = matchFragment("search", q.Q, cond, args)
	if err != nil {
		return Page[Package]{}, err
	}
	var at int64
	var pid string
	pq, err := newestPackages.Page(args, q.Cursor, q.size(), &at, &pid)
	if err != nil {
		return Page[Package]{}, err
	}
	rows, err := db.QueryContext(ctx, `SELECT `+packageColumns+` FROM collab_packages WHERE `+cond+` AND `+pq.Where+` `+pq.OrderLimit, pq.Args...)
	if err != nil {
		return Page[Package]{}, store.Translate(err)
	}
	var items []*Package
	for rows.Next() {
		pkg, err := scanPackage(rows, now)
		if err != nil {
			rows.Close()
			return Page[Package]{}, store.Translate(err)
		}
		items = append(items, pkg)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Page[Package]{}, store.Translate(err)
	}
	items, next := store.NextPage(pq, items, func(pkg *Package) []any { return []any{store.Micros(pkg.PublishAt), pkg.ID} })
	if err := packageFiles(ctx, db, items); err != nil {
		return Page[Package]{}, err
	}
	out := Page[Package]{Items: make([]Package, len(items)), NextCursor: next}
	for i, pkg := range items {
		out.Items[i] = *pkg
	}
	return out, nil
}

func packageFiles(ctx context.Context, q store.Querier, pkgs []*Package) error {
	if len(pkgs) == 0 {
		return nil
	}
	byID := map[string]*Package{}
	ids := make([]string, len(pkgs))
	for i, pkg := range pkgs {
		byID[pkg.ID], ids[i] = pkg, pkg.ID
	}
	args, marks := store.In(nil, ids)
	rows, err := q.QueryContext(ctx, `SELECT package_id, id, name, content_type, size, sha256, downloads FROM collab_package_files
		WHERE package_id IN (`+marks+`) ORDER BY package_id, name, id`, args...)
	if err != nil {
		return store.Translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid string
		var f PackageFile
		if err := rows.Scan(&pid, &f.ID, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &f.Downloads); err != nil {
			return store.Translate(err)
		}
		byID[pid].Files = append(byID[pid].Files, f)
	}
	return store.Translate(rows.Err())
}

// GetPackage returns one package of engagement id with its files.
func (s *Service) GetPackage(ctx context.Context, p *access.Principal, id, pid string) (*Package, error) {
	db := s.db.Read()
	e, publisher, err := s.packagesOf(ctx, db, p, id)
	if err != nil {
		return nil, err
	}
	pkg, err := scanPackage(db.QueryRowContext(ctx, `SELECT `+packageColumns+` FROM collab_packages WHERE id = $1 AND engagement_id = $2`, pid, e.ID), s.clock.Now())
	if errors.Is(err, sql.ErrNoRows) || err == nil && !pkg.Published && !publisher {
		return nil, errPackageNotFound
	}
	if err != nil {
		return nil, store.Translate(err)
	}
	if err := packageFiles(ctx, db, []*Package{pkg}); err != nil {
		return nil, err
	}
	return pkg, nil
}

// DeletePackage deletes a package with its files; it needs collab.package.publish.
func (s *Service) DeletePackage(ctx context.Context, p *access.Principal, id, pid string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		e, pp, err := s.load(ctx, tx, p, id, false)
		if err != nil {
			return err
		}
		if err := access.Require(pp, Publish, resource(e)); err != nil {
			return err
		}
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM collab_packages WHERE id = $1 AND engagement_id = $2`, pid, e.ID).Scan(&name); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return errPackageNotFound
			}
			return err
		}
		if err := deletePackages(ctx, tx, `package_id = $1`, pid); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: e.Org, Action: "engagement.package_delete", TargetType: "engagement", TargetID: e.ID,
			TargetName: e.Name, Before: map[string]any{"package": name}})
	})
}

// deletePackages deletes the packages (and their files) whose files match cond on
// collab_package_files, with arg.
func deletePackages(ctx context.Context, tx store.Querier, cond string, arg string) error {
	for _, q := range []string{
		`DELETE FROM collab_file_chunks WHERE file_id IN (SELECT id FROM collab_package_files WHERE ` + cond + `)`,
		`DELETE FROM collab_packages WHERE id IN (SELECT package_id FROM collab_package_files WHERE ` + cond + `)`,
		`DELETE FROM collab_package_files WHERE ` + cond,
	} {
		if _, err := tx.ExecContext(ctx, q, arg); err != nil {
			return err
		}
	}
	return nil
}

// FileDownload is a file being downloaded: its facts and a reader of its content.
type FileDownload struct {
	PackageFile
	Content io.Reader
}

// DownloadFile opens file fid of package pid of engagement id for reading, counts the
// download and records the access. The content is read a chunk at a time, each chunk
// its own query, so a slow client holds no transaction open.
func (s *Service) DownloadFile(ctx context.Context, p *access.Principal, id, pid, fid string) (*FileDownload, error) {
	pkg, err := s.GetPackage(ctx, p, id, pid)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(pkg.Files, func(f PackageFile) bool { return f.ID == fid })
	if i < 0 {
		return nil, atrium.Errorf(atrium.CodeNotFound, "file not found")
	}
	f := pkg.Files[i]
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE collab_package_files SET downloads = downloads + 1 WHERE id = $1`, f.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE collab_packages SET downloads = downloads + 1 WHERE id = $1`, pkg.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if e, err := getEngagement(ctx, s.db.Read(), id, false); err == nil {
		if _, err := s.as(ctx, s.db.Read(), p, e); err == nil {
			if err := s.touch(ctx, p, e); err != nil {
				return nil, err
			}
		}
	}
	f.Downloads++
	return &FileDownload{PackageFile: f, Content: &chunkReader{ctx: ctx, db: s.db, file: f.ID}}, nil
}

// chunkReader reads a stored file's chunks in order.
type chunkReader struct {
	ctx  context.Context
	db   *store.DB
	file string
	seq  int
	buf  []byte
	done bool
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.done {
			return 0, io.EOF
		}
		var data []byte
		err := r.db.Read().QueryRowContext(r.ctx, `SELECT data FROM collab_file_chunks WHERE file_id = $1 AND seq = $2`, r.file, r.seq).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			r.done = true
			continue
		}
		if err != nil {
			return 0, store.Translate(err)
		}
		r.seq++
		r.buf = data
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}
