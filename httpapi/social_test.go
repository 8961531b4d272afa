package httpapi_test

import (
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/social"
)

// socialData counts a user's Social Engagement data in the database, by kind.
func socialData(e *apptest.Env, user atrium.UserID) map[string]int {
	e.T.Helper()
	id := string(user)
	return map[string]int{
		"settings":       e.Count("SELECT count(*) FROM social_settings WHERE user_id = $1", id),
		"alerts":         e.Count("SELECT count(*) FROM social_alerts WHERE user_id = $1", id),
		"streams":        e.Count("SELECT count(*) FROM social_streams WHERE owner_id = $1", id),
		"shared_streams": e.Count("SELECT count(*) FROM social_stream_shares WHERE user_id = $1", id),
		"topics":         e.Count("SELECT count(*) FROM social_search_topics WHERE owner_id = $1", id),
		"removed_topics": e.Count("SELECT count(*) FROM social_search_topics WHERE owner_id = $1 AND owner_removed = TRUE", id),
	}
}

// removalPreview is GET /api/v1/users/{id}/licenses/removal-preview's answer.
type removalPreview struct {
	Apps map[string]map[string]int `json:"apps"`
}

func preview(t *testing.T, c *apptest.Client, user atrium.UserID, products ...string) removalPreview {
	t.Helper()
	query := ""
	for i, p := range products {
		if i == 0 {
			query += "?"
		} else {
			query += "&"
		}
		query += "product_id=" + q(p)
	}
	var out removalPreview
	c.Do("GET", "/api/v1/users/"+string(user)+"/licenses/removal-preview"+query, nil).Want(http.StatusOK).Decode(&out)
	return out
}

// socialCalls are every /api/v1/social route a user calls on their own data.
func socialCalls(c *apptest.Client) map[string]func() *apptest.Response {
	return map[string]func() *apptest.Response{
		"list settings": func() *apptest.Response { return c.Do("GET", "/api/v1/social/settings", nil) },
		"put setting": func() *apptest.Response {
			return c.Do("PUT", "/api/v1/social/settings/theme", map[string]any{"value": "dark"})
		},
		"list alerts": func() *apptest.Response { return c.Do("GET", "/api/v1/social/alerts", nil) },
		"create alert": func() *apptest.Response {
			return c.Do("POST", "/api/v1/social/alerts", map[string]any{"name": "Mentions", "query": "contoso"})
		},
		"list streams": func() *apptest.Response { return c.Do("GET", "/api/v1/social/streams", nil) },
		"create stream": func() *apptest.Response {
			return c.Do("POST", "/api/v1/social/streams", map[string]any{"name": "Brand", "query": "brand"})
		},
		"list topics": func() *apptest.Response { return c.Do("GET", "/api/v1/social/search-topics", nil) },
		"create topic": func() *apptest.Response {
			return c.Do("POST", "/api/v1/social/search-topics", map[string]any{"name": "Rivals", "keywords": "fabrikam"})
		},
	}
}

// TestSocialLicenseGateOverHTTP: every /api/v1/social route answers 403 license_required
// to a user without a license giving the social app — no license, another app's license,
// or every service plan turned off — and writes nothing; with one, it works.
func TestSocialLicenseGateOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Gate Co", "gate")
		ids := products(t, o.Admin)
		se, ce := ids["SOCIAL_ENGAGEMENT"], ids["CUSTOMER_ENGAGEMENT"]
		buy(o.Admin, se, 5)
		buy(o.Admin, ce, 5)
		sam := licensedUser(o.Admin, "sam")
		samC := e.SignIn(sam.Username, apptest.Password)
		licenses := "/api/v1/users/" + string(sam.ID) + "/licenses"

		refused := func(t *testing.T, c *apptest.Client, code atrium.Code, what string) {
			t.Helper()
			before := licensingState(t, e)
			for name, call := range socialCalls(c.For(t)) {
				p := call().WantProblem(http.StatusForbidden, code)
				if code == atrium.CodeLicenseRequired && p.Detail == "" {
					t.Errorf("%s %s: no message", what, name)
				}
			}
			wantLicensingState(t, e, before, what)
		}
		allowed := func(t *testing.T, c *apptest.Client) {
			t.Helper()
			for name, call := range socialCalls(c.For(t)) {
				if res := call(); res.Status >= 300 {
					t.Errorf("%s = %d: %s", name, res.Status, res.Body)
				}
			}
		}

		t.Run("no license", func(t *testing.T) { refused(t, samC, atrium.CodeLicenseRequired, "unlicensed") })
		o.Admin.Do("PUT", licenses, licenseSet(ce)).Want(http.StatusOK)
		t.Run("another app's license", func(t *testing.T) { refused(t, samC, atrium.CodeLicenseRequired, "licensed for crm only") })
		o.Admin.Do("PUT", licenses, map[string]any{"licenses": []map[string]any{
			{"product_id": ce}, {"product_id": se, "disabled_service_plans": []string{"Listening", "Publishing"}}}}).Want(http.StatusOK)
		t.Run("every plan off", func(t *testing.T) { refused(t, samC, atrium.CodeLicenseRequired, "every plan off") })
		token := e.Bearer(createToken(t, o.Admin, map[string]any{"name": "social", "role": "global_admin"}).Token)
		t.Run("api token", func(t *testing.T) { refused(t, token, atrium.CodeForbidden, "an API token") })

		o.Admin.Do("PUT", licenses, map[string]any{"licenses": []map[string]any{
			{"product_id": ce}, {"product_id": se, "disabled_service_plans": []string{"Publishing"}}}}).Want(http.StatusOK)
		t.Run("one plan on", func(t *testing.T) { allowed(t, samC) })
		if got := socialData(e, sam.ID); got["settings"] != 1 || got["alerts"] != 1 || got["streams"] != 1 || got["topics"] != 1 {
			t.Errorf("sam's data after using the app = %v", got)
		}
		if got := apps(t, samC); len(got) != 3 {
			t.Errorf("sam's apps = %v, want crm, groups and social", got)
		}
	})
}

// TestSocialCleanupOverHTTP: the removal preview counts what losing the app deletes and
// changes nothing; swapping the full product for its preview keeps everything; removing
// the last license giving the app deletes settings, alerts and streams for good and keeps
// the user's search topics, shown as owned by a removed user.
func TestSocialCleanupOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Cleanup Co", "cleanup")
		ids := products(t, o.Admin)
		se, preview_, ce := ids["SOCIAL_ENGAGEMENT"], ids["SOCIAL_ENGAGEMENT_MARKET_INSIGHTS"], ids["CUSTOMER_ENGAGEMENT"]
		for _, p := range []string{se, preview_, ce} {
			buy(o.Admin, p, 5)
		}
		sam, pat := licensedUser(o.Admin, "sam"), licensedUser(o.Admin, "pat")
		for _, u := range []apptest.User{sam, pat} {
			o.Admin.Do("PUT", "/api/v1/users/"+string(u.ID)+"/licenses", licenseSet(se)).Want(http.StatusOK)
		}
		samC, patC := e.SignIn(sam.Username, apptest.Password), e.SignIn(pat.Username, apptest.Password)
		samLicenses := "/api/v1/users/" + string(sam.ID) + "/licenses"

		// Sam's data: two settings, two alerts, a stream shared with the admin, a topic;
		// the admin shares a stream with Sam; the admin and Pat have their own data.
		samC.Do("PUT", "/api/v1/social/settings/theme", map[string]any{"value": "dark"}).Want(http.StatusNoContent)
		samC.Do("PUT", "/api/v1/social/settings/language", map[string]any{"value": "en"}).Want(http.StatusNoContent)
		samC.Do("POST", "/api/v1/social/alerts", map[string]any{"name": "Mentions", "query": "cleanup"}).Want(http.StatusCreated)
		samC.Do("POST", "/api/v1/social/alerts", map[string]any{"name": "Complaints", "query": "broken"}).Want(http.StatusCreated)
		samC.Do("POST", "/api/v1/social/streams", map[string]any{"name": "Mine", "query": "brand", "shared_with": []atrium.UserID{o.AdminID}}).Want(http.StatusCreated)
		var topic social.SearchTopic
		samC.Do("POST", "/api/v1/social/search-topics", map[string]any{"name": "Competitors", "keywords": "fabrikam"}).Want(http.StatusCreated).Decode(&topic)
		var theirs social.Stream
		o.Admin.Do("POST", "/api/v1/social/streams", map[string]any{"name": "Theirs", "query": "launch", "shared_with": []atrium.UserID{sam.ID}}).
			Want(http.StatusCreated).Decode(&theirs)
		o.Admin.Do("PUT", "/api/v1/social/settings/theme", map[string]any{"value": "light"}).Want(http.StatusNoContent)
		patC.Do("POST", "/api/v1/social/alerts", map[string]any{"name": "Pat's", "query": "pat"}).Want(http.StatusCreated)

		samData := map[string]int{"settings": 2, "alerts": 2, "streams": 1, "shared_streams": 1, "topics": 1, "removed_topics": 0}
		if got := socialData(e, sam.ID); !maps.Equal(got, samData) {
			t.Fatalf("sam's data = %v, want %v", got, samData)
		}

		// The preview counts, and changes nothing.
		before := licensingState(t, e)
		got := preview(t, o.Admin, sam.ID, se)
		want := map[string]int{"settings": 2, "alerts": 2, "streams": 1, "shared_streams": 1, "search_topics_kept": 1}
		if len(got.Apps) != 1 || !maps.Equal(got.Apps["social"], want) {
			t.Errorf("preview of removing Social Engagement = %v, want social: %v", got.Apps, want)
		}
		if got := preview(t, o.Admin, sam.ID, ce); len(got.Apps) != 0 {
			t.Errorf("preview of removing a product Sam does not hold = %v", got.Apps)
		}
		wantLicensingState(t, e, before, "the removal preview")

		// Swapping the full product for its preview and back loses nothing.
		o.Admin.Do("PUT", samLicenses, licenseSet(se, preview_)).Want(http.StatusOK)
		if got := preview(t, o.Admin, sam.ID, se); len(got.Apps) != 0 {
			t.Errorf("removing the full product while holding the preview would lose %v", got.Apps)
		}
		if got := preview(t, o.Admin, sam.ID, se, preview_); !maps.Equal(got.Apps["social"], want) {
			t.Errorf("removing both = %v", got.Apps)
		}
		o.Admin.Do("PUT", samLicenses, licenseSet(preview_)).Want(http.StatusOK)
		if got := socialData(e, sam.ID); !maps.Equal(got, samData) {
			t.Errorf("after swapping to the preview sam's data = %v, want %v", got, samData)
		}
		var alerts httpapi.List[social.Alert]
		samC.Do("GET", "/api/v1/social/alerts", nil).Want(http.StatusOK).Decode(&alerts)
		if len(alerts.Items) != 2 {
			t.Errorf("on the preview sam sees alerts %+v", alerts.Items)
		}
		o.Admin.Do("PUT", samLicenses, licenseSet(se)).Want(http.StatusOK)
		if got := socialData(e, sam.ID); !maps.Equal(got, samData) {
			t.Errorf("after swapping back sam's data = %v, want %v", got, samData)
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE action = 'app_data.cleanup'"); n != 0 {
			t.Errorf("swaps ran %d cleanups", n)
		}

		// Removing the last license: settings, alerts and streams go, the topic stays.
		var after struct {
			Licenses []any `json:"licenses"`
		}
		o.Admin.Do("PUT", samLicenses, map[string]any{"licenses": []any{}}).Want(http.StatusOK).Decode(&after)
		if len(after.Licenses) != 0 {
			t.Errorf("after removal sam holds %v", after.Licenses)
		}
		gone := map[string]int{"settings": 0, "alerts": 0, "streams": 0, "shared_streams": 0, "topics": 1, "removed_topics": 1}
		if got := socialData(e, sam.ID); !maps.Equal(got, gone) {
			t.Errorf("after removing the last license sam's data = %v, want %v", got, gone)
		}
		samC.Do("GET", "/api/v1/social/alerts", nil).WantProblem(http.StatusForbidden, atrium.CodeLicenseRequired)
		if n := e.Count("SELECT count(*) FROM audit_log WHERE action = 'app_data.cleanup' AND target_id = $1", string(sam.ID)); n != 1 {
			t.Errorf("cleanup audit entries = %d, want 1", n)
		}
		// Others keep their own data; the admin's stream stays, no longer shared with Sam.
		if got := socialData(e, pat.ID); got["alerts"] != 1 {
			t.Errorf("pat's data = %v", got)
		}
		if got := socialData(e, o.AdminID); got["settings"] != 1 || got["streams"] != 1 {
			t.Errorf("the admin's data = %v", got)
		}
		var streams httpapi.List[social.Stream]
		o.Admin.Do("GET", "/api/v1/social/streams", nil).Want(http.StatusOK).Decode(&streams)
		if len(streams.Items) != 1 || streams.Items[0].ID != theirs.ID || len(streams.Items[0].SharedWith) != 0 {
			t.Errorf("the admin's streams = %+v", streams.Items)
		}
		var topics httpapi.List[social.SearchTopic]
		o.Admin.Do("GET", "/api/v1/social/search-topics", nil).Want(http.StatusOK).Decode(&topics)
		if len(topics.Items) != 1 || topics.Items[0].ID != topic.ID || !topics.Items[0].OwnerRemoved || topics.Items[0].OwnerID != sam.ID {
			t.Errorf("topics after the removal = %+v", topics.Items)
		}
		var reassigned social.SearchTopic
		o.Admin.Do("PUT", "/api/v1/social/search-topics/"+topic.ID+"/owner", map[string]any{"owner_id": string(pat.ID)}).Want(http.StatusOK).Decode(&reassigned)
		if reassigned.OwnerID != pat.ID || reassigned.OwnerRemoved {
			t.Errorf("reassigned = %+v", reassigned)
		}

		// Losing the app while keeping another product cleans up too.
		o.Admin.Do("PUT", "/api/v1/users/"+string(pat.ID)+"/licenses", licenseSet(se, ce)).Want(http.StatusOK)
		o.Admin.Do("PUT", "/api/v1/users/"+string(pat.ID)+"/licenses", licenseSet(ce)).Want(http.StatusOK)
		if got := socialData(e, pat.ID); got["alerts"] != 0 || got["topics"] != 1 || got["removed_topics"] != 1 {
			t.Errorf("pat's data after keeping only Customer Engagement = %v", got)
		}

		// A license given back does not bring deleted data back.
		o.Admin.Do("PUT", samLicenses, licenseSet(se)).Want(http.StatusOK)
		var settings httpapi.List[social.Setting]
		samC.Do("GET", "/api/v1/social/settings", nil).Want(http.StatusOK).Decode(&settings)
		if len(settings.Items) != 0 {
			t.Errorf("relicensed sam sees settings %+v", settings.Items)
		}
	})
}

// TestSocialBadInput: bad input to the social routes is a 4xx problem naming the field,
// and nothing is written.
func TestSocialBadInput(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Social Input Co", "socialinput")
		other := e.Signup("Elsewhere Co", "elsewhere")
		admin := o.Admin // licensed by the sign-up trial
		var topic social.SearchTopic
		admin.Do("POST", "/api/v1/social/search-topics", map[string]any{"name": "Launch", "keywords": "launch"}).Want(http.StatusCreated).Decode(&topic)
		cases := []struct {
			name   string
			method string
			path   string
			body   any
			status int
			code   atrium.Code
			field  string
		}{
			{"setting: value as number", "PUT", "/api/v1/social/settings/theme", map[string]any{"value": 5}, 400, atrium.CodeInvalid, "value"},
			{"setting: unknown field", "PUT", "/api/v1/social/settings/theme", map[string]any{"value": "x", "scope": "org"}, 400, atrium.CodeInvalid, "scope"},
			{"setting: value too long", "PUT", "/api/v1/social/settings/theme", map[string]any{"value": strings.Repeat("x", 4001)}, 400, atrium.CodeInvalid, "value"},
			{"alert: no name", "POST", "/api/v1/social/alerts", map[string]any{"name": " ", "query": "x"}, 400, atrium.CodeInvalid, "name"},
			{"alert: query as list", "POST", "/api/v1/social/alerts", map[string]any{"name": "x", "query": []string{"a"}}, 400, atrium.CodeInvalid, "query"},
			{"alert: id given", "POST", "/api/v1/social/alerts", `{"name":"x","query":"y","idx":"z"}`, 400, atrium.CodeInvalid, "idx"},
			{"stream: share with a stranger", "POST", "/api/v1/social/streams", map[string]any{"name": "x", "query": "y", "shared_with": []atrium.UserID{other.AdminID}}, 400, atrium.CodeInvalid, "shared_with"},
			{"stream: share with nobody", "POST", "/api/v1/social/streams", map[string]any{"name": "x", "query": "y", "shared_with": []string{"no-such-user"}}, 400, atrium.CodeInvalid, "shared_with"},
			{"stream: shared_with as string", "POST", "/api/v1/social/streams", map[string]any{"name": "x", "query": "y", "shared_with": "everyone"}, 400, atrium.CodeInvalid, "shared_with"},
			{"topic: no keywords", "POST", "/api/v1/social/search-topics", map[string]any{"name": "x", "keywords": ""}, 400, atrium.CodeInvalid, "keywords"},
			{"topic owner: stranger", "PUT", "/api/v1/social/search-topics/" + topic.ID + "/owner", map[string]any{"owner_id": string(other.AdminID)}, 400, atrium.CodeInvalid, "owner_id"},
			{"topic owner: unknown topic", "PUT", "/api/v1/social/search-topics/nope/owner", map[string]any{"owner_id": string(o.AdminID)}, 404, atrium.CodeNotFound, ""},
			{"settings: limit zero", "GET", "/api/v1/social/settings?limit=0", nil, 400, atrium.CodeInvalid, "limit"},
			{"settings: bad cursor", "GET", "/api/v1/social/settings?cursor=garbage", nil, 400, atrium.CodeInvalid, "cursor"},
			{"alerts: limit too big", "GET", "/api/v1/social/alerts?limit=201", nil, 400, atrium.CodeInvalid, "limit"},
			{"alerts: sql cursor", "GET", "/api/v1/social/alerts?cursor=" + q("'; DROP TABLE social_alerts; --"), nil, 400, atrium.CodeInvalid, "cursor"},
			{"streams: limit words", "GET", "/api/v1/social/streams?limit=ten", nil, 400, atrium.CodeInvalid, "limit"},
			{"streams: bad cursor", "GET", "/api/v1/social/streams?cursor=x", nil, 400, atrium.CodeInvalid, "cursor"},
			{"topics: limit negative", "GET", "/api/v1/social/search-topics?limit=-1", nil, 400, atrium.CodeInvalid, "limit"},
			{"topics: a settings cursor", "GET", "/api/v1/social/search-topics?cursor=" + q(settingsCursor(t, admin)), nil, 400, atrium.CodeInvalid, "cursor"},
			{"preview: no product", "GET", "/api/v1/users/" + string(o.AdminID) + "/licenses/removal-preview", nil, 400, atrium.CodeInvalid, "product_id"},
			{"preview: unknown user", "GET", "/api/v1/users/nobody/licenses/removal-preview?product_id=x", nil, 404, atrium.CodeNotFound, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e := e.For(t)
				before := licensingState(t, e)
				var fields []string
				if c.field != "" {
					fields = []string{c.field}
				}
				admin.For(t).Do(c.method, c.path, c.body).WantProblem(c.status, c.code, fields...)
				wantLicensingState(t, e, before, c.name)
			})
		}
	})
}

// settingsCursor returns a cursor of the settings list, which no other list accepts.
func settingsCursor(t *testing.T, c *apptest.Client) string {
	t.Helper()
	for _, name := range []string{"a", "b"} {
		c.Do("PUT", "/api/v1/social/settings/"+name, map[string]any{"value": "v"}).Want(http.StatusNoContent)
	}
	var page httpapi.List[social.Setting]
	c.Do("GET", "/api/v1/social/settings?limit=1", nil).Want(http.StatusOK).Decode(&page)
	if page.NextCursor == "" {
		t.Fatal("no cursor")
	}
	return page.NextCursor
}

// TestSocialListsPageOverHTTP: the lists take limit and cursor and answer
// {items, next_cursor}; walking a list returns each item once, the last page has an
// empty next_cursor, and a topic beyond the first page can be reassigned.
func TestSocialListsPageOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Paging Co", "paging")
		admin := o.Admin // licensed by the sign-up trial
		made := map[string]string{}
		for i := range 5 {
			var a social.Alert
			admin.Do("POST", "/api/v1/social/alerts", map[string]any{"name": "Alert " + string(rune('A'+i)), "query": "q"}).Want(http.StatusCreated).Decode(&a)
			made[a.ID] = a.Name
		}
		var topics []social.SearchTopic
		for i := range 3 {
			var tp social.SearchTopic
			admin.Do("POST", "/api/v1/social/search-topics", map[string]any{"name": "Topic " + string(rune('A'+i)), "keywords": "k"}).Want(http.StatusCreated).Decode(&tp)
			topics = append(topics, tp)
		}

		// The raw shape: items and next_cursor, nothing else.
		var raw map[string]any
		admin.Do("GET", "/api/v1/social/alerts?limit=2", nil).Want(http.StatusOK).Decode(&raw)
		if len(raw) != 2 || raw["items"] == nil || raw["next_cursor"] == "" {
			t.Errorf("first page = %v, want items and a next_cursor", raw)
		}

		seen := map[string]int{}
		path, pages := "/api/v1/social/alerts?limit=2", 0
		for path != "" {
			pages++
			if pages > 10 {
				t.Fatal("the pages do not end")
			}
			var page httpapi.List[social.Alert]
			admin.Do("GET", path, nil).Want(http.StatusOK).Decode(&page)
			for _, a := range page.Items {
				seen[a.ID]++
			}
			path = ""
			if page.NextCursor != "" {
				path = "/api/v1/social/alerts?limit=2&cursor=" + q(page.NextCursor)
			}
		}
		if pages != 3 || len(seen) != len(made) {
			t.Errorf("%d pages, %d alerts; want 3 and %d", pages, len(seen), len(made))
		}
		for id, n := range seen {
			if n != 1 || made[id] == "" {
				t.Errorf("alert %s came back %d times (made: %v)", id, n, made[id] != "")
			}
		}

		var first httpapi.List[social.SearchTopic]
		admin.Do("GET", "/api/v1/social/search-topics?limit=1", nil).Want(http.StatusOK).Decode(&first)
		last := topics[len(topics)-1]
		if len(first.Items) != 1 || first.Items[0].ID == last.ID || first.NextCursor == "" {
			t.Fatalf("first topic page = %+v", first)
		}
		var reassigned social.SearchTopic
		admin.Do("PUT", "/api/v1/social/search-topics/"+last.ID+"/owner", map[string]any{"owner_id": string(o.AdminID)}).Want(http.StatusOK).Decode(&reassigned)
		if reassigned.ID != last.ID || reassigned.Name != last.Name || reassigned.OwnerID != o.AdminID {
			t.Errorf("reassigned = %+v, want %+v", reassigned, last)
		}
	})
}
