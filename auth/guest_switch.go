package auth

import (
	"context"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/store"
)

// Organizations returns the organizations the signed-in person may work in: their home
// organization first, then those where they hold an active guest account. An API
// token works in its own organization only, which is all it gets.
func (s *Service) Organizations(ctx context.Context, id *Identity) ([]directory.GuestAccount, error) {
	if id.SessionID == "" {
		org, err := s.dir.Org(ctx, id.Principal.Org)
		if err != nil {
			return nil, err
		}
		return []directory.GuestAccount{{Org: org.ID, OrgName: org.Name, Home: true}}, nil
	}
	return s.dir.Accounts(ctx, id.HomeUser)
}

// SwitchOrganization makes id's session work with the person's account in org ("Work
// with this account"): their home account, or their guest account there. From the next
// request on, the session's principal is that account, in that organization only. It
// returns forbidden for an API token and invalid naming org_id for an organization
// where the person has no usable account (none, blocked, deleted, host suspended).
func (s *Service) SwitchOrganization(ctx context.Context, id *Identity, org atrium.OrgID) (*directory.GuestAccount, error) {
	if id.SessionID == "" {
		return nil, atrium.Errorf(atrium.CodeForbidden, "an API token works in its own organization only")
	}
	accounts, err := s.Organizations(ctx, id)
	if err != nil {
		return nil, err
	}
	var to *directory.GuestAccount
	for i := range accounts {
		if accounts[i].Org == org {
			to = &accounts[i]
		}
	}
	if to == nil {
		return nil, atrium.FieldError("org_id", "you have no account you can work with in this organization")
	}
	var acting any
	if !to.Home {
		acting = string(to.User)
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET acting_user_id = $1 WHERE id = $2`, acting, id.SessionID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: to.Org, Action: "session.switch", TargetType: "user",
			TargetID: string(to.User), TargetName: to.OrgName, After: map[string]any{"guest": !to.Home}})
	})
	if err != nil {
		return nil, err
	}
	return to, nil
}

// AcceptInvitation accepts a guest invitation for the signed-in person's home account.
// It returns forbidden for an API token; otherwise what directory.AcceptInvitation
// returns.
func (s *Service) AcceptInvitation(ctx context.Context, id *Identity, token string) (*directory.User, error) {
	if id.SessionID == "" {
		return nil, atrium.Errorf(atrium.CodeForbidden, "an API token cannot accept invitations; sign in")
	}
	return s.dir.AcceptInvitation(ctx, id.HomeOrg, id.HomeUser, token)
}
