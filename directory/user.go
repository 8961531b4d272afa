package directory

import (
	"strconv"
	"strings"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/i18n"
)

// User is a person of an organization.
type User struct {
	ID                 atrium.UserID `json:"id"`
	Org                atrium.OrgID  `json:"org_id"`
	Username           string        `json:"username"`
	DisplayName        string        `json:"display_name"`
	FirstName          string        `json:"first_name"`
	LastName           string        `json:"last_name"`
	ContactEmail       string        `json:"contact_email"`
	JobTitle           string        `json:"job_title"`
	Department         string        `json:"department"`
	UsageLocation      string        `json:"usage_location"`
	Blocked            bool          `json:"blocked"`
	MustChangePassword bool          `json:"must_change_password"`
	// Language is the user's own display language; empty follows the organization's.
	Language       string        `json:"language"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
	LastSignInAt   *time.Time    `json:"last_sign_in_at"`
	LastActivityAt *time.Time    `json:"last_activity_at"`
	DeletedAt      *time.Time    `json:"deleted_at,omitempty"`
	Roles          []access.Role `json:"roles,omitempty"`
	// Guest is set on a guest account: the person's home account is HomeUser of the
	// organization HomeOrg (named HomeOrgName); the guest account has no password and is
	// used by switching to it after signing in at home.
	Guest       bool          `json:"guest"`
	HomeUser    atrium.UserID `json:"home_user_id,omitempty"`
	HomeOrg     atrium.OrgID  `json:"home_org_id,omitempty"`
	HomeOrgName string        `json:"home_org_name,omitempty"`
	// Notices tell what a restore could not give back (licenses without free seats).
	Notices []string `json:"notices,omitempty"`
	Version int64    `json:"-"`
}

// ETag returns the user's entity tag for If-Match.
func (u *User) ETag() string { return `"` + strconv.FormatInt(u.Version, 10) + `"` }

// UserInput is what creating a user takes. Username is local@domain with a domain of the
// organization; a bare local part gets the organization's initial domain.
type UserInput struct {
	Username      string `json:"username"`
	DisplayName   string `json:"display_name"`
	FirstName     string `json:"first_name"`
	LastName      string `json:"last_name"`
	ContactEmail  string `json:"contact_email"`
	JobTitle      string `json:"job_title"`
	Department    string `json:"department"`
	UsageLocation string `json:"usage_location"`
	Password      string `json:"password"`
	// MustChangePassword makes the user choose a new password at first sign-in.
	MustChangePassword *bool `json:"must_change_password"`
}

// UserPatch changes the fields that are not nil.
type UserPatch struct {
	DisplayName   *string `json:"display_name"`
	FirstName     *string `json:"first_name"`
	LastName      *string `json:"last_name"`
	ContactEmail  *string `json:"contact_email"`
	JobTitle      *string `json:"job_title"`
	Department    *string `json:"department"`
	UsageLocation *string `json:"usage_location"`
	Blocked       *bool   `json:"blocked"`
}

func (in *UserInput) normalize() {
	in.Username = strings.TrimSpace(in.Username)
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	in.FirstName = strings.TrimSpace(in.FirstName)
	in.LastName = strings.TrimSpace(in.LastName)
	in.ContactEmail = strings.TrimSpace(in.ContactEmail)
	in.JobTitle = strings.TrimSpace(in.JobTitle)
	in.Department = strings.TrimSpace(in.Department)
	in.UsageLocation = strings.ToUpper(strings.TrimSpace(in.UsageLocation))
}

// checkProfile validates the editable profile fields shared by create and update.
func checkProfile(p atrium.Problems, u *User) {
	checkText(p, "display_name", u.DisplayName, true, 256)
	checkText(p, "first_name", u.FirstName, false, 64)
	checkText(p, "last_name", u.LastName, false, 64)
	checkEmail(p, "contact_email", u.ContactEmail, false)
	checkText(p, "job_title", u.JobTitle, false, 128)
	checkText(p, "department", u.Department, false, 128)
	checkCountry(p, "usage_location", u.UsageLocation)
}

// searchText is the lower-cased text the user list's substring search runs over.
func searchText(u *User) string {
	return searchKey(u.DisplayName, u.Username, u.ContactEmail)
}

// searchKey is the text a user is found by: display name, username and contact email,
// case and accents folded (i18n.Fold: "Łukasz Müller" is "lukasz muller"), so that a
// search ignores both in every language, the same on both databases.
func searchKey(displayName, username, email string) string {
	return i18n.Fold(displayName + "\n" + username + "\n" + email)
}

// SearchFragment folds a search as the search text is folded.
func SearchFragment(q string) string { return i18n.Fold(strings.TrimSpace(q)) }
