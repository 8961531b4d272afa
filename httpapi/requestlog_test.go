package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium/app/apptest"
)

// TestOneLogLinePerRequest: every API request and console page writes one info line
// with its method, route pattern, status, duration, organization and request id, and
// answers with that id.
func TestOneLogLinePerRequest(t *testing.T) {
	e := apptest.Start(t, "sqlite")
	o := e.Signup("Logged Co", "logged")
	res := o.Admin.DoHeader("GET", "/api/v1/users/"+string(o.AdminID), nil, http.Header{"X-Request-Id": {"trace-123"}}).Want(http.StatusOK)
	if res.Header.Get("X-Request-Id") != "trace-123" {
		t.Errorf("X-Request-Id = %q", res.Header.Get("X-Request-Id"))
	}
	o.Admin.Do("GET", "/api/v1/users/nope", nil).Want(http.StatusNotFound)
	page, err := http.Get(e.URL + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	var seen = map[string]map[string]any{}
	for line := range strings.Lines(e.Logs()) {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "request" {
			continue
		}
		seen[rec["method"].(string)+" "+rec["route"].(string)+" "+jsonNumber(rec["status"])] = rec
	}
	ok := seen["GET GET /api/v1/users/{id} 200"]
	if ok == nil || ok["request_id"] != "trace-123" || ok["org"] != string(o.ID) || ok["level"] != "INFO" || ok["duration_us"] == nil {
		t.Errorf("log line of the user read = %v", ok)
	}
	if seen["GET GET /api/v1/users/{id} 404"] == nil {
		t.Error("no log line for the 404")
	}
	if seen["GET GET /signin 200"] == nil {
		t.Errorf("no log line for the console page; saw %v", keys(seen))
	}
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
