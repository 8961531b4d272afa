// Package atrium holds the vocabulary every module shares: the error type with its
// stable codes, identifiers that cross module boundaries, and the injectable clock.
// It imports nothing of the project, so every module may import it.
package atrium

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Code is a stable, machine-readable error code. Clients switch on it; it never changes
// meaning once published.
type Code string

// Error codes. The mapping to HTTP status lives once, in httpapi.
const (
	CodeInvalid            Code = "invalid"
	CodeNotFound           Code = "not_found"
	CodeConflict           Code = "conflict"
	CodeForbidden          Code = "forbidden"
	CodeUnauthenticated    Code = "unauthenticated"
	CodePreconditionFailed Code = "precondition_failed"
	CodeRateLimited        Code = "rate_limited"
	CodeLicenseRequired    Code = "license_required"
	CodeNoSeatsAvailable   Code = "no_seats_available"
	CodePasswordChange     Code = "password_change_required"
	CodeTooLarge           Code = "too_large"
	CodeUnavailable        Code = "unavailable"
	CodeInternal           Code = "internal"
)

// Error is the one error type of Atrium. Message is safe to show to the caller; Fields
// names offending input fields with a message each; Cause is internal and only logged.
type Error struct {
	Code    Code
	Message string
	Fields  map[string]string
	// FieldMsgs names, for each field whose message has values in it, the catalogue
	// message that says it in the other languages; the catalogues find the other
	// fields' messages by their English text. English readers get Fields.
	FieldMsgs map[string]Msg
	Cause     error
	// ID, when set, names the catalogue message that says Message in the other
	// languages, Args (name/value pairs) filling its placeholders: for a message with
	// values in it, which the catalogue cannot find by its English text. English readers
	// get Message.
	ID   string
	Args []any
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Cause }

// Errorf returns an *Error with code and a formatted safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Msg names a catalogue message and the name/value pairs that fill its placeholders
// ("Max", 5000): how a message with values in it is said in the other languages.
type Msg struct {
	ID   string
	Args []any
}

// FieldError returns an invalid-input error naming one field. message is static
// English text, which the catalogues find by it; a message with values in it is
// FieldErrorf's.
func FieldError(field, message string) *Error {
	return &Error{Code: CodeInvalid, Message: field + ": " + message, Fields: map[string]string{field: message}}
}

// FieldErrorf returns an invalid-input error naming one field with a message that has
// values in it: text is the English of catalogue message id, its {{.Name}}
// placeholders filled from args, name/value pairs as i18n.Printer.T takes them:
//
//	FieldErrorf("quantity", "err.licensing.quantity", "must be between 1 and {{.Max}}", "Max", 5000)
//
// says "must be between 1 and 5000" in Fields and keeps id and args in FieldMsgs for
// the other languages.
func FieldErrorf(field, id, text string, args ...any) *Error {
	msg := render(text, args...)
	return &Error{Code: CodeInvalid, Message: field + ": " + msg, Fields: map[string]string{field: msg},
		FieldMsgs: map[string]Msg{field: {ID: id, Args: args}}}
}

// FieldMsg returns the catalogue message of what e says about field, or the zero Msg
// when the message is static text (or e says nothing about field).
func (e *Error) FieldMsg(field string) Msg { return e.FieldMsgs[field] }

// OneField returns the field e is about when it names one field and Message is that
// field's message as FieldError writes it ("field: message"), so that the message can
// be said in another language with the field name kept as it is.
func (e *Error) OneField() (string, bool) {
	if len(e.Fields) != 1 {
		return "", false
	}
	for f, msg := range e.Fields {
		rest, ok := strings.CutPrefix(e.Message, f)
		return f, ok && len(rest) == 2+len(msg) && rest[:2] == ": " && rest[2:] == msg
	}
	return "", false
}

// FieldMessage returns what err says about field, or "" (also when err wraps no
// *Error).
func FieldMessage(err error, field string) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields[field]
	}
	return ""
}

// render fills the {{.Name}} placeholders of text from args, name/value pairs: a
// message's English as the code writes it. Values are shown as fmt would, integers
// without digit grouping; a placeholder without a value renders as "<no value>", as
// in the catalogues. Text without placeholders comes back as it is, without
// allocating.
func render(text string, args ...any) string {
	i := strings.Index(text, "{{.")
	if i < 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text) + 16)
	for i >= 0 {
		j := strings.Index(text[i:], "}}")
		if j < 0 {
			break
		}
		b.WriteString(text[:i])
		writeArg(&b, args, text[i+3:i+j])
		text = text[i+j+2:]
		i = strings.Index(text, "{{.")
	}
	b.WriteString(text)
	return b.String()
}

// writeArg writes the value of the argument called name.
func writeArg(b *strings.Builder, args []any, name string) {
	for k := 0; k+1 < len(args); k += 2 {
		if s, ok := args[k].(string); !ok || s != name {
			continue
		}
		switch v := args[k+1].(type) {
		case string:
			b.WriteString(v)
		case int:
			b.WriteString(strconv.Itoa(v))
		case fmt.Stringer:
			b.WriteString(v.String())
		default:
			fmt.Fprint(b, v)
		}
		return
	}
	b.WriteString("<no value>")
}

// Internal wraps an unexpected error; its cause is logged and never shown.
func Internal(cause error) *Error {
	return &Error{Code: CodeInternal, Message: "internal error", Cause: cause}
}

// ErrorCode returns the code of err: the code of the first *Error in its chain, or
// CodeInternal for any other non-nil error, or "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := err.(*Error); ok {
		return e.Code // most errors, without errors.As's reflection
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Problems collects per-field validation messages and turns them into one error.
type Problems map[string]FieldProblem

// FieldProblem is what is wrong with one field: Text in English and, when it has values
// in it, the catalogue message that says it in the other languages.
type FieldProblem struct {
	Text string
	Msg
}

// Add records msg, static English text, for field unless the field already has a
// message.
func (p Problems) Add(field, msg string) {
	if _, ok := p[field]; !ok {
		p[field] = FieldProblem{Text: msg}
	}
}

// Addf records for field, unless it already has a message, a message with values in
// it: catalogue message id, whose English is text, with args filling its placeholders
// (as FieldErrorf).
func (p Problems) Addf(field, id, text string, args ...any) {
	if _, ok := p[field]; !ok {
		p[field] = FieldProblem{Text: render(text, args...), Msg: Msg{ID: id, Args: args}}
	}
}

// AddFrom records the field messages of err (the first *Error in its chain), with
// their catalogue messages, for the fields that have no message yet: for gathering a
// check's problems with the others. An error without fields adds nothing.
func (p Problems) AddFrom(err error) {
	var e *Error
	if !errors.As(err, &e) {
		return
	}
	for f, msg := range e.Fields {
		if _, ok := p[f]; !ok {
			p[f] = FieldProblem{Text: msg, Msg: e.FieldMsgs[f]}
		}
	}
}

// Err returns nil when there are no problems, or an invalid error naming every field.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	msg := "invalid input"
	fields := make(map[string]string, len(p))
	var msgs map[string]Msg
	for f, fp := range p {
		fields[f] = fp.Text
		if fp.ID != "" {
			if msgs == nil {
				msgs = map[string]Msg{}
			}
			msgs[f] = fp.Msg
		}
		if len(p) == 1 {
			msg = f + ": " + fp.Text
		}
	}
	return &Error{Code: CodeInvalid, Message: msg, Fields: fields, FieldMsgs: msgs}
}

// OrgID identifies an organization (tenant).
type OrgID string

// UserID identifies a user.
type UserID string

// Clock tells the time. Expiry, inactivity and retention rules read it so tests can move it.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// NotFoundAsField turns a not_found err into an invalid-input error naming field with
// msg, and leaves any other error as it is: a database failure stays internal instead
// of reading as bad input. It returns nil for nil.
func NotFoundAsField(err error, field, msg string) error {
	if err == nil {
		return nil
	}
	if ErrorCode(err) == CodeNotFound {
		return FieldError(field, msg)
	}
	return err
}

// CSVCell defuses spreadsheet formula injection in a CSV cell people typed: a value
// starting with = + - or @ gets a leading apostrophe.
func CSVCell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}
