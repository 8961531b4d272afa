package servicehealth

import (
	"context"
	"database/sql"
	"errors"
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

// ServiceCode names one of the services whose health Atrium shows.
type ServiceCode string

// Atrium's own services.
const (
	SignIn  ServiceCode = "signin"
	Console ServiceCode = "console"
	API     ServiceCode = "api"
	Mail    ServiceCode = "mail"
)

// ServiceInfo is a service and its English name.
type ServiceInfo struct {
	Code ServiceCode `json:"service"`
	Name string      `json:"name"`
}

// Services are the services, in display order.
var Services = []ServiceInfo{
	{SignIn, "Sign-in"},
	{Console, "Console"},
	{API, "API"},
	{Mail, "Mail delivery"},
}

func knownService(c ServiceCode) bool {
	return slices.ContainsFunc(Services, func(s ServiceInfo) bool { return s.Code == c })
}

// Status is the status of an issue or a service.
type Status string

// The statuses. Operational is a service's status without active issues; an issue has
// one of the others, Resolved once it has ended.
const (
	Operational      Status = "operational"
	Investigating    Status = "investigating"
	Degraded         Status = "degraded"
	Interrupted      Status = "interrupted"
	Restoring        Status = "restoring"
	ExtendedRecovery Status = "extended_recovery"
	Resolved         Status = "resolved"
)

// issueStatuses are the statuses an issue may have, and their severity for the status
// of its services: the higher, the worse.
var issueStatuses = map[Status]int{
	Investigating:    1,
	ExtendedRecovery: 2,
	Restoring:        3,
	Degraded:         4,
	Interrupted:      5,
	Resolved:         0,
}

const statusValues = "investigating, degraded, interrupted, restoring, extended_recovery, resolved"

// Classification says whether an issue is an incident (users are affected now) or an
// advisory (an issue with limited impact, or one to plan for).
type Classification string

// The classifications.
const (
	Incident Classification = "incident"
	Advisory Classification = "advisory"
)

// TargetAll is the target of an issue that affects every organization.
const TargetAll = "all"

// HistoryDays is how long a resolved issue stays in the organizations' history.
const HistoryDays = 30

// Issue is an incident or an advisory on one or more services.
type Issue struct {
	ID             string         `json:"id"`
	Classification Classification `json:"classification"`
	Title          string         `json:"title"`
	// Impact describes what users notice.
	Impact string `json:"impact"`
	// Feature is the affected feature of the services, or "".
	Feature  string        `json:"feature"`
	Status   Status        `json:"status"`
	Services []ServiceCode `json:"services"`
	// Target is whom the issue affects: "all" organizations.
	Target    string     `json:"target"`
	StartedAt time.Time  `json:"started_at"`
	EndedAt   *time.Time `json:"ended_at"`
	// PostIncidentReport is written once the issue is resolved, or "".
	PostIncidentReport string    `json:"post_incident_report"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
	// Posts are the issue's timeline, oldest first; only with one issue, nil in lists.
	Posts   []Post `json:"posts,omitempty"`
	Version int64  `json:"-"`
	org     atrium.OrgID
}

// ETag returns the issue's entity tag for If-Match.
func (i *Issue) ETag() string { return etag(i.Version) }

// Active reports whether the issue has not been resolved.
func (i *Issue) Active() bool { return i.Status != Resolved }

// Post is one update on an issue's timeline.
type Post struct {
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	Text string    `json:"text"`
	// Status is the issue's status once the post was added.
	Status Status `json:"status"`
}

// IssueInput is what opening an issue takes.
type IssueInput struct {
	Title          string         `json:"title"`
	Classification Classification `json:"classification"`
	Services       []ServiceCode  `json:"services"`
	Status         Status         `json:"status"`
	Impact         string         `json:"impact"`
	Feature        string         `json:"feature,omitempty"`
	// StartedAt is when the issue started; now when left out.
	StartedAt *time.Time `json:"started_at,omitempty"`
	// TargetOrgIDs must be empty: every issue targets all organizations in this version.
	TargetOrgIDs []atrium.OrgID `json:"target_org_ids,omitempty"`
	// PostIncidentReport is accepted only with the status resolved.
	PostIncidentReport string `json:"post_incident_report,omitempty"`
}

// IssuePatch is a change to an issue; nil fields stay as they are.
type IssuePatch struct {
	Title              *string         `json:"title,omitempty"`
	Classification     *Classification `json:"classification,omitempty"`
	Services           *[]ServiceCode  `json:"services,omitempty"`
	Status             *Status         `json:"status,omitempty"`
	Impact             *string         `json:"impact,omitempty"`
	Feature            *string         `json:"feature,omitempty"`
	StartedAt          *time.Time      `json:"started_at,omitempty"`
	PostIncidentReport *string         `json:"post_incident_report,omitempty"`
}

// PostInput is an update posted to an issue's timeline; Status, when set, changes the
// issue's status with it (resolved ends the issue, and PostIncidentReport may come with it).
type PostInput struct {
	Text               string  `json:"text"`
	Status             Status  `json:"status,omitempty"`
	PostIncidentReport *string `json:"post_incident_report,omitempty"`
}

var (
	errNotFound = atrium.Errorf(atrium.CodeNotFound, "service health issue not found")
	errStale    = atrium.Errorf(atrium.CodePreconditionFailed, "it was changed by someone else; reload it and try again")
)

func checkText(p atrium.Problems, field, v string, required bool, max int) {
	n := utf8.RuneCountInString(v)
	switch {
	case required && strings.TrimSpace(v) == "":
		p.Add(field, "is required")
	case n > max:
		p.Addf(field, "err.max_chars", "must be at most {{.Count}} characters", "Count", max)
	case !utf8.ValidString(v):
		p.Add(field, "must be valid UTF-8")
	case strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0:
		p.Add(field, "must not contain control characters")
	}
}

func checkClassification(p atrium.Problems, c Classification) {
	if c != Incident && c != Advisory {
		p.Addf("classification", "err.one_of", "must be one of {{.Values}}", "Values", "incident, advisory")
	}
}

func checkStatus(p atrium.Problems, field string, s Status) {
	if _, ok := issueStatuses[s]; !ok {
		p.Addf(field, "err.one_of", "must be one of {{.Values}}", "Values", statusValues)
	}
}

// checkServices checks list and returns it in Services order without repeats.
func checkServices(p atrium.Problems, list []ServiceCode) []ServiceCode {
	if len(list) == 0 {
		p.Add("services", "name at least one service")
		return nil
	}
	for _, c := range list {
		if !knownService(c) {
			p.Addf("services", "err.one_of", "must be one of {{.Values}}", "Values", "signin, console, api, mail")
			return nil
		}
	}
	var out []ServiceCode
	for _, s := range Services {
		if slices.Contains(list, s.Code) {
			out = append(out, s.Code)
		}
	}
	return out
}

func checkReport(p atrium.Problems, report string, status Status) {
	checkText(p, "post_incident_report", report, false, 20000)
	if report != "" && status != Resolved {
		p.Add("post_incident_report", "is accepted only when the issue is resolved")
	}
}

// maxStart is how far ahead of now an issue may start (an advisory of planned work).
const maxStart = 365 * 24 * time.Hour

func (s *Service) checkStart(p atrium.Problems, t time.Time) {
	if t.Before(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) || t.After(s.clock.Now().Add(maxStart)) {
		p.Add("started_at", "must be a time from 2000 to a year from now")
	}
}

const issueColumns = `i.id, i.org_id, i.classification, i.title, i.impact, i.feature, i.status, i.services, i.target, i.started_at, i.ended_at,
	i.post_incident_report, i.created_at, i.updated_at, i.version`

func scanIssue(r scanner) (*Issue, error) {
	var i Issue
	var services string
	var started, created, updated int64
	var ended sql.NullInt64
	err := r.Scan(&i.ID, &i.org, &i.Classification, &i.Title, &i.Impact, &i.Feature, &i.Status, &services, &i.Target, &started, &ended,
		&i.PostIncidentReport, &created, &updated, &i.Version)
	i.StartedAt, i.CreatedAt, i.UpdatedAt = store.Time(started), store.Time(created), store.Time(updated)
	if ended.Valid {
		t := store.Time(ended.Int64)
		i.EndedAt = &t
	}
	i.Services = []ServiceCode{}
	for c := range strings.SplitSeq(services, ",") {
		if c != "" {
			i.Services = append(i.Services, ServiceCode(c))
		}
	}
	return &i, err
}

func joinServices(list []ServiceCode) string {
	parts := make([]string, len(list))
	for i, c := range list {
		parts[i] = string(c)
	}
	return strings.Join(parts, ",")
}

func endedMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return store.Micros(*t)
}

// targets is the condition on issues i that selects those targeting an organization:
// every issue, in this version.
const targets = `i.target = 'all'`

func getIssue(ctx context.Context, q store.Querier, id string, lock bool) (*Issue, error) {
	query := `SELECT ` + issueColumns + ` FROM servicehealth_issues i WHERE i.id = $1 AND ` + targets
	if lock {
		query += forUpdate(q)
	}
	i, err := scanIssue(q.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	return i, err
}

func posts(ctx context.Context, q store.Querier, issue string) ([]Post, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, text, status, created_at FROM servicehealth_posts WHERE issue_id = $1 ORDER BY created_at, id`, issue)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	out := []Post{}
	for rows.Next() {
		var p Post
		var at int64
		if err := rows.Scan(&p.ID, &p.Text, &p.Status, &at); err != nil {
			return nil, err
		}
		p.Time = store.Time(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// reader refuses callers that act in no organization (the routes let none through):
// an organization sees the issues that target it.
func reader(p *access.Principal) error {
	if p == nil || p.Org == "" {
		return errNotFound
	}
	return nil
}

func writeIssue(ctx context.Context, tx *store.Tx, i *Issue) error {
	_, err := tx.ExecContext(ctx, `UPDATE servicehealth_issues SET classification = $1, title = $2, search = $3, impact = $4, feature = $5,
		status = $6, services = $7, started_at = $8, ended_at = $9, post_incident_report = $10, updated_at = $11, version = version + 1 WHERE id = $12`,
		string(i.Classification), i.Title, fold(i.Title), i.Impact, i.Feature, string(i.Status), joinServices(i.Services), store.Micros(i.StartedAt),
		endedMicros(i.EndedAt), i.PostIncidentReport, store.Micros(i.UpdatedAt), i.ID)
	return err
}

// setStatus moves i to status at now: resolving sets its end time, reopening clears it.
// It reports whether the change resolved the issue.
func setStatus(i *Issue, status Status, now time.Time) bool {
	was := i.Status
	i.Status = status
	switch {
	case status == Resolved && was != Resolved:
		i.EndedAt = &now
		return true
	case status != Resolved:
		i.EndedAt = nil
	}
	return false
}

// CreateIssue opens an incident or advisory of the operator. It needs
// servicehealth.manage; bad fields are an invalid error naming each of them.
func (s *Service) CreateIssue(ctx context.Context, p *access.Principal, in IssueInput) (*Issue, error) {
	if err := access.Require(p, Manage, access.Resource{}); err != nil {
		return nil, err
	}
	in.Title, in.Impact, in.Feature = strings.TrimSpace(in.Title), strings.TrimSpace(in.Impact), strings.TrimSpace(in.Feature)
	in.PostIncidentReport = strings.TrimSpace(in.PostIncidentReport)
	probs := atrium.Problems{}
	checkText(probs, "title", in.Title, true, 256)
	checkClassification(probs, in.Classification)
	services := checkServices(probs, in.Services)
	checkStatus(probs, "status", in.Status)
	checkText(probs, "impact", in.Impact, true, 4000)
	checkText(probs, "feature", in.Feature, false, 256)
	if in.StartedAt != nil {
		s.checkStart(probs, *in.StartedAt)
	}
	if len(in.TargetOrgIDs) > 0 {
		probs.Add("target_org_ids", "must be left out: every issue affects all organizations for now")
	}
	checkReport(probs, in.PostIncidentReport, in.Status)
	if err := probs.Err(); err != nil {
		return nil, err
	}
	var issue *Issue
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		issue = &Issue{ID: newID(), org: p.Org, Classification: in.Classification, Title: in.Title, Impact: in.Impact, Feature: in.Feature,
			Status: in.Status, Services: services, Target: TargetAll, StartedAt: now, PostIncidentReport: in.PostIncidentReport,
			CreatedAt: now, UpdatedAt: now, Version: 1}
		if in.StartedAt != nil {
			issue.StartedAt = in.StartedAt.UTC().Truncate(time.Microsecond)
		}
		if issue.Status == Resolved {
			issue.EndedAt = &now
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO servicehealth_issues (id, org_id, classification, title, search, impact, feature, status,
			services, target, started_at, ended_at, post_incident_report, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)`,
			issue.ID, string(p.Org), string(issue.Classification), issue.Title, fold(issue.Title), issue.Impact, issue.Feature, string(issue.Status),
			joinServices(issue.Services), issue.Target, store.Micros(issue.StartedAt), endedMicros(issue.EndedAt), issue.PostIncidentReport,
			store.Micros(now)); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "servicehealth.issue_create", TargetType: "service_health_issue",
			TargetID: issue.ID, TargetName: issue.Title, After: map[string]any{"classification": string(issue.Classification),
				"status": string(issue.Status), "services": joinServices(issue.Services)}}); err != nil {
			return err
		}
		if _, err := s.bus.Publish(ctx, tx, p.Org, issue.ID, IssueCreated{IssueRef: issueRef(issue)}); err != nil {
			return err
		}
		if issue.Status == Resolved {
			_, err := s.bus.Publish(ctx, tx, p.Org, issue.ID, IssueResolved{IssueRef: issueRef(issue), EndedAt: now})
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Issue(ctx, p, issue.ID)
}

// Issue returns issue id with its posts, oldest first; not_found unless it targets
// the caller's organization.
func (s *Service) Issue(ctx context.Context, p *access.Principal, id string) (*Issue, error) {
	if err := reader(p); err != nil {
		return nil, err
	}
	q := s.db.Read()
	i, err := getIssue(ctx, q, id, false)
	if err != nil {
		return nil, err
	}
	if i.Posts, err = posts(ctx, q, i.ID); err != nil {
		return nil, err
	}
	return i, nil
}

// UpdateIssue changes an issue's fields or status; it needs servicehealth.manage.
// ifMatch, when set, is the ETag the change was made against (precondition_failed when
// it is stale). The status resolved ends the issue and takes a post-incident report;
// another status reopens a resolved one.
func (s *Service) UpdateIssue(ctx context.Context, p *access.Principal, id string, ifMatch int64, in IssuePatch) (*Issue, error) {
	if err := access.Require(p, Manage, access.Resource{}); err != nil {
		return nil, err
	}
	probs := atrium.Problems{}
	trim := func(v *string, field string, required bool, max int) {
		if v != nil {
			*v = strings.TrimSpace(*v)
			checkText(probs, field, *v, required, max)
		}
	}
	trim(in.Title, "title", true, 256)
	trim(in.Impact, "impact", true, 4000)
	trim(in.Feature, "feature", false, 256)
	trim(in.PostIncidentReport, "post_incident_report", false, 20000)
	if in.Classification != nil {
		checkClassification(probs, *in.Classification)
	}
	var services []ServiceCode
	if in.Services != nil {
		services = checkServices(probs, *in.Services)
	}
	if in.Status != nil {
		checkStatus(probs, "status", *in.Status)
	}
	if in.StartedAt != nil {
		s.checkStart(probs, *in.StartedAt)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		i, err := getIssue(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if ifMatch != 0 && ifMatch != i.Version {
			return errStale
		}
		status := i.Status
		if in.Status != nil {
			status = *in.Status
		}
		if in.PostIncidentReport != nil {
			probs := atrium.Problems{}
			checkReport(probs, *in.PostIncidentReport, status)
			if err := probs.Err(); err != nil {
				return err
			}
		}
		now := tx.Now()
		before, after := map[string]any{}, map[string]any{}
		change := func(field string, old, new string, set func()) {
			if old != new {
				before[field], after[field] = old, new
				set()
			}
		}
		if in.Title != nil {
			change("title", i.Title, *in.Title, func() { i.Title = *in.Title })
		}
		if in.Impact != nil {
			change("impact", i.Impact, *in.Impact, func() { i.Impact = *in.Impact })
		}
		if in.Feature != nil {
			change("feature", i.Feature, *in.Feature, func() { i.Feature = *in.Feature })
		}
		if in.Classification != nil {
			change("classification", string(i.Classification), string(*in.Classification), func() { i.Classification = *in.Classification })
		}
		if in.Services != nil {
			change("services", joinServices(i.Services), joinServices(services), func() { i.Services = services })
		}
		if in.StartedAt != nil {
			t := in.StartedAt.UTC().Truncate(time.Microsecond)
			change("started_at", i.StartedAt.Format(time.RFC3339), t.Format(time.RFC3339), func() { i.StartedAt = t })
		}
		if in.PostIncidentReport != nil {
			change("post_incident_report", i.PostIncidentReport, *in.PostIncidentReport, func() { i.PostIncidentReport = *in.PostIncidentReport })
		}
		resolved := false
		change("status", string(i.Status), string(status), func() { resolved = setStatus(i, status, now) })
		if len(after) == 0 {
			return nil
		}
		i.UpdatedAt = now
		return s.save(ctx, tx, p, i, "", before, after, resolved)
	})
	if err != nil {
		return nil, err
	}
	return s.Issue(ctx, p, id)
}

// AddPost appends an update to an issue's timeline; it needs servicehealth.manage. A
// status in the post changes the issue's status with it, as UpdateIssue does.
func (s *Service) AddPost(ctx context.Context, p *access.Principal, id string, in PostInput) (*Issue, error) {
	if err := access.Require(p, Manage, access.Resource{}); err != nil {
		return nil, err
	}
	in.Text = strings.TrimSpace(in.Text)
	probs := atrium.Problems{}
	checkText(probs, "text", in.Text, true, 20000)
	if in.Status != "" {
		checkStatus(probs, "status", in.Status)
	}
	if in.PostIncidentReport != nil {
		*in.PostIncidentReport = strings.TrimSpace(*in.PostIncidentReport)
		checkText(probs, "post_incident_report", *in.PostIncidentReport, false, 20000)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		i, err := getIssue(ctx, tx, id, true)
		if err != nil {
			return err
		}
		status := i.Status
		if in.Status != "" {
			status = in.Status
		}
		if in.PostIncidentReport != nil {
			probs := atrium.Problems{}
			checkReport(probs, *in.PostIncidentReport, status)
			if err := probs.Err(); err != nil {
				return err
			}
		}
		now := tx.Now()
		before, after := map[string]any{}, map[string]any{"text": in.Text}
		resolved := false
		if status != i.Status {
			before["status"], after["status"] = string(i.Status), string(status)
			resolved = setStatus(i, status, now)
		}
		if in.PostIncidentReport != nil && *in.PostIncidentReport != i.PostIncidentReport {
			before["post_incident_report"], after["post_incident_report"] = i.PostIncidentReport, *in.PostIncidentReport
			i.PostIncidentReport = *in.PostIncidentReport
		}
		i.UpdatedAt = now
		if _, err := tx.ExecContext(ctx, `INSERT INTO servicehealth_posts (id, issue_id, org_id, text, status, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			newID(), i.ID, string(i.org), in.Text, string(i.Status), store.Micros(now)); err != nil {
			return err
		}
		return s.save(ctx, tx, p, i, "posts", before, after, resolved)
	})
	if err != nil {
		return nil, err
	}
	return s.Issue(ctx, p, id)
}

// save writes a changed issue with its audit entry (a post's, and a resolution's when
// the change resolved it) and its event.
func (s *Service) save(ctx context.Context, tx *store.Tx, p *access.Principal, i *Issue, posted string, before, after map[string]any, resolved bool) error {
	now := tx.Now()
	if err := writeIssue(ctx, tx, i); err != nil {
		return err
	}
	entry := audit.Entry{Org: i.org, TargetType: "service_health_issue", TargetID: i.ID, TargetName: i.Title}
	actions := []string{}
	switch {
	case posted != "":
		actions = append(actions, "servicehealth.issue_post")
		if resolved {
			actions = append(actions, "servicehealth.issue_resolve")
		}
	case resolved:
		actions = append(actions, "servicehealth.issue_resolve")
	default:
		actions = append(actions, "servicehealth.issue_update")
	}
	for n, action := range actions {
		e := entry
		e.Action = action
		if n == 0 {
			e.Before, e.After = before, after
		}
		if err := audit.Record(ctx, tx, now, e); err != nil {
			return err
		}
	}
	if resolved {
		_, err := s.bus.Publish(ctx, tx, i.org, i.ID, IssueResolved{IssueRef: issueRef(i), EndedAt: now})
		return err
	}
	changed := make([]string, 0, len(after)+1)
	for k := range after {
		if k != "text" {
			changed = append(changed, k)
		}
	}
	if posted != "" {
		changed = append(changed, posted)
	}
	slices.Sort(changed)
	_, err := s.bus.Publish(ctx, tx, i.org, i.ID, IssueUpdated{IssueRef: issueRef(i), Changed: changed})
	return err
}

// byStart is the history's order, newest first: servicehealth_issues_started.
var byStart = store.Keyset{Columns: []string{"i.started_at", "i.id"}, Desc: true}

// Issues returns a page of the history of the caller's organization, newest first:
// the active issues and those resolved in the last HistoryDays days that target it.
func (s *Service) Issues(ctx context.Context, p *access.Principal, q ListQuery) (Page[Issue], error) {
	if err := reader(p); err != nil {
		return Page[Issue]{}, err
	}
	since := s.clock.Now().Add(-HistoryDays * 24 * time.Hour)
	args := []any{store.Micros(since)}
	cond := targets + ` AND (i.ended_at IS NULL OR i.ended_at >= $1)`
	if f := fold(q.Q); f != "" {
		args = append(args, "%"+store.EscapeLike(f)+"%")
		cond += ` AND i.search LIKE $2 ESCAPE '\'`
	}
	var started int64
	var id string
	pq, err := byStart.Page(args, q.Cursor, q.size(), &started, &id)
	if err != nil {
		return Page[Issue]{}, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+issueColumns+` FROM servicehealth_issues i WHERE `+cond+` AND `+pq.Where+` `+pq.OrderLimit, pq.Args...)
	if err != nil {
		return Page[Issue]{}, store.Translate(err)
	}
	defer rows.Close()
	var items []Issue
	for rows.Next() {
		i, err := scanIssue(rows)
		if err != nil {
			return Page[Issue]{}, err
		}
		items = append(items, *i)
	}
	if err := rows.Err(); err != nil {
		return Page[Issue]{}, err
	}
	items, next := store.NextPage(pq, items, func(i Issue) []any { return []any{store.Micros(i.StartedAt), i.ID} })
	if items == nil {
		items = []Issue{}
	}
	return Page[Issue]{Items: items, NextCursor: next}, nil
}

// ServiceStatus is a service's current status and its active issues, newest first.
type ServiceStatus struct {
	Service        ServiceCode `json:"service"`
	Name           string      `json:"name"`
	Status         Status      `json:"status"`
	ActiveIssueIDs []string    `json:"active_issue_ids"`
}

// Overview returns every service with its status, the worst of its active issues
// that target the caller's organization (operational when none), and their ids.
func (s *Service) Overview(ctx context.Context, p *access.Principal) ([]ServiceStatus, error) {
	if err := reader(p); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT i.id, i.status, i.services FROM servicehealth_issues i
		WHERE i.ended_at IS NULL AND `+targets+` ORDER BY i.started_at DESC, i.id DESC`)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	out := make([]ServiceStatus, len(Services))
	at := map[ServiceCode]*ServiceStatus{}
	for n, svc := range Services {
		out[n] = ServiceStatus{Service: svc.Code, Name: svc.Name, Status: Operational, ActiveIssueIDs: []string{}}
		at[svc.Code] = &out[n]
	}
	for rows.Next() {
		var id, services string
		var status Status
		if err := rows.Scan(&id, &status, &services); err != nil {
			return nil, err
		}
		for c := range strings.SplitSeq(services, ",") {
			ss := at[ServiceCode(c)]
			if ss == nil {
				continue
			}
			ss.ActiveIssueIDs = append(ss.ActiveIssueIDs, id)
			if issueStatuses[status] > issueStatuses[ss.Status] {
				ss.Status = status
			}
		}
	}
	return out, rows.Err()
}
