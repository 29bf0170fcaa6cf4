package web

import (
	"fmt"
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/fault"
	"watchfloor/command/web/rest"
)

// pprofIndex serves the index and the named runtime profiles. cmdline (the
// process's arguments) and symbol (symbol lookup by address) are not served:
// they answer 404 like an unknown profile.
func pprofIndex() fiber.Handler {
	index := rest.Adapt(http.HandlerFunc(pprof.Index))
	return func(c *fiber.Ctx) error {
		switch strings.Trim(c.Params("*"), "/") {
		case "cmdline", "symbol":
			return fmt.Errorf("profile %s: %w", c.Params("*"), fault.ErrNotFound)
		}
		return index(c)
	}
}
