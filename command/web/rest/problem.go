package rest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/auth"
	"watchfloor/command/fault"
)

// ProblemDoc is an RFC 9457 problem document (application/problem+json).
type ProblemDoc struct {
	Type   string             `json:"type"`
	Title  string             `json:"title"`
	Status int                `json:"status"`
	Detail string             `json:"detail,omitempty"`
	Errors []fault.FieldError `json:"errors,omitempty"`
}

const problemBase = "/docs/problems#"

// Problem answers with a problem document of status, kind and detail.
func Problem(c *fiber.Ctx, status int, kind, detail string, fields []fault.FieldError) error {
	p := ProblemDoc{Type: problemBase + kind, Title: http.StatusText(status), Status: status, Detail: detail, Errors: fields}
	c.Status(status)
	c.Set(fiber.HeaderContentType, "application/problem+json")
	b, _ := json.Marshal(p)
	return c.Send(b)
}

// ErrorHandler maps every error a handler returns to problem+json; internal
// errors are logged and never shown to the client.
func (k *Kit) ErrorHandler(c *fiber.Ctx, err error) error {
	var inv *fault.Invalid
	var conf *fault.Conflict
	var forb *fault.Forbidden
	var fe *fiber.Error
	var media *UnsupportedMedia
	var busy *fault.Busy
	switch {
	case errors.As(err, &inv):
		k.Log.Debug("invalid request", "method", c.Method(), "path", c.Path(), "err", err)
		return Problem(c, 400, "invalid", "the request has invalid fields; nothing was changed", inv.Errors)
	case errors.As(err, &media):
		return Problem(c, 415, "media-type", media.detail, []fault.FieldError{{Field: "Content-Type", Message: media.detail}})
	case errors.Is(err, auth.ErrUnauthenticated):
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="watchfloor"`)
		return Problem(c, 401, "unauthenticated", "log in first: send Authorization: Bearer TOKEN", nil)
	case errors.As(err, &forb):
		return Problem(c, 403, "forbidden", forb.Detail, nil)
	case errors.Is(err, fault.ErrNotFound):
		return Problem(c, 404, "not-found", err.Error(), nil)
	case errors.As(err, &conf):
		return Problem(c, 409, "conflict", conf.Detail, nil)
	case errors.Is(err, fault.ErrConflict):
		return Problem(c, 409, "conflict", "the object changed concurrently; try again", nil)
	case errors.As(err, &busy):
		c.Set(fiber.HeaderRetryAfter, RetryAfter(busy.RetryAfter))
		return Problem(c, 503, "overloaded", busy.Detail, nil)
	case errors.Is(err, fault.ErrUnavailable):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(1))
		return Problem(c, 503, "unavailable", "storage is unavailable; nothing was changed, retry shortly", nil)
	case errors.As(err, &fe):
		switch fe.Code {
		case fiber.StatusRequestEntityTooLarge:
			return Problem(c, 413, "too-large", "the body is larger than this server accepts", nil)
		case fiber.StatusNotFound:
			return Problem(c, 404, "not-found", "no such route", nil)
		case fiber.StatusMethodNotAllowed:
			return Problem(c, 405, "method", "method not allowed on this route", nil)
		case fiber.StatusUpgradeRequired:
			return Problem(c, 426, "upgrade", "this route is a websocket", nil)
		}
		if fe.Code < 500 {
			return Problem(c, fe.Code, "request", fe.Message, nil)
		}
	}
	k.Log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
	return Problem(c, 500, "internal", "an internal error occurred; it has been logged", nil)
}
