package web

import (
	"github.com/gofiber/fiber/v2"

	"watchfloor/alerts"
	"watchfloor/command/web/geodata"
	"watchfloor/config"
)

// publicConfig serves GET /api/v1/config: what the pages draw with
// (deployment, time zone, map, levels).
func (a *API) publicConfig(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{
		"deployment": a.Config.Deployment,
		"timezone":   a.Config.Timezone,
		"map": fiber.Map{"center": a.Config.Map.Center, "zoom": a.Config.Map.Zoom, "tile_url": a.Config.Map.TileURL,
			"base": geodata.BaseMapConfig(a.Config.Map.Base), "navigation": a.Config.Map.Navigation},
		"levels":     levelInfo(),
		"unit_types": unitTypes(a.Config.UnitTypes),
	})
}

// unitTypes are the configured unit types (the administration page's
// choice of a unit's type).
func unitTypes(types []config.UnitType) []fiber.Map {
	out := make([]fiber.Map, 0, len(types))
	for _, ut := range types {
		out = append(out, fiber.Map{"id": ut.ID, "name": ut.Name})
	}
	return out
}

func levelInfo() []fiber.Map {
	colours := map[alerts.Level]string{alerts.LevelI: "red", alerts.LevelII: "orange", alerts.LevelIII: "yellow", alerts.LevelIV: "blue"}
	out := []fiber.Map{}
	for l := alerts.LevelI; l >= alerts.LevelIV; l-- {
		out = append(out, fiber.Map{"level": l.String(), "zh": l.NameZH(), "en": l.NameEN(), "colour": colours[l]})
	}
	return out
}

func (a *API) categories(c *fiber.Ctx) error {
	out := make([]fiber.Map, 0, len(a.Config.Categories))
	for _, cat := range a.Config.Categories {
		out = append(out, fiber.Map{"id": cat.ID, "name": cat.Name})
	}
	return c.JSON(out)
}
