package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/social"
)

// Social is the Social Engagement app's console page, under Admin centers.
func Social(svc *social.Service) Module {
	return func(c *console) {
		p := socialPages{console: c, svc: svc}
		c.app(App{Name: social.App, Title: "Social Engagement", Href: "/apps/social"})
		c.nav(navEntry{Section: sectionAdminCenters, Label: "Social Engagement", Href: "/apps/social",
			Show: func(r *http.Request, s *session) bool { return c.hasApp(r, s, social.App) }})
		c.page("GET /apps/social", p.socialApp)
		c.page("POST /apps/social/{kind}", p.socialCreate)
	}
}

// socialPages serves the app's pages with its service.
type socialPages struct {
	*console
	svc *social.Service
}

// socialPage is the Social Engagement app: the user's settings, alerts and streams and
// the organization's search topics.
type socialPage struct {
	Settings []social.Setting
	Alerts   []social.Alert
	Streams  []social.Stream
	Topics   []social.SearchTopic
	// Failed is the form (setting, alert, stream or topic) the errors belong to.
	Failed string
}

// socialView loads the app page. Without a license the service answers
// license_required, which the console shows as a 403 page saying a license is needed.
func (c socialPages) socialView(r *http.Request) (*view, error) {
	s := sessionFrom(r.Context())
	ctx, p := r.Context(), s.P()
	var d socialPage
	var err error
	if d.Settings, err = c.svc.Settings(ctx, p); err != nil {
		return nil, err
	}
	if d.Alerts, err = c.svc.Alerts(ctx, p); err != nil {
		return nil, err
	}
	if d.Streams, err = c.svc.Streams(ctx, p); err != nil {
		return nil, err
	}
	if d.Topics, err = c.svc.Topics(ctx, p); err != nil {
		return nil, err
	}
	v := c.newView(r, "Social Engagement")
	v.Data = d
	return v, nil
}

func (c socialPages) socialApp(w http.ResponseWriter, r *http.Request) error {
	v, err := c.socialView(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "social.html", v)
	return nil
}

// socialForms maps each create form of the app page to its fields (form field → the
// service's field).
var socialForms = map[string]map[string]string{
	"setting": {"setting_name": "name", "setting_value": "value"},
	"alert":   {"alert_name": "name", "alert_query": "query"},
	"stream":  {"stream_name": "name", "stream_query": "query"},
	"topic":   {"topic_name": "name", "topic_keywords": "keywords"},
}

// socialCreate adds a setting, alert, stream or search topic from the app page.
func (c socialPages) socialCreate(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	kind := r.PathValue("kind")
	fields, ok := socialForms[kind]
	if !ok {
		return atrium.Errorf(atrium.CodeNotFound, "there is no page at this address")
	}
	f := r.PostForm
	ctx, p := r.Context(), s.P()
	var err error
	var msg string
	switch kind {
	case "setting":
		err = c.svc.PutSetting(ctx, p, social.Setting{Name: f.Get("setting_name"), Value: f.Get("setting_value")})
		msg = "The setting was saved."
	case "alert":
		_, err = c.svc.CreateAlert(ctx, p, social.Alert{Name: f.Get("alert_name"), Query: f.Get("alert_query")})
		msg = "The alert was added."
	case "stream":
		_, err = c.svc.CreateStream(ctx, p, social.Stream{Name: f.Get("stream_name"), Query: f.Get("stream_query")})
		msg = "The stream was added."
	case "topic":
		_, err = c.svc.CreateTopic(ctx, p, social.SearchTopic{Name: f.Get("topic_name"), Keywords: f.Get("topic_keywords")})
		msg = "The search topic was added."
	}
	if err != nil {
		v, verr := c.socialView(r)
		if verr != nil {
			return errors.Join(err, verr)
		}
		names := make([]string, 0, len(fields))
		for formName, svcName := range fields {
			err = renameField(err, svcName, formName)
			names = append(names, formName)
		}
		if !v.formError(err, names...) {
			return err
		}
		d := v.Data.(socialPage)
		d.Failed = kind
		v.Data = d
		v.Form = url.Values{}
		for _, n := range names {
			v.Form.Set(n, f.Get(n))
		}
		c.render(w, r, statusOf(err), "social.html", v)
		return nil
	}
	return c.redirect(w, r, "/apps/social#"+kind+"s", msg)
}
