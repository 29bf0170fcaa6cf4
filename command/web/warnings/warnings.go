// Package warnings serves warnings (预警): issued, listed, read, raised,
// lowered, extended and lifted.
package warnings

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/fault"
	"watchfloor/command/warning"
	"watchfloor/command/web/rest"
)

// handlers serve the warnings' routes.
type handlers struct{ *rest.Kit }

// Routes are the warnings' handlers by route name (auth.Routes).
func Routes(k *rest.Kit) map[string][]fiber.Handler {
	a, one := &handlers{k}, rest.One
	return map[string][]fiber.Handler{
		"warnings.create": one(a.issue),
		"warnings.list":   one(a.list),
		"warnings.get":    one(a.get),
		"warnings.raise":  one(a.raise),
		"warnings.lower":  one(a.lower),
		"warnings.extend": one(a.extend),
		"warnings.lift":   one(a.lift),
	}
}

func who(c *fiber.Ctx) warning.Who {
	s := rest.Session(c)
	return warning.Who{Username: s.Username, Role: s.Role, Area: s.Area}
}

func (a *handlers) issue(c *fiber.Ctx) error {
	var in warning.Input
	b, err := a.Decode(c, &in)
	if err != nil {
		return err
	}
	idem, err := a.Idempotency(c, "warnings", b)
	if err != nil {
		return err
	}
	w, replayed, err := a.Warnings.Issue(c.UserContext(), who(c), &in, idem)
	if err != nil {
		return err
	}
	if replayed {
		c.Set("Idempotency-Replayed", "true")
	}
	c.Set(fiber.HeaderLocation, "/api/v1/warnings/"+w.ID)
	return c.Status(201).JSON(w)
}

func (a *handlers) list(c *fiber.Ctx) error {
	q := warning.Query{Status: warning.Active, Limit: warning.DefaultList}
	bad := &fault.Invalid{}
	switch s := c.Query("status"); s {
	case "", warning.Active:
	case warning.Ended:
		q.Status = warning.Ended
	case "all":
		q.Status = ""
	default:
		bad.Add("status", "one of active, ended, all")
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > warning.MaxList {
			bad.Add("limit", "a whole number from 1 to %d", warning.MaxList)
		}
		q.Limit = n
	}
	for field, t := range map[string]*time.Time{"from": &q.From, "to": &q.To} {
		if v := c.Query(field); v != "" {
			p, err := time.Parse(time.RFC3339, v)
			if err != nil {
				bad.Add(field, "must be an RFC 3339 time")
			}
			*t = p
		}
	}
	if err := bad.Err(); err != nil {
		return err
	}
	list, err := a.Warnings.List(c.UserContext(), q)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"warnings": list})
}

func (a *handlers) get(c *fiber.Ctx) error {
	w, err := a.Warnings.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(w)
}

func (a *handlers) raise(c *fiber.Ctx) error {
	var in warning.ColourInput
	if _, err := a.Decode(c, &in); err != nil {
		return err
	}
	return answer(c)(a.Warnings.Raise(c.UserContext(), who(c), c.Params("id"), &in))
}

func (a *handlers) lower(c *fiber.Ctx) error {
	var in warning.ColourInput
	if _, err := a.Decode(c, &in); err != nil {
		return err
	}
	return answer(c)(a.Warnings.Lower(c.UserContext(), who(c), c.Params("id"), &in))
}

func (a *handlers) extend(c *fiber.Ctx) error {
	var in warning.ExtendInput
	if _, err := a.Decode(c, &in); err != nil {
		return err
	}
	return answer(c)(a.Warnings.Extend(c.UserContext(), who(c), c.Params("id"), &in))
}

func (a *handlers) lift(c *fiber.Ctx) error {
	var in warning.LiftInput
	if _, err := a.Decode(c, &in); err != nil {
		return err
	}
	return answer(c)(a.Warnings.Lift(c.UserContext(), who(c), c.Params("id"), &in))
}

// answer sends the warning a step made, or its error.
func answer(c *fiber.Ctx) func(*warning.Warning, error) error {
	return func(w *warning.Warning, err error) error {
		if err != nil {
			return err
		}
		return c.JSON(w)
	}
}
