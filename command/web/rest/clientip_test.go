package rest

import (
	"io"
	"net"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"watchfloor/config"
)

// TestClientIP: the proxy header counts only from a trusted peer, and then
// its right-most address that is not a trusted proxy is the client.
// (app.Test's peer is 0.0.0.0.)
func TestClientIP(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted []string
		header  string
		value   string
		want    string
	}{
		{"no proxies trusted", nil, "X-Forwarded-For", "203.0.113.1", "0.0.0.0"},
		{"peer not trusted", []string{"10.0.0.0/8"}, "X-Forwarded-For", "203.0.113.1", "0.0.0.0"},
		{"trusted peer, one address", []string{"0.0.0.0/32"}, "X-Forwarded-For", "203.0.113.1", "203.0.113.1"},
		{"spoofed left part", []string{"0.0.0.0"}, "X-Forwarded-For", "1.2.3.4, 203.0.113.1", "203.0.113.1"},
		{"a chain of trusted proxies", []string{"0.0.0.0/32", "10.0.0.0/8"}, "X-Forwarded-For", "1.2.3.4, 203.0.113.1, 10.1.1.1", "203.0.113.1"},
		{"garbage right of the client", []string{"0.0.0.0/32"}, "X-Forwarded-For", "203.0.113.1, nonsense", "0.0.0.0"},
		{"no header", []string{"0.0.0.0/32"}, "X-Forwarded-For", "", "0.0.0.0"},
		{"IPv6", []string{"0.0.0.0/32"}, "X-Forwarded-For", "2001:db8::1", "2001:db8::1"},
		{"X-Real-IP", []string{"0.0.0.0/32"}, "X-Real-IP", "203.0.113.2", "203.0.113.2"},
		{"header not configured", []string{"0.0.0.0/32"}, "", "203.0.113.2", "0.0.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxies, err := parseProxies(tc.trusted)
			if err != nil {
				t.Fatal(err)
			}
			a := &Kit{Deps: Deps{Config: &config.Config{ProxyHeader: tc.header}}, proxies: proxies}
			app := fiber.New()
			app.Get("/", func(c *fiber.Ctx) error { return c.SendString(a.ClientIP(c)) })
			req := httptest.NewRequest("GET", "/", nil)
			if tc.value != "" {
				name := tc.header
				if name == "" {
					name = "X-Forwarded-For"
				}
				req.Header.Set(name, tc.value)
			}
			res, err := app.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			if string(b) != tc.want {
				t.Errorf("got %s, want %s", b, tc.want)
			}
		})
	}
}

func TestAddressKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"::ffff:192.0.2.7", "::ffff:192.0.2.7"},
		{"not an address", "not an address"},
	} {
		if got := AddressKey(tc.in); got != tc.want {
			t.Errorf("addressKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzClientIP: whatever X-Forwarded-For a client sends, the address limits
// count is an address: the peer's when the peer is not a trusted proxy,
// and otherwise the peer's or one of the header's entries, never text the
// client made up.
func FuzzClientIP(f *testing.F) {
	proxies, err := parseProxies([]string{"10.0.0.0/8", "192.0.2.1"})
	if err != nil {
		f.Fatal(err)
	}
	a := &Kit{Deps: Deps{Config: &config.Config{ProxyHeader: "X-Forwarded-For"}}, proxies: proxies}
	app := fiber.New()
	for _, xff := range []string{"", "203.0.113.1", "1.2.3.4, 203.0.113.1, 10.1.1.1", "nonsense", "2001:db8::1", ",,,", "::ffff:10.0.0.1, 10.0.0.2",
		"203.0.113.1%eth0", "  203.0.113.9  ,", "fe80::1%25zone"} {
		for _, peer := range []string{"192.0.2.1", "10.9.9.9", "198.51.100.7", "::ffff:10.0.0.3", "2001:db8::7"} {
			f.Add([]byte(net.ParseIP(peer).To16()), xff)
		}
	}
	f.Fuzz(func(t *testing.T, peerIP []byte, xff string) {
		if len(peerIP) != net.IPv4len && len(peerIP) != net.IPv6len {
			return // a connection's peer is an address
		}
		var fctx fasthttp.RequestCtx
		var req fasthttp.Request
		req.Header.Set("X-Forwarded-For", xff)
		fctx.Init(&req, &net.TCPAddr{IP: net.IP(peerIP), Port: 4000}, nil)
		c := app.AcquireCtx(&fctx)
		defer app.ReleaseCtx(c)
		got := a.ClientIP(c)
		addr, err := netip.ParseAddr(got)
		if err != nil {
			t.Fatalf("ClientIP with peer %v and %q = %q, not an address", net.IP(peerIP), xff, got)
		}
		peer, _ := netip.AddrFromSlice(peerIP)
		peer = peer.Unmap()
		if !a.trusted(peer) {
			if addr != peer {
				t.Fatalf("an untrusted peer %v with %q counted as %v", peer, xff, addr)
			}
			return
		}
		if addr == peer {
			return
		}
		for _, part := range strings.Split(xff, ",") {
			if p, err := netip.ParseAddr(strings.TrimSpace(part)); err == nil && p.Unmap() == addr {
				return
			}
		}
		t.Fatalf("peer %v with %q counted as %v, neither the peer nor an entry", peer, xff, addr)
	})
}
