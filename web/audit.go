package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/i18n"
)

// auditPage is the data of the audit log page.
type auditPage struct {
	Entries []auditRow
	Pager   pager
	// ExportURL downloads every entry matching the filters as CSV from the API.
	ExportURL string
	// Actions are the actions the action filter suggests.
	Actions []actionChoice
}

// auditRow is an audit entry as the console shows it: people by their display names and
// the action in words.
type auditRow struct {
	audit.Entry
	// Actor and Target are the display names of the actor and the target.
	Actor, Target string
	// TargetKind names the kind of the target ("user").
	TargetKind string
	// Phrase says the action in general ("added a user"); Sentence says who did what to
	// whom ("Ada Admin added Mia Member").
	Phrase, Sentence string
	// Changes are the fields of the before/after summaries.
	Changes []summaryChange
}

var auditFields = []string{"actor", "action", "target", "since", "until"}

// auditList shows the audit log with filters and paging, and links the CSV export.
func (c *console) auditList(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	v := c.newView(r, "nav.settings.audit")
	q := r.URL.Query()
	for _, f := range auditFields {
		v.Form.Set(f, q.Get(f))
	}
	data := auditPage{Actions: auditActionChoicesIn(v.P)}
	f, err := httpapi.AuditFilter(r)
	// The date picker's "until" is a day the person wants to see, so the page shows the
	// entries until the end of it; the filter, and the API the export calls, take the
	// instant the entries must be before.
	if err == nil && isDate(q.Get("until")) {
		f.Until = f.Until.AddDate(0, 0, 1)
	}
	export := url.Values{"format": {"csv"}}
	for _, name := range auditFields {
		if val := q.Get(name); val != "" {
			export.Set(name, val)
		}
	}
	if err == nil && isDate(q.Get("until")) {
		export.Set("until", f.Until.UTC().Format(time.RFC3339))
	}
	data.ExportURL = "/api/v1/audit-log?" + export.Encode()
	if err == nil {
		var page audit.Page
		page, err = c.audit.List(r.Context(), s.P(), f)
		if err == nil {
			data.Pager = pageLinks(r, page.NextCursor)
			data.Entries, err = c.auditRowsIn(r.Context(), v.P, s.ID.Principal.Org, page.Items)
		}
	}
	status := http.StatusOK
	if err != nil {
		if !v.formError(err, auditFields...) {
			return err
		}
		status = statusOf(err)
	}
	v.Data = data
	c.render(w, r, status, "audit.html", v)
	return nil
}

// isDate reports whether s is a calendar date such as 2026-11-21, as a date picker
// sends it.
func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// auditRowsIn puts entries of org in words of p's language, naming the users among
// their actors and targets by display name, read in one query for the whole page.
// Users who are gone keep the name the entry recorded.
func (c *console) auditRowsIn(ctx context.Context, p *i18n.Printer, org atrium.OrgID, entries []audit.Entry) ([]auditRow, error) {
	seen := map[atrium.UserID]bool{}
	var ids []atrium.UserID
	add := func(id string) {
		if id == "" || seen[atrium.UserID(id)] {
			return
		}
		seen[atrium.UserID(id)] = true
		ids = append(ids, atrium.UserID(id))
	}
	for _, e := range entries {
		add(e.ActorID)
		if e.TargetType == "user" {
			add(e.TargetID)
		}
	}
	names := map[string]string{}
	if len(ids) > 0 {
		cards, err := c.Directory.Cards(ctx, c.DB.Read(), org, ids)
		if err != nil {
			return nil, err
		}
		for _, card := range cards {
			names[string(card.ID)] = card.DisplayName
		}
	}
	out := make([]auditRow, len(entries))
	for i, e := range entries {
		row := auditRow{Entry: e, Actor: actorWordsIn(p, e.ActorID, e.ActorName, names), Target: e.TargetName,
			TargetKind: targetKindIn(p, e.TargetType), Phrase: actionPhraseIn(p, e.Action), Changes: summaryChangesIn(p, e.Before, e.After)}
		if n := names[e.TargetID]; e.TargetType == "user" && n != "" {
			row.Target = n
		}
		row.Sentence = actionSentenceIn(p, e.Action, row.Actor, row.Target, e.After, e.Before)
		out[i] = row
	}
	return out, nil
}
