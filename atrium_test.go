package atrium_test

import (
	"errors"
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
