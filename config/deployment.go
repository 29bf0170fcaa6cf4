package config

import (
	"net"
	"net/http"
	"regexp"
	"time"
)

// validateKeys checks the keys at the top of the file: the deployment's
// name, the listen addresses, the trusted proxies and the time windows that
// belong to no section.
func (c *Config) validateKeys(scope) []error {
	var p problems
	if !deploymentPattern.MatchString(c.Deployment) {
		p.add("deployment: %q must be 1–32 lowercase letters, digits, - or _", c.Deployment)
	}
	for _, l := range []struct{ key, addr string }{{"listen", c.Listen}, {"osmand_listen", c.OsmandListen}} {
		if _, _, err := net.SplitHostPort(l.addr); err != nil {
			p.add("%s: %q is not host:port: %v", l.key, l.addr, err)
		}
	}
	for i, tp := range c.TrustedProxies {
		if _, _, err := net.ParseCIDR(tp); err != nil && net.ParseIP(tp) == nil {
			p.add("trusted_proxies[%d]: %q is not an address or CIDR range", i, tp)
		}
	}
	switch http.CanonicalHeaderKey(c.ProxyHeader) {
	case "", "X-Forwarded-For", "X-Real-Ip":
	default:
		p.add("proxy_header: %q must be X-Forwarded-For, X-Real-IP or empty", c.ProxyHeader)
	}
	return append(p, broken([]bound{
		{c.DeadlineWarning < 0, "deadline_warning: must not be negative"},
		{c.Idempotency < time.Minute, "idempotency_ttl: at least 1m"},
	})...)
}

// deploymentPattern is what a deployment's name looks like: it is the hash
// tag of every Redis key.
var deploymentPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
