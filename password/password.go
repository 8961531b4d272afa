// Package password hashes and checks passwords with argon2id and enforces the password
// rules. Hashes are PHC strings ($argon2id$v=19$m=…,t=…,p=…$salt$hash), so parameters
// can be raised later without breaking existing hashes.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/atrium-admin/atrium"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// Default follows OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane).
var Default = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// Hash returns the PHC-encoded argon2id hash of pw with a random salt.
func Hash(pw string) (string, error) { return HashWith(Default, pw) }

// HashWith hashes pw with explicit parameters.
func HashWith(p Params, pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify reports whether pw matches the encoded hash. A malformed hash never matches.
func Verify(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against when an account does not exist, so a sign-in for an
// unknown username costs as much as one for a known username.
var dummyHash, _ = Hash("atrium-dummy-password")

// VerifyDummy spends the time of one Verify and returns false.
func VerifyDummy(pw string) bool {
	Verify(dummyHash, pw)
	return false
}

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
		return atrium.FieldError(field, fmt.Sprintf("must be at least %d characters", MinLength))
	}
	if n > MaxLength {
		return atrium.FieldError(field, fmt.Sprintf("must be at most %d characters", MaxLength))
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
