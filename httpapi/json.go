package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/atrium-admin/atrium"
)

// MaxBodyBytes bounds request bodies.
const MaxBodyBytes = 1 << 20

// decode reads a JSON body into v strictly: one object, known fields only, right types,
// at most MaxBodyBytes. Every failure is an invalid (or too_large) error naming the
// field where it can.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &atrium.Error{Code: atrium.CodeInvalid, Message: "the body must be JSON (Content-Type: application/json)"}
		}
	}
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return decodeError(err)
		}
		return &atrium.Error{Code: atrium.CodeInvalid, Message: "the body must hold a single JSON object"}
	}
	return nil
}

func decodeError(err error) error {
	var maxErr *http.MaxBytesError
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &maxErr):
		return &atrium.Error{Code: atrium.CodeTooLarge, Message: fmt.Sprintf("the body is larger than %d bytes", MaxBodyBytes)}
	case errors.Is(err, io.EOF):
		return &atrium.Error{Code: atrium.CodeInvalid, Message: "the body is empty; send a JSON object"}
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return &atrium.Error{Code: atrium.CodeInvalid, Message: "the body is not valid JSON"}
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return &atrium.Error{Code: atrium.CodeInvalid, Message: "the body must be a JSON object"}
		}
		return &atrium.Error{Code: atrium.CodeInvalid, Message: field + ": must be " + jsonKind(typeErr.Type.Kind().String()),
			Fields: map[string]string{field: "must be " + jsonKind(typeErr.Type.Kind().String())}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &atrium.Error{Code: atrium.CodeInvalid, Message: field + ": is not a known field", Fields: map[string]string{field: "is not a known field"}}
	}
	// Errors from UnmarshalText/UnmarshalJSON of typed fields (roles, times).
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return &atrium.Error{Code: atrium.CodeInvalid, Message: "the body is invalid: " + msg, Cause: err}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64", "int32", "uint", "uint8", "uint16", "uint32", "uint64", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "of another type"
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// List is the envelope of every list response.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}
