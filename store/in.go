package store

import (
	"strconv"
	"strings"
)

// In appends values to args as query parameters and returns the extended args and the
// placeholders for them, "$3, $4, $5", for a condition such as `id IN (…)`. The caller
// bounds how many values one query takes.
func In[T ~string](args []any, values []T) ([]any, string) {
	var b strings.Builder
	for i, v := range values {
		if i > 0 {
			b.WriteString(", ")
		}
		args = append(args, string(v))
		b.WriteString("$" + strconv.Itoa(len(args)))
	}
	return args, b.String()
}
