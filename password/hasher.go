package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"time"

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

// TestParams are cheap (64 KiB, 1 pass) for tests, which hash many passwords and need
// no resistance to cracking. Never use them in production.
var TestParams = Params{Memory: 64, Time: 1, Threads: 1}

// MaxWait is how long a caller waits for a free hashing slot before it gets unavailable.
const MaxWait = 2 * time.Second

// errBusy is returned when every slot stays taken for MaxWait or until the caller gives up.
var errBusy = &atrium.Error{Code: atrium.CodeUnavailable, Message: "too many sign-ins at once; try again shortly"}

// Hasher hashes and verifies passwords with argon2id. Each computation holds Params.Memory
// KiB for its duration, so a Hasher runs at most a fixed number at once: the memory of
// sign-ins stays bounded however many arrive, from however many addresses. Hashes are
// PHC strings ($argon2id$v=19$m=…,t=…,p=…$salt$hash), so parameters can be raised later
// without breaking existing hashes. A Hasher is safe for concurrent use.
type Hasher struct {
	params Params
	slots  chan struct{}
	// newTimer starts the wait for a slot; tests replace it to end the wait on cue.
	newTimer func(d time.Duration) (expired <-chan time.Time, stop func() bool)
}

// NewHasher returns a hasher that hashes with p (zero means Default) and runs at most
// maxConcurrent argon2id computations at once (zero or less means runtime.NumCPU()).
func NewHasher(p Params, maxConcurrent int) *Hasher {
	if p == (Params{}) {
		p = Default
	}
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.NumCPU()
	}
	return &Hasher{params: p, slots: make(chan struct{}, maxConcurrent), newTimer: func(d time.Duration) (<-chan time.Time, func() bool) {
		t := time.NewTimer(d)
		return t.C, t.Stop
	}}
}

// Params returns the parameters new hashes get.
func (h *Hasher) Params() Params { return h.params }

// MaxConcurrent returns how many computations may run at once.
func (h *Hasher) MaxConcurrent() int { return cap(h.slots) }

// Acquire takes one computation slot, waiting up to MaxWait or until ctx ends for one to
// free up, and returns the function that gives it back. It returns unavailable when no
// slot frees up in time. Hash, Verify and VerifyDummy call it themselves; call it
// directly only to hold a slot, as tests of the limit do.
func (h *Hasher) Acquire(ctx context.Context) (release func(), err error) {
	release = func() { <-h.slots }
	select {
	case h.slots <- struct{}{}:
		return release, nil
	default:
	}
	expired, stop := h.newTimer(MaxWait)
	defer stop()
	select {
	case h.slots <- struct{}{}:
		return release, nil
	case <-expired:
	case <-ctx.Done():
	}
	return nil, errBusy
}

// Hash returns the PHC-encoded argon2id hash of pw with a random salt. It returns
// unavailable when no slot frees up in time, internal when there is no randomness.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", atrium.Internal(fmt.Errorf("password: salt: %w", err))
	}
	release, err := h.Acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	p := h.params
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify reports whether pw matches the encoded hash, computing with the parameters the
// hash names. A malformed hash never matches. It returns unavailable when no slot frees
// up in time.
func (h *Hasher) Verify(ctx context.Context, encoded, pw string) (bool, error) {
	p, salt, want, ok := parse(encoded)
	if !ok {
		return false, nil
	}
	release, err := h.Acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummySalt salts VerifyDummy's computation; its result is thrown away.
var dummySalt = []byte("atrium-dummy-salt")

// VerifyDummy spends what one Verify of a hash with the hasher's parameters spends, so
// a sign-in for an unknown username costs as much as one for a known username. It
// returns unavailable when no slot frees up in time.
func (h *Hasher) VerifyDummy(ctx context.Context, pw string) error {
	release, err := h.Acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	p := h.params
	argon2.IDKey([]byte(pw), dummySalt, p.Time, p.Memory, p.Threads, 32)
	return nil
}

// parse splits a PHC argon2id hash into its parameters, salt and key.
func parse(encoded string) (p Params, salt, key []byte, ok bool) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || p.Time == 0 || p.Threads == 0 {
		return p, nil, nil, false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, false
	}
	key, err = base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) == 0 {
		return p, nil, nil, false
	}
	return p, salt, key, true
}
