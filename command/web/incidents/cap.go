package incidents

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/cap"
)

// exportCAP serves an incident as a CAP 1.2 alert (/api/v1/incidents/{id}.cap).
func (a *handlers) exportCAP(c *fiber.Ctx) error {
	inc, err := a.Incidents.Load(c.UserContext(), strings.Clone(c.Params("id")))
	if err != nil {
		return err
	}
	src := cap.Source{Deployment: a.Config.Deployment, Location: a.Config.Location,
		BaseURL: a.Config.Notifications.BaseURL, Category: a.Config.Category(inc.Category)}
	if inc.Grid != nil {
		src.Grid = a.Map.Area(inc.Grid.Code)
	}
	out, err := cap.Render(cap.FromIncident(inc, src))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, cap.ContentType)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(out)
}
