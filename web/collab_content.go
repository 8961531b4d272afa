package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/collab"
)

// The collaboration pages of content, of getting access back and of the inactivity
// settings: an engagement's Content tab (its packages, downloads), the page the
// deactivation mail links to (/collab/restore), and Operator > Programs > Settings.

func (c *collabPages) registerContent() {
	c.page("GET /collab/engagements/{id}/content", c.content)
	c.page("GET /collab/engagements/{id}/content/{pid}/files/{fid}", c.download)
	c.page("GET /collab/restore", c.restoreForm)
	c.page("POST /collab/restore", c.restore)
	c.page("GET /collab/settings", c.settingsForm)
	c.page("POST /collab/settings", c.saveSettings)
}

// contentPage is the data of an engagement's Content tab.
type contentPage struct {
	engagementHeader
	Packages []collab.Package
	Pager    pager
}

// content lists an engagement's content packages with their files, newest first.
func (c *collabPages) content(w http.ResponseWriter, r *http.Request) error {
	e, err := c.loadEngagement(r)
	if err != nil {
		return err
	}
	lq, err := collabListQuery(r)
	if err != nil {
		return err
	}
	page, err := c.svc.Packages(r.Context(), sessionFrom(r.Context()).P(), e.ID, collab.PackageQuery{ListQuery: lq})
	if err != nil {
		return err
	}
	v := c.newView(r, "collab.console.content.title")
	v.Title = e.Name
	v.Form = r.URL.Query()
	v.Data = contentPage{engagementHeader: engagementHeaderOf(e, "/content"), Packages: page.Items, Pager: pageLinks(r, page.NextCursor)}
	c.render(w, r, http.StatusOK, "collab_content.html", v)
	return nil
}

// download streams a file of a package, counted as the API counts it.
func (c *collabPages) download(w http.ResponseWriter, r *http.Request) error {
	d, err := c.svc.DownloadFile(r.Context(), sessionFrom(r.Context()).P(), r.PathValue("id"), r.PathValue("pid"), r.PathValue("fid"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", d.ContentType)
	h.Set("Content-Length", strconv.FormatInt(d.Size, 10))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Name}))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	// The status is sent: a failure now can only cut the download short.
	_, _ = io.Copy(w, d.Content)
	return nil
}

// restorePage is the data of the page that asks for lost access back.
type restorePage struct {
	Past []collab.PastMembership
	// Askable says some engagement can be asked for.
	Askable bool
}

func (c *collabPages) restoreView(r *http.Request, f url.Values) (*view, error) {
	past, err := c.svc.PastMemberships(r.Context(), sessionFrom(r.Context()).P())
	if err != nil {
		return nil, err
	}
	data := restorePage{Past: past}
	for _, m := range past {
		if m.Kind == "engagement" && !m.Pending {
			data.Askable = true
		}
	}
	v := c.newView(r, "collab.console.restore.title")
	v.Form = f
	v.Data = data
	return v, nil
}

// restoreForm lists the memberships inactivity ended, each ticked, with a
// justification: the request the deactivation mail promises.
func (c *collabPages) restoreForm(w http.ResponseWriter, r *http.Request) error {
	v, err := c.restoreView(r, url.Values{})
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "collab_restore.html", v)
	return nil
}

func (c *collabPages) restore(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	ids := f["engagement_id"]
	if len(ids) == 0 {
		v, err := c.restoreView(r, f)
		if err != nil {
			return err
		}
		v.formError(atrium.FieldError("engagement_ids", "tick at least one engagement"), "engagement_ids")
		c.render(w, r, http.StatusBadRequest, "collab_restore.html", v)
		return nil
	}
	asked, err := c.svc.RestoreAccess(r.Context(), sessionFrom(r.Context()).P(), ids, f.Get("justification"))
	if err != nil {
		v, verr := c.restoreView(r, f)
		if verr != nil {
			return errors.Join(err, verr)
		}
		if !v.formError(err, "justification", "engagement_ids") {
			return err
		}
		c.render(w, r, statusOf(err), "collab_restore.html", v)
		return nil
	}
	return c.redirect(w, r, "/collab/restore", c.t(r, "collab.console.restore.sent", "Count", len(asked)))
}

// settingsForm is the inactivity settings of the instance, for operator administrators.
func (c *collabPages) settingsForm(w http.ResponseWriter, r *http.Request) error {
	set, err := c.svc.Settings(r.Context(), sessionFrom(r.Context()).P())
	if err != nil {
		return err
	}
	v := c.newView(r, "collab.console.settings.title")
	v.Form = settingsValues(set)
	v.Data = set
	c.render(w, r, http.StatusOK, "collab_settings.html", v)
	return nil
}

func settingsValues(set *collab.Settings) url.Values {
	days := make([]string, len(set.NoticeDays))
	for i, d := range set.NoticeDays {
		days[i] = strconv.Itoa(d)
	}
	return url.Values{"inactivity_days": {strconv.Itoa(set.InactivityDays)}, "notice_days": {strings.Join(days, ", ")},
		"version": {strconv.FormatInt(set.Version, 10)}}
}

func (c *collabPages) saveSettings(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	var in collab.SettingsInput
	probs := atrium.Problems{}
	if n, err := strconv.Atoi(strings.TrimSpace(f.Get("inactivity_days"))); err != nil {
		probs.Add("inactivity_days", "must be a whole number from 30 to 730")
	} else {
		in.InactivityDays = &n
	}
	in.NoticeDays = []int{}
	for _, part := range strings.FieldsFunc(f.Get("notice_days"), func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(part)
		if err != nil {
			probs.Add("notice_days", "each must be from 1 to one less than the days of inactivity")
			break
		}
		in.NoticeDays = append(in.NoticeDays, n)
	}
	version, _ := strconv.ParseInt(f.Get("version"), 10, 64)
	err := probs.Err()
	if err == nil {
		_, err = c.svc.SetSettings(r.Context(), sessionFrom(r.Context()).P(), version, in)
	}
	if err != nil {
		set, serr := c.svc.Settings(r.Context(), sessionFrom(r.Context()).P())
		if serr != nil {
			return errors.Join(err, serr)
		}
		v := c.newView(r, "collab.console.settings.title")
		v.Form = f
		v.Data = set
		if !v.formError(err, "inactivity_days", "notice_days") {
			return err
		}
		c.render(w, r, statusOf(err), "collab_settings.html", v)
		return nil
	}
	return c.redirect(w, r, "/collab/settings", c.t(r, "collab.console.settings.saved"))
}
