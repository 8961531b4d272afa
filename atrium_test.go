package atrium_test

import (
	"errors"
	"fmt"
	"maps"
	"testing"

	"github.com/atrium-admin/atrium"
)

// TestNotFoundAsField: only not_found becomes a field error; a database failure stays
// internal, and nil stays nil.
func TestNotFoundAsField(t *testing.T) {
	for name, tc := range map[string]struct {
		in   error
		want atrium.Code
	}{
		"not found":    {atrium.Errorf(atrium.CodeNotFound, "product not found"), atrium.CodeInvalid},
		"database":     {atrium.Internal(errors.New("connection reset")), atrium.CodeInternal},
		"plain error":  {errors.New("driver: bad connection"), atrium.CodeInternal},
		"conflict too": {atrium.Errorf(atrium.CodeConflict, "taken"), atrium.CodeConflict},
		"nil":          {nil, ""},
	} {
		t.Run(name, func(t *testing.T) {
			err := atrium.NotFoundAsField(tc.in, "product_id", "is not a product of the catalog")
			if got := atrium.ErrorCode(err); got != tc.want {
				t.Fatalf("code = %q, want %q", got, tc.want)
			}
			var e *atrium.Error
			if tc.want == atrium.CodeInvalid && (!errors.As(err, &e) || e.Fields["product_id"] == "") {
				t.Errorf("the field error does not name product_id: %v", err)
			}
		})
	}
}

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{"": "", "Ada": "Ada", "=SUM(A1)": "'=SUM(A1)", "+1": "'+1", "-x": "'-x", "@cmd": "'@cmd"} {
		if got := atrium.CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFieldErrorf: the English message is the template with its placeholders filled,
// and the catalogue message and its arguments stay with the field.
func TestFieldErrorf(t *testing.T) {
	for name, tc := range map[string]struct {
		text string
		args []any
		want string
	}{
		"number":      {"must be between 1 and {{.Max}}", []any{"Max", 5000}, "must be between 1 and 5000"},
		"two values":  {`"{{.Plan}}" is not a service plan of {{.Product}}`, []any{"Plan", "crm", "Product", "Sales Hub"}, `"crm" is not a service plan of Sales Hub`},
		"repeated":    {"{{.Count}} of {{.Count}}", []any{"Count", int64(3)}, "3 of 3"},
		"stringer":    {"code {{.Code}}", []any{"Code", atrium.CodeConflict}, "code conflict"},
		"no value":    {"give {{.Max}} users", nil, "give <no value> users"},
		"no template": {"is required", []any{"Max", 1}, "is required"},
		"unclosed":    {"at most {{.Max", []any{"Max", 1}, "at most {{.Max"},
	} {
		t.Run(name, func(t *testing.T) {
			e := atrium.FieldErrorf("quantity", "err.some.id", tc.text, tc.args...)
			if e.Code != atrium.CodeInvalid || e.Fields["quantity"] != tc.want || e.Message != "quantity: "+tc.want {
				t.Errorf("FieldErrorf = %+v, want the message %q", e, tc.want)
			}
			if m := e.FieldMsg("quantity"); m.ID != "err.some.id" || len(m.Args) != len(tc.args) {
				t.Errorf("FieldMsg = %+v", m)
			}
			if m := e.FieldMsg("other"); m.ID != "" {
				t.Errorf("FieldMsg(other) = %+v", m)
			}
		})
	}
}

// TestProblems: Add and Addf keep a field's first message; AddFrom brings another
// error's fields with their catalogue messages; Err names every field, with the
// catalogue messages of those that have one.
func TestProblems(t *testing.T) {
	p := atrium.Problems{}
	if p.Err() != nil {
		t.Fatal("no problems is not an error")
	}
	p.Addf("name", "err.max_chars", "must be at most {{.Count}} characters", "Count", 64)
	p.Add("name", "is required") // the first message stays
	p.AddFrom(fmt.Errorf("checking: %w", atrium.FieldErrorf("password", "err.min_chars", "must be at least {{.Count}} characters", "Count", 8)))
	p.AddFrom(atrium.FieldError("email", "must be an email address such as ada@example.com"))
	p.AddFrom(atrium.FieldError("name", "is taken"))
	p.AddFrom(errors.New("not an *atrium.Error"))
	var e *atrium.Error
	if !errors.As(p.Err(), &e) || e.Code != atrium.CodeInvalid || e.Message != "invalid input" {
		t.Fatalf("Err = %v", p.Err())
	}
	want := map[string]string{"name": "must be at most 64 characters", "password": "must be at least 8 characters", "email": "must be an email address such as ada@example.com"}
	if !maps.Equal(e.Fields, want) {
		t.Errorf("Fields = %v, want %v", e.Fields, want)
	}
	if len(e.FieldMsgs) != 2 || e.FieldMsg("name").ID != "err.max_chars" || e.FieldMsg("password").ID != "err.min_chars" ||
		e.FieldMsg("password").Args[1] != 8 || e.FieldMsg("email").ID != "" {
		t.Errorf("FieldMsgs = %v", e.FieldMsgs)
	}

	one := atrium.Problems{}
	one.Add("username", "is taken")
	if !errors.As(one.Err(), &e) || e.Message != "username: is taken" || e.FieldMsgs != nil {
		t.Errorf("one static problem = %+v", e)
	}
}

// TestOneField: only an error about one field whose message is "field: message" is
// about that field alone.
func TestOneField(t *testing.T) {
	two := atrium.Problems{}
	two.Add("a", "is required")
	two.Add("b", "is required")
	for name, tc := range map[string]struct {
		err   error
		field string
	}{
		"field error":   {atrium.FieldError("q", "must be at most 256 characters"), "q"},
		"with values":   {atrium.FieldErrorf("quantity", "err.licensing.quantity", "must be between 1 and {{.Max}}", "Max", 9), "quantity"},
		"two fields":    {two.Err(), ""},
		"own message":   {&atrium.Error{Code: atrium.CodeConflict, Message: "4 licenses of this product are assigned", Fields: map[string]string{"quantity": "4 licenses are assigned"}}, ""},
		"prefix only":   {&atrium.Error{Code: atrium.CodeInvalid, Message: "q: is required!", Fields: map[string]string{"q": "is required"}}, ""},
		"no separator":  {&atrium.Error{Code: atrium.CodeInvalid, Message: "q::is required", Fields: map[string]string{"q": "is required"}}, ""},
		"no fields":     {atrium.Errorf(atrium.CodeNotFound, "user not found"), ""},
		"empty message": {&atrium.Error{Code: atrium.CodeInvalid, Message: "q: ", Fields: map[string]string{"q": ""}}, "q"},
	} {
		var e *atrium.Error
		errors.As(tc.err, &e)
		got := ""
		if f, ok := e.OneField(); ok {
			got = f
		}
		if got != tc.field {
			t.Errorf("%s: OneField = %q, want %q", name, got, tc.field)
		}
	}
}
