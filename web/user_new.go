package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/licensing"
)

// Adding a user is four steps, as in the admin centers administrators know: the basics,
// product licenses, an admin role (optional), and a review. Each step posts the whole
// form back to /users/new, the earlier steps' answers in hidden fields, so the flow needs
// no JavaScript and no server-side state; nothing is written before the review's "Add
// user". A post without a step (a script, an older page) adds the user at once.

// userFields are the form fields of adding and editing a user.
var userFields = []string{"username", "display_name", "first_name", "last_name", "contact_email", "job_title", "department", "usage_location", "password"}

// The steps of adding a user, in order.
const (
	stepBasics   = "basics"
	stepLicenses = "licenses"
	stepRoles    = "roles"
	stepReview   = "review"
)

var newUserSteps = []string{stepBasics, stepLicenses, stepRoles, stepReview}

// newUserStepTitles are the message IDs of the steps' names in the step list.
var newUserStepTitles = map[string]string{stepBasics: "users.new.step.basics", stepLicenses: "users.new.step.licenses",
	stepRoles: "users.new.step.roles", stepReview: "users.new.step.review"}

// newUserPage is the data of every step.
type newUserPage struct {
	Step   string
	Steps  []wizardStep
	Domain string // the organization's initial domain, for the username hint
	// PasswordKept: the admin typed a password earlier, which is kept unless they type another.
	PasswordKept bool
	// Hidden are the answers of the other steps, carried along.
	Hidden [][2]string
	// Licenses step: the products with seats; CanLicense is false when the admin may not assign.
	Pools      []licensing.LicenseCount
	CanLicense bool
	// Roles step: the roles the admin may give; CanRole is false when none.
	Roles   []access.Role
	CanRole bool
	// Review step.
	Review *newUserReview
}

type wizardStep struct {
	Number  int
	Title   string
	Current bool
	Done    bool
}

// newUserReview is what the review step says will happen.
type newUserReview struct {
	User       *directory.User
	Country    string
	Licenses   []string
	Role       access.Role
	HasRole    bool
	Generated  bool // no password was typed: one is generated and shown once
	MustChange bool
}

func (c *console) userNewForm(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	if err := access.Require(s.P(), access.UserCreate, access.Resource{Org: s.ID.Principal.Org}); err != nil {
		return err
	}
	// New users work where the organization is, unless the admin picks another country.
	form := url.Values{"usage_location": {s.Org.Country}, "must_change_password": {"1"}}
	return c.newUserStep(w, r, stepBasics, form, nil, http.StatusOK)
}

// userNew moves between the steps of adding a user, and adds them from the review.
func (c *console) userNew(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	step := f.Get("step")
	if step == "" {
		return c.userCreate(w, r)
	}
	// A typed password is never shown again: going back to the basics keeps it aside,
	// and an empty password field there means "keep it".
	if kept := f.Get("password_kept"); kept != "" {
		if f.Get("password") == "" {
			f.Set("password", kept)
		}
		f.Del("password_kept")
	}
	i := slices.Index(newUserSteps, step)
	if i < 0 {
		return atrium.FieldError("step", c.t(r, "users.new.error.step"))
	}
	switch f.Get("go") {
	case "back":
		return c.newUserStep(w, r, newUserSteps[max(i-1, 0)], f, nil, http.StatusOK)
	case "create":
		if step != stepReview {
			return atrium.FieldError("go", c.t(r, "users.new.error.create_from_review"))
		}
		return c.userCreate(w, r)
	}
	// Next: check this step's answers before the next step is shown.
	if err := c.checkNewUserStep(r, step, f); err != nil {
		return c.newUserStep(w, r, step, f, err, statusOf(err))
	}
	return c.newUserStep(w, r, newUserSteps[min(i+1, len(newUserSteps)-1)], f, nil, http.StatusOK)
}

// newUserInput reads the basics of the form.
func newUserInput(f url.Values) directory.UserInput {
	mustChange := f.Get("must_change_password") != ""
	return directory.UserInput{
		Username: f.Get("username"), DisplayName: f.Get("display_name"), FirstName: f.Get("first_name"), LastName: f.Get("last_name"),
		ContactEmail: f.Get("contact_email"), JobTitle: f.Get("job_title"), Department: f.Get("department"),
		UsageLocation: f.Get("usage_location"), Password: f.Get("password"), MustChangePassword: &mustChange,
	}
}

// checkNewUserStep validates the answers of one step.
func (c *console) checkNewUserStep(r *http.Request, step string, f url.Values) error {
	s := sessionFrom(r.Context())
	switch step {
	case stepBasics:
		_, err := c.Directory.CheckNewUser(r.Context(), s.P(), newUserInput(f))
		return err
	case stepLicenses:
		_, err := c.chosenLicenses(r, f)
		return err
	case stepRoles:
		_, _, err := c.chosenRole(r, f)
		return err
	}
	return nil
}

// chosenLicenses returns the products ticked on the licenses step, each one the
// organization has a free seat of.
func (c *console) chosenLicenses(r *http.Request, f url.Values) ([]licensing.LicenseCount, error) {
	want := f[productField]
	if len(want) == 0 {
		return nil, nil
	}
	s := sessionFrom(r.Context())
	if err := access.Require(s.P(), access.LicenseAssign, access.Resource{Org: s.P().Org}); err != nil {
		return nil, err
	}
	pools, err := c.Licensing.Licenses(r.Context(), s.P())
	if err != nil {
		return nil, err
	}
	var chosen []licensing.LicenseCount
	for _, id := range want {
		i := slices.IndexFunc(pools, func(p licensing.LicenseCount) bool { return p.ProductID == id })
		if i < 0 {
			return nil, atrium.FieldError(productField, c.t(r, "users.new.error.no_product")+" "+c.t(r, "users.new.error.no_product.fix"))
		}
		if pools[i].Available < 1 {
			return nil, atrium.FieldError(productField, c.t(r, "users.new.error.none_left", "Product", pools[i].ProductName)+" "+c.t(r, "users.new.error.none_left.fix"))
		}
		if !slices.ContainsFunc(chosen, func(p licensing.LicenseCount) bool { return p.ProductID == id }) {
			chosen = append(chosen, pools[i])
		}
	}
	return chosen, nil
}

// chosenRole returns the role picked on the roles step; none is a member.
func (c *console) chosenRole(r *http.Request, f url.Values) (access.Role, bool, error) {
	v := f.Get("role")
	if v == "" {
		return 0, false, nil
	}
	role, ok := access.ParseRole(v)
	if !ok {
		return 0, false, atrium.FieldError("role", c.t(r, "users.new.error.role"))
	}
	return role, true, nil
}

// newUserStep renders step with the answers in f; err, when set, is shown on its fields.
func (c *console) newUserStep(w http.ResponseWriter, r *http.Request, step string, f url.Values, err error, status int) error {
	s := sessionFrom(r.Context())
	v := c.newView(r, "users.new.title")
	v.Form = f
	if err != nil && !v.formError(err, append(slices.Clone(userFields), productField, "role", "confirm_global")...) {
		return err
	}
	page := newUserPage{Step: step, Domain: s.Org.InitialDomain}
	cur := slices.Index(newUserSteps, step)
	for i, st := range newUserSteps {
		page.Steps = append(page.Steps, wizardStep{Number: i + 1, Title: v.T(newUserStepTitles[st]), Current: i == cur, Done: i < cur})
	}
	// Every answer not shown on this step travels in a hidden field.
	shown := map[string][]string{
		stepBasics:   append(slices.Clone(userFields), "must_change_password"),
		stepLicenses: {productField},
		stepRoles:    {"role"},
		stepReview:   {"confirm_global"},
	}[step]
	for _, name := range append(append(slices.Clone(userFields), "must_change_password", productField, "role"), "confirm_global") {
		if slices.Contains(shown, name) {
			continue
		}
		for _, val := range f[name] {
			page.Hidden = append(page.Hidden, [2]string{name, val})
		}
	}
	switch step {
	case stepBasics:
		// Back from a later step keeps the typed password aside; after an error on
		// this step it is typed again, as on every form.
		if pw := f.Get("password"); pw != "" && err == nil {
			page.Hidden = append(page.Hidden, [2]string{"password_kept", pw})
			page.PasswordKept = true
		}
	case stepLicenses:
		page.CanLicense = s.Can(access.LicenseAssign)
		if page.CanLicense {
			pools, err := c.Licensing.Licenses(r.Context(), s.P())
			if err != nil {
				return err
			}
			for _, p := range pools {
				if p.Purchased > 0 {
					page.Pools = append(page.Pools, p)
				}
			}
		}
	case stepRoles:
		page.CanRole = s.Can(access.RoleAssign)
		if page.CanRole {
			for _, role := range access.Roles() {
				if (!role.Operator() || s.Org.Operator) && role.Scope() == access.ScopeOrg {
					page.Roles = append(page.Roles, role)
				}
			}
		}
	case stepReview:
		rev, err := c.newUserReview(r, f)
		if err != nil {
			// An answer went stale between the steps (a seat was taken): back to its step.
			return c.newUserStep(w, r, stepOfError(err), f, err, statusOf(err))
		}
		page.Review = rev
	}
	v.Data = page
	c.render(w, r, status, "user_new.html", v)
	return nil
}

// stepOfError is the step whose field err is about.
func stepOfError(err error) string {
	fields := errorFields(err)
	switch {
	case fields[productField] != "":
		return stepLicenses
	case fields["role"] != "":
		return stepRoles
	}
	return stepBasics
}

// newUserReview checks every answer again and says what adding the user will do.
func (c *console) newUserReview(r *http.Request, f url.Values) (*newUserReview, error) {
	s := sessionFrom(r.Context())
	in := newUserInput(f)
	u, err := c.Directory.CheckNewUser(r.Context(), s.P(), in)
	if err != nil {
		return nil, err
	}
	pools, err := c.chosenLicenses(r, f)
	if err != nil {
		return nil, err
	}
	role, hasRole, err := c.chosenRole(r, f)
	if err != nil {
		return nil, err
	}
	rev := &newUserReview{User: u, Country: directory.CountryNameIn(c.lang(r), u.UsageLocation), Role: role, HasRole: hasRole,
		Generated: in.Password == "", MustChange: *in.MustChangePassword}
	for _, p := range pools {
		rev.Licenses = append(rev.Licenses, p.ProductName)
	}
	return rev, nil
}

// userCreatedPage shows a generated password, once.
type userCreatedPage struct {
	By       atrium.UserID // the administrator who added the user, who alone may see it
	User     *directory.User
	Password string
	// Notices say what of the licenses and role could not be given.
	Notices []string
}

// userCreate adds a user, then gives the licenses and the role the form asks for; a
// generated password is shown on the next page, once.
func (c *console) userCreate(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	f := r.PostForm
	role, hasRole, err := c.chosenRole(r, f)
	if err == nil && hasRole && role == access.GlobalAdmin && f.Get("step") != "" && f.Get("confirm_global") == "" {
		// Everything in the organization, including removing the other admins: asked once more.
		err = atrium.FieldError("confirm_global", c.t(r, "users.new.error.confirm_global"))
	}
	var pools []licensing.LicenseCount
	if err == nil {
		pools, err = c.chosenLicenses(r, f)
	}
	var u *directory.User
	var generated string
	if err == nil {
		u, generated, err = c.Directory.CreateUser(r.Context(), s.P(), newUserInput(f))
	}
	if err != nil {
		step := stepBasics
		if f.Get("step") != "" {
			step = stepReview
			if _, ok := errorFields(err)["confirm_global"]; !ok {
				step = stepOfError(err)
			}
		}
		return c.newUserStep(w, r, step, f, err, statusOf(err))
	}
	// The user exists from here on: what cannot be given is said, not undone.
	var notices []string
	if len(pools) > 0 {
		want := make([]licensing.License, len(pools))
		for i, p := range pools {
			want[i] = licensing.License{ProductID: p.ProductID}
		}
		if _, err := c.Licensing.SetUserLicenses(r.Context(), s.P(), u.ID, want); err != nil {
			p := i18n.For(c.lang(r))
			notices = append(notices, p.T("users.new.notice.licenses", "Problem", errorSentence(p, err))+" "+p.T("users.new.notice.licenses.fix"))
		}
	}
	if hasRole {
		if _, err := c.Directory.AssignRole(r.Context(), s.P(), u.ID, role); err != nil {
			p := i18n.For(c.lang(r))
			notices = append(notices, p.T("users.new.notice.role", "Role", role.Title(), "Problem", errorSentence(p, err)))
		}
	}
	if generated != "" {
		// Redirect after the POST: a reload must not add the user again, and the
		// password is shown once, by a reference only this browser holds.
		return c.redirectWith(w, r, "/users/added", userCreatedPage{User: u, Password: generated, By: s.P().UserID, Notices: notices})
	}
	return c.redirect(w, r, "/users/"+string(u.ID), joinSentences(append([]string{c.t(r, "users.new.added", "Name", u.DisplayName)}, notices...)))
}

// errorFields returns the fields err names, or none.
func errorFields(err error) map[string]string {
	var e *atrium.Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// errorSentence says what went wrong in err as a sentence in p's language, hiding
// internal causes.
func errorSentence(p *i18n.Printer, err error) string {
	var e *atrium.Error
	if !errors.As(err, &e) || e.Code == atrium.CodeInternal {
		return p.T("users.error.internal")
	}
	msg := errorIn(p, e)
	if len(e.Fields) == 1 {
		for f, m := range e.Fields {
			msg = fieldIn(p, e, f, m) // a field's own message reads better than "field: message"
		}
	}
	if msg == "" {
		return p.T("users.error.internal")
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// joinSentences joins sentences into one paragraph.
func joinSentences(s []string) string { return strings.Join(s, " ") }
