package store

import "time"

// Timestamps are stored as integer microseconds since the Unix epoch in both dialects:
// one representation, one query, exact ordering, and no driver-specific time parsing.

// Micros converts t to stored form.
func Micros(t time.Time) int64 { return t.UnixMicro() }

// NullMicros converts t to stored form, with the zero time stored as NULL.
func NullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// Time converts stored microseconds back to a UTC time.
func Time(us int64) time.Time { return time.UnixMicro(us).UTC() }

// NullTime converts a nullable stored value back; NULL becomes the zero time.
func NullTime(us *int64) time.Time {
	if us == nil {
		return time.Time{}
	}
	return time.UnixMicro(*us).UTC()
}
