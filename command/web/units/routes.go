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

// ShedFirst names the position entry points: while the ingest queue is
// full they are refused before anything else is done (the session is not
// checked, and a body longer than a few KiB not read), since storing their
// positions would be refused after that work.
func ShedFirst() []string { return []string{"positions.create", "osmand"} }

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
