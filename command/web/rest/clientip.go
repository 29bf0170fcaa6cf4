package rest

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// parseProxies reads trusted_proxies: addresses and CIDR ranges.
func parseProxies(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, p := range list {
		if pr, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pr.Masked())
			continue
		}
		ip, err := netip.ParseAddr(p)
		if err != nil {
			return nil, fmt.Errorf("trusted_proxies: %q is not an address or CIDR range", p)
		}
		ip = ip.Unmap()
		out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
	}
	return out, nil
}

func (k *Kit) trusted(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range k.proxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ClientIP is the client's address: the peer's, unless the peer is a
// trusted proxy, in which case the right-most address of the proxy header
// that is not itself a trusted proxy (the left part of X-Forwarded-For is
// whatever the client chose to send).
func (k *Kit) ClientIP(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return c.Context().RemoteIP().String()
	}
	peer = peer.Unmap()
	header := k.Config.ProxyHeader
	if header == "" || !k.trusted(peer) {
		return peer.String()
	}
	list := c.Get(header)
	for list != "" {
		var part string
		if i := strings.LastIndexByte(list, ','); i >= 0 {
			list, part = list[:i], list[i+1:]
		} else {
			list, part = "", list
		}
		ip, err := netip.ParseAddr(strings.TrimSpace(part))
		if err != nil {
			break // garbage: trust nothing further left
		}
		ip = ip.Unmap()
		if !k.trusted(ip) {
			return ip.String()
		}
		peer = ip
	}
	return peer.String()
}

// AddressKey is what per-address limits count a client under: its IPv4
// address, or the /64 network of its IPv6 address.
func AddressKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Is4() || addr.Is4In6() {
		return ip
	}
	p, err := addr.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}
