package units

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/fault"
	"watchfloor/command/unit/registry"
	"watchfloor/command/web/rest"
)

// unitRequest is a unit as the administration page sends it: id on
// creation only, version on an edit only.
type unitRequest struct {
	ID           string   `json:"id"`
	Callsign     string   `json:"callsign" wf:"required"`
	Type         string   `json:"type" wf:"required"`
	Team         string   `json:"team"`
	HomeGrid     string   `json:"home_grid"`
	Devices      []string `json:"device_ids"`
	Capabilities []string `json:"capabilities"`
	Version      *int64   `json:"version"`
}

func (r unitRequest) input() registry.Input {
	return registry.Input{ID: r.ID, Callsign: r.Callsign, Type: r.Type, Team: r.Team, HomeGrid: r.HomeGrid, Devices: r.Devices, Capabilities: r.Capabilities}
}

func (a *handlers) createUnit(c *fiber.Ctx) error {
	var req unitRequest
	if _, err := a.Decode(c, &req); err != nil {
		return err
	}
	v, err := a.UnitRegistry.Create(c.UserContext(), req.input(), rest.Actor(c))
	if err != nil {
		return err
	}
	return c.Status(201).JSON(v)
}

func (a *handlers) updateUnit(c *fiber.Ctx) error {
	var req unitRequest
	if _, err := a.Decode(c, &req); err != nil {
		return err
	}
	id := strings.Clone(c.Params("id"))
	bad := req.check(id)
	if err := bad.Err(); err != nil {
		return err
	}
	v, err := a.UnitRegistry.Update(c.UserContext(), id, req.input(), *req.Version, rest.Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (a *handlers) retireUnit(c *fiber.Ctx) error {
	v, err := a.UnitRegistry.Retire(c.UserContext(), strings.Clone(c.Params("id")), rest.Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (a *handlers) restoreUnit(c *fiber.Ctx) error {
	v, err := a.UnitRegistry.Restore(c.UserContext(), strings.Clone(c.Params("id")), rest.Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// check reports what an edit may not carry: an id other than the path's,
// and no version.
func (r unitRequest) check(id string) *fault.Invalid {
	bad := &fault.Invalid{}
	if r.ID != "" && r.ID != id {
		bad.Add("id", "a unit's id does not change (the path names %s)", id)
	}
	if r.Version == nil {
		bad.Add("version", "required: the version the unit was read at")
	}
	return bad
}
