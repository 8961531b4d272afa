package httpapi

import (
	"reflect"
	"testing"
	"time"

	"github.com/atrium-admin/atrium/i18n"
)

// TestJSONMessagesInCatalogue: the decoder's messages, which it gives with their IDs,
// say in English what the English catalogue says, and every other language has its own
// words for them.
func TestJSONMessagesInCatalogue(t *testing.T) {
	msgs := []message{mustBeTime, mustBeString}
	for _, tp := range []*textProblem{textNotUTF8, textBadEscape, textNUL, textSurrogate} {
		msgs = append(msgs, tp.value, tp.key, tp.body)
	}
	for _, v := range []any{0, true, []int{}, struct{}{}, map[string]int{}, time.Time{}, complex(1, 1)} {
		msgs = append(msgs, jsonKindOf(reflect.TypeOf(v)))
	}
	en := i18n.For(i18n.EN)
	for _, m := range msgs {
		if got := en.T(m.id); got != m.text {
			t.Errorf("%s: the catalogue says %q, the code %q", m.id, got, m.text)
		}
		for _, l := range []i18n.Lang{i18n.SV, i18n.NB, i18n.PL} {
			if got := i18n.For(l).Message(m.text, m.id); got == m.text || got == m.id {
				t.Errorf("%s: %q in %s", m.id, got, l)
			}
		}
	}
}
