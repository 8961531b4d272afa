package web

import "testing"

func TestNavSections(t *testing.T) {
	items := []navItem{{Label: "Home", Href: "/", Section: "Home", SectionSlug: "home"},
		{Label: "Active users", Href: "/users", Section: "Users", SectionSlug: "users", Current: true},
		{Label: "Roles", Href: "/roles", Section: "Users", SectionSlug: "users"},
		{Label: "API tokens", Href: "/tokens", Section: "Settings", SectionSlug: "settings"}}
	got := navSections(items)
	if len(got) != 3 {
		t.Fatalf("sections %+v, want 3", got)
	}
	if got[0].Heading || !got[1].Heading || !got[2].Heading {
		t.Errorf("headings %v %v %v, want Home without one", got[0].Heading, got[1].Heading, got[2].Heading)
	}
	if !got[1].Current || got[2].Current || got[1].ID != "nav-users" || len(got[1].Items) != 2 {
		t.Errorf("users section %+v", got[1])
	}
	if len(sectionIDs) != len(sectionSlugs) {
		t.Errorf("%d section titles for %d slugs", len(sectionIDs), len(sectionSlugs))
	}
}
