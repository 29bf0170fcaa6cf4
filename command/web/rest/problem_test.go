package rest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/auth"
	"watchfloor/command/fault"
)

// TestErrorHandler: each kind of error a handler returns answers its
// status as problem+json; an internal error never shows its text.
func TestErrorHandler(t *testing.T) {
	k := &Kit{Deps: Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	for _, tc := range []struct {
		name   string
		err    error
		status int
		kind   string
	}{
		{"invalid", fault.Field("lon", "required"), 400, "invalid"},
		{"media", &UnsupportedMedia{"a JSON body needs Content-Type: application/json"}, 415, "media-type"},
		{"unauthenticated", auth.ErrUnauthenticated, 401, "unauthenticated"},
		{"forbidden", Forbidden("no"), 403, "forbidden"},
		{"not found", fmt.Errorf("incident x: %w", fault.ErrNotFound), 404, "not-found"},
		{"conflict", &fault.Conflict{Detail: "closed"}, 409, "conflict"},
		{"unavailable", fault.ErrUnavailable, 503, "unavailable"},
		{"too large", fiber.ErrRequestEntityTooLarge, 413, "too-large"},
		{"internal", errors.New("secret detail"), 500, "internal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := fiber.New(fiber.Config{ErrorHandler: k.ErrorHandler})
			app.Get("/", func(*fiber.Ctx) error { return tc.err })
			res, err := app.Test(httptest.NewRequest("GET", "/", nil))
			if err != nil {
				t.Fatal(err)
			}
			var p ProblemDoc
			if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tc.status || p.Status != tc.status || p.Type != problemBase+tc.kind || res.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("got %d %+v (%s)", res.StatusCode, p, res.Header.Get("Content-Type"))
			}
			if tc.status == 500 && p.Detail != "an internal error occurred; it has been logged" {
				t.Errorf("an internal error shows %q", p.Detail)
			}
		})
	}
}
