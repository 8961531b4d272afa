package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/store"
)

// TestCursorsHoldOnlyText: a forged cursor whose key holds NUL is a bad cursor (400
// naming it), never a database error, on both databases. (Invalid UTF-8 cannot travel in
// a cursor's JSON: it arrives as U+FFFD.)
func TestCursorsHoldOnlyText(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Cursor Co", "cursor")
		op := e.Operator()
		for _, c := range []string{store.EncodeCursor("\x00", "x"), store.EncodeCursor("ok", "x\x00")} {
			o.Admin.Do("GET", "/api/v1/users?cursor="+q(c), nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "cursor")
			op.Do("GET", "/api/v1/organizations?cursor="+q(c), nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "cursor")
			o.Admin.Do("GET", "/api/v1/api-tokens?cursor="+q(c), nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "cursor")
		}
	})
}
