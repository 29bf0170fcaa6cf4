package incidents

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/fault"
	"watchfloor/command/vocab"
	"watchfloor/command/web/rest"
)

type dispatchRequest struct {
	UnitIDs []string `json:"unit_ids"`
	Note    string   `json:"note"`
}

func (a *handlers) createDispatches(c *fiber.Ctx) error {
	var req dispatchRequest
	b, err := a.Decode(c, &req)
	if err != nil {
		return err
	}
	id := strings.Clone(c.Params("id"))
	// A repeat after a lost answer (same key, same body) answers the
	// orders the first request made: pressing 派警 again sends no one twice
	// and is not told the units are busy with its own orders.
	idem, err := a.Idempotency(c, "dispatches:"+id, b)
	if err != nil {
		return err
	}
	ds, replayed, err := a.Dispatch.CreateOnce(c.UserContext(), rest.Actor(c), id, req.UnitIDs, req.Note, idem)
	if err != nil {
		return err
	}
	if replayed {
		c.Set("Idempotency-Replayed", "true")
	}
	return c.Status(201).JSON(fiber.Map{"dispatches": ds})
}

func (a *handlers) listDispatches(c *fiber.Ctx) error {
	id := strings.Clone(c.Params("id"))
	if _, err := a.Incidents.Load(c.UserContext(), id); err != nil {
		return err
	}
	ds, err := a.Dispatch.ForIncident(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"dispatches": ds})
}

func (a *handlers) getDispatch(c *fiber.Ctx) error {
	d, err := a.Dispatch.Load(c.UserContext(), strings.Clone(c.Params("id")))
	if err != nil {
		return err
	}
	if s := rest.Session(c); s.Role == vocab.Responder && d.UnitID != s.Unit {
		// Not 403: that would tell a responder which order ids exist.
		return fmt.Errorf("order %s: %w", d.ID, fault.ErrNotFound)
	}
	return c.JSON(d)
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

func (a *handlers) cancelDispatch(c *fiber.Ctx) error {
	var req reasonRequest
	if _, err := a.Decode(c, &req); err != nil {
		return err
	}
	d, err := a.Dispatch.Cancel(c.UserContext(), rest.Actor(c), strings.Clone(c.Params("id")), req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

type redirectRequest struct {
	UnitID string `json:"unit_id"`
	Note   string `json:"note"`
}

// redirectDispatch cancels an order and sends another unit in its place
// (改派), both in one commit.
func (a *handlers) redirectDispatch(c *fiber.Ctx) error {
	var req redirectRequest
	if _, err := a.Decode(c, &req); err != nil {
		return err
	}
	old, next, err := a.Dispatch.Redirect(c.UserContext(), rest.Actor(c), strings.Clone(c.Params("id")), req.UnitID, req.Note)
	if err != nil {
		return err
	}
	return c.Status(201).JSON(fiber.Map{"cancelled": old, "dispatch": next})
}
