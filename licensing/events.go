package licensing

import (
	"context"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
)

// LicenseAssigned: a user got a product license.
type LicenseAssigned struct {
	User        atrium.UserID `json:"user_id"`
	Org         atrium.OrgID  `json:"org_id"`
	ProductID   string        `json:"product_id"`
	ProductName string        `json:"product_name"`
}

// LicenseRemoved: a user lost a product license. LostApps are the apps the user can no
// longer use at all (no remaining license gives them); each app module subscribes and
// deletes or keeps the user's data in the app, reporting counts with Tx.Count, in the
// same transaction as the removal. The same subscribers answer previews (Bus.Preview).
type LicenseRemoved struct {
	User        atrium.UserID `json:"user_id"`
	Org         atrium.OrgID  `json:"org_id"`
	ProductID   string        `json:"product_id"`
	ProductName string        `json:"product_name"`
	LostApps    []string      `json:"lost_apps"`
}

func (LicenseAssigned) EventType() events.Type { return "license.assigned" }
func (LicenseRemoved) EventType() events.Type  { return "license.removed" }

// subscribe makes licensing follow the directory: sign-up add-ons are validated and the
// trial starts on activation; a deleted user's seats are freed and given back on
// restore; a purged user's held licenses go, and a purged organization's everything.
func (s *Service) subscribe(bus *events.Bus) {
	events.Subscribe(bus, "licensing.validate_signup", s.validateSignup)
	events.Subscribe(bus, "licensing.start_trial", s.startTrial)
	events.Subscribe(bus, "licensing.hold_licenses", s.holdLicenses)
	events.Subscribe(bus, "licensing.restore_licenses", s.restoreLicenses)
	events.Subscribe(bus, "licensing.forget_org", s.forgetOrg)
	events.Subscribe(bus, "licensing.forget_user", func(ctx context.Context, tx *events.Tx, ev directory.UserPurged) error {
		for _, q := range []string{
			`DELETE FROM held_licenses WHERE user_id = $1`,
			`DELETE FROM license_assignments WHERE user_id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, string(ev.ID)); err != nil {
				return err
			}
		}
		return nil
	})
}
