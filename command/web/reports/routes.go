package reports

import (
	"html/template"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/web/rest"
)

// handlers serve the reports' routes.
type handlers struct {
	*rest.Kit
	// page is the bulletin's HTML page.
	page *template.Template
}

// Routes are the reports' handlers by route name (auth.Routes).
func Routes(k *rest.Kit) map[string][]fiber.Handler {
	a, one := &handlers{Kit: k, page: bulletinPage()}, rest.One
	return map[string][]fiber.Handler{
		"bulletins.daily": one(a.dailyBulletin),
		"analysis.get":    one(a.analysis),
		"hotspots.get":    one(a.hotspots),
		"patrol.advice":   one(a.patrolAdvice),
	}
}
