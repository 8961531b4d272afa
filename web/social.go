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
// the organization's search topics, a page of each.
type socialPage struct {
	Settings socialList[social.Setting]
	Alerts   socialList[social.Alert]
	Streams  socialList[social.Stream]
	Topics   socialList[social.SearchTopic]
	// Failed is the form (setting, alert, stream or topic) the errors belong to.
	Failed string
}

// socialList is one page of a list on the app page, with its links to other pages.
type socialList[T any] struct {
	Items []T
	Pager socialPager
}

// socialPager links the pages of one list of the app page.
type socialPager struct {
	pager
	// Label names the list's page links for assistive technology.
	Label string
}

// socialLists are the lists of the app page: each is the id of its section and, with
// "_cursor", the query parameter of its cursor. Each list pages on its own, so following
// one list's next page keeps the others where they were.
var socialLists = []string{"settings", "alerts", "streams", "topics"}

// socialPageLinks returns the links of list's pages: the next one (after next, when it
// is not "") and, when r shows a later page, the first. The links keep the other lists'
// cursors and land on the list's section.
func socialPageLinks(r *http.Request, list, label, next string) socialPager {
	param := list + "_cursor"
	q := url.Values{}
	for _, l := range socialLists {
		if v := r.URL.Query().Get(l + "_cursor"); v != "" && l != list {
			q.Set(l+"_cursor", v)
		}
	}
	href := func(q url.Values) string {
		if len(q) == 0 {
			return r.URL.Path + "#" + list
		}
		return r.URL.Path + "?" + q.Encode() + "#" + list
	}
	p := socialPager{Label: label}
	if r.URL.Query().Get(param) != "" {
		p.First = href(q)
	}
	if next != "" {
		q.Set(param, next)
		p.Next = href(q)
	}
	return p
}

// socialView loads the app page, each list at the page its cursor parameter asks for.
// Without a license the service answers license_required, which the console shows as a
// 403 page saying a license is needed; a cursor no list gave out is a 400 page.
func (c socialPages) socialView(r *http.Request) (*view, error) {
	s := sessionFrom(r.Context())
	ctx, p := r.Context(), s.P()
	cursor := func(list string) social.ListQuery {
		return social.ListQuery{Cursor: r.URL.Query().Get(list + "_cursor")}
	}
	var d socialPage
	settings, err := c.svc.Settings(ctx, p, cursor("settings"))
	if err != nil {
		return nil, err
	}
	d.Settings = socialList[social.Setting]{Items: settings.Items, Pager: socialPageLinks(r, "settings", c.t(r, "settings.social.settings.pages"), settings.NextCursor)}
	alerts, err := c.svc.Alerts(ctx, p, cursor("alerts"))
	if err != nil {
		return nil, err
	}
	d.Alerts = socialList[social.Alert]{Items: alerts.Items, Pager: socialPageLinks(r, "alerts", c.t(r, "settings.social.alerts.pages"), alerts.NextCursor)}
	streams, err := c.svc.Streams(ctx, p, cursor("streams"))
	if err != nil {
		return nil, err
	}
	d.Streams = socialList[social.Stream]{Items: streams.Items, Pager: socialPageLinks(r, "streams", c.t(r, "settings.social.streams.pages"), streams.NextCursor)}
	topics, err := c.svc.Topics(ctx, p, cursor("topics"))
	if err != nil {
		return nil, err
	}
	d.Topics = socialList[social.SearchTopic]{Items: topics.Items, Pager: socialPageLinks(r, "topics", c.t(r, "settings.social.topics.pages"), topics.NextCursor)}
	v := c.newView(r, c.appTitle(social.App))
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
		return atrium.Errorf(atrium.CodeNotFound, "err.no_page")
	}
	f := r.PostForm
	ctx, p := r.Context(), s.P()
	var err error
	var msg string
	switch kind {
	case "setting":
		err = c.svc.PutSetting(ctx, p, social.Setting{Name: f.Get("setting_name"), Value: f.Get("setting_value")})
		msg = c.t(r, "settings.social.setting.saved")
	case "alert":
		_, err = c.svc.CreateAlert(ctx, p, social.Alert{Name: f.Get("alert_name"), Query: f.Get("alert_query")})
		msg = c.t(r, "settings.social.alert.added")
	case "stream":
		_, err = c.svc.CreateStream(ctx, p, social.Stream{Name: f.Get("stream_name"), Query: f.Get("stream_query")})
		msg = c.t(r, "settings.social.stream.added")
	case "topic":
		_, err = c.svc.CreateTopic(ctx, p, social.SearchTopic{Name: f.Get("topic_name"), Keywords: f.Get("topic_keywords")})
		msg = c.t(r, "settings.social.topic.added")
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
