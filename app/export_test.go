package app

import (
	"context"
	"testing"
)

// AddWire makes NewModules also run fn after the modules' wiring, until t ends: a test
// registers a resealer of its own table this way.
func AddWire(t testing.TB, fn func(context.Context, *Kernel) error) {
	testWire.Lock()
	testWire.fns = append(testWire.fns, fn)
	n := len(testWire.fns) - 1
	testWire.Unlock()
	t.Cleanup(func() {
		testWire.Lock()
		defer testWire.Unlock()
		testWire.fns[n] = func(context.Context, *Kernel) error { return nil }
	})
}
