package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/password"
)

// The sign-up wizard has two steps: the organization, then its first administrator.
// Step one's answers travel as hidden fields in step two; nothing is stored until the
// last step, which calls directory.Signup.
var (
	signupOrgFields   = []string{"organization_name", "domain_prefix", "seats"}
	signupAdminFields = []string{"admin_display_name", "admin_username", "admin_password", "contact_email"}
	// signupStepOneFields are the fields whose errors send the person back to step one.
	signupStepOneFields = append(append([]string{}, signupOrgFields...), "usage_location", "language", "addons")
)

// signupPage is the data of the sign-up template.
type signupPage struct {
	Step       int
	BaseDomain string
	// Trial is the default product the seats are a trial of; Addons can be tried with it.
	Trial  *licensing.Product
	Addons []licensing.Product
	// Chosen marks the add-on SKUs picked in step one.
	Chosen map[string]bool
	// Domain is <prefix>.<base domain> once the prefix is known.
	Domain string
	Hidden []hiddenField
	// TrialDays and MinPassword are the trial's length and the shortest password, for
	// the hints.
	TrialDays, MinPassword int
	// Languages are the choices of the organization's language: the one picked, else
	// the language the wizard is shown in.
	Languages []languageChoice
}

type hiddenField struct{ Name, Value string }

func (c *console) signupView(r *http.Request, form url.Values, step int) *view {
	v := c.newView(r, "signup.title")
	v.Form = form
	p := signupPage{Step: step, BaseDomain: c.Directory.BaseDomain(), Chosen: map[string]bool{},
		TrialDays: int(licensing.TrialLength / (24 * time.Hour)), MinPassword: password.MinLength}
	if c.Licensing != nil {
		// Without the offer the wizard still works; the trial just is not described.
		p.Trial, p.Addons, _ = c.Licensing.TrialOffer(r.Context())
	}
	for _, sku := range form["addons"] {
		p.Chosen[sku] = true
	}
	lang, ok := i18n.Parse(form.Get("language"))
	if !ok {
		lang = v.P.Lang()
	}
	p.Languages = languageChoices(lang)
	if prefix := strings.ToLower(strings.TrimSpace(form.Get("domain_prefix"))); prefix != "" {
		p.Domain = prefix + "." + p.BaseDomain
	}
	carry := append(append([]string{}, signupOrgFields...), "usage_location", "language")
	if step == 1 {
		carry = []string{"admin_display_name", "admin_username", "contact_email"}
	}
	for _, f := range carry {
		if val := form.Get(f); val != "" {
			p.Hidden = append(p.Hidden, hiddenField{f, val})
		}
	}
	if step == 2 {
		for _, sku := range form["addons"] {
			p.Hidden = append(p.Hidden, hiddenField{"addons", sku})
		}
	}
	v.Data = p
	return v
}

func (c *console) signUpForm(w http.ResponseWriter, r *http.Request) error {
	c.render(w, r, http.StatusOK, "signup.html", c.signupView(r, url.Values{}, 1))
	return nil
}

// signUp handles both wizard steps.
func (c *console) signUp(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return err
	}
	form := r.PostForm
	seats, seatsErr := strconv.Atoi(strings.TrimSpace(form.Get("seats")))
	if form.Get("back") != "" {
		c.render(w, r, http.StatusOK, "signup.html", c.signupView(r, form, 1))
		return nil
	}
	if form.Get("step") != "2" {
		// Step one only checks that the answers are there; the service judges them at
		// the end and sends the person back here if one is wrong.
		probs := atrium.Problems{}
		for _, f := range signupOrgFields {
			if strings.TrimSpace(form.Get(f)) == "" {
				probs.Add(f, "err.required")
			}
		}
		if seatsErr != nil {
			probs.Add("seats", "signup.error.seats")
		}
		if err := probs.Err(); err != nil {
			v := c.signupView(r, form, 1)
			v.formError(err, signupOrgFields...)
			c.render(w, r, http.StatusBadRequest, "signup.html", v)
			return nil
		}
		form.Set("domain_prefix", strings.ToLower(strings.TrimSpace(form.Get("domain_prefix"))))
		c.render(w, r, http.StatusOK, "signup.html", c.signupView(r, form, 2))
		return nil
	}
	if ok, wait := c.signups.Take(httpapi.ClientIP(r), c.Clock.Now()); !ok {
		err := httpapi.RateLimited(wait, "Too many sign-ups from your address.")
		v := c.signupView(r, form, 2)
		var e *atrium.Error
		if errors.As(err, &e) {
			v.Error = v.errorText(e)
		}
		httpapi.SetRetryAfterOf(w.Header(), err)
		c.render(w, r, http.StatusTooManyRequests, "signup.html", v)
		return nil
	}
	if seatsErr != nil {
		seats = 0
	}
	res, err := c.Directory.Signup(r.Context(), directory.SignupInput{
		OrganizationName: form.Get("organization_name"), DomainPrefix: form.Get("domain_prefix"),
		AdminDisplayName: form.Get("admin_display_name"), AdminUsername: form.Get("admin_username"),
		AdminPassword: form.Get("admin_password"), ContactEmail: form.Get("contact_email"), Seats: seats,
		UsageLocation: form.Get("usage_location"), Addons: form["addons"], Language: form.Get("language"),
	})
	if err != nil {
		step := 2
		var e *atrium.Error
		if errors.As(err, &e) {
			for _, f := range signupStepOneFields {
				if _, bad := e.Fields[f]; bad {
					step = 1
				}
			}
		}
		v := c.signupView(r, form, step)
		fields := signupAdminFields
		if step == 1 {
			fields = signupStepOneFields
		}
		if !v.formError(err, fields...) {
			return err
		}
		c.render(w, r, httpapi.Status(err), "signup.html", v)
		return nil
	}
	// What the page after shows is what this sign-up produced, handed over by a one-time
	// reference: query parameters would let anyone render any name there.
	return c.redirectWith(w, r, "/signup/done", signupDonePage{Org: res.Organization.Name, Username: res.Admin.Username,
		SignInURL: "/signin?" + url.Values{"username": {res.Admin.Username}}.Encode()})
}

// signupDonePage is the data of the sign-up success page.
type signupDonePage struct {
	Org, Username, SignInURL string
}

// signUpDone shows the sign-up's result once; reloaded, or reached otherwise, it says
// only what happens next.
func (c *console) signUpDone(w http.ResponseWriter, r *http.Request) error {
	p, _ := takeHandoff[signupDonePage](c, w, r)
	v := c.newView(r, "signup.done.title")
	v.Data = p
	c.render(w, r, http.StatusOK, "signup_done.html", v)
	return nil
}
