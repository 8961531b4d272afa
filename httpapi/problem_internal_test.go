package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/i18n"
)

// TestAppendProblemLikeEncoder: the problem WriteError writes by hand is, byte for
// byte, what json.Encoder writes for ProblemIn, in every language and for field names
// and messages that need escaping.
func TestAppendProblemLikeEncoder(t *testing.T) {
	many := atrium.Problems{}
	for i := range 12 { // more fields than appendProblem sorts without allocating
		many.Add(fmt.Sprintf("field_%02d", 12-i), "is required")
	}
	values := atrium.Problems{}
	values.Addf("quantity", "err.licensing.assigned", "{{.Count}} licenses are assigned", "Count", 22)
	values.Addf("name", "err.max_chars", "must be at most {{.Count}} characters", "Count", 64)
	values.Add("contact_email", "must be an email address such as ada@example.com")
	odd := atrium.Problems{}
	odd.Add("<script>&amp;", `says "quoted" \ and <b>bold</b> & more`)
	odd.Add("ctl\x00\x01\b\f\n\r\t\x1f\x7f", "line\u2028para\u2029end")
	odd.Add("bad\xffutf8\xc3", "half \xe2\x82 a rune, é, 😀")
	for name, err := range map[string]error{
		"static":        atrium.FieldError("display_name", "is required"),
		"values":        values.Err(),
		"one with args": atrium.FieldErrorf("quantity", "err.licensing.quantity", "must be between 1 and {{.Max}}", "Max", 1_000_000),
		"many fields":   many.Err(),
		"escaping":      odd.Err(),
		"no fields":     atrium.Errorf(atrium.CodeConflict, "the user is already deleted"),
		"by ID":         &atrium.Error{Code: atrium.CodeConflict, Message: `no organization has the domain "x"`, ID: "err.directory.no_org_domain", Args: []any{"Domain", "x"}},
		"unknown code":  &atrium.Error{Code: "teapot", Message: "short and stout"},
		"internal":      errors.New("connection reset by peer"),
		"wrapped":       fmt.Errorf("handler: %w", atrium.FieldError("q", "must be at most 256 characters")),
	} {
		for _, l := range append([]i18n.Lang{i18n.XA}, i18n.Supported...) {
			p := i18n.For(l)
			var want bytes.Buffer
			prob := ProblemIn(err, p)
			if err := json.NewEncoder(&want).Encode(prob); err != nil {
				t.Fatal(err)
			}
			got := appendProblem(nil, errorOf(err), p, prob.Status)
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("%s in %s:\n got %s\nwant %s", name, l, got, want.Bytes())
			}
		}
	}
}

// TestAppendJSONString: every ASCII byte, runes JSON must or need not escape and
// invalid UTF-8 come out as encoding/json writes them.
func TestAppendJSONString(t *testing.T) {
	var all strings.Builder
	for c := range 0x80 {
		all.WriteByte(byte(c))
	}
	for _, s := range []string{"", all.String(), "Łucja Żółć", "\u2028\u2029\u2027\u202a", "\xff", "a\xc3", "\xe2\x82", "\xed\xa0\x80", "😀\U0010ffff"} {
		checkJSONString(t, s)
	}
}

// FuzzAppendJSONString compares appendJSONString with encoding/json on any text.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `"\<>&`, "\x00\x1f\u2028", "\xff\xfe", "Ä"} {
		f.Add(s)
	}
	f.Fuzz(checkJSONString)
}

func checkJSONString(t *testing.T, s string) {
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
		t.Errorf("%q: got %s, want %s", s, got, want)
	}
}
