package web

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/pprof"
	"slices"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/auth"
	"watchfloor/command/web/cases"
	"watchfloor/command/web/duty"
	"watchfloor/command/web/geodata"
	"watchfloor/command/web/incidents"
	"watchfloor/command/web/notify"
	"watchfloor/command/web/people"
	"watchfloor/command/web/reports"
	"watchfloor/command/web/rest"
	"watchfloor/command/web/units"
	"watchfloor/command/web/warnings"
)

// handlers are the handlers of every route, by the route's name in
// auth.Routes: the shell's own (sessions, config, profiles) and those of
// the resource packages. A name served twice, or one the table does not
// hold, is an error: the table stays the one list of routes.
func (a *API) handlers() (map[string][]fiber.Handler, error) {
	one := rest.One
	out := map[string][]fiber.Handler{
		"sessions.create": one(a.login),
		"sessions.delete": one(a.logout),
		"sessions.me":     one(a.me),
		"sessions.ticket": one(a.ticket),
		"config.public":   one(a.publicConfig),
		"categories.list": one(a.categories),
		"pprof.profile":   one(rest.Adapt(http.HandlerFunc(pprof.Profile))),
		"pprof.trace":     one(rest.Adapt(http.HandlerFunc(pprof.Trace))),
		"pprof.index":     one(pprofIndex()),
	}
	for _, part := range []map[string][]fiber.Handler{
		incidents.Routes(a.Kit), units.Routes(a.Kit), cases.Routes(a.Kit), reports.Routes(a.Kit),
		geodata.Routes(a.Kit), people.Routes(a.Kit), duty.Routes(a.Kit), notify.Routes(a.Kit), warnings.Routes(a.Kit), a.sockets.Routes(),
	} {
		for name := range part {
			if _, taken := out[name]; taken {
				return nil, fmt.Errorf("route %s has two handlers", name)
			}
		}
		maps.Copy(out, part)
	}
	for name := range out {
		if !slices.ContainsFunc(auth.Routes, func(r auth.Route) bool { return r.Name == name }) {
			return nil, fmt.Errorf("handler %s has no route in auth.Routes", name)
		}
	}
	a.osmand = out["osmand"][0]
	return out, nil
}
