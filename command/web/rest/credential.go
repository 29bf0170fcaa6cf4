package rest

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/auth"
)

// Credential is what a request authenticates with: a session token, or on
// a websocket a one-time ticket instead.
type Credential struct{ Token, Ticket string }

// SocketProtocol is the websocket subprotocol the server answers with; a
// browser, which cannot send an Authorization header with an upgrade,
// offers it with BearerProtocol followed by its token beside it, so that the
// token travels in a header (not in an address, which proxies log) and no
// ticket is asked for before each dial.
const (
	SocketProtocol = "watchfloor"
	BearerProtocol = "watchfloor.bearer."
)

// CredentialOf is c's credential: its bearer token, else on a websocket
// (ws) the token of its BearerProtocol, its ticket or, deprecated, its
// token in the address.
func CredentialOf(c *fiber.Ctx, ws bool) Credential {
	if t := Bearer(c.Get(fiber.HeaderAuthorization)); t != "" || !ws {
		return Credential{Token: t}
	}
	if t := protocolToken(c.Get(fiber.HeaderSecWebSocketProtocol)); t != "" {
		return Credential{Token: t}
	}
	if t := c.Query("ticket"); t != "" {
		return Credential{Ticket: t}
	}
	return Credential{Token: c.Query("token")}
}

// WellFormed says whether a session could have the credential (see
// auth.WellFormed): none, "undefined" or a username could not.
func (cr Credential) WellFormed() bool {
	return auth.WellFormed(cr.Token) || auth.WellFormed(cr.Ticket)
}

// protocolToken is the token of the first BearerProtocol offered in a
// Sec-WebSocket-Protocol header h, or "".
func protocolToken(h string) string {
	for p := range strings.SplitSeq(h, ",") {
		if t, ok := strings.CutPrefix(strings.TrimSpace(p), BearerProtocol); ok && isToken(t) {
			return t
		}
	}
	return ""
}

// isToken says whether s is an HTTP token (RFC 9110 5.6.2), as a
// subprotocol must be: white space or a separator in it makes it none.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// Bearer is the token of an Authorization header's Bearer scheme, or "".
func Bearer(h string) string {
	const p = "Bearer "
	if len(h) > len(p) && strings.EqualFold(h[:len(p)], p) {
		return strings.TrimSpace(h[len(p):])
	}
	return ""
}
