package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/collab"
	"github.com/atrium-admin/atrium/groups"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/social"
)

// This file says in words what the console would otherwise show as codes: what a role
// may do, what an audited action did, and when. Every sentence is one message of the
// catalogues (i18n/locales/admin.*.toml), written whole in each language, in the
// language of the printer the functions are given.

// messageOr returns the message id in p's language, or fallback when no catalogue has
// id (Printer.T gives back the ID of a message it does not know).
func messageOr(p *i18n.Printer, id, fallback string, args ...any) string {
	if s := p.T(id, args...); s != id {
		return s
	}
	return fallback
}

// roleWords are the compiled roles that have a description of their own, the message
// roles.<role>.can (a few sentences, one a line), with the actions it describes. Each
// language writes the description as a whole rather than from the actions' phrases. An
// action the role allows that its description does not cover (one a module grants it
// later) gets a sentence of its own; a role whose description covers an action it no
// longer allows, and a role defined from data, are described action by action.
var roleWords = map[string][]access.Action{
	"global_admin": {access.OrgRead, access.OrgUpdate, access.UserRead, access.UserCreate, access.UserUpdate, access.UserDelete,
		access.UserRestore, access.UserBlock, access.UserResetPassword, access.RoleRead, access.RoleAssign, access.RoleDefine,
		access.TokenRead, access.TokenManage, access.AuditRead, access.BillingRead, access.BillingManage, access.LicenseRead,
		access.LicenseAssign, social.Manage},
	"billing_admin": {access.OrgRead, access.UserRead, access.BillingRead, access.BillingManage, access.LicenseRead},
	"user_admin": {access.OrgRead, access.UserRead, access.UserCreate, access.UserUpdate, access.UserDelete, access.UserRestore,
		access.UserBlock, access.UserResetPassword, access.RoleRead, access.LicenseRead, access.LicenseAssign, social.Manage},
	"helpdesk_admin":        {access.OrgRead, access.UserRead, access.UserBlock, access.UserResetPassword},
	"license_admin":         {access.OrgRead, access.UserRead, access.LicenseRead, access.LicenseAssign, social.Manage},
	"service_support_admin": {access.OrgRead},
	"global_reader": {access.OrgRead, access.UserRead, access.RoleRead, access.TokenRead, access.AuditRead, access.BillingRead,
		access.LicenseRead},
	"operator_admin": {access.InstanceOrgRead, access.InstanceOrgManage, access.InstanceOrgDelete, access.InstanceMailRead,
		access.InstanceRoleDefine, access.CatalogManage, access.InvoiceManage, mail.Resend, licensing.TaxManage},
	"support_agent":          {access.InstanceOrgRead, access.InstanceMailRead, mail.Resend},
	"service_health_manager": {access.InstanceOrgRead},
	"groups_admin":           {access.OrgRead, access.UserRead, groups.Create, groups.Read, groups.Manage},
	"group_owner":            {groups.Read, groups.Manage, groups.Contribute},
	"group_member":           {groups.Read, groups.Contribute},
	"group_reader":           {groups.Read, groups.Join},
	"participant":            {collab.ReadEngagement, collab.Download, collab.SubmitFeedback},
	"power_user":             {collab.ReadEngagement, collab.ManageParticipants},
	"engagement_owner": {collab.ReadEngagement, collab.ManageEngagement, collab.ManageParticipants, collab.Download, collab.Publish,
		collab.SubmitFeedback, collab.ManageFeedback},
	"engagement_creator": {collab.ReadProgram, collab.CreateEngagement, collab.ReadEngagement},
	"package_publisher":  {collab.ReadProgram, collab.ReadEngagement, collab.Download, collab.Publish},
	"program_owner": {collab.ReadProgram, collab.ManageProgram, collab.CreateEngagement, collab.ReadEngagement, collab.ManageEngagement,
		collab.ManageParticipants, collab.Download, collab.Publish, collab.SubmitFeedback, collab.ManageFeedback},
}

// roleSentencesIn says what role r may do in p's language, in a few sentences ("Can
// view users, block and unblock sign-in, and reset passwords.").
func roleSentencesIn(p *i18n.Printer, r access.Role) []string {
	var allowed []access.Action
	for _, a := range access.Actions() {
		if r.Allows(a) {
			allowed = append(allowed, a)
		}
	}
	if len(allowed) == 0 {
		return []string{p.T("roles.none")}
	}
	var out []string
	covered := map[access.Action]bool{}
	if key, ok := compiledKey(r); ok {
		if acts, ok := roleWords[key]; ok && allAllowed(r, acts) {
			can := p.T("roles." + key + ".can")
			if i18n.IsPseudo(can) {
				// The pseudo-language brackets the message as a whole: split, its
				// sentences would no longer read as pseudo text.
				out = append(out, can)
			} else {
				for line := range strings.Lines(can) {
					if line = strings.TrimSpace(line); line != "" {
						out = append(out, line)
					}
				}
			}
			for _, a := range acts {
				covered[a] = true
			}
		}
	}
	for _, a := range allowed {
		if !covered[a] {
			out = append(out, actionSentence(p, a))
		}
	}
	return out
}

// actionSentence says in one sentence that a role may do a: the message
// roles.action.<action>, or, for an action no catalogue knows, a sentence around the
// description the module gave it.
func actionSentence(p *i18n.Printer, a access.Action) string {
	return messageOr(p, "roles.action."+a.String(), p.T("roles.action.other", "Description", a.Description()))
}

func allAllowed(r access.Role, acts []access.Action) bool {
	for _, a := range acts {
		if !r.Allows(a) {
			return false
		}
	}
	return true
}

// compiledKey returns the name of r when it is a compiled role (the roles the
// catalogues describe), reporting false for a role defined from data.
func compiledKey(r access.Role) (string, bool) {
	key := r.String()
	if c, ok := access.ParseRole(key); ok && c == r {
		return key, true
	}
	return "", false
}

// roleTitleIn names role r in p's language ("Administrator pomocy technicznej"); a role
// defined from data keeps the name it was given.
func roleTitleIn(p *i18n.Printer, r access.Role) string {
	k := roleTitleKey{p.Lang(), r}
	if title, ok := roleTitles.Load(k); ok {
		return title.(string)
	}
	title := r.Title()
	if key, ok := compiledKey(r); ok {
		title = messageOr(p, "roles."+key+".title", title)
		roleTitles.Store(k, title) // a compiled role's title never changes
	}
	return title
}

// roleTitles caches the titles of compiled roles per language: lists show one per row.
var roleTitles sync.Map // roleTitleKey → string

type roleTitleKey struct {
	lang i18n.Lang
	role access.Role
}

// roleDescriptionIn says what role r is for in p's language ("Everything in the
// organization."); a role defined from data keeps its own description.
func roleDescriptionIn(p *i18n.Printer, r access.Role) string {
	if key, ok := compiledKey(r); ok {
		return messageOr(p, "roles."+key+".description", r.Description())
	}
	return r.Description()
}

// joinWordsIn joins items as p's language lists them in a sentence: "a, b, and c" in
// English (a serial comma keeps items that contain "and" apart), "a, b och c" in
// Swedish, "a, b og c" in Bokmål, "a, b i c" in Polish. The patterns are the messages
// audit.list.*.
func joinWordsIn(p *i18n.Printer, items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	case 2:
		return p.T("audit.list.two", "First", items[0], "Second", items[1])
	}
	head := items[0]
	for _, it := range items[1 : len(items)-1] {
		head = p.T("audit.list.middle", "Head", head, "Next", it)
	}
	return p.T("audit.list.end", "Head", head, "Last", items[len(items)-1])
}

// actionWords says what the sentence of an audited action names besides the actor and
// the target. The words themselves are messages: audit.action.<action> says the action
// in general ("added a user", for the audit log's Action column) and
// audit.action.<action>.about says who did it to what ("{{.Actor}} added {{.Target}}",
// for Home's recent activity).
type actionWords struct {
	// Fields are the fields of the entry's after or before summary the sentence names,
	// each filling the placeholder of its name in title case: "role" fills {{.Role}}.
	Fields []string
	// NoTarget: the sentence names no target ("{{.Actor}} signed in").
	NoTarget bool
}

// auditActionWords lists every action the modules write to the audit log. An action
// missing here shows as its code; TestAuditActionsHaveWords finds the actions recorded
// in the source and fails for one without words here and in the catalogues.
var auditActionWords = map[string]actionWords{
	// directory: organizations
	"org.create":     {},
	"org.activate":   {},
	"org.update":     {},
	"org.suspend":    {},
	"org.reactivate": {},
	"org.delete":     {},
	"org.restore":    {},
	"org.purge":      {},
	// directory: users
	"user.create":          {},
	"user.update":          {},
	"user.language":        {},
	"user.block":           {},
	"user.unblock":         {},
	"user.unlock":          {},
	"user.delete":          {},
	"user.restore":         {},
	"user.purge":           {},
	"user.reset_password":  {},
	"user.change_password": {NoTarget: true},
	// directory: guests
	"guest.invite":            {},
	"guest.revoke_invitation": {},
	"guest.accept":            {},
	"guest.remove":            {},
	// access
	"role.assign": {Fields: []string{"role"}},
	"role.remove": {Fields: []string{"role"}},
	"role.define": {},
	"role.delete": {},
	// auth
	"session.create": {NoTarget: true},
	"session.end":    {NoTarget: true},
	"session.revoke": {},
	"session.switch": {},
	"token.create":   {},
	"token.revoke":   {},
	// events
	"event_subscription.create":        {},
	"event_subscription.update":        {},
	"event_subscription.delete":        {},
	"event_subscription.rotate_secret": {},
	// licensing
	"order.create":                  {},
	"subscription.quantity":         {},
	"subscription.cancel":           {},
	"subscription.expire":           {},
	"subscription.trial_start":      {},
	"subscription.trial_convert":    {},
	"subscription.trial_conversion": {},
	"subscription.trial_expire":     {},
	"subscription.partner_set":      {},
	"subscription.partner_remove":   {},
	"partner.read":                  {},
	"partner.list":                  {},
	"license.assign":                {Fields: []string{"product"}},
	"license.update":                {Fields: []string{"product"}},
	"license.remove":                {Fields: []string{"product"}},
	"app_data.cleanup":              {},
	"product.create":                {},
	"product.update":                {},
	"invoice.issue":                 {},
	"invoice.paid":                  {},
	"invoice.void":                  {},
	// mail
	"mail.resend": {},
	"tax.set":     {},
	"tax.delete":  {},
	// social
	"social.setting.put":    {},
	"social.alert.create":   {},
	"social.stream.create":  {},
	"social.topic.create":   {},
	"social.topic.reassign": {},
	// collab
	"program.create":               {},
	"program.update":               {},
	"program.member_add":           {Fields: []string{"user", "group"}},
	"program.member_remove":        {Fields: []string{"user", "group"}},
	"engagement.create":            {},
	"engagement.update":            {},
	"engagement.join":              {},
	"engagement.access_request":    {},
	"engagement.access_approve":    {Fields: []string{"user"}},
	"engagement.access_deny":       {Fields: []string{"user"}},
	"engagement.member_add":        {Fields: []string{"user", "group"}},
	"engagement.member_remove":     {Fields: []string{"user", "group"}},
	"engagement.members_copy":      {},
	"engagement.member_deactivate": {Fields: []string{"user", "group"}},
	"program.member_deactivate":    {Fields: []string{"user", "group"}},
	"program.settings_update":      {},
	"engagement.feedback_submit":   {Fields: []string{"feedback_title"}},
	"engagement.feedback_update":   {Fields: []string{"feedback_title"}},
	"engagement.feedback_state":    {Fields: []string{"feedback_title"}},
	"engagement.feedback_comment":  {Fields: []string{"feedback_title"}},
	"engagement.package_publish":   {Fields: []string{"package"}},
	"engagement.package_delete":    {Fields: []string{"package"}},
	// servicehealth
	"servicehealth.issue_create":  {},
	"servicehealth.issue_update":  {},
	"servicehealth.issue_post":    {},
	"servicehealth.issue_resolve": {},
	// groups
	"group.create":               {},
	"group.update":               {},
	"group.delete":               {},
	"group.restore":              {},
	"group.purge":                {},
	"group.member.add":           {Fields: []string{"username"}},
	"group.member.remove":        {Fields: []string{"username"}},
	"group.owner.add":            {Fields: []string{"username"}},
	"group.owner.remove":         {Fields: []string{"username"}},
	"group.join":                 {},
	"group.join_request":         {},
	"group.join_request.approve": {},
	"group.join_request.deny":    {},
	"group.follow":               {},
	"group.settings.update":      {NoTarget: true},
	"group.thread.create":        {},
	"group.post.create":          {},
	"group.post.delete":          {},
	"group.thread.lock":          {},
	"group.thread.unlock":        {},
}

// actionPhraseIn says action in general in p's language ("added a user"), or returns
// its code when it has no words.
func actionPhraseIn(p *i18n.Printer, action string) string {
	if _, ok := auditActionWords[action]; !ok {
		return action
	}
	return messageOr(p, "audit.action."+action, action)
}

// actionSentenceIn says in p's language who did action to what: actor and target are
// names, and the fields of the entry's summaries (after first, then before) fill the
// sentence's other places ("Ada Admin gave Mia Member the Helpdesk administrator role").
// When the entry lacks a name the sentence needs, it says the action in general after
// the actor; an action without words shows as its code.
func actionSentenceIn(p *i18n.Printer, action, actor, target string, after, before map[string]any) string {
	w, ok := auditActionWords[action]
	if !ok {
		if target == "" {
			return p.T("audit.sentence", "Actor", actor, "Action", action)
		}
		return p.T("audit.sentence.code", "Actor", actor, "Code", action, "Target", target)
	}
	general := p.T("audit.sentence", "Actor", actor, "Action", actionPhraseIn(p, action))
	args := []any{"Actor", actor}
	if !w.NoTarget {
		if target == "" {
			return general
		}
		args = append(args, "Target", target)
	}
	for _, f := range w.Fields {
		var val string
		if v, ok := after[f]; ok {
			val = summaryValueIn(p, f, v)
		} else if v, ok := before[f]; ok {
			val = summaryValueIn(p, f, v)
		}
		if val == "" || val == "—" {
			return general
		}
		args = append(args, placeholderName(f), val)
	}
	return messageOr(p, "audit.action."+action+".about", general, args...)
}

// placeholderName is the placeholder a summary field fills in a sentence: its words
// title-cased and joined, so "role" fills {{.Role}} and "seats_planned" {{.SeatsPlanned}}.
func placeholderName(field string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(field, "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// summaryChange is one field of an audit entry's before/after summary, for display.
type summaryChange struct {
	Field, Before, After string
	// Changed reports whether the entry recorded the field on both sides with different
	// values, such as a display name an edit changed; the other fields of an edit only
	// give context.
	Changed bool
}

// summaryChangesIn lists the fields of an entry's before and after summaries by name,
// values in words of p's language ("—" where a side lacks the field), the changed ones
// first. A field is named by the message audit.field.<field>, or by its recorded name
// with spaces for underscores.
func summaryChangesIn(p *i18n.Printer, before, after map[string]any) []summaryChange {
	keys := make([]string, 0, len(before)+len(after))
	for k := range before {
		keys = append(keys, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]summaryChange, len(keys))
	for i, k := range keys {
		out[i] = summaryChange{Field: messageOr(p, "audit.field."+k, strings.ReplaceAll(k, "_", " ")), Before: "—", After: "—"}
		if v, ok := before[k]; ok {
			out[i].Before = summaryValueIn(p, k, v)
		}
		if v, ok := after[k]; ok {
			out[i].After = summaryValueIn(p, k, v)
		}
		_, inBefore := before[k]
		_, inAfter := after[k]
		out[i].Changed = inBefore && inAfter && out[i].Before != out[i].After
	}
	slices.SortStableFunc(out, func(a, b summaryChange) int {
		switch {
		case a.Changed == b.Changed:
			return 0
		case a.Changed:
			return -1
		}
		return 1
	})
	return out
}

// summaryValueIn renders one value of a decoded JSON summary in p's language: text as
// it is, times and whole numbers as the language writes them, other numbers without a
// needless fraction, yes/no, lists as the language lists things ("a, b and c"), roles
// by title.
func summaryValueIn(p *i18n.Printer, key string, v any) string {
	switch v := v.(type) {
	case nil:
		return "—"
	case string:
		if key == "role" {
			if r, ok := access.LookupRole(v); ok {
				return roleTitleIn(p, r)
			}
		}
		if key == "visibility" {
			return messageOr(p, "audit.value.visibility."+v, v)
		}
		if v == "" {
			return "—"
		}
		// Times are recorded as JSON writes them (2027-01-01T04:06:59.6763Z).
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return formatTimeIn(p, t)
		}
		return v
	case bool:
		if v {
			return p.T("audit.value.yes")
		}
		return p.T("audit.value.no")
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return p.Number(int64(v))
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	case []any:
		if len(v) == 0 {
			return p.T("audit.value.none")
		}
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = summaryValueIn(p, key, e)
		}
		return joinWordsIn(p, parts)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// targetKindIn names the kind of an audit entry's target in p's language ("user"),
// or gives the recorded type when no catalogue names it.
func targetKindIn(p *i18n.Printer, targetType string) string {
	if targetType == "" {
		return ""
	}
	return messageOr(p, "audit.target."+targetType, targetType)
}

// actorWordsIn names the actor of an audit entry: the display name of a user, the
// recorded name otherwise, Atrium for its own jobs and Someone (in p's language) for a
// signed-out visitor.
func actorWordsIn(p *i18n.Printer, id, name string, names map[string]string) string {
	if n, ok := names[id]; ok && n != "" {
		return n
	}
	switch id {
	case audit.System.ID:
		return "Atrium"
	case "anonymous": // a signed-out visitor, such as someone signing up
		return p.T("audit.actor.someone")
	}
	return name
}

// agoIn says how long before now t was, as people say it in p's language ("5 minutes
// ago", "5 minut temu"); beyond a month it gives the date.
func agoIn(p *i18n.Printer, now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return p.T("audit.ago.now")
	case d < time.Hour:
		return p.T("audit.ago.minutes", "Count", int(d/time.Minute))
	case d < 24*time.Hour:
		return p.T("audit.ago.hours", "Count", int(d/time.Hour))
	case d < 48*time.Hour:
		return p.T("audit.ago.yesterday")
	case d < 30*24*time.Hour:
		return p.T("audit.ago.days", "Count", int(d/(24*time.Hour)))
	}
	return p.T("audit.ago.on", "Date", p.Date(t))
}

// breakable returns s as HTML that may wrap after "@" and after dots, so that a long
// username such as "first.last@department.example.atrium.localhost" breaks between its
// parts rather than anywhere (CSS overflow-wrap still breaks a part longer than a line).
func breakable(s string) template.HTML {
	var b strings.Builder
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '@' || s[i] == '.' {
			b.WriteString(template.HTMLEscapeString(s[start : i+1]))
			if i+1 < len(s) {
				b.WriteString("<wbr>")
			}
			start = i + 1
		}
	}
	b.WriteString(template.HTMLEscapeString(s[start:]))
	return template.HTML(b.String())
}

// auditTopics name the groups of audited actions, by the prefix of their codes, for the
// audit log's action filter, which takes a prefix ending in "." for a whole group. The
// names are message IDs.
var auditTopics = map[string]string{
	"org.":                "nav.operator.organizations",
	"user.":               "nav.section.users",
	"role.":               "audit.topic.role",
	"session.":            "audit.topic.session",
	"token.":              "nav.settings.tokens",
	"order.":              "audit.topic.order",
	"subscription.":       "audit.topic.subscription",
	"partner.":            "audit.topic.partner",
	"license.":            "nav.billing.licenses",
	"app_data.":           "audit.topic.app_data",
	"product.":            "audit.topic.product",
	"invoice.":            "audit.topic.invoice",
	"tax.":                "nav.operator.tax_rates",
	"mail.":               "nav.operator.mail",
	"social.":             "audit.topic.social",
	"group.":              "audit.topic.group",
	"program.":            "audit.topic.program",
	"guest.":              "nav.users.guests",
	"engagement.":         "audit.topic.engagement",
	"event_subscription.": "audit.topic.event_subscription",
	"servicehealth.":      "audit.topic.servicehealth",
}

// auditActionChoicesIn are the groups of audited actions, by prefix, for the audit
// log's action filter, named in p's language and in its alphabetical order.
func auditActionChoicesIn(p *i18n.Printer) []actionChoice {
	out := make([]actionChoice, 0, len(auditTopics))
	for prefix, id := range auditTopics {
		out = append(out, actionChoice{Code: prefix, Words: p.T(id)})
	}
	coll := i18n.Collator(p.Lang())
	slices.SortFunc(out, func(a, b actionChoice) int { return coll.CompareString(a.Words, b.Words) })
	return out
}

// actionChoice is one suggestion of the audit log's action filter.
type actionChoice struct {
	Code, Words string
}
