package app

import (
	"context"
	"fmt"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/password"
)

// bootstrap creates the operator organization on an empty database, printing generated
// credentials once, and with --demo the demo customer organization.
func (m *Main) bootstrap(ctx context.Context) error {
	done, err := m.Directory.Bootstrapped(ctx)
	if err != nil {
		return err
	}
	if !done {
		pw := m.Config.AdminPassword
		generated := pw == ""
		if generated {
			pw = password.Generate()
		}
		res, err := m.Directory.Bootstrap(ctx, directory.BootstrapInput{
			OrganizationName: m.Config.OperatorName, DomainPrefix: m.Config.OperatorPrefix,
			AdminDisplayName: "Operator Administrator", AdminUsername: m.Config.AdminUsername, AdminPassword: pw,
			ContactEmail: m.Config.AdminEmail, Seats: 1,
			// A generated password was printed to a terminal or a log: it gets the
			// operator in once, to choose their own.
			MustChangePassword: generated,
		})
		if err != nil {
			if atrium.ErrorCode(err) == atrium.CodeConflict {
				return nil // another process bootstrapped first
			}
			return fmt.Errorf("bootstrap: %w", err)
		}
		m.Log.Info("bootstrapped the operator organization", "org", res.Organization.Name, "admin", res.Admin.Username)
		if generated {
			fmt.Fprintf(m.Out, "\nFirst start: operator administrator created.\n  username: %s\n  password: %s\n(This password is shown once and must be changed at the first sign-in.\n If it is lost: atrium admin reset-password --username %s)\n\n",
				res.Admin.Username, pw, res.Admin.Username)
		}
	}
	if m.Config.Demo {
		return m.seedDemo(ctx)
	}
	return nil
}
