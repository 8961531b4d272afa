package directory

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/store"
)

// ETag is the organization's version as an HTTP entity tag.
func (o *Organization) ETag() string { return `"` + strconv.FormatInt(o.Version, 10) + `"` }

// OrgProfilePatch changes the organization profile fields that are not nil.
type OrgProfilePatch struct {
	Name             *string `json:"name"`
	Country          *string `json:"country"`
	Address          *string `json:"address"`
	TechnicalContact *string `json:"technical_contact"`
	Language         *string `json:"language"`
	TaxID            *string `json:"tax_id"`
}

var taxIDRE = regexp.MustCompile(`^[A-Z0-9 .-]{0,32}$`)

// OrgUpdated: the organization's profile changed.
type OrgUpdated struct {
	Org  atrium.OrgID `json:"org_id"`
	Name string       `json:"name"`
	// Changed names the fields that changed.
	Changed []string `json:"changed"`
}

// UpdateOrgProfile changes p's organization's profile (Global admins: org.update). When
// ifVersion is not 0 it must be the current version (If-Match), else precondition_failed.
// Every problem of the input is reported at once, per field; nothing is written then.
func (s *Service) UpdateOrgProfile(ctx context.Context, p *access.Principal, patch OrgProfilePatch, ifVersion int64) (*Organization, error) {
	if err := access.Require(p, access.OrgUpdate, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	trim := func(v *string, upper bool) {
		if v != nil {
			*v = strings.TrimSpace(*v)
			if upper {
				*v = strings.ToUpper(*v)
			}
		}
	}
	trim(patch.Name, false)
	trim(patch.Country, true)
	trim(patch.TechnicalContact, false)
	trim(patch.Language, false)
	trim(patch.TaxID, true)
	if patch.Address != nil {
		*patch.Address = strings.TrimSpace(strings.ReplaceAll(*patch.Address, "\r\n", "\n"))
	}
	probs := atrium.Problems{}
	if patch.Name != nil {
		checkText(probs, "name", *patch.Name, true, 128)
	}
	if patch.Country != nil {
		if *patch.Country == "" {
			probs.Add("country", "is required: new users get it as their usage location")
		}
		checkCountry(probs, "country", *patch.Country)
	}
	if patch.Address != nil {
		// An address has lines; only they may break it.
		for _, line := range strings.Split(*patch.Address, "\n") {
			checkText(probs, "address", line, false, 200)
		}
		if len(strings.Split(*patch.Address, "\n")) > 8 {
			probs.Add("address", "must be at most 8 lines")
		}
	}
	if patch.TechnicalContact != nil {
		checkEmail(probs, "technical_contact", *patch.TechnicalContact, false)
	}
	if patch.Language != nil {
		checkLanguage(probs, "language", *patch.Language)
	}
	if patch.TaxID != nil && !taxIDRE.MatchString(*patch.TaxID) {
		probs.Add("tax_id", "must be up to 32 letters, digits, spaces, dots and dashes, such as SE556677889901")
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	var out *Organization
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		org, err := getOrg(ctx, tx, p.Org)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != org.Version {
			return atrium.Errorf(atrium.CodePreconditionFailed, "the organization was changed by someone else; reload it and try again")
		}
		before, after := map[string]any{}, map[string]any{}
		var changed []string
		set := func(field string, dst *string, v *string) {
			if v != nil && *v != *dst {
				before[field], after[field] = *dst, *v
				changed = append(changed, field)
				*dst = *v
			}
		}
		set("name", &org.Name, patch.Name)
		set("country", &org.Country, patch.Country)
		set("address", &org.Address, patch.Address)
		set("technical_contact", &org.TechnicalContact, patch.TechnicalContact)
		set("language", &org.Language, patch.Language)
		set("tax_id", &org.TaxID, patch.TaxID)
		if len(changed) == 0 {
			out = org
			return nil
		}
		now := tx.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE organizations SET name = $1, name_key = $2, country = $3, address = $4, technical_contact = $5,
			language = $6, tax_id = $7, updated_at = $8, version = version + 1 WHERE id = $9`, org.Name, strings.ToLower(org.Name), org.Country, org.Address,
			org.TechnicalContact, org.Language, org.TaxID, store.Micros(now), string(org.ID)); err != nil {
			return err
		}
		if patch.Language != nil && before["language"] != nil {
			// The user list's order follows the organization's language (sort_key.go).
			if err := resortUsers(ctx, tx, tx.Dialect, org.ID); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: org.ID, Action: "org.update", TargetType: "organization", TargetID: string(org.ID),
			TargetName: org.Name, Before: before, After: after}); err != nil {
			return err
		}
		if _, err := s.publish(ctx, tx, org.ID, string(org.ID), OrgUpdated{Org: org.ID, Name: org.Name, Changed: changed}); err != nil {
			return err
		}
		org.UpdatedAt, org.Version = now, org.Version+1
		out = org
		return nil
	})
	return out, err
}
