package licensing

import "github.com/atrium-admin/atrium/directory"

// User list filters that only licensing can answer: Active users > Show.
const (
	FilterLicensed   = "licensed"   // users holding at least one product license
	FilterUnlicensed = "unlicensed" // users holding none
)

func init() {
	directory.RegisterUserFilter(FilterLicensed,
		"id IN (SELECT user_id FROM license_assignments WHERE org_id = $1)")
	directory.RegisterUserFilter(FilterUnlicensed,
		"NOT EXISTS (SELECT 1 FROM license_assignments la WHERE la.user_id = users.id)")
}
