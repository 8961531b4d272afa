package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium/httpapi"
)

// TestClientIPBehindProxies: the client is the right-most address of the forwarding
// chain that is not a trusted proxy, and forwarding headers count only on connections
// from trusted proxies.
func TestClientIPBehindProxies(t *testing.T) {
	trusted, err := httpapi.ParseTrustedProxies(" 10.0.0.0/8, 192.0.2.1 ,2001:db8:ffff::/48,")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		peer   string
		header http.Header
		want   string
	}{
		{"no header", "10.1.1.1:5000", nil, "10.1.1.1"},
		{"untrusted peer's header ignored", "203.0.113.9:5000", http.Header{"X-Forwarded-For": {"198.51.100.1"}}, "203.0.113.9"},
		{"one proxy", "10.1.1.1:5000", http.Header{"X-Forwarded-For": {"198.51.100.1"}}, "198.51.100.1"},
		{"client-supplied entries left of the client are ignored", "10.1.1.1:5000",
			http.Header{"X-Forwarded-For": {"6.6.6.6, 198.51.100.1"}}, "198.51.100.1"},
		{"proxies in a chain", "10.1.1.1:5000", http.Header{"X-Forwarded-For": {"6.6.6.6, 198.51.100.1, 192.0.2.1, 10.2.2.2"}}, "198.51.100.1"},
		{"several header lines", "10.1.1.1:5000", http.Header{"X-Forwarded-For": {"6.6.6.6, 198.51.100.1", "10.2.2.2"}}, "198.51.100.1"},
		{"every hop trusted", "10.1.1.1:5000", http.Header{"X-Forwarded-For": {"10.3.3.3, 10.2.2.2"}}, "10.3.3.3"},
		{"entry with a port", "10.1.1.1:5000", http.Header{"X-Forwarded-For": {"198.51.100.1:4711"}}, "198.51.100.1"},
		{"IPv6 entry", "10.1.1.1:5000", http.Header{"X-Forwarded-For": {"[2001:DB8::1]:443"}}, "2001:db8::1"},
		{"IPv4-mapped entry", "10.1.1.1:5000", http.Header{"X-Forwarded-For": {"::ffff:198.51.100.1"}}, "198.51.100.1"},
		{"IPv6 proxy", "[2001:db8:ffff::5]:5000", http.Header{"X-Forwarded-For": {"198.51.100.1"}}, "198.51.100.1"},
		{"garbage stops at the proxy that reported it", "10.1.1.1:5000", http.Header{"X-Forwarded-For": {"198.51.100.1, nonsense"}}, "10.1.1.1"},
		{"Forwarded", "10.1.1.1:5000", http.Header{"Forwarded": {`for=6.6.6.6, for=198.51.100.1;proto=https;by=10.1.1.1`}}, "198.51.100.1"},
		{"Forwarded IPv6 quoted with port", "10.1.1.1:5000", http.Header{"Forwarded": {`For="[2001:db8:cafe::17]:4711"`}}, "2001:db8:cafe::17"},
		{"Forwarded unknown", "10.1.1.1:5000", http.Header{"Forwarded": {`for=unknown`}}, "10.1.1.1"},
		{"Forwarded quoted comma", "10.1.1.1:5000", http.Header{"Forwarded": {`for=198.51.100.1;host="a,b", for=10.2.2.2`}}, "198.51.100.1"},
		{"X-Forwarded-For wins over Forwarded", "10.1.1.1:5000",
			http.Header{"X-Forwarded-For": {"198.51.100.1"}, "Forwarded": {"for=6.6.6.6"}}, "198.51.100.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got string
			h := trusted.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = httpapi.ClientIP(r) }))
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.peer
			for k, vs := range c.header {
				r.Header[k] = vs
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got != c.want {
				t.Errorf("client = %q, want %q", got, c.want)
			}
		})
	}

	// Without trusted proxies nothing is rewritten.
	var got string
	none, _ := httpapi.ParseTrustedProxies("")
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr, r.Header["X-Forwarded-For"] = "127.0.0.1:5000", []string{"198.51.100.1"}
	none.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = httpapi.ClientIP(r) })).ServeHTTP(httptest.NewRecorder(), r)
	if got != "127.0.0.1" {
		t.Errorf("no trusted proxies: client = %q, want the peer", got)
	}
}

func TestParseTrustedProxiesRefusesGarbage(t *testing.T) {
	for _, in := range []string{"10.0.0.0/33", "proxy.example.com", "10.0.0.1, 300.1.1.1", "fe80::1%eth0"} {
		if _, err := httpapi.ParseTrustedProxies(in); err == nil || !strings.Contains(err.Error(), "trusted proxies") {
			t.Errorf("ParseTrustedProxies(%q) = %v, want an error", in, err)
		}
	}
}
