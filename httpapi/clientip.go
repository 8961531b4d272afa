package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies are the reverse proxies whose word on the client's address is taken:
// X-Forwarded-For, or Forwarded (RFC 7239) when a request has no X-Forwarded-For, is
// honoured only on a connection from one of them. The zero value trusts nobody, so
// every request's client is the peer of its connection.
//
// A proxy must append to the header it uses. One that speaks Forwarded must also
// remove any X-Forwarded-For a client sends, since that header is read first.
type TrustedProxies []netip.Prefix

// ParseTrustedProxies reads a comma-separated list of CIDR ranges ("10.0.0.0/8") and
// single addresses ("192.0.2.1", a range of one). An empty list trusts nobody. It
// returns an invalid error naming the first entry that is neither.
func ParseTrustedProxies(list string) (TrustedProxies, error) {
	var out TrustedProxies
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, unmapPrefix(p).Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("trusted proxies: %q is neither a CIDR range nor an address", item)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// unmapPrefix turns an IPv4-mapped IPv6 range (::ffff:10.0.0.0/104) into its IPv4 range,
// since addresses are compared unmapped.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if !p.Addr().Is4In6() || p.Bits() < 96 {
		return p
	}
	return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
}

func (t TrustedProxies) trusts(a netip.Addr) bool {
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Handler returns next with each request's RemoteAddr set to its client's address, so
// that ClientIP, and with it sessions, the audit trail, sign-in throttling and the
// sign-up limit, see the client rather than the proxy. With no trusted proxies it
// returns next unchanged.
func (t TrustedProxies) Handler(next http.Handler) http.Handler {
	if len(t) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if client, ok := t.client(r); ok {
			r = r.WithContext(r.Context())
			r.RemoteAddr = netip.AddrPortFrom(client, 0).String()
		}
		next.ServeHTTP(w, r)
	})
}

// client returns the address of r's client when r came through trusted proxies: the
// right-most address of the forwarding chain that is not a trusted proxy. Addresses to
// its left were written by the client or by proxies nobody vouches for. ok is false when
// the peer is the client.
func (t TrustedProxies) client(r *http.Request) (client netip.Addr, ok bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	peer = peer.Unmap().WithZone("")
	if !t.trusts(peer) {
		return netip.Addr{}, false
	}
	hops := forwardedFor(r.Header)
	client = peer
	for i := len(hops) - 1; i >= 0; i-- {
		// An entry that is no address ("unknown", an obfuscated name, garbage) ends what
		// can be known: the client is the trusted hop that reported it.
		if !hops[i].IsValid() {
			break
		}
		client = hops[i]
		if !t.trusts(client) {
			break
		}
	}
	return client, client != peer
}

// forwardedFor returns the forwarding chain of h, client first: X-Forwarded-For when the
// request has one, else the for= parameters of Forwarded. Entries that are not an
// address are the zero Addr.
func forwardedFor(h http.Header) []netip.Addr {
	var hops []netip.Addr
	if xff := h.Values("X-Forwarded-For"); len(xff) > 0 {
		for _, line := range xff {
			for _, item := range strings.Split(line, ",") {
				hops = append(hops, parseNode(strings.TrimSpace(item)))
			}
		}
		return hops
	}
	for _, line := range h.Values("Forwarded") {
		for _, element := range splitQuoted(line, ',') {
			node := netip.Addr{}
			for _, pair := range splitQuoted(element, ';') {
				k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
				if strings.EqualFold(strings.TrimSpace(k), "for") {
					node = parseNode(strings.Trim(strings.TrimSpace(v), `"`))
				}
			}
			hops = append(hops, node)
		}
	}
	return hops
}

// parseNode reads one hop: an address, with or without a port, IPv6 with or without
// brackets. Anything else is the zero Addr.
func parseNode(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap().WithZone("")
		}
	}
	return netip.Addr{}
}

// splitQuoted splits s at sep outside double-quoted strings.
func splitQuoted(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
