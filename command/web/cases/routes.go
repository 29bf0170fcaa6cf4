package cases

import (
	"github.com/gofiber/fiber/v2"

	"watchfloor/command/web/rest"
)

// handlers serve the grid cases' routes.
type handlers struct {
	*rest.Kit
	// exports are the ledger exports under way, one per account.
	exports running
}

// Routes are the grid cases' handlers by route name (auth.Routes).
func Routes(k *rest.Kit) map[string][]fiber.Handler {
	a, one := &handlers{Kit: k}, rest.One
	return map[string][]fiber.Handler{
		"cases.create":     one(a.createCase),
		"cases.list":       one(a.listCases),
		"cases.stats":      one(a.caseStats),
		"cases.get":        one(a.getCase),
		"cases.action":     one(a.caseAction),
		"cases.photos.add": one(a.addPhoto),
		"cases.photos.get": one(a.getPhoto),
		"cases.raise":      one(a.raiseCase),
		"cases.export":     one(a.exportCases),
		"case_kinds.list":  one(a.caseKinds),
		"daily.list":       one(a.dailyRollup),
		"daily.create":     one(a.submitDaily),
		"patrol.get":       one(a.patrol),
	}
}
