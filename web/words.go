package web

import (
	"html/template"
	"strings"

	"github.com/atrium-admin/atrium/access"
)

// This file says in words what the console would otherwise show as codes, such as what
// a role may do.

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
