package units

import (
	"sync"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/web/rest"
)

// handlers serve the fleet's routes.
type handlers struct {
	*rest.Kit
	// readers are the batch API's body readers (*batchReader), reused.
	readers sync.Pool
}

// Routes are the fleet's handlers by route name (auth.Routes).
func Routes(k *rest.Kit) map[string][]fiber.Handler {
	a, one := &handlers{Kit: k}, rest.One
	return map[string][]fiber.Handler{
		"units.list":           one(a.listUnits),
		"units.get":            one(a.getUnit),
		"units.status":         one(a.setUnitStatus),
		"units.track":          one(a.track),
		"units.create":         one(a.createUnit),
		"units.update":         one(a.updateUnit),
		"units.retire":         one(a.retireUnit),
		"units.restore":        one(a.restoreUnit),
		"incidents.candidates": one(a.candidates),
		"positions.create":     one(a.postPositions),
		"osmand":               one(a.osmand),
	}
}
