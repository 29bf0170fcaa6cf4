package rest

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/auth"
)

// Credential is what a request authenticates with: a session token, or on
// a websocket a one-time ticket instead.
type Credential struct{ Token, Ticket string }

// CredentialOf is c's credential: its bearer token, else on a websocket
// (ws) its ticket or, deprecated, its token in the address.
func CredentialOf(c *fiber.Ctx, ws bool) Credential {
	if t := Bearer(c.Get(fiber.HeaderAuthorization)); t != "" || !ws {
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

// Bearer is the token of an Authorization header's Bearer scheme, or "".
func Bearer(h string) string {
	const p = "Bearer "
	if len(h) > len(p) && strings.EqualFold(h[:len(p)], p) {
		return strings.TrimSpace(h[len(p):])
	}
	return ""
}
