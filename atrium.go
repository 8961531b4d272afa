// Package atrium holds the vocabulary every module shares: the error type with its
// stable codes, identifiers that cross module boundaries, and the injectable clock.
// It imports nothing of the project, so every module may import it.
package atrium

import (
	"errors"
	"fmt"
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
	Cause   error
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

// FieldError returns an invalid-input error naming one field.
func FieldError(field, message string) *Error {
	return &Error{Code: CodeInvalid, Message: field + ": " + message, Fields: map[string]string{field: message}}
}

// FieldMessage returns what err says about field, or "" (also when err wraps no
// *Error): for moving a check's problem onto another field's name.
func FieldMessage(err error, field string) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields[field]
	}
	return ""
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
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Problems collects per-field validation messages and turns them into one error.
type Problems map[string]string

// Add records msg for field unless the field already has a message.
func (p Problems) Add(field, msg string) {
	if _, ok := p[field]; !ok {
		p[field] = msg
	}
}

// Err returns nil when there are no problems, or an invalid error naming every field.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	msg := "invalid input"
	if len(p) == 1 {
		for f, m := range p {
			msg = f + ": " + m
		}
	}
	return &Error{Code: CodeInvalid, Message: msg, Fields: map[string]string(p)}
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
