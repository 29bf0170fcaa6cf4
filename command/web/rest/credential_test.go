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
		name, query, bearer string
		want                int
	}{
		{"nothing", "", "", 401},
		{"a ticket of undefined", "ticket=undefined", "", 401},
		{"a ticket of null", "ticket=null", "", 401},
		{"a short token", "token=abc", "", 401},
		{"a bearer of a username", "", "dispatcher", 401},
		{"a long ticket", "ticket=" + good + good, "", 401},
		{"a padded ticket", "ticket=" + good + "%3D", "", 401},
		{"a ticket", "ticket=" + good, "", 204},
		{"a token in the address", "token=" + good, "", 204},
		{"a bearer token", "", good, 204},
		// An ill-formed bearer is refused, a ticket beside it
		// notwithstanding: authorisation would read the bearer.
		{"an ill-formed bearer with a ticket", "ticket=" + good, "x", 401},
	} {
		req := httptest.NewRequest("GET", "/ws/x?"+tc.query, nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		if tc.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+tc.bearer)
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
