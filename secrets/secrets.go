// Package secrets encrypts at rest what Atrium must be able to read back — sink
// credentials, webhook secrets, OAuth tokens, LDAP bind passwords — under keys kept
// outside the database, so that a database dump alone reveals no secret.
//
// # Key file
//
// A Keyring is loaded from a key file (--secret-key-file, ATRIUM_SECRET_KEY_FILE). The
// file is text, one key per line:
//
//	<key id> <standard base64 of 32 random bytes>
//
// The first key encrypts; every key decrypts. Blank lines and lines starting with '#'
// are ignored. A key id is 1 to 64 letters, digits, '-' or '_'. LoadFile creates the
// file, with one new key and mode 0600, when it is absent.
//
// # Sealed values
//
// Seal encrypts with AES-256-GCM under the first key and a random 12-byte nonce, and
// returns text that names its format and key:
//
//	v1.<key id>.<base64url, unpadded, of nonce | ciphertext | tag>
//
// The additional data (aad) binds a value to where it is stored, by convention
// "<table>.<column>:<row id>" (e.g. "events.subscriptions.secret:sub_123"): a value
// copied into another row, or another column, does not open there.
//
// # Rotation
//
// Rotate puts a new key first in the file (an atomic rename; the old keys stay, so
// values sealed under them keep opening). Modules that store sealed values Register a
// Resealer, which rewrites the module's own values through Reseal; ResealAll runs them
// all, after which no value needs the old keys. `atrium secrets rotate` does both.
package secrets

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/atrium-admin/atrium/store"
)

// KeySize is the length of a key: AES-256.
const KeySize = 32

const (
	version   = "v1"
	nonceSize = 12
	maxIDLen  = 64
)

// Errors Open and Reseal return, wrapped with details; test them with errors.Is.
var (
	// ErrUnknownKey: the value names a key the ring does not hold (a key file that
	// lost a key, or a node that has not got the rotated file yet).
	ErrUnknownKey = errors.New("secrets: the value's key is not in the key file")
	// ErrMalformed: the text is not a sealed value.
	ErrMalformed = errors.New("secrets: not a sealed value")
	// ErrNotOpened: the value does not open under its key with this aad: it was
	// tampered with, or it was sealed for another place.
	ErrNotOpened = errors.New("secrets: the value does not open (tampered with, or sealed for another place)")
)

// Key is one key of a ring.
type Key struct {
	ID     string
	Secret [KeySize]byte
}

// NewKey returns a key with a fresh random id and secret.
func NewKey() Key {
	var k Key
	rand.Read(k.Secret[:])
	var id [4]byte
	rand.Read(id[:])
	k.ID = "k" + hex.EncodeToString(id[:])
	return k
}

// Resealer rewrites every sealed value a module stores: it reads the module's own
// table and, for each value, stores reseal(value, aad) in its place. reseal returns
// the value unchanged when it is already under the first key, so a resealer may skip
// those rows. It returns how many values it rewrote.
type Resealer func(ctx context.Context, db *store.DB, reseal func(sealed, aad string) (string, error)) (int, error)

// Keyring is a set of keys, the first of which seals. It is safe for concurrent use.
type Keyring struct {
	path string // "" for a ring that lives only in memory

	fileMu sync.Mutex // serializes Rotate and Reload

	mu     sync.RWMutex
	keys   []entry // keys[0] seals
	raw    []byte  // the file's content as last read or written
	reseal []named
}

type entry struct {
	id   string
	aead cipher.AEAD
}

type named struct {
	name string
	fn   Resealer
}

// New returns a ring of keys, the first of which seals, kept only in memory (Rotate
// changes the ring, not any file). It returns an error for no keys, a bad id or a
// repeated id.
func New(keys ...Key) (*Keyring, error) {
	kr := &Keyring{}
	if err := kr.set(keys, nil); err != nil {
		return nil, err
	}
	return kr, nil
}

// Ephemeral returns a ring with one new key that lives only in memory: what it seals
// cannot be opened by another process. For tests and tools that keep nothing.
func Ephemeral() *Keyring {
	kr, err := New(NewKey())
	if err != nil {
		panic(err) // a generated key is always valid
	}
	return kr
}

// LoadFile loads the key file at path. When there is none it creates one with a new
// key and mode 0600 (and its directory with 0700), and warns on log that the file must
// be backed up; an existing file readable by group or others is loaded with a warning.
// It returns an error for a file it cannot read or parse.
func LoadFile(path string, log *slog.Logger) (*Keyring, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	kr := &Keyring{path: path}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		data, err = create(path)
		if err == nil {
			log.Warn("secrets: generated a new secret key file; back it up with the database: without it the secrets stored in the database cannot be read",
				"path", absPath(path))
		} else if errors.Is(err, os.ErrExist) {
			// Another node created it first.
			data, err = os.ReadFile(path)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("secrets: key file: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("secrets: the secret key file is readable by group or others; chmod 600 it",
			"path", absPath(path), "mode", fi.Mode().Perm().String())
	}
	keys, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("secrets: key file %s: %w", path, err)
	}
	if err := kr.set(keys, data); err != nil {
		return nil, fmt.Errorf("secrets: key file %s: %w", path, err)
	}
	return kr, nil
}

// create writes a new key file with one key; os.ErrExist if one appeared meanwhile.
func create(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	data := format([]Key{NewKey()})
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return data, f.Close()
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

const header = "# Atrium secret keys: <key id> <base64 of 32 bytes>. The first key encrypts, every key decrypts.\n" +
	"# Back this file up with the database; without it the secrets stored there cannot be read.\n"

func format(keys []Key) []byte {
	var b bytes.Buffer
	b.WriteString(header)
	for _, k := range keys {
		b.WriteString(k.ID)
		b.WriteByte(' ')
		b.WriteString(base64.StdEncoding.EncodeToString(k.Secret[:]))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func parse(data []byte) ([]Key, error) {
	var keys []Key
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: want \"<key id> <base64 key>\"", n+1)
		}
		secret, err := base64.StdEncoding.DecodeString(f[1])
		if err != nil || len(secret) != KeySize {
			return nil, fmt.Errorf("line %d: key %q: want the base64 of %d bytes", n+1, f[0], KeySize)
		}
		k := Key{ID: f[0]}
		copy(k.Secret[:], secret)
		keys = append(keys, k)
	}
	return keys, nil
}

func validID(id string) bool {
	if id == "" || len(id) > maxIDLen {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// build makes the ciphers of keys, checking their ids.
func build(keys []Key) ([]entry, error) {
	if len(keys) == 0 {
		return nil, errors.New("no keys")
	}
	entries := make([]entry, 0, len(keys))
	seen := map[string]bool{}
	for _, k := range keys {
		if !validID(k.ID) {
			return nil, fmt.Errorf("key id %q: want 1 to %d letters, digits, '-' or '_'", k.ID, maxIDLen)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("key id %q appears twice", k.ID)
		}
		seen[k.ID] = true
		block, err := aes.NewCipher(k.Secret[:])
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		entries = append(entries, entry{id: k.ID, aead: aead})
	}
	return entries, nil
}

// set replaces the ring's keys, and the file content they came from.
func (kr *Keyring) set(keys []Key, raw []byte) error {
	entries, err := build(keys)
	if err != nil {
		return err
	}
	kr.mu.Lock()
	kr.keys, kr.raw = entries, raw
	kr.mu.Unlock()
	return nil
}

// Path is the key file the ring was loaded from, "" for a ring only in memory.
func (kr *Keyring) Path() string { return kr.path }

// Active is the id of the key that seals.
func (kr *Keyring) Active() string {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return kr.keys[0].id
}

// IDs are the ids of the ring's keys, the sealing one first.
func (kr *Keyring) IDs() []string {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	ids := make([]string, len(kr.keys))
	for i, e := range kr.keys {
		ids[i] = e.id
	}
	return ids
}

// KeyID returns the id of the key sealed names, or ErrMalformed.
func KeyID(sealed string) (string, error) {
	id, _, err := split(sealed)
	return id, err
}

func split(sealed string) (id, body string, err error) {
	rest, ok := strings.CutPrefix(sealed, version+".")
	if !ok {
		return "", "", ErrMalformed
	}
	id, body, ok = strings.Cut(rest, ".")
	if !ok || !validID(id) || body == "" {
		return "", "", ErrMalformed
	}
	return id, body, nil
}

// Seal encrypts plaintext under the first key for the place aad names and returns the
// sealed text. It fails only if the system's random source does.
func (kr *Keyring) Seal(plaintext []byte, aad string) (string, error) {
	kr.mu.RLock()
	e := kr.keys[0]
	kr.mu.RUnlock()
	return seal(e, plaintext, aad)
}

func seal(e entry, plaintext []byte, aad string) (string, error) {
	n := nonceSize + len(plaintext) + e.aead.Overhead()
	prefix := len(version) + 1 + len(e.id) + 1
	// One buffer: the prefix, then the base64 text, then the binary nonce|ciphertext
	// at its end, encoded forward into the space before it.
	enc := base64.RawURLEncoding.EncodedLen(n)
	buf := make([]byte, prefix+enc+n)
	copy(buf, version+".")
	copy(buf[len(version)+1:], e.id)
	buf[prefix-1] = '.'
	bin := buf[prefix+enc:]
	nonce := bin[:nonceSize]
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secrets: %w", err)
	}
	e.aead.Seal(bin[nonceSize:nonceSize], nonce, plaintext, []byte(aad))
	base64.RawURLEncoding.Encode(buf[prefix:prefix+enc], bin)
	return string(buf[:prefix+enc]), nil
}

// Open decrypts a value Seal returned for the same aad, under the key the value names.
// It returns ErrMalformed for text that is not a sealed value, ErrUnknownKey when the
// ring lacks the value's key, and ErrNotOpened when the value was tampered with or
// sealed for another aad.
func (kr *Keyring) Open(sealed, aad string) ([]byte, error) {
	id, body, err := split(sealed)
	if err != nil {
		return nil, err
	}
	e, ok := kr.key(id)
	if !ok {
		return nil, fmt.Errorf("%w: the value names key %q; the key file %s has %s", ErrUnknownKey, id, kr.where(), strings.Join(kr.IDs(), ", "))
	}
	bin, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(bin) < nonceSize+e.aead.Overhead() {
		return nil, ErrMalformed
	}
	pt, err := e.aead.Open(bin[nonceSize:nonceSize], bin[:nonceSize], bin[nonceSize:], []byte(aad))
	if err != nil {
		return nil, fmt.Errorf("%w: key %q, aad %q", ErrNotOpened, id, aad)
	}
	return pt, nil
}

func (kr *Keyring) where() string {
	if kr.path == "" {
		return "(in memory)"
	}
	return kr.path
}

func (kr *Keyring) key(id string) (entry, bool) {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	for _, e := range kr.keys {
		if e.id == id {
			return e, true
		}
	}
	return entry{}, false
}

// SealString is Seal of a string.
func (kr *Keyring) SealString(plaintext, aad string) (string, error) {
	return kr.Seal([]byte(plaintext), aad)
}

// OpenString is Open returning a string.
func (kr *Keyring) OpenString(sealed, aad string) (string, error) {
	pt, err := kr.Open(sealed, aad)
	return string(pt), err
}

// Reseal opens sealed and seals its plaintext again under the first key, for the same
// aad. A value already under the first key is returned unchanged. Errors are Open's.
func (kr *Keyring) Reseal(sealed, aad string) (string, error) {
	id, _, err := split(sealed)
	if err != nil {
		return "", err
	}
	kr.mu.RLock()
	active := kr.keys[0]
	kr.mu.RUnlock()
	if id == active.id {
		// Still check it opens: a rotation should not carry a broken value on silently.
		if _, err := kr.Open(sealed, aad); err != nil {
			return "", err
		}
		return sealed, nil
	}
	pt, err := kr.Open(sealed, aad)
	if err != nil {
		return "", err
	}
	defer clear(pt)
	return seal(active, pt, aad)
}

// Register adds a module's resealer, run by ResealAll under name (the module's name
// and what it seals, e.g. "events.subscriptions"). Modules register while they are
// wired; the keyring never touches their tables itself.
func (kr *Keyring) Register(name string, fn Resealer) {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	kr.reseal = append(kr.reseal, named{name: name, fn: fn})
}

// Resealed is what one resealer did.
type Resealed struct {
	Name string
	N    int
}

// ResealAll runs every registered resealer on db, in the order they registered, and
// returns how many values each rewrote. It stops at the first error, returning what
// was done before it; values not yet rewritten still open under their old keys, so
// running it again finishes the job.
func (kr *Keyring) ResealAll(ctx context.Context, db *store.DB) ([]Resealed, error) {
	kr.mu.RLock()
	list := append([]named(nil), kr.reseal...)
	kr.mu.RUnlock()
	var done []Resealed
	for _, r := range list {
		n, err := r.fn(ctx, db, kr.Reseal)
		if err != nil {
			return done, fmt.Errorf("secrets: reseal %s: %w", r.name, err)
		}
		done = append(done, Resealed{Name: r.name, N: n})
	}
	return done, nil
}

// Rotate generates a new key and puts it first: in the key file (written to a
// temporary file and renamed over it, with mode 0600, the old keys kept after the new
// one) and in the ring. It returns the new key's id. Values sealed before keep opening;
// ResealAll moves them to the new key.
func (kr *Keyring) Rotate() (string, error) {
	k := NewKey()
	kr.fileMu.Lock()
	defer kr.fileMu.Unlock()
	if kr.path == "" {
		e, err := build([]Key{k})
		if err != nil {
			return "", err
		}
		kr.mu.Lock()
		kr.keys = append(e, kr.keys...)
		kr.mu.Unlock()
		return k.ID, nil
	}
	// The file, not memory, is the truth: it may have changed since it was loaded.
	data, err := os.ReadFile(kr.path)
	if err != nil {
		return "", fmt.Errorf("secrets: rotate: %w", err)
	}
	old, err := parse(data)
	if err != nil {
		return "", fmt.Errorf("secrets: rotate: key file %s: %w", kr.path, err)
	}
	keys := append([]Key{k}, old...)
	entries, err := build(keys)
	if err != nil {
		return "", fmt.Errorf("secrets: rotate: key file %s: %w", kr.path, err)
	}
	data = format(keys)
	if err := writeAtomic(kr.path, data); err != nil {
		return "", fmt.Errorf("secrets: rotate: %w", err)
	}
	kr.mu.Lock()
	kr.keys, kr.raw = entries, data
	kr.mu.Unlock()
	return k.ID, nil
}

// Reload reads the key file again when it changed (another process rotated it), so a
// running server opens values sealed under the new key and seals with it. A ring only
// in memory has nothing to reload. On an error the ring keeps its keys.
func (kr *Keyring) Reload() error {
	if kr.path == "" {
		return nil
	}
	kr.fileMu.Lock()
	defer kr.fileMu.Unlock()
	data, err := os.ReadFile(kr.path)
	if err != nil {
		return fmt.Errorf("secrets: reload: %w", err)
	}
	kr.mu.RLock()
	same := bytes.Equal(data, kr.raw)
	kr.mu.RUnlock()
	if same {
		return nil
	}
	keys, err := parse(data)
	if err == nil {
		err = kr.set(keys, data)
	}
	if err != nil {
		return fmt.Errorf("secrets: reload: key file %s: %w", kr.path, err)
	}
	return nil
}

// writeAtomic replaces path with data: a temporary file in the same directory, synced,
// then renamed over it, so a crash leaves the old file or the new one, never half.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".atrium-key-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // fails harmlessly after the rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
