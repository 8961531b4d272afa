package httpapi_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/directory"
)

// TestUserListFollowsOrgLanguage: the user list sorted by display name follows the
// alphabet of the organization's language, across pages, and follows a change of it:
// Polish puts Ł between L and M, Swedish Å Ä Ö after Z (in that order), English and
// Polish sort Å and Ä as A.
func TestUserListFollowsOrgLanguage(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Alfabet sp. z o.o.", "alfabet")
		names := []string{"Zofia Zima", "Łukasz Łoś", "Lucyna Lis", "Marek Mróz", "Ärla Ek", "Åsa Berg", "Adam Nowak", "Ola Öberg"}
		for i, name := range names {
			o.Admin.Do("POST", "/api/v1/users", map[string]any{"username": "u" + string(rune('a'+i)), "display_name": name, "password": apptest.Password}).
				Want(http.StatusCreated)
		}
		order := func(lang string) []string {
			t.Helper()
			var got []string
			path := "/api/v1/users?limit=3"
			for range 10 {
				var page directory.UserPage
				o.Admin.Do("GET", path, nil).Want(http.StatusOK).Decode(&page)
				for _, u := range page.Items {
					if slices.Contains(names, u.DisplayName) {
						got = append(got, u.DisplayName)
					}
				}
				if page.NextCursor == "" {
					return got
				}
				path = "/api/v1/users?limit=3" + "&cursor=" + q(page.NextCursor)
			}
			t.Fatalf("%s: the cursor never ends", lang)
			return nil
		}
		for _, tc := range []struct {
			lang string
			want []string
		}{
			{"pl", []string{"Adam Nowak", "Ärla Ek", "Åsa Berg", "Lucyna Lis", "Łukasz Łoś", "Marek Mróz", "Ola Öberg", "Zofia Zima"}},
			{"sv", []string{"Adam Nowak", "Lucyna Lis", "Łukasz Łoś", "Marek Mróz", "Ola Öberg", "Zofia Zima", "Åsa Berg", "Ärla Ek"}},
			{"en", []string{"Adam Nowak", "Ärla Ek", "Åsa Berg", "Lucyna Lis", "Łukasz Łoś", "Marek Mróz", "Ola Öberg", "Zofia Zima"}},
		} {
			o.Admin.Do("PATCH", "/api/v1/organization", map[string]any{"language": tc.lang}).Want(http.StatusOK)
			if got := order(tc.lang); !slices.Equal(got, tc.want) {
				t.Errorf("organization in %s: user list\n %q\nwant %q", tc.lang, got, tc.want)
			}
		}
		// A user written after the change is keyed in the organization's language too.
		o.Admin.Do("PATCH", "/api/v1/organization", map[string]any{"language": "sv"}).Want(http.StatusOK)
		o.Admin.Do("POST", "/api/v1/users", map[string]any{"username": "oskar", "display_name": "Östen Öst", "password": apptest.Password}).Want(http.StatusCreated)
		// A rename moves the user; a change of another field keeps the key.
		var found directory.UserPage
		o.Admin.Do("GET", "/api/v1/users?q=adam", nil).Want(http.StatusOK).Decode(&found)
		adam := found.Items[0]
		o.Admin.Do("PATCH", "/api/v1/users/"+string(adam.ID), map[string]any{"display_name": "Ådam Nowak"}).Want(http.StatusOK)
		o.Admin.Do("PATCH", "/api/v1/users/"+string(adam.ID), map[string]any{"job_title": "Lärare"}).Want(http.StatusOK)
		names = append(names, "Östen Öst", "Ådam Nowak")
		want := []string{"Lucyna Lis", "Łukasz Łoś", "Marek Mróz", "Ola Öberg", "Zofia Zima", "Ådam Nowak", "Åsa Berg", "Ärla Ek", "Östen Öst"}
		if got := order("sv"); !slices.Equal(got, want) {
			t.Errorf("Swedish organization after a new user: %q, want %q", got, want)
		}
	})
}
