// Package password hashes and checks passwords with argon2id and enforces the password
// rules. Hashing lives in hasher.go; this file holds the rules and the generator.
package password

import (
	"crypto/rand"
	"unicode"
	"unicode/utf8"

	"github.com/atrium-admin/atrium"
)

// MinLength and MaxLength bound a password's length in characters.
const (
	MinLength = 8
	MaxLength = 256
)

// Check returns an invalid error naming field when pw breaks the password rules: 8 to
// 256 characters, with at least three of lower case, upper case, digits and symbols.
func Check(field, pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinLength {
		return atrium.FieldErrorf(field, "err.min_chars", "must be at least {{.Count}} characters", "Count", MinLength)
	}
	if n > MaxLength {
		return atrium.FieldErrorf(field, "err.max_chars", "must be at most {{.Count}} characters", "Count", MaxLength)
	}
	var lower, upper, digit, other bool
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	kinds := 0
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			kinds++
		}
	}
	if kinds < 3 {
		return atrium.FieldError(field, "must contain three of: lower case, upper case, digits, symbols")
	}
	return nil
}

// Generate returns a random 16-character password that passes Check.
func Generate() string {
	const (
		lowers  = "abcdefghijkmnopqrstuvwxyz"
		uppers  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		digits  = "23456789"
		symbols = "!#%+-=?@"
	)
	all := lowers + uppers + digits + symbols
	pick := func(set string) byte {
		var b [1]byte
		for {
			rand.Read(b[:])
			if int(b[0]) < 256-256%len(set) {
				return set[int(b[0])%len(set)]
			}
		}
	}
	out := []byte{pick(lowers), pick(uppers), pick(digits), pick(symbols)}
	for len(out) < 16 {
		out = append(out, pick(all))
	}
	// Shuffle so the guaranteed classes are not always first.
	for i := len(out) - 1; i > 0; i-- {
		var b [1]byte
		rand.Read(b[:])
		j := int(b[0]) % (i + 1)
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}
