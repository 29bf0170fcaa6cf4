package rest

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// TestWellFormedCredentialsOnly: a websocket's credential is well formed
// when it has a token's form, whichever way it is carried; the bearer comes
// first, as authorisation reads it.
func TestWellFormedCredentialsOnly(t *testing.T) {
	good := strings.Repeat("Ab3-_", 8) + "xyz" // 43 characters of base64url
	app := fiber.New()
	app.Get("/ws/x", func(c *fiber.Ctx) error {
		if !CredentialOf(c, true).WellFormed() {
			return c.SendStatus(fiber.StatusUnauthorized)
		}
		return c.SendStatus(fiber.StatusNoContent)
	})
	for _, tc := range []struct {
		name, query, bearer, protocol string
		want                          int
	}{
		{"nothing", "", "", "", 401},
		{"a ticket of undefined", "ticket=undefined", "", "", 401},
		{"a ticket of null", "ticket=null", "", "", 401},
		{"a short token", "token=abc", "", "", 401},
		{"a bearer of a username", "", "dispatcher", "", 401},
		{"a long ticket", "ticket=" + good + good, "", "", 401},
		{"a padded ticket", "ticket=" + good + "%3D", "", "", 401},
		{"a ticket", "ticket=" + good, "", "", 204},
		{"a token in the address", "token=" + good, "", "", 204},
		{"a bearer token", "", good, "", 204},
		// An ill-formed bearer is refused, a ticket beside it
		// notwithstanding: authorisation would read the bearer.
		{"an ill-formed bearer with a ticket", "ticket=" + good, "x", "", 401},
		{"a token in the subprotocols", "", "", "watchfloor, watchfloor.bearer." + good, 204},
		{"a token in the subprotocols first", "", "", "watchfloor.bearer." + good + ",watchfloor", 204},
		{"an ill-formed token in the subprotocols", "ticket=" + good, "", "watchfloor, watchfloor.bearer.undefined", 401},
		{"an empty token in the subprotocols", "ticket=" + good, "", "watchfloor, watchfloor.bearer.", 204},
		{"the subprotocol alone", "", "", "watchfloor", 401},
		{"a bearer header before the subprotocols", "", "x", "watchfloor, watchfloor.bearer." + good, 401},
	} {
		req := httptest.NewRequest("GET", "/ws/x?"+tc.query, nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		if tc.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+tc.bearer)
		}
		if tc.protocol != "" {
			req.Header.Set("Sec-WebSocket-Protocol", tc.protocol)
		}
		res, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, res.StatusCode, tc.want)
		}
	}
}

// FuzzProtocolToken: a token read from the subprotocols is one of them,
// whole, after BearerProtocol: nothing of another, no separator, no space.
func FuzzProtocolToken(f *testing.F) {
	for _, h := range []string{"watchfloor, watchfloor.bearer.abc", "watchfloor.bearer.", " watchfloor.bearer.x ,y", ",,", "watchfloor.bearer.a,watchfloor.bearer.b"} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok := protocolToken(h)
		if tok == "" {
			return
		}
		if strings.ContainsAny(tok, ",") || tok != strings.TrimSpace(tok) {
			t.Fatalf("token %q from %q", tok, h)
		}
		found := false
		for _, p := range strings.Split(h, ",") {
			if strings.TrimSpace(p) == BearerProtocol+tok {
				found = true
			}
		}
		if !found {
			t.Fatalf("token %q is no offered protocol of %q", tok, h)
		}
	})
}

// FuzzProtocolTokenFound: the first offered entry that is BearerProtocol
// and a token is the one read, wherever it stands among the others.
func FuzzProtocolTokenFound(f *testing.F) {
	f.Add("watchfloor", "abc", "x")
	f.Fuzz(func(t *testing.T, before, tok, after string) {
		if !isToken(tok) || strings.Contains(before, BearerProtocol) {
			return
		}
		h := before + "," + BearerProtocol + tok + "," + after
		if got := protocolToken(h); got != tok {
			t.Fatalf("protocolToken(%q) = %q, want %q", h, got, tok)
		}
	})
}
