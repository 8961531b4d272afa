package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/atrium-admin/atrium/directory"
)

// TestOperatorDeletesAndRestoresAnOrg: the console deletes only a suspended
// organization, only after its name is typed, says until when it can be restored, and
// restores it.
func TestOperatorDeletesAndRestoresAnOrg(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@operator.atrium.localhost", operatorPassword, false)
		del := "/organizations/" + string(f.org) + "/delete"
		wantNotContains(t, b.get("/organizations"), del)
		sus := "/organizations/" + string(f.org) + "/suspend"
		wantStatus(t, b.postForm(sus, sus, nil), http.StatusSeeOther)
		wantContains(t, b.get("/organizations"), del)

		p := b.get(del)
		wantContains(t, p, "Delete Contoso?", "You can restore Contoso for 30 days", `name="confirm"`)
		p = b.postForm(del, del, url.Values{"confirm": {"Contosa"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, "type the organization&#39;s name to confirm", `aria-invalid="true"`)
		if org, _ := f.m.Directory.Org(context.Background(), f.org); org.State != directory.OrgSuspended {
			t.Fatalf("a wrong name deleted the organization: %s", org.State)
		}
		p = b.postForm(del, del, url.Values{"confirm": {"Contoso"}})
		wantStatus(t, p, http.StatusSeeOther)
		org, _ := f.m.Directory.Org(context.Background(), f.org)
		if org.State != directory.OrgDeleted {
			t.Fatalf("state %s, want deleted", org.State)
		}
		list := b.get("/organizations?state=deleted")
		wantContains(t, list, "Contoso", "purged "+org.PurgeAt.UTC().Format("2 Jan 2006"), "/organizations/"+string(f.org)+"/restore")

		re := "/organizations/" + string(f.org) + "/restore"
		wantContains(t, b.get(re), "Restore Contoso?")
		wantStatus(t, b.postForm(re, re, nil), http.StatusSeeOther)
		if org, _ := f.m.Directory.Org(context.Background(), f.org); org.State != directory.OrgSuspended || org.DeletedAt != nil {
			t.Fatalf("restored: %+v", org)
		}
	})
}
