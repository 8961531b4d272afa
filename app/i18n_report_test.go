package app

import (
	"bytes"
	"testing"
)

// TestMessagesCompleteAndUsed: every message is in the four catalogues with the same
// placeholders and plural forms, and every message is asked for by some code or
// template of the program (atrium docs i18n on the source tree).
func TestMessagesCompleteAndUsed(t *testing.T) {
	var out bytes.Buffer
	if err := i18nReport(&out, ".."); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
}
