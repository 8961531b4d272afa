package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/atrium-admin/atrium"
)

// fuzzBody has a field of every shape request types use: text, named text, numbers,
// flags, lists, maps, nested objects and pointers.
type fuzzBody struct {
	Name   string            `json:"name"`
	Role   atrium.Code       `json:"role"`
	Seats  int               `json:"seats"`
	On     *bool             `json:"on"`
	Tags   []string          `json:"tags"`
	Attrs  map[string]string `json:"attrs"`
	Inner  *fuzzInner        `json:"inner"`
	Inners []fuzzInner       `json:"inners"`
}

type fuzzInner struct {
	Text  string   `json:"text"`
	Plans []string `json:"plans"`
}

// FuzzDecode: decode never panics; what it accepts is a JSON object, not null, whose
// every string is valid UTF-8 without NUL and holds U+FFFD only where the body wrote one;
// what it refuses is an invalid or too_large error with a message.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{}`, `null`, ` null `, ``, `[]`, `"x"`, `{}{}`, `{"name":"Ada"}`,
		`{"name":"Zo\u00eb \ud83d\ude00"}`, `{"name":"\ud800"}`, `{"name":"\udc00\ud800"}`, `{"name":"\ud800\u0041"}`,
		`{"name":"a\u0000b"}`, "{\"name\":\"\xff\xfe\"}", "{\"\xff\":1}", `{"tags":["a","\ud800"]}`,
		`{"inner":{"text":"\u0000"}}`, `{"inners":[{"plans":["ok","\udfff"]}]}`, `{"attrs":{"k\u0000":"v"}}`,
		`{"seats":"ten"}`, `{"seats":1.5}`, `{"unknown":1}`, `{"name":`, `{"name":"\\u0000"}`, `{"name":"\\\ud800"}`,
		`{"on":null,"inner":null,"tags":null}`, "{\"name\":\"\\u00\"}", `{"role":"\ud834\udd1e"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := httptest.NewRequest("POST", "/", bytes.NewReader(data))
		r.Header.Set("Content-Type", "application/json")
		var v fuzzBody
		err := decode(httptest.NewRecorder(), r, &v)
		if err != nil {
			var e *atrium.Error
			if !errors.As(err, &e) || (e.Code != atrium.CodeInvalid && e.Code != atrium.CodeTooLarge) {
				t.Fatalf("decode(%q) = %v, want an invalid or too_large error", data, err)
			}
			if e.Message == "" {
				t.Fatalf("decode(%q): error without a message", data)
			}
			return
		}
		if !json.Valid(data) || bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
			t.Fatalf("decode(%q) accepted a body that is not a JSON object", data)
		}
		if !utf8.Valid(data) {
			t.Fatalf("decode(%q) accepted invalid UTF-8", data)
		}
		eachString(reflect.ValueOf(v), func(s string) {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Fatalf("decode(%q) accepted the string %q", data, s)
			}
			if strings.ContainsRune(s, utf8.RuneError) && !bytes.Contains(data, []byte("\uFFFD")) && !bytes.Contains(bytes.ToLower(data), []byte(`\ufffd`)) {
				t.Fatalf("decode(%q) turned bad text into U+FFFD: %q", data, s)
			}
		})
	})
}

// eachString calls fn with every string in v, map keys included.
func eachString(v reflect.Value, fn func(string)) {
	switch v.Kind() {
	case reflect.String:
		fn(v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			eachString(v.Elem(), fn)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			eachString(v.Field(i), fn)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			eachString(v.Index(i), fn)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			eachString(k, fn)
			eachString(v.MapIndex(k), fn)
		}
	}
}
