package api

import (
	"net/http"
	"net/netip"
	"strings"
)

// The client's address keys the per-address limits (§8.1.11). Behind a
// reverse proxy every request comes from the proxy, so the server takes the
// address the proxy forwards, but only from a peer in a trusted range
// (Config.TrustedProxies): a client that sends X-Forwarded-For or Forwarded
// itself gains nothing.

// clientAddr is the key of per-address limits: the client's IPv4 address,
// or the /64 of its IPv6 one (which a single host commonly holds whole).
func (s *Server) clientAddr(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	ip := ap.Addr().Unmap().WithZone("")
	if s.trusted(ip) {
		if fwd, ok := forwardedFor(r.Header, s.trusted); ok {
			ip = fwd
		}
	}
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().String()
	}
	return ip.String()
}

// trusted reports whether ip lies in a trusted proxy's range.
func (s *Server) trusted(ip netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// maxHops bounds how many forwarded addresses are read, right to left.
const maxHops = 32

// forwardedFor returns the client's address as the proxies in front
// forwarded it: X-Forwarded-For if the request has one, otherwise
// Forwarded's for= (RFC 7239). Each proxy appends the address it received
// the request from, so the addresses are read from the right, skipping
// trusted ones: the first that is not trusted is the client (whatever it
// wrote to the left is its own say and is ignored). If every address is
// trusted, the left-most is taken. ok is false when there is no such
// header, or when an address the walk reaches is not an IP address
// ("unknown", an obfuscated name, garbage): then the peer's own address
// must be used.
func forwardedFor(h http.Header, trusted func(netip.Addr) bool) (ip netip.Addr, ok bool) {
	var hops []string
	if xff := h.Values("X-Forwarded-For"); len(xff) > 0 {
		for _, v := range xff {
			hops = append(hops, strings.Split(v, ",")...)
		}
	} else if fwd := h.Values("Forwarded"); len(fwd) > 0 {
		if hops, ok = parseForwarded(fwd); !ok {
			return netip.Addr{}, false
		}
	}
	for i, n := len(hops)-1, 0; i >= 0 && n < maxHops; i, n = i-1, n+1 {
		ip, ok = parseNode(strings.TrimSpace(hops[i]))
		if !ok {
			return netip.Addr{}, false
		}
		if !trusted(ip) || i == 0 {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// parseNode reads one forwarded address: an IPv4 or IPv6 address, either
// with a port, IPv6 optionally in brackets.
func parseNode(s string) (netip.Addr, bool) {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		ap, err2 := netip.ParseAddrPort(s)
		if err2 != nil {
			inner, ok := strings.CutPrefix(s, "[")
			if inner, ok2 := strings.CutSuffix(inner, "]"); ok && ok2 {
				return parseNode(inner)
			}
			return netip.Addr{}, false
		}
		ip = ap.Addr()
	}
	return ip.Unmap().WithZone(""), true
}

// parseForwarded returns the for= values of Forwarded header values (RFC
// 7239 §4), in order, one per element; an element without for= gives "".
// ok is false if the syntax is broken.
func parseForwarded(values []string) (fors []string, ok bool) {
	for _, v := range values {
		p := fwdParser{s: v}
		for {
			p.space()
			if p.done() {
				break
			}
			f, ok := p.element()
			if !ok {
				return nil, false
			}
			fors = append(fors, f)
			p.space()
			if p.done() {
				break
			}
			if !p.eat(',') {
				return nil, false
			}
		}
	}
	return fors, true
}

type fwdParser struct {
	s string
	i int
}

func (p *fwdParser) done() bool { return p.i >= len(p.s) }

func (p *fwdParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *fwdParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// element reads pair *( ";" pair ) and returns the value of for=.
func (p *fwdParser) element() (string, bool) {
	var fwd string
	for {
		p.space()
		name := p.token()
		if name == "" || !p.eat('=') {
			return "", false
		}
		val, ok := p.value()
		if !ok {
			return "", false
		}
		if strings.EqualFold(name, "for") {
			fwd = val
		}
		p.space()
		if !p.eat(';') {
			return fwd, true
		}
	}
}

// token reads an RFC 9110 token.
func (p *fwdParser) token() string {
	start := p.i
	for p.i < len(p.s) && isTchar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// value reads a token or a quoted string (with backslash escapes).
func (p *fwdParser) value() (string, bool) {
	if !p.eat('"') {
		v := p.token()
		return v, v != ""
	}
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '"':
			return b.String(), true
		case c == '\\' && p.i < len(p.s):
			b.WriteByte(p.s[p.i])
			p.i++
		case c < 0x20 && c != '\t' || c == 0x7f:
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return "", false
}

func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
