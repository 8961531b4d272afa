package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/atrium-admin/atrium"
)

// textRule is what every piece of text a request carries must be before it goes
// further: PostgreSQL refuses invalid UTF-8 and NUL with an error of its own, and
// SQLite would store them, so both are refused at the edge, the same on either database.
const textRule = "must be valid UTF-8 text without NUL characters"

// ValidText reports whether s is valid UTF-8 without NUL characters.
func ValidText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// CheckValues returns an invalid error naming every parameter of vs (a query or a form)
// whose value is not ValidText, or nil. A parameter whose name is not valid text is
// reported without its name.
func CheckValues(vs url.Values) error {
	probs := atrium.Problems{}
	badName := false
	for name, values := range vs {
		if !ValidText(name) {
			badName = true
			continue
		}
		for _, v := range values {
			if !ValidText(v) {
				probs.Add(name, textRule)
				break
			}
		}
	}
	if badName {
		return &atrium.Error{Code: atrium.CodeInvalid, Message: "a parameter name must be valid UTF-8 text without NUL characters"}
	}
	err := probs.Err()
	if len(probs) > 1 {
		names := make([]string, 0, len(probs))
		for name := range probs {
			names = append(names, name)
		}
		sort.Strings(names)
		list := strings.Join(names, ", ")
		e := err.(*atrium.Error)
		e.Message = list + ": " + textRule
		e.ID, e.Args = "err.httpapi.params_text", []any{"Params", list}
	}
	return err
}

// patternParamRE matches the {name} and {name...} wildcards of a ServeMux pattern.
var patternParamRE = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)(?:\.\.\.)?\}`)

// CheckPath returns a not_found error when a wildcard of pattern (a ServeMux pattern
// such as "GET /users/{id}") has a value in r that is not ValidText: no object has such
// an id, so the request is answered without asking the database.
func CheckPath(r *http.Request, pattern string) error {
	for _, m := range patternParamRE.FindAllStringSubmatch(pattern, -1) {
		if !ValidText(r.PathValue(m[1])) {
			return &atrium.Error{Code: atrium.CodeNotFound, Message: fmt.Sprintf("there is nothing at this address: the {%s} in the path %s", m[1], textRule),
				ID: "err.httpapi.path_text", Args: []any{"Param", "{" + m[1] + "}"}}
		}
	}
	return nil
}

// checkParams refuses a request to rt whose path parameters or query parameters are
// not ValidText, before any handler sees them.
func checkParams(rt Route, r *http.Request) error {
	if err := CheckPath(r, rt.Path); err != nil {
		return err
	}
	return CheckValues(r.URL.Query())
}
