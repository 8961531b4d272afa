package httpapi

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
)

// MaxBodyBytes bounds request bodies.
const MaxBodyBytes = 1 << 20

// decode reads a JSON body into v strictly: one object (never null), known fields only,
// right types, every string valid UTF-8 without NUL, at most MaxBodyBytes. Every failure
// is an invalid (or too_large) error naming the field where it can.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeMax(w, r, v, MaxBodyBytes)
}

// decodeMax is decode for a route whose bodies may be larger than MaxBodyBytes (files
// in base64): at most limit bytes.
func decodeMax(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &atrium.Error{Code: atrium.CodeInvalid, Message: "the body must be JSON (Content-Type: application/json)"}
		}
	}
	// The body is read whole (it is bounded) so that an error from a field's own
	// UnmarshalText, which does not say which field it was, can be traced to the field.
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return decodeError(err, nil, nil)
	}
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		// json.Decode takes null as "leave v as it is", which would make null an empty
		// request: a PUT of null would replace a whole set with nothing.
		return &atrium.Error{Code: atrium.CodeInvalid, Message: "the body must be a JSON object, not null"}
	}
	if err := checkJSONText(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, data, v)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return decodeError(err, data, v)
		}
		return &atrium.Error{Code: atrium.CodeInvalid, Message: "the body must hold a single JSON object"}
	}
	return nil
}

// checkJSONText returns an invalid error naming the first string of the JSON document
// data, key or value, that is not valid UTF-8, holds a UTF-16 surrogate escape without
// its other half (such as "\ud800"), or holds a NUL ("\u0000"). encoding/json would
// quietly turn the first two into U+FFFD and pass NUL on to the database, which
// PostgreSQL refuses. A document that is not valid JSON is left to the decoder: nil.
func checkJSONText(data []byte) error {
	type frame struct {
		object  bool
		key     string
		wantKey bool
	}
	var stack []frame
	// path is the dotted keys leading to the current value, the way the decoder's type
	// errors name fields (array positions are not part of it).
	path := func() string {
		var keys []string
		for _, f := range stack {
			if f.object && !f.wantKey {
				keys = append(keys, f.key)
			}
		}
		return strings.Join(keys, ".")
	}
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{', '[':
				stack = append(stack, frame{object: tok == '{', wantKey: tok == '{'})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
			continue
		case string:
			raw := data[start:dec.InputOffset()]
			if i := bytes.IndexByte(raw, '"'); i >= 0 {
				raw = raw[i:]
			}
			isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].wantKey
			if isKey {
				top := &stack[len(stack)-1]
				top.key, top.wantKey = tok, false
			}
			if bad := badJSONString(raw); bad != nil {
				field := path()
				if field == "" {
					return &atrium.Error{Code: atrium.CodeInvalid, Message: bad.body.text, ID: bad.body.id}
				}
				m := bad.value
				if isKey {
					m = bad.key
				}
				return atrium.FieldErrorf(field, m.id, m.text)
			}
			if isKey {
				continue
			}
		}
		valueDone()
	}
}

// message is a catalogue message without placeholders: its ID and its English text.
type message struct{ id, text string }

// textProblem is what is wrong with a JSON string, said of a field's value, of a field
// name and of the whole body.
type textProblem struct{ value, key, body message }

// The ways a JSON string can be wrong.
var (
	textNotUTF8 = &textProblem{
		value: message{"err.httpapi.json_text.utf8", "must be valid UTF-8 text"},
		key:   message{"err.httpapi.json_key.utf8", "is a field name that must be valid UTF-8 text"},
		body:  message{"err.httpapi.json_body.utf8", "the body must be valid UTF-8 text"},
	}
	textBadEscape = &textProblem{
		value: message{"err.httpapi.json_text.escape", "must be valid JSON text"},
		key:   message{"err.httpapi.json_key.escape", "is a field name that must be valid JSON text"},
		body:  message{"err.httpapi.json_body.escape", "the body must be valid JSON text"},
	}
	textNUL = &textProblem{
		value: message{"err.httpapi.json_text.nul", `must not contain NUL characters (\u0000)`},
		key:   message{"err.httpapi.json_key.nul", `is a field name that must not contain NUL characters (\u0000)`},
		body:  message{"err.httpapi.json_body.nul", `the body must not contain NUL characters (\u0000)`},
	}
	textSurrogate = &textProblem{
		value: message{"err.httpapi.json_text.surrogate", "must be valid UTF-8 text: it holds half of a UTF-16 surrogate pair"},
		key:   message{"err.httpapi.json_key.surrogate", "is a field name that must be valid UTF-8 text: it holds half of a UTF-16 surrogate pair"},
		body:  message{"err.httpapi.json_body.surrogate", "the body must be valid UTF-8 text: it holds half of a UTF-16 surrogate pair"},
	}
)

// badJSONString says what is wrong with the text of lit, a JSON string literal with its
// quotes, or returns nil when it is valid text without NUL.
func badJSONString(lit []byte) *textProblem {
	if !utf8.Valid(lit) {
		return textNotUTF8
	}
	for i := 0; i < len(lit); i++ {
		if lit[i] != '\\' || i+1 >= len(lit) {
			continue
		}
		i++
		if lit[i] != 'u' {
			continue
		}
		r, ok := hex4(lit[i+1:])
		if !ok {
			return textBadEscape
		}
		i += 4
		switch {
		case r == 0:
			return textNUL
		case utf16.IsSurrogate(r):
			if r < 0xdc00 && i+2 < len(lit) && lit[i+1] == '\\' && lit[i+2] == 'u' {
				if low, ok := hex4(lit[i+3:]); ok && low >= 0xdc00 && low < 0xe000 {
					i += 6
					continue
				}
			}
			return textSurrogate
		}
	}
	return nil
}

// hex4 reads the four hex digits of a \u escape at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 16)
	return rune(n), err == nil
}

func decodeError(err error, data []byte, v any) error {
	var maxErr *http.MaxBytesError
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &maxErr):
		return &atrium.Error{Code: atrium.CodeTooLarge, Message: fmt.Sprintf("the body is larger than %d bytes", maxErr.Limit),
			ID: "err.httpapi.body_too_large", Args: []any{"Count", maxErr.Limit}}
	case errors.Is(err, io.EOF):
		return &atrium.Error{Code: atrium.CodeInvalid, Message: "the body is empty; send a JSON object"}
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return &atrium.Error{Code: atrium.CodeInvalid, Message: "the body is not valid JSON"}
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return &atrium.Error{Code: atrium.CodeInvalid, Message: "the body must be a JSON object"}
		}
		m := jsonKindOf(typeErr.Type)
		return atrium.FieldErrorf(field, m.id, m.text)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &atrium.Error{Code: atrium.CodeInvalid, Message: field + ": is not a known field", Fields: map[string]string{field: "is not a known field"},
			ID: "err.httpapi.unknown_field_named", Args: []any{"Field", field}}
	}
	// Errors from UnmarshalText/UnmarshalJSON of typed fields (roles, times) do not name
	// the field: find it by decoding each field on its own.
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if field, t, ok := failingField(data, v); ok {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		var e *atrium.Error
		switch t {
		case timeType:
			e = atrium.FieldErrorf(field, mustBeTime.id, mustBeTime.text)
		case roleType:
			e = atrium.FieldError(field, "is not a role; see GET /api/v1/roles")
		default:
			// Some other type's own words would be English: the reader gets the field
			// and a sentence in their language; the log keeps the decoder's words.
			e = atrium.FieldError(field, "is not a valid value for this field")
		}
		e.Cause = err
		return e
	}
	return &atrium.Error{Code: atrium.CodeInvalid, Message: "the body does not match what this route takes", Cause: fmt.Errorf("%s: %w", msg, err)}
}

// failingField returns the JSON name and type of the first field of the struct v points
// to whose value in data does not decode.
func failingField(data []byte, v any) (string, reflect.Type, bool) {
	var raw map[string]json.RawMessage
	if v == nil || json.Unmarshal(data, &raw) != nil {
		return "", nil, false
	}
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return "", nil, false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		value, ok := raw[name]
		if !ok {
			continue
		}
		if json.Unmarshal(value, reflect.New(f.Type).Interface()) != nil {
			return name, f.Type, true
		}
	}
	return "", nil, false
}

var textUnmarshalerType = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()

var roleType = reflect.TypeOf(access.Role(0))

// What a field of each kind of JSON must be.
var (
	mustBeTime   = message{"err.httpapi.json_type.time", "must be a time such as 2026-11-21T10:00:00Z"}
	mustBeString = message{"err.httpapi.json_type.string", "must be a string"}
)

// jsonKindOf says what JSON a Go type expects: the message of a field that holds
// something else.
func jsonKindOf(t reflect.Type) message {
	switch {
	case t == timeType:
		return mustBeTime
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		// Roles and other named types that decode from text are strings in JSON.
		return mustBeString
	}
	switch t.Kind() {
	case reflect.String:
		return mustBeString
	case reflect.Bool:
		return message{"err.httpapi.bool", "must be true or false"}
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float64:
		return message{"err.httpapi.json_type.number", "must be a number"}
	case reflect.Slice, reflect.Array:
		return message{"err.httpapi.json_type.array", "must be an array"}
	case reflect.Struct, reflect.Map:
		return message{"err.httpapi.json_type.object", "must be an object"}
	}
	return message{"err.httpapi.json_type.other", "must be of another type"}
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
