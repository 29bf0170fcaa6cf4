package rest

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/fault"
)

// QueryLimit reads the query parameter limit: def when absent, else a whole
// number from 1 to max, anything else recorded in bad as naming limit.
func QueryLimit(c *fiber.Ctx, bad *fault.Invalid, def, max int) int {
	v := c.Query("limit")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		bad.Add("limit", "must be a whole number from 1 to %d", max)
		return def
	}
	return n
}
