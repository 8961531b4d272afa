package directory

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/password"
	"github.com/atrium-admin/atrium/store"
)

// OrgState is the lifecycle state of an organization.
type OrgState string

// Organization states.
const (
	OrgProvisioning OrgState = "provisioning"
	OrgActive       OrgState = "active"
	OrgSuspended    OrgState = "suspended"
	// OrgDeleted organizations are restorable until PurgeAt, then purged.
	OrgDeleted OrgState = "deleted"
)

// Organization is a tenant.
type Organization struct {
	ID            atrium.OrgID `json:"id"`
	Name          string       `json:"name"`
	DomainPrefix  string       `json:"domain_prefix"`
	InitialDomain string       `json:"initial_domain"`
	State         OrgState     `json:"state"`
	Operator      bool         `json:"operator"`
	SeatsPlanned  int          `json:"seats_planned"`
	ContactEmail  string       `json:"contact_email"`
	// The profile Global admins edit (UpdateOrgProfile).
	Country          string    `json:"country"`
	Address          string    `json:"address"`
	TechnicalContact string    `json:"technical_contact"`
	Language         string    `json:"language"`
	TaxID            string    `json:"tax_id"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	// DeletedAt and PurgeAt are set on a deleted organization.
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
	PurgeAt   *time.Time `json:"purge_at,omitempty"`
	Version   int64      `json:"-"`
}

// SignupInput is what the public sign-up form and API take.
type SignupInput struct {
	OrganizationName string `json:"organization_name"`
	DomainPrefix     string `json:"domain_prefix"`
	AdminDisplayName string `json:"admin_display_name"`
	AdminUsername    string `json:"admin_username"` // the local part
	AdminPassword    string `json:"admin_password"`
	ContactEmail     string `json:"contact_email"`
	Seats            int    `json:"seats"`
	// UsageLocation is the administrator's country (two letters); default US. Licenses
	// need one, and the trial assigns the administrator a license.
	UsageLocation string `json:"usage_location,omitempty"`
	// Addons are SKUs of add-ons to try along with the trial of the default product.
	Addons []string `json:"addons,omitempty"`
	// Language is the organization's default language (en, sv, nb, pl); default en. The
	// console's sign-up sets the language it was shown in.
	Language string `json:"language,omitempty"`
	// MustChangePassword makes the first administrator change the password at the first
	// sign-in (a generated operator password). Not part of the public sign-up.
	MustChangePassword bool `json:"-"`
}

// SignupResult is what a sign-up created.
type SignupResult struct {
	Organization Organization `json:"organization"`
	Admin        User         `json:"admin"`
}

func (in *SignupInput) normalize() {
	in.OrganizationName = strings.TrimSpace(in.OrganizationName)
	in.DomainPrefix = strings.ToLower(strings.TrimSpace(in.DomainPrefix))
	in.AdminDisplayName = strings.TrimSpace(in.AdminDisplayName)
	in.AdminUsername = strings.ToLower(strings.TrimSpace(in.AdminUsername))
	in.ContactEmail = strings.TrimSpace(in.ContactEmail)
	in.UsageLocation = strings.ToUpper(strings.TrimSpace(in.UsageLocation))
	if in.UsageLocation == "" {
		in.UsageLocation = "US"
	}
	in.Language = strings.TrimSpace(in.Language)
	if in.Language == "" {
		in.Language = "en"
	}
}

func (in *SignupInput) validate() error {
	p := atrium.Problems{}
	checkText(p, "organization_name", in.OrganizationName, true, 128)
	if in.DomainPrefix == "" {
		p.Add("domain_prefix", "is required")
	} else if !domainPrefixRE.MatchString(in.DomainPrefix) {
		p.Add("domain_prefix", "may contain lower-case letters, digits and dashes, up to 40 characters, starting and ending with a letter or digit")
	}
	checkText(p, "admin_display_name", in.AdminDisplayName, true, 256)
	checkLocalPart(p, "admin_username", in.AdminUsername)
	if err := password.Check("admin_password", in.AdminPassword); err != nil {
		p.AddFrom(err)
	}
	checkEmail(p, "contact_email", in.ContactEmail, true)
	if in.Seats < 1 || in.Seats > 1_000_000 {
		p.Add("seats", "must be between 1 and 1000000")
	}
	checkCountry(p, "usage_location", in.UsageLocation) // normalize defaults it to US
	checkLanguage(p, "language", in.Language)           // and this to en
	if len(in.Addons) > 20 {
		p.Add("addons", "choose at most 20 add-ons")
	}
	return p.Err()
}

// Signup creates an organization in state provisioning with its initial domain and first
// Global administrator, all in one transaction with its audit entry and the provisioning
// job. It returns invalid for bad input and conflict when the name or prefix is taken.
func (s *Service) Signup(ctx context.Context, in SignupInput) (*SignupResult, error) {
	in.normalize()
	if err := in.validate(); err != nil {
		return nil, err
	}
	hash, err := s.Passwords().Hash(ctx, in.AdminPassword)
	if err != nil {
		return nil, err
	}
	var res *SignupResult
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		org, admin, err := s.createOrg(ctx, tx, in, hash, false)
		if err != nil {
			return err
		}
		if _, err := s.publish(ctx, tx, org.ID, string(org.ID), OrgCreated{Org: org.ID, Name: org.Name, Seats: org.SeatsPlanned, Addons: in.Addons}); err != nil {
			return err
		}
		if err := s.queue.Enqueue(ctx, tx, JobProvisionOrg, provisionPayload{Org: org.ID, Addons: in.Addons}, time.Time{}); err != nil {
			return err
		}
		res = &SignupResult{Organization: *org, Admin: *admin}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// createOrg inserts the organization, its initial domain, the admin user and the admin's
// Global administrator role in tx.
func (s *Service) createOrg(ctx context.Context, tx *store.Tx, in SignupInput, hash string, operator bool) (*Organization, *User, error) {
	now := tx.Now()
	org := &Organization{
		Country:       in.UsageLocation,
		Language:      in.Language,
		ID:            atrium.OrgID(uuid.Must(uuid.NewV7()).String()),
		Name:          in.OrganizationName,
		DomainPrefix:  in.DomainPrefix,
		InitialDomain: in.DomainPrefix + "." + s.cfg.BaseDomain,
		State:         OrgProvisioning,
		Operator:      operator,
		SeatsPlanned:  in.Seats,
		ContactEmail:  in.ContactEmail,
		CreatedAt:     now, UpdatedAt: now, Version: 1,
	}
	if operator {
		org.State = OrgActive
	}
	// The prefix is checked first so the conflict names the field. Names need not be
	// unique (two companies may share one), so a sign-up never tells who else exists
	// by its name.
	var taken int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM organizations WHERE domain_prefix = $1`, org.DomainPrefix).Scan(&taken); err != nil {
		return nil, nil, err
	}
	if taken > 0 {
		return nil, nil, &atrium.Error{Code: atrium.CodeConflict, Message: "this domain prefix is taken",
			Fields: map[string]string{"domain_prefix": "is taken"}}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO organizations (id, name, name_key, domain_prefix, initial_domain, state, operator, seats_planned, contact_email,
			created_at, updated_at, country, language)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)`,
		string(org.ID), org.Name, strings.ToLower(org.Name), org.DomainPrefix, org.InitialDomain, string(org.State), operator, org.SeatsPlanned, org.ContactEmail,
		store.Micros(now), org.Country, org.Language)
	if err != nil {
		if store.IsUniqueViolation(err) {
			return nil, nil, &atrium.Error{Code: atrium.CodeConflict, Message: "an organization with this name or domain prefix already exists", Cause: err,
				Fields: map[string]string{"domain_prefix": "is taken"}}
		}
		return nil, nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO domains (name, org_id, initial, verified, created_at) VALUES ($1, $2, TRUE, TRUE, $3)`,
		org.InitialDomain, string(org.ID), store.Micros(now)); err != nil {
		if store.IsUniqueViolation(err) {
			return nil, nil, &atrium.Error{Code: atrium.CodeConflict, Message: "this domain is taken", Cause: err,
				Fields: map[string]string{"domain_prefix": "is taken"}}
		}
		return nil, nil, err
	}
	admin := &User{
		Org:           org.ID,
		Username:      in.AdminUsername + "@" + org.InitialDomain,
		DisplayName:   in.AdminDisplayName,
		ContactEmail:  in.ContactEmail,
		UsageLocation: in.UsageLocation,
	}
	if err := s.insertUser(ctx, tx, admin, hash, in.MustChangePassword); err != nil {
		return nil, nil, err
	}
	if err := s.publishUser(ctx, tx, admin, UserCreated{UserRef: refOf(admin), DisplayName: admin.DisplayName, UsageLocation: admin.UsageLocation}); err != nil {
		return nil, nil, err
	}
	roles := []access.Role{access.GlobalAdmin}
	if operator {
		roles = append(roles, access.OperatorAdmin)
	}
	for _, r := range roles {
		if _, err := access.Assign(ctx, tx, now, org.ID, admin.ID, r, access.OrgScope(org.ID)); err != nil {
			return nil, nil, err
		}
	}
	admin.Roles = roles
	err = audit.Record(ctx, tx, now, audit.Entry{
		Org: org.ID, Action: "org.create", TargetType: "organization", TargetID: string(org.ID), TargetName: org.Name,
		After: map[string]any{"name": org.Name, "initial_domain": org.InitialDomain, "admin": admin.Username, "seats_planned": org.SeatsPlanned},
	})
	return org, admin, err
}

// BootstrapInput names the operator organization and its first administrator.
type BootstrapInput = SignupInput

// Bootstrapped reports whether an operator organization exists.
func (s *Service) Bootstrapped(ctx context.Context) (bool, error) {
	var n int
	err := s.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM organizations WHERE operator = TRUE`).Scan(&n)
	return n > 0, store.Translate(err)
}

// Bootstrap creates the operator organization, active at once, with its first Global and
// Operator administrator. It returns conflict if an operator organization exists.
func (s *Service) Bootstrap(ctx context.Context, in BootstrapInput) (*SignupResult, error) {
	in.normalize()
	if err := in.validate(); err != nil {
		return nil, err
	}
	hash, err := s.Passwords().Hash(ctx, in.AdminPassword)
	if err != nil {
		return nil, err
	}
	var res *SignupResult
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM organizations WHERE operator = TRUE`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return atrium.Errorf(atrium.CodeConflict, "the operator organization exists already")
		}
		org, admin, err := s.createOrg(ctx, tx, in, hash, true)
		if err != nil {
			return err
		}
		res = &SignupResult{Organization: *org, Admin: *admin}
		return nil
	})
	return res, err
}

type provisionPayload struct {
	Org    atrium.OrgID `json:"org_id"`
	Addons []string     `json:"addons,omitempty"`
}

// provisionOrg moves an organization from provisioning to active and queues the welcome
// mail, once: a rerun finds the organization active and does nothing.
func (s *Service) provisionOrg(ctx context.Context, j *jobs.Job) error {
	var p provisionPayload
	if err := j.Decode(&p); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		res, err := tx.ExecContext(ctx, `UPDATE organizations SET state = 'active', updated_at = $1, version = version + 1 WHERE id = $2 AND state = 'provisioning'`,
			store.Micros(now), string(p.Org))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		org, err := getOrg(ctx, tx, p.Org)
		if err != nil {
			return err
		}
		admins, err := access.Holders(ctx, tx, org.ID, access.GlobalAdmin)
		if err != nil || len(admins) == 0 {
			return fmt.Errorf("directory: provision %s: no administrator: %v", org.ID, err)
		}
		admin, err := getUser(ctx, tx, org.ID, admins[0])
		if err != nil {
			return err
		}
		if _, err := s.publish(ctx, tx, org.ID, string(org.ID), OrgActivated{Org: org.ID, Name: org.Name, Seats: org.SeatsPlanned, Addons: p.Addons,
			Admin: refOf(admin), AdminUsageLocation: admin.UsageLocation}); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: org.ID, Action: "org.activate", TargetType: "organization",
			TargetID: string(org.ID), TargetName: org.Name, Before: map[string]any{"state": OrgProvisioning}, After: map[string]any{"state": OrgActive}}); err != nil {
			return err
		}
		lang := admin.Language
		if lang == "" {
			lang = org.Language
		}
		return s.mailer.Enqueue(ctx, tx, mail.Message{Org: org.ID, To: org.ContactEmail, Template: "welcome", Lang: lang, Data: map[string]string{
			"OrgName": org.Name, "AdminName": admin.DisplayName, "Username": admin.Username, "SignInURL": s.cfg.PublicURL + "/signin",
		}})
	})
}

const orgColumns = `id, name, domain_prefix, initial_domain, state, operator, seats_planned, contact_email, created_at, updated_at, version, deleted_at,
	country, address, technical_contact, language, tax_id`

func scanOrg(row interface{ Scan(...any) error }) (*Organization, error) {
	var o Organization
	var created, updated int64
	var deleted *int64
	if err := row.Scan(&o.ID, &o.Name, &o.DomainPrefix, &o.InitialDomain, &o.State, &o.Operator, &o.SeatsPlanned, &o.ContactEmail, &created, &updated, &o.Version, &deleted,
		&o.Country, &o.Address, &o.TechnicalContact, &o.Language, &o.TaxID); err != nil {
		return nil, err
	}
	o.CreatedAt, o.UpdatedAt = store.Time(created), store.Time(updated)
	if deleted != nil {
		d, purge := store.Time(*deleted), store.Time(*deleted).Add(RestoreWindow)
		o.DeletedAt, o.PurgeAt = &d, &purge
	}
	return &o, nil
}

func getOrg(ctx context.Context, q store.Querier, id atrium.OrgID) (*Organization, error) {
	o, err := scanOrg(q.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organizations WHERE id = $1`, string(id)))
	if err != nil {
		return nil, store.Translate(err)
	}
	return o, nil
}

// Org returns the organization id, with no permission check; sign-in and request
// authentication use it.
func (s *Service) Org(ctx context.Context, id atrium.OrgID) (*Organization, error) {
	return getOrg(ctx, s.db.Read(), id)
}

// GetOrganization returns the caller's view of organization id: its own, or any for
// operator staff. Others get not_found.
func (s *Service) GetOrganization(ctx context.Context, p *access.Principal, id atrium.OrgID) (*Organization, error) {
	if !access.Can(p, access.OrgRead, access.Resource{Org: id}) && !access.Can(p, access.InstanceOrgRead, access.Resource{Org: id}) {
		return nil, atrium.Errorf(atrium.CodeNotFound, "organization not found")
	}
	return getOrg(ctx, s.db.Read(), id)
}

// OrgListQuery selects organizations for operator staff.
type OrgListQuery struct {
	Q      string
	State  OrgState
	Limit  int
	Cursor string
}

// ListOrganizations returns organizations by name for operator staff, keyset-paginated.
func (s *Service) ListOrganizations(ctx context.Context, p *access.Principal, q OrgListQuery) ([]Organization, string, error) {
	if err := access.Require(p, access.InstanceOrgRead, access.Resource{}); err != nil {
		return nil, "", err
	}
	limit := clampLimit(q.Limit)
	args := []any{}
	where := "TRUE"
	if q.Q != "" {
		if len(q.Q) > 256 {
			return nil, "", atrium.FieldError("q", "must be at most 256 characters")
		}
		args = append(args, "%"+store.EscapeLike(strings.ToLower(q.Q))+"%")
		where += fmt.Sprintf(" AND (name_key LIKE $%d ESCAPE '\\' OR domain_prefix LIKE $%d ESCAPE '\\')", len(args), len(args))
	}
	if q.State != "" {
		args = append(args, string(q.State))
		where += fmt.Sprintf(" AND state = $%d", len(args))
	}
	if q.Cursor != "" {
		var name, id string
		if !store.DecodeCursor(q.Cursor, &name, &id) {
			return nil, "", atrium.FieldError("cursor", "is not a cursor this list gave out")
		}
		args = append(args, name, id)
		where += fmt.Sprintf(" AND (name_key, id) > ($%d, $%d)", len(args)-1, len(args))
	}
	args = append(args, limit+1)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+orgColumns+` FROM organizations WHERE `+where+
		fmt.Sprintf(` ORDER BY name_key, id LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, "", store.Translate(err)
	}
	defer rows.Close()
	out := []Organization{}
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, "", store.Translate(err)
		}
		out = append(out, *o)
	}
	if err := rows.Err(); err != nil {
		return nil, "", store.Translate(err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = store.EncodeCursor(strings.ToLower(last.Name), string(last.ID))
	}
	return out, next, nil
}

// SetOrgSuspended suspends or reactivates an organization (operator staff). Members of a
// suspended organization cannot sign in and their sessions stop working. The operator
// organization cannot be suspended.
func (s *Service) SetOrgSuspended(ctx context.Context, p *access.Principal, id atrium.OrgID, suspended bool) (*Organization, error) {
	if err := access.Require(p, access.InstanceOrgManage, access.Resource{Org: id}); err != nil {
		return nil, err
	}
	var out *Organization
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		org, err := getOrg(ctx, tx, id)
		if err != nil {
			return err
		}
		if org.Operator {
			return atrium.Errorf(atrium.CodeInvalid, "the operator organization cannot be suspended")
		}
		from, to := OrgActive, OrgSuspended
		action := "org.suspend"
		if !suspended {
			from, to, action = OrgSuspended, OrgActive, "org.reactivate"
		}
		if org.State != from {
			return &atrium.Error{Code: atrium.CodeConflict, Message: fmt.Sprintf("the organization is %s, not %s", org.State, from),
				ID: "err.directory.org_state", Args: []any{"State", string(org.State), "Want", string(from)}}
		}
		now := tx.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE organizations SET state = $1, updated_at = $2, version = version + 1 WHERE id = $3`,
			string(to), store.Micros(now), string(id)); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: id, Action: action, TargetType: "organization", TargetID: string(id),
			TargetName: org.Name, Before: map[string]any{"state": from}, After: map[string]any{"state": to}}); err != nil {
			return err
		}
		var ev events.Payload = OrgSuspendedEvent{Org: id, Name: org.Name}
		if !suspended {
			ev = OrgReactivatedEvent{Org: id, Name: org.Name}
		}
		if _, err := s.publish(ctx, tx, id, string(id), ev); err != nil {
			return err
		}
		org.State, org.UpdatedAt, org.Version = to, now, org.Version+1
		out = org
		return nil
	})
	return out, err
}

// Domains returns the domain names of org.
func (s *Service) Domains(ctx context.Context, org atrium.OrgID) ([]string, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT name FROM domains WHERE org_id = $1 ORDER BY initial DESC, name`, string(org))
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, store.Translate(err)
		}
		out = append(out, n)
	}
	return out, store.Translate(rows.Err())
}

func clampLimit(n int) int {
	if n <= 0 {
		return 50
	}
	return min(n, 200)
}

// OrgByDomain returns the organization that owns domain (case-insensitively), or
// not_found.
func (s *Service) OrgByDomain(ctx context.Context, domain string) (*Organization, error) {
	var id string
	err := s.db.Read().QueryRowContext(ctx, `SELECT org_id FROM domains WHERE name = $1`, strings.ToLower(strings.TrimSpace(domain))).Scan(&id)
	if err != nil {
		err = store.Translate(err)
		if atrium.ErrorCode(err) == atrium.CodeNotFound {
			return nil, &atrium.Error{Code: atrium.CodeNotFound, Message: fmt.Sprintf("no organization has the domain %q", domain),
				ID: "err.directory.no_org_domain", Args: []any{"Domain", domain}}
		}
		return nil, err
	}
	return getOrg(ctx, s.db.Read(), atrium.OrgID(id))
}

// UserCountsOf returns how many active users each of orgs (at most 500) has, for
// operator staff's organization list: one query for them all.
func (s *Service) UserCountsOf(ctx context.Context, p *access.Principal, orgs []atrium.OrgID) (map[atrium.OrgID]int, error) {
	if err := access.Require(p, access.InstanceOrgRead, access.Resource{}); err != nil {
		return nil, err
	}
	out := map[atrium.OrgID]int{}
	if len(orgs) == 0 {
		return out, nil
	}
	if len(orgs) > 500 {
		return nil, atrium.Errorf(atrium.CodeInvalid, "ask for at most 500 organizations at once")
	}
	args, marks := store.In(nil, orgs)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT org_id, count(*) FROM users WHERE org_id IN (`+marks+`)
		AND deleted_at IS NULL GROUP BY org_id`, args...)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var org string
		var n int
		if err := rows.Scan(&org, &n); err != nil {
			return nil, store.Translate(err)
		}
		out[atrium.OrgID(org)] = n
	}
	return out, store.Translate(rows.Err())
}

// OperatorOrg returns the operator organization: the seller on invoices.
func (s *Service) OperatorOrg(ctx context.Context) (*Organization, error) {
	o, err := scanOrg(s.db.Read().QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organizations WHERE operator = TRUE ORDER BY created_at LIMIT 1`))
	if err != nil {
		return nil, store.Translate(err)
	}
	return o, nil
}
