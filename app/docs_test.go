package app_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium/access"
	_ "github.com/atrium-admin/atrium/app" // every module, so every module's actions
)

var update = flag.Bool("update", false, "rewrite docs/permissions.md from access.Markdown()")

// TestPermissionDocsAreCurrent keeps docs/permissions.md equal to the permission table
// as the linked modules declare it; run go test ./app -run PermissionDocs -update to
// rewrite it.
func TestPermissionDocsAreCurrent(t *testing.T) {
	path := filepath.Join("..", "docs", "permissions.md")
	got := access.Markdown()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./app -run PermissionDocs -update)", err)
	}
	if string(want) != got {
		t.Errorf("docs/permissions.md is stale; run go test ./app -run PermissionDocs -update (or atrium docs permissions > docs/permissions.md)")
	}
	// A module's own action lands in the roles it names, and says which module it is.
	a, ok := access.ParseAction("social.manage")
	if !ok || a.Module() != "social" {
		t.Fatalf("social.manage: registered %v, module %q", ok, a.Module())
	}
	for _, r := range access.Roles() {
		want := r == access.GlobalAdmin || r == access.UserAdmin || r == access.LicenseAdmin
		if r.Allows(a) != want {
			t.Errorf("%s allows social.manage = %v, want %v", r, !want, want)
		}
	}
	if !strings.Contains(got, "`social.manage`") {
		t.Error("docs lack social.manage")
	}
}
