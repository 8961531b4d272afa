package web_test

import (
	"net/http"
	"testing"
)

// TestMailShowsSenderAndResends: a message shows its sender and delivery state, says
// that without SMTP mail stays in the outbox, and operators resend it.
func TestMailShowsSenderAndResends(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@operator.atrium.localhost", operatorPassword, false)
		m := mailRE.FindStringSubmatch(b.get("/mail?q=ada@").body)
		if m == nil {
			t.Fatal("no message")
		}
		path := "/mail/" + m[1]
		p := b.get(path)
		wantContains(t, p, "<dt>From</dt>", "no-reply@atrium.localhost", "No SMTP server is configured", `action="`+path+`/resend"`)
		r := b.postForm(path, path+"/resend", nil)
		wantStatus(t, r, http.StatusSeeOther)
		copy := b.get(r.location)
		wantContains(t, copy, "A copy is in the outbox", "Resend of", `href="`+path+`"`)
	})
}
