package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
)

// This file says in words what the console would otherwise show as codes: what a role
// may do, what an audited action did, and when.

// roleSentences says what role r may do, one sentence per kind of thing it acts on
// ("Can view users, add users and reset passwords."). The sentences are built from the
// descriptions of the actions the role allows, as the modules declare them, so a new
// action or a role defined from data reads right without a change here. Actions are
// grouped by their name without its verb ("user" of "user.create", "instance.org" of
// "instance.org.read"), in registration order.
func roleSentences(r access.Role) []string {
	var topics []string
	descs := map[string][]string{}
	for _, a := range access.Actions() {
		if !r.Allows(a) {
			continue
		}
		name := a.String()
		topic := name
		if i := strings.LastIndexByte(name, '.'); i > 0 {
			topic = name[:i]
		}
		if _, ok := descs[topic]; !ok {
			topics = append(topics, topic)
		}
		descs[topic] = append(descs[topic], a.Description())
	}
	if len(topics) == 0 {
		return []string{"Can sign in, but holds no admin rights in Atrium."}
	}
	out := make([]string, len(topics))
	for i, t := range topics {
		out[i] = "Can " + joinWords(descs[t]) + "."
	}
	return out
}

// joinWords joins phrases as a sentence lists them: "a", "a and b", "a, b, and c". A
// serial comma keeps phrases that contain "and" themselves apart.
func joinWords(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	case 2:
		if strings.Contains(items[0], " and ") || strings.Contains(items[1], " and ") {
			return items[0] + ", and " + items[1]
		}
		return items[0] + " and " + items[1]
	}
	return strings.Join(items[:len(items)-1], ", ") + ", and " + items[len(items)-1]
}

// actionWords says one audited action in words: in general ("added a user", for the
// audit log's Action column) and about its target ("added {target}", for sentences such
// as "Ada Admin added Mia Member"). The named form may name fields of the entry's after
// or before summary ("assigned a {product} license to {target}"); when the entry lacks
// one of them, the general form is used.
type actionWords struct {
	General, Named string
}

// auditActionWords has the words of every action the modules write to the audit log.
// An action missing here shows as its code; TestAuditActionsHaveWords finds the actions
// recorded in the source and fails for one without words.
var auditActionWords = map[string]actionWords{
	// directory: organizations
	"org.create":     {"created an organization", "created the organization {target}"},
	"org.activate":   {"activated an organization", "activated the organization {target}"},
	"org.update":     {"changed an organization's profile", "changed the profile of {target}"},
	"org.suspend":    {"suspended an organization", "suspended the organization {target}"},
	"org.reactivate": {"reactivated an organization", "reactivated the organization {target}"},
	"org.delete":     {"deleted an organization", "deleted the organization {target}"},
	"org.restore":    {"restored an organization", "restored the organization {target}"},
	"org.purge":      {"removed a deleted organization for good", "removed the organization {target} for good"},
	// directory: users
	"user.create":          {"added a user", "added {target}"},
	"user.update":          {"edited a user", "edited {target}"},
	"user.language":        {"changed their display language", "changed the display language of {target}"},
	"user.block":           {"blocked a user's sign-in", "blocked sign-in of {target}"},
	"user.unblock":         {"unblocked a user's sign-in", "unblocked sign-in of {target}"},
	"user.unlock":          {"unlocked a user's sign-in", "unlocked sign-in of {target}"},
	"user.delete":          {"deleted a user", "deleted {target}"},
	"user.restore":         {"restored a user", "restored {target}"},
	"user.purge":           {"removed a deleted user for good", "removed {target} for good"},
	"user.reset_password":  {"reset a user's password", "reset the password of {target}"},
	"user.change_password": {"changed their password", "changed their password"},
	// access
	"role.assign": {"assigned an admin role", "gave {target} the {role} role"},
	"role.remove": {"removed an admin role", "took the {role} role from {target}"},
	"role.define": {"defined a role", "defined the role {target}"},
	"role.delete": {"deleted a role", "deleted the role {target}"},
	// auth
	"session.create": {"signed in", "signed in"},
	"session.end":    {"signed out", "signed out"},
	"session.revoke": {"ended a session", "ended a session of {target}"},
	"token.create":   {"created an API token", "created the API token {target}"},
	"token.revoke":   {"revoked an API token", "revoked the API token {target}"},
	// licensing
	"order.create":                  {"bought a subscription", "bought {target}"},
	"subscription.quantity":         {"changed the seats of a subscription", "changed the seats of {target}"},
	"subscription.cancel":           {"cancelled a subscription", "cancelled {target}"},
	"subscription.expire":           {"ended a subscription", "ended {target}"},
	"subscription.trial_start":      {"started a trial", "started a trial of {target}"},
	"subscription.trial_convert":    {"turned a trial into a paid subscription", "turned the trial of {target} into a paid subscription"},
	"subscription.trial_conversion": {"chose what happens at the end of a trial", "chose what happens at the end of the trial of {target}"},
	"subscription.trial_expire":     {"ended a trial", "ended the trial of {target}"},
	"subscription.partner_set":      {"named a partner of record", "named a partner of record for {target}"},
	"subscription.partner_remove":   {"removed a partner of record", "removed the partner of record of {target}"},
	"partner.read":                  {"looked at a customer's subscription as partner", "looked at {target} as partner"},
	"partner.list":                  {"listed customers' subscriptions as partner", "listed {target} as partner"},
	"license.assign":                {"assigned a license", "assigned a {product} license to {target}"},
	"license.update":                {"changed a license's service plans", "changed the {product} service plans of {target}"},
	"license.remove":                {"removed a license", "removed the {product} license of {target}"},
	"app_data.cleanup":              {"deleted app data of a user who lost a license", "deleted app data of {target}"},
	"product.create":                {"added a product to the catalog", "added {target} to the catalog"},
	"product.update":                {"edited a product of the catalog", "edited {target} in the catalog"},
	"invoice.issue":                 {"issued an invoice", "issued invoice {target}"},
	"invoice.paid":                  {"marked an invoice paid", "marked invoice {target} paid"},
	"invoice.void":                  {"voided an invoice", "voided invoice {target}"},
	// mail
	"mail.resend": {"sent an outgoing message again", "sent the message “{target}” again"},
	"tax.set":     {"set a tax rate", "set the tax rate of {target}"},
	"tax.delete":  {"removed a tax rate", "removed the tax rate of {target}"},
	// social
	"social.setting.put":    {"changed a Social Engagement setting", "changed a Social Engagement setting of {target}"},
	"social.alert.create":   {"created a Social Engagement alert", "created the Social Engagement alert {target}"},
	"social.stream.create":  {"created a Social Engagement stream", "created the Social Engagement stream {target}"},
	"social.topic.create":   {"created a search topic", "created the search topic {target}"},
	"social.topic.reassign": {"reassigned a search topic", "reassigned the search topic {target}"},
}

// actionPhrase says action in general ("added a user"), or returns its code when it has
// no words.
func actionPhrase(action string) string {
	if w, ok := auditActionWords[action]; ok {
		return w.General
	}
	return action
}

// actionAbout says action about its target, named target, with the fields of the
// entry's summaries (after first, then before) filling the named form's other places.
// Without words for action it returns the code and the target's name.
func actionAbout(action, target string, after, before map[string]any) string {
	w, ok := auditActionWords[action]
	if !ok {
		if target == "" {
			return action
		}
		return action + " " + target
	}
	out, ok := fillPhrase(w.Named, target, after, before)
	if !ok {
		return w.General
	}
	return out
}

// fillPhrase replaces the {places} of phrase: {target} with target, any other with the
// field of that name of after or before. It reports false if a place stays empty.
func fillPhrase(phrase, target string, after, before map[string]any) (string, bool) {
	var b strings.Builder
	for {
		i := strings.IndexByte(phrase, '{')
		if i < 0 {
			b.WriteString(phrase)
			return b.String(), true
		}
		j := strings.IndexByte(phrase[i:], '}')
		if j < 0 {
			b.WriteString(phrase)
			return b.String(), true
		}
		b.WriteString(phrase[:i])
		key := phrase[i+1 : i+j]
		var val string
		if key == "target" {
			val = target
		} else if v, ok := after[key]; ok {
			val = summaryValue(key, v)
		} else if v, ok := before[key]; ok {
			val = summaryValue(key, v)
		}
		if val == "" || val == "—" {
			return "", false
		}
		b.WriteString(val)
		phrase = phrase[i+j+1:]
	}
}

// summaryChange is one field of an audit entry's before/after summary, for display.
type summaryChange struct {
	Field, Before, After string
	// Changed reports whether the entry recorded the field on both sides with different
	// values, such as a display name an edit changed; the other fields of an edit only
	// give context.
	Changed bool
}

// summaryChanges lists the fields of an entry's before and after summaries by name,
// values in words ("—" where a side lacks the field), the changed ones first.
func summaryChanges(before, after map[string]any) []summaryChange {
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
		out[i] = summaryChange{Field: strings.ReplaceAll(k, "_", " "), Before: "—", After: "—"}
		if v, ok := before[k]; ok {
			out[i].Before = summaryValue(k, v)
		}
		if v, ok := after[k]; ok {
			out[i].After = summaryValue(k, v)
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

// summaryValue renders one value of a decoded JSON summary: text as it is, numbers
// without a needless fraction, yes/no, lists joined with commas, roles by title.
func summaryValue(key string, v any) string {
	switch v := v.(type) {
	case nil:
		return "—"
	case string:
		if key == "role" {
			if r, ok := access.LookupRole(v); ok {
				return r.Title()
			}
		}
		if v == "" {
			return "—"
		}
		return v
	case bool:
		if v {
			return "yes"
		}
		return "no"
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	case []any:
		if len(v) == 0 {
			return "none"
		}
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = summaryValue(key, e)
		}
		return strings.Join(parts, ", ")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// actorWords names the actor of an audit entry: the display name of a user, the
// recorded name otherwise, Atrium for its own jobs and Someone for a signed-out visitor.
func actorWords(id, name string, names map[string]string) string {
	if n, ok := names[id]; ok && n != "" {
		return n
	}
	switch id {
	case audit.System.ID:
		return "Atrium"
	case "anonymous": // a signed-out visitor, such as someone signing up
		return "Someone"
	}
	return name
}

// ago says how long before now t was, as people say it ("5 minutes ago"); beyond a
// month it gives the date.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return nounCount(int(d/time.Minute), "minute") + " ago"
	case d < 24*time.Hour:
		return nounCount(int(d/time.Hour), "hour") + " ago"
	case d < 48*time.Hour:
		return "yesterday"
	case d < 30*24*time.Hour:
		return nounCount(int(d/(24*time.Hour)), "day") + " ago"
	}
	return "on " + t.UTC().Format("2 January 2006")
}

func nounCount(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
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
// audit log's action filter, which takes a prefix ending in "." for a whole group.
var auditTopics = map[string]string{
	"org.":          "Organizations",
	"user.":         "Users",
	"role.":         "Admin roles",
	"session.":      "Sign-ins and sessions",
	"token.":        "API tokens",
	"order.":        "Orders",
	"subscription.": "Subscriptions and trials",
	"partner.":      "Partner of record access",
	"license.":      "Licenses",
	"app_data.":     "App data",
	"product.":      "Product catalog",
	"invoice.":      "Invoices",
	"tax.":          "Tax rates",
	"mail.":         "Outgoing mail",
	"social.":       "Social Engagement",
}

// auditActionChoices are the groups of audited actions, by prefix, for the audit log's
// action filter.
func auditActionChoices() []actionChoice {
	out := make([]actionChoice, 0, len(auditTopics))
	for prefix, words := range auditTopics {
		out = append(out, actionChoice{Code: prefix, Words: words})
	}
	slices.SortFunc(out, func(a, b actionChoice) int { return strings.Compare(a.Words, b.Words) })
	return out
}

// actionChoice is one suggestion of the audit log's action filter.
type actionChoice struct {
	Code, Words string
}
