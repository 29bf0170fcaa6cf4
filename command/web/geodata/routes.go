package geodata

import (
	"github.com/gofiber/fiber/v2"

	"watchfloor/command/web/rest"
)

// handlers serve the map data's routes.
type handlers struct{ *rest.Kit }

// Routes are the map data's handlers by route name (auth.Routes).
func Routes(k *rest.Kit) map[string][]fiber.Handler {
	a, one := &handlers{k}, rest.One
	return map[string][]fiber.Handler{
		"tiles.base":    one(a.baseMap),
		"grids.list":    one(a.geojson(func() []byte { return a.Map.GridsJSON })),
		"zones.list":    one(a.geojson(func() []byte { return a.Map.ZonesJSON })),
		"places.search": one(a.searchPlaces),
	}
}
