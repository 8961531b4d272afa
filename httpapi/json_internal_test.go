package httpapi

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
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

// TestDecoderWordsStayInTheLog: an error of the JSON decoder that no case names (a type's
// own UnmarshalJSON words) reaches the reader as a sentence of the catalogue, in their
// language; the decoder's English is kept as the cause, for the log.
func TestDecoderWordsStayInTheLog(t *testing.T) {
	cause := errors.New("json: cannot unmarshal the moon into Go value of type cheese")
	err := decodeError(cause, []byte(`{"x": 1}`), nil)
	var e *atrium.Error
	if !errors.As(err, &e) || e.Code != atrium.CodeInvalid {
		t.Fatalf("decodeError = %#v", err)
	}
	if strings.Contains(e.Message, "json") || strings.Contains(e.Message, "cheese") {
		t.Errorf("the reader sees the decoder's words: %q", e.Message)
	}
	if !errors.Is(err, cause) {
		t.Errorf("the decoder's error is not kept as the cause")
	}
	if got := i18n.For("pl").Text(e.Message); got == e.Message || got == "" {
		t.Errorf("in Polish the message reads %q", got)
	}
}
