package incidents

import (
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/alarm"
	"watchfloor/command/fault"
	"watchfloor/command/web/rest"
)

func (a *handlers) listAlarms(c *fiber.Ctx) error {
	state := c.Query("state", "open")
	if state != "open" && state != "all" {
		return fault.Field("state", "must be open or all")
	}
	list, err := a.Alarms.List(c.UserContext(), state == "open")
	if err != nil {
		return err
	}
	if area := rest.Session(c).Area; area != "" {
		// An account limited to an area sees its area's case and daily
		// report alarms only, as on its socket.
		list = slices.DeleteFunc(list, func(al *alarm.Alarm) bool { return al.Area != "" && !a.Cases.Visible(area, al.Area) })
	}
	return c.JSON(fiber.Map{"alarms": list, "count": len(list)})
}

func (a *handlers) ackAlarm(c *fiber.Ctx) error {
	// Alarm ids hold ':'; clients may send it escaped.
	id, err := url.PathUnescape(c.Params("id"))
	if err != nil {
		return fault.Field("id", "not a valid path segment")
	}
	s := rest.Session(c)
	al, err := a.Alarms.Ack(c.UserContext(), strings.Clone(id), s.Username, s.Role, func(area string) bool { return a.Cases.Visible(s.Area, area) })
	if err != nil {
		return err
	}
	return c.JSON(al)
}
