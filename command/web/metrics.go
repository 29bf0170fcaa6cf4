package web

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
)

// observe records each request's duration under its route pattern (never
// the raw path, which would make a label per incident id).
func (a *API) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := a.app.ErrorHandler(c, err); herr != nil {
			a.Log.Error("error handler failed", "err", herr)
		}
		err = nil
	}
	route := c.Route().Path
	if c.Response().StatusCode() == fiber.StatusNotFound && route == "/" {
		route = "unmatched"
	}
	a.Metrics.Duration.WithLabelValues(route, methodLabel(c.Method()), strconv.Itoa(c.Response().StatusCode())).Observe(time.Since(start).Seconds())
	return err
}

// methodLabel returns a constant string for the method: fasthttp's strings
// alias buffers that are reused after the request, and Prometheus keeps
// label values.
func methodLabel(m string) string {
	switch m {
	case fiber.MethodGet:
		return fiber.MethodGet
	case fiber.MethodPost:
		return fiber.MethodPost
	case fiber.MethodDelete:
		return fiber.MethodDelete
	case fiber.MethodPut:
		return fiber.MethodPut
	case fiber.MethodPatch:
		return fiber.MethodPatch
	case fiber.MethodHead:
		return fiber.MethodHead
	case fiber.MethodOptions:
		return fiber.MethodOptions
	}
	return "other"
}
