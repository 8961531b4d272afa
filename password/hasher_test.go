package password

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
)

func TestHashVerify(t *testing.T) {
	h := NewHasher(TestParams, 1)
	ctx := t.Context()
	encoded, err := h.Hash(ctx, "Correct-Horse-1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(encoded, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q does not name the test parameters", encoded)
	}
	again, err := h.Hash(ctx, "Correct-Horse-1")
	if err != nil {
		t.Fatal(err)
	}
	if again == encoded {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	// A hasher with other parameters still verifies: Verify reads them from the hash.
	other := NewHasher(Params{Memory: 128, Time: 2, Threads: 1}, 1)
	tests := []struct {
		name    string
		encoded string
		pw      string
		want    bool
	}{
		{"right password", encoded, "Correct-Horse-1", true},
		{"wrong password", encoded, "Correct-Horse-2", false},
		{"empty hash", "", "Correct-Horse-1", false},
		{"bcrypt hash", "$2a$10$abcdefghijklmnopqrstuv", "Correct-Horse-1", false},
		{"zero passes", strings.Replace(encoded, "t=1", "t=0", 1), "Correct-Horse-1", false},
		{"other version", strings.Replace(encoded, "v=19", "v=16", 1), "Correct-Horse-1", false},
		{"bad salt", strings.Replace(encoded, "$m=64,t=1,p=1$", "$m=64,t=1,p=1$!", 1), "Correct-Horse-1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := other.Verify(ctx, tt.encoded, tt.pw)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
	if err := h.VerifyDummy(ctx, "whatever"); err != nil {
		t.Fatal(err)
	}
}

func TestNewHasherDefaults(t *testing.T) {
	h := NewHasher(Params{}, 0)
	if h.Params() != Default {
		t.Errorf("params %+v, want Default %+v", h.Params(), Default)
	}
	if h.MaxConcurrent() < 1 {
		t.Errorf("MaxConcurrent = %d, want at least 1", h.MaxConcurrent())
	}
}

// waitingHasher returns a one-slot hasher whose wait for a slot reports on waiting when
// it starts and ends when the test sends on the returned expire channel.
func waitingHasher() (h *Hasher, waiting <-chan struct{}, expire chan<- time.Time) {
	h = NewHasher(TestParams, 1)
	w, e := make(chan struct{}, 1), make(chan time.Time, 1)
	h.newTimer = func(time.Duration) (<-chan time.Time, func() bool) {
		w <- struct{}{}
		return e, func() bool { return true }
	}
	return h, w, e
}

// TestHashWaitsForASlot: with one slot held, a second Hash waits; it fails with
// unavailable when the wait ends or its context does first, and succeeds when the slot
// is released while it waits.
func TestHashWaitsForASlot(t *testing.T) {
	tests := []struct {
		name string
		// free ends the wait of the second Hash, given the first slot's release.
		free    func(release func(), expire chan<- time.Time, cancel context.CancelFunc)
		wantErr atrium.Code
	}{
		{"slot released", func(release func(), _ chan<- time.Time, _ context.CancelFunc) { release() }, ""},
		{"wait expires", func(_ func(), expire chan<- time.Time, _ context.CancelFunc) { expire <- time.Time{} }, atrium.CodeUnavailable},
		{"caller gives up", func(_ func(), _ chan<- time.Time, cancel context.CancelFunc) { cancel() }, atrium.CodeUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, waiting, expire := waitingHasher()
			release, err := h.Acquire(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			type result struct {
				hash string
				err  error
			}
			done := make(chan result, 1)
			go func() {
				hash, err := h.Hash(ctx, "Correct-Horse-1")
				done <- result{hash, err}
			}()
			<-waiting
			tt.free(release, expire, cancel)
			r := <-done
			if got := atrium.ErrorCode(r.err); got != tt.wantErr {
				t.Fatalf("Hash error %v (code %q), want code %q", r.err, got, tt.wantErr)
			}
			if tt.wantErr == "" {
				if ok, err := h.Verify(t.Context(), r.hash, "Correct-Horse-1"); err != nil || !ok {
					t.Fatalf("Verify of the waited-for hash = %v, %v; want true", ok, err)
				}
				return
			}
			if r.err.Error() != "unavailable: too many sign-ins at once; try again shortly" {
				t.Errorf("error %q", r.err)
			}
			// The held slot is still the only one: once it is released, hashing works again.
			release()
			if _, err := h.Hash(t.Context(), "Correct-Horse-1"); err != nil {
				t.Fatalf("Hash after release: %v", err)
			}
		})
	}
}

// TestVerifyAndDummyRespectTheLimit: Verify and VerifyDummy take a slot too.
func TestVerifyAndDummyRespectTheLimit(t *testing.T) {
	h, waiting, expire := waitingHasher()
	encoded, err := h.Hash(t.Context(), "Correct-Horse-1")
	if err != nil {
		t.Fatal(err)
	}
	release, err := h.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	for name, call := range map[string]func() error{
		"Verify": func() error {
			_, err := h.Verify(t.Context(), encoded, "Correct-Horse-1")
			return err
		},
		"VerifyDummy": func() error { return h.VerifyDummy(t.Context(), "Correct-Horse-1") },
	} {
		done := make(chan error, 1)
		go func() { done <- call() }()
		<-waiting
		expire <- time.Time{}
		if err := <-done; atrium.ErrorCode(err) != atrium.CodeUnavailable {
			t.Errorf("%s with every slot held: %v, want unavailable", name, err)
		}
	}
}

// BenchmarkHash hashes with the production parameters; -benchmem shows the 19 MiB each
// computation allocates, which is what the concurrency limit bounds.
func BenchmarkHash(b *testing.B) {
	for _, bm := range []struct {
		name string
		p    Params
	}{{"default", Default}, {"test", TestParams}} {
		b.Run(bm.name, func(b *testing.B) {
			h := NewHasher(bm.p, 0)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Hash(context.Background(), "Correct-Horse-1"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHashParallel hashes from many goroutines at once; the hasher lets only
// MaxConcurrent of them compute, so peak memory stays MaxConcurrent × 19 MiB.
func BenchmarkHashParallel(b *testing.B) {
	h := NewHasher(Default, 0)
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := h.Hash(context.Background(), "Correct-Horse-1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
