package auth

import (
	"slices"

	"watchfloor/command/vocab"
)

// Route is one endpoint (Method "ANY" takes every method) and the roles that may call it. The web package
// registers its routes from Routes, so this table is the whole truth about
// access and the authorisation test holds it against the router.
type Route struct {
	Name   string // the handler's name in the web package
	Method string
	Path   string
	// Roles may call the route; nil means no session is needed.
	Roles []vocab.Role
}

// Role groups.
var (
	Everyone  = vocab.Roles()
	Watchers  = []vocab.Role{vocab.Admin, vocab.Leader, vocab.Deputy, vocab.Operator, vocab.Viewer}
	Operators = []vocab.Role{vocab.Admin, vocab.Operator}
	Command   = []vocab.Role{vocab.Admin, vocab.Leader, vocab.Deputy, vocab.Operator}
	Leaders   = []vocab.Role{vocab.Admin, vocab.Leader}
)

// Routes is every HTTP route and websocket of the API.
var Routes = []Route{
	{Name: "sessions.create", Method: "POST", Path: "/api/v1/sessions"},
	{Name: "sessions.delete", Method: "DELETE", Path: "/api/v1/sessions", Roles: Everyone},
	{Name: "sessions.me", Method: "GET", Path: "/api/v1/sessions/me", Roles: Everyone},
	// A one-time ticket that opens a websocket, so that no token travels in its URL.
	{Name: "sessions.ticket", Method: "POST", Path: "/api/v1/sessions/ticket", Roles: Everyone},
	{Name: "config.public", Method: "GET", Path: "/api/v1/config", Roles: Everyone},
	// The base map's PMTiles archive (map.base), read by range requests: public
	// geography, like the pages themselves, and drawn before sign-in.
	{Name: "tiles.base", Method: "GET", Path: "/tiles/base.pmtiles"},

	{Name: "incidents.create", Method: "POST", Path: "/api/v1/incidents", Roles: Operators},
	{Name: "incidents.list", Method: "GET", Path: "/api/v1/incidents", Roles: Watchers},
	// The reporting deadlines still open, earliest due first: the leaders'
	// countdown, however many incidents are open.
	{Name: "deadlines.list", Method: "GET", Path: "/api/v1/deadlines", Roles: Watchers},
	// Possible duplicates of a new call; before incidents.get, which would
	// take "duplicates" for an id.
	{Name: "incidents.duplicates", Method: "GET", Path: "/api/v1/incidents/duplicates", Roles: Command},
	// CAP 1.2 export (issue 20): the incident as an OASIS CAP alert; before
	// incidents.get, which would take "INC-….cap" for an id.
	{Name: "incidents.cap", Method: "GET", Path: "/api/v1/incidents/:id.cap", Roles: Watchers},
	// A warning (预警) as a CAP 1.2 alert, with the incident's export's
	// roles; before warnings.get, which would take "W-….cap" for an id.
	{Name: "warnings.cap", Method: "GET", Path: "/api/v1/warnings/:id.cap", Roles: Watchers},
	{Name: "incidents.get", Method: "GET", Path: "/api/v1/incidents/:id", Roles: Watchers},
	{Name: "incidents.report", Method: "POST", Path: "/api/v1/incidents/:id/reports", Roles: Command},
	{Name: "incidents.level", Method: "POST", Path: "/api/v1/incidents/:id/level", Roles: Leaders},
	{Name: "incidents.status", Method: "POST", Path: "/api/v1/incidents/:id/status", Roles: Command},
	{Name: "classify", Method: "POST", Path: "/api/v1/classify", Roles: Command},
	{Name: "categories.list", Method: "GET", Path: "/api/v1/categories", Roles: Everyone},

	{Name: "incidents.candidates", Method: "GET", Path: "/api/v1/incidents/:id/candidates", Roles: Command},

	{Name: "units.list", Method: "GET", Path: "/api/v1/units", Roles: Everyone},
	{Name: "units.get", Method: "GET", Path: "/api/v1/units/:id", Roles: Everyone},
	{Name: "units.status", Method: "POST", Path: "/api/v1/units/:id/status", Roles: []vocab.Role{vocab.Admin, vocab.Operator, vocab.Responder}},
	{Name: "units.track", Method: "GET", Path: "/api/v1/units/:id/track", Roles: Watchers},
	// Managing units (issue 19): create, edit, retire and restore, administrators only.
	{Name: "units.create", Method: "POST", Path: "/api/v1/units", Roles: []vocab.Role{vocab.Admin}},
	{Name: "units.update", Method: "PUT", Path: "/api/v1/units/:id", Roles: []vocab.Role{vocab.Admin}},
	{Name: "units.retire", Method: "POST", Path: "/api/v1/units/:id/retire", Roles: []vocab.Role{vocab.Admin}},
	{Name: "units.restore", Method: "POST", Path: "/api/v1/units/:id/restore", Roles: []vocab.Role{vocab.Admin}},
	{Name: "positions.create", Method: "POST", Path: "/api/v1/positions", Roles: []vocab.Role{vocab.Admin, vocab.Operator, vocab.Responder}},
	// OsmAnd devices carry no token: a device is known by its configured id.
	{Name: "osmand", Method: "ANY", Path: "/api/v1/osmand"},

	{Name: "grids.list", Method: "GET", Path: "/api/v1/grids", Roles: Everyone},
	{Name: "zones.list", Method: "GET", Path: "/api/v1/zones", Roles: Everyone},
	// The gazetteer (地名地址库) that places a call.
	{Name: "places.search", Method: "GET", Path: "/api/v1/places", Roles: Watchers},

	{Name: "dispatches.create", Method: "POST", Path: "/api/v1/incidents/:id/dispatches", Roles: Operators},
	{Name: "dispatches.list", Method: "GET", Path: "/api/v1/incidents/:id/dispatches", Roles: Watchers},
	{Name: "dispatches.get", Method: "GET", Path: "/api/v1/dispatches/:id", Roles: Everyone},
	{Name: "dispatches.cancel", Method: "POST", Path: "/api/v1/dispatches/:id/cancel", Roles: Operators},
	// Redirect (改派): cancel the order and send another unit, in one commit.
	{Name: "dispatches.redirect", Method: "POST", Path: "/api/v1/dispatches/:id/redirect", Roles: Operators},

	{Name: "alarms.list", Method: "GET", Path: "/api/v1/alarms", Roles: Watchers},
	{Name: "alarms.ack", Method: "POST", Path: "/api/v1/alarms/:id/ack", Roles: []vocab.Role{vocab.Admin, vocab.Leader, vocab.Deputy, vocab.Operator}},

	{Name: "plans.list", Method: "GET", Path: "/api/v1/plans", Roles: Watchers},
	{Name: "activations.list", Method: "GET", Path: "/api/v1/activations", Roles: Watchers},
	{Name: "activations.get", Method: "GET", Path: "/api/v1/activations/:id", Roles: Watchers},
	// Who may approve, reject, move and end is the plan's to say per level:
	// the route lets every deciding role through and the plan refuses the rest.
	{Name: "activations.approve", Method: "POST", Path: "/api/v1/activations/:id/approve", Roles: Command},
	{Name: "activations.reject", Method: "POST", Path: "/api/v1/activations/:id/reject", Roles: Command},
	{Name: "activations.end", Method: "POST", Path: "/api/v1/activations/:id/end", Roles: Command},
	{Name: "activations.phase", Method: "POST", Path: "/api/v1/activations/:id/phase", Roles: Command},
	// Issue 20 part 2: a plan started by hand, by whoever may approve it at
	// the level (the plan refuses the rest, saying who may).
	{Name: "activations.start", Method: "POST", Path: "/api/v1/activations", Roles: []vocab.Role{vocab.Admin, vocab.Leader, vocab.Deputy}},

	// A plan's tasks: acknowledged and done by the unit they are for (or an
	// admin); another unit's task is not found.
	{Name: "tasks.ack", Method: "POST", Path: "/api/v1/tasks/:id/ack", Roles: []vocab.Role{vocab.Admin, vocab.Responder}},
	{Name: "tasks.done", Method: "POST", Path: "/api/v1/tasks/:id/done", Roles: []vocab.Role{vocab.Admin, vocab.Responder}},

	{Name: "deadlines.sent", Method: "POST", Path: "/api/v1/incidents/:id/deadlines/:deadline", Roles: Command},
	// The information report (信息报告) answering a deadline: read, edit, export.
	{Name: "deadlines.report", Method: "GET", Path: "/api/v1/incidents/:id/deadlines/:deadline/report", Roles: Watchers},
	{Name: "deadlines.report.put", Method: "PUT", Path: "/api/v1/incidents/:id/deadlines/:deadline/report", Roles: Command},
	{Name: "deadlines.report.txt", Method: "GET", Path: "/api/v1/incidents/:id/deadlines/:deadline/report.txt", Roles: Watchers},
	{Name: "audit.list", Method: "GET", Path: "/api/v1/audit", Roles: Leaders},

	// Grid cases: responders (grid officers) report and handle their own;
	// accounts with an area see and act only in it and below.
	{Name: "cases.create", Method: "POST", Path: "/api/v1/cases", Roles: []vocab.Role{vocab.Admin, vocab.Operator, vocab.Responder}},
	{Name: "cases.list", Method: "GET", Path: "/api/v1/cases", Roles: Everyone},
	{Name: "cases.stats", Method: "GET", Path: "/api/v1/cases/stats", Roles: Watchers},
	// The electronic ledger (电子台帐) of a period, as CSV.
	{Name: "cases.export", Method: "GET", Path: "/api/v1/cases/export.csv", Roles: Watchers},
	{Name: "cases.get", Method: "GET", Path: "/api/v1/cases/:id", Roles: Everyone},
	{Name: "cases.action", Method: "POST", Path: "/api/v1/cases/:id/actions", Roles: []vocab.Role{vocab.Admin, vocab.Leader, vocab.Deputy, vocab.Operator, vocab.Responder}},
	{Name: "cases.photos.add", Method: "POST", Path: "/api/v1/cases/:id/photos", Roles: []vocab.Role{vocab.Admin, vocab.Operator, vocab.Responder}},
	{Name: "cases.photos.get", Method: "GET", Path: "/api/v1/cases/:id/photos/:n", Roles: Everyone},
	// A case that grew becomes an incident, linked both ways.
	{Name: "cases.raise", Method: "POST", Path: "/api/v1/cases/:id/raise", Roles: Command},
	{Name: "daily.create", Method: "POST", Path: "/api/v1/daily-reports", Roles: []vocab.Role{vocab.Admin, vocab.Operator, vocab.Responder}},
	// The day's roll-up of which areas have reported.
	{Name: "daily.list", Method: "GET", Path: "/api/v1/daily-reports", Roles: Watchers},
	{Name: "case_kinds.list", Method: "GET", Path: "/api/v1/case-kinds", Roles: Everyone},
	{Name: "patrol.get", Method: "GET", Path: "/api/v1/patrol", Roles: Watchers},

	// Bulletins and analysis (两会三通报), hotspots and patrol advice.
	{Name: "bulletins.daily", Method: "GET", Path: "/api/v1/bulletins/daily", Roles: Watchers},
	{Name: "analysis.get", Method: "GET", Path: "/api/v1/analysis", Roles: Watchers},
	{Name: "hotspots.get", Method: "GET", Path: "/api/v1/hotspots", Roles: Watchers},
	{Name: "patrol.advice", Method: "GET", Path: "/api/v1/patrol/advice", Roles: Watchers},

	// Duty roster (值班表) and shift handover (交接班), issue 19: the roster
	// is edited by administrators and leaders and read by the command roles;
	// who is on duty now is for everyone (phones masked as on the screens).
	{Name: "roster.month", Method: "GET", Path: "/api/v1/roster", Roles: Command},
	// Before roster.day, which would take export.csv for a date.
	{Name: "roster.export", Method: "GET", Path: "/api/v1/roster/export.csv", Roles: Command},
	{Name: "roster.import", Method: "POST", Path: "/api/v1/roster/import.csv", Roles: Leaders},
	{Name: "roster.day", Method: "GET", Path: "/api/v1/roster/:date", Roles: Command},
	{Name: "roster.put", Method: "PUT", Path: "/api/v1/roster/:date", Roles: Leaders},
	{Name: "duty.now", Method: "GET", Path: "/api/v1/duty/now", Roles: Everyone},
	{Name: "handovers.open", Method: "POST", Path: "/api/v1/handovers", Roles: Command},
	{Name: "handovers.list", Method: "GET", Path: "/api/v1/handovers", Roles: Command},
	// Before handovers.get, which would take export.csv for an id.
	{Name: "handovers.export", Method: "GET", Path: "/api/v1/handovers/export.csv", Roles: Command},
	{Name: "handovers.get", Method: "GET", Path: "/api/v1/handovers/:id", Roles: Command},
	{Name: "handovers.submit", Method: "POST", Path: "/api/v1/handovers/:id/submit", Roles: Command},
	{Name: "handovers.accept", Method: "POST", Path: "/api/v1/handovers/:id/accept", Roles: Command},
	// Notifications: the outbox with each message's state, a failed one
	// retried, a test message sent to a channel (administrators).
	{Name: "notifications.list", Method: "GET", Path: "/api/v1/notifications", Roles: []vocab.Role{vocab.Admin}},
	{Name: "notifications.retry", Method: "POST", Path: "/api/v1/notifications/:id/retry", Roles: []vocab.Role{vocab.Admin}},
	{Name: "notifications.test", Method: "POST", Path: "/api/v1/notification-channels/:id/test", Roles: []vocab.Role{vocab.Admin}},

	// Warnings (预警, issue 20 part 1): issued and changed by operators and
	// leaders (an account with an area only inside it), read by everyone.
	{Name: "warnings.create", Method: "POST", Path: "/api/v1/warnings", Roles: Warners},
	{Name: "warnings.list", Method: "GET", Path: "/api/v1/warnings", Roles: Everyone},
	{Name: "warnings.get", Method: "GET", Path: "/api/v1/warnings/:id", Roles: Everyone},
	{Name: "warnings.raise", Method: "POST", Path: "/api/v1/warnings/:id/raise", Roles: Warners},
	{Name: "warnings.lower", Method: "POST", Path: "/api/v1/warnings/:id/lower", Roles: Warners},
	{Name: "warnings.extend", Method: "POST", Path: "/api/v1/warnings/:id/extend", Roles: Warners},
	{Name: "warnings.lift", Method: "POST", Path: "/api/v1/warnings/:id/lift", Roles: Warners},

	// Profiling, for finding what a missed performance target costs.
	{Name: "pprof.profile", Method: "GET", Path: "/debug/pprof/profile", Roles: []vocab.Role{vocab.Admin}},
	{Name: "pprof.trace", Method: "GET", Path: "/debug/pprof/trace", Roles: []vocab.Role{vocab.Admin}},
	{Name: "pprof.index", Method: "GET", Path: "/debug/pprof/*", Roles: []vocab.Role{vocab.Admin}},

	{Name: "ws.screen", Method: "GET", Path: "/ws/screen", Roles: Watchers},
	{Name: "ws.leader", Method: "GET", Path: "/ws/leader", Roles: []vocab.Role{vocab.Admin, vocab.Leader, vocab.Deputy}},
	{Name: "ws.responder", Method: "GET", Path: "/ws/responder", Roles: []vocab.Role{vocab.Responder}},
	// Heartbeats only: a page with no stream of its own learns at once that
	// its session ended.
	{Name: "ws.session", Method: "GET", Path: "/ws/session", Roles: Everyone},

	// Accounts (issue 19, part 1): managed by admins at run time; everyone
	// changes their own password.
	{Name: "accounts.list", Method: "GET", Path: "/api/v1/accounts", Roles: Admins},
	{Name: "accounts.create", Method: "POST", Path: "/api/v1/accounts", Roles: Admins},
	{Name: "accounts.get", Method: "GET", Path: "/api/v1/accounts/:username", Roles: Admins},
	{Name: "accounts.update", Method: "PATCH", Path: "/api/v1/accounts/:username", Roles: Admins},
	{Name: "accounts.delete", Method: "DELETE", Path: "/api/v1/accounts/:username", Roles: Admins},
	{Name: "accounts.disable", Method: "POST", Path: "/api/v1/accounts/:username/disable", Roles: Admins},
	{Name: "accounts.enable", Method: "POST", Path: "/api/v1/accounts/:username/enable", Roles: Admins},
	{Name: "accounts.reset", Method: "POST", Path: "/api/v1/accounts/:username/password-reset", Roles: Admins},
	{Name: "password.change", Method: "PUT", Path: "/api/v1/sessions/me/password", Roles: Everyone},
}

// Warners issue and change warnings.
var Warners = []vocab.Role{vocab.Operator, vocab.Leader}

// Admins is the administrators alone.
var Admins = []vocab.Role{vocab.Admin}

// BeforePasswordChange are the routes a session whose account must change
// its password may call; every other answers 403 until it is changed.
var BeforePasswordChange = []string{"password.change", "sessions.delete", "sessions.me", "config.public"}

// Allowed reports whether role may call r.
func (r Route) Allowed(role vocab.Role) bool {
	return r.Roles == nil || slices.Contains(r.Roles, role)
}

// Public reports whether r needs no session.
func (r Route) Public() bool { return r.Roles == nil }
