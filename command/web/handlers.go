package web

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"

	"watchfloor/alerts"
	"watchfloor/command/audit"
	"watchfloor/command/auth"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/plan"
	"watchfloor/command/strictjson"
	"watchfloor/command/vocab"
)

func (a *API) handlers() map[string][]fiber.Handler {
	one := func(h fiber.Handler) []fiber.Handler { return []fiber.Handler{h} }
	return map[string][]fiber.Handler{
		"sessions.create":      one(a.login),
		"sessions.delete":      one(a.logout),
		"sessions.me":          one(a.me),
		"sessions.ticket":      one(a.ticket),
		"config.public":        one(a.publicConfig),
		"tiles.base":           one(a.baseMap),
		"incidents.create":     one(a.createIncident),
		"incidents.list":       one(a.listIncidents),
		"incidents.get":        one(a.getIncident),
		"incidents.report":     one(a.reportIncident),
		"incidents.level":      one(a.setLevel),
		"incidents.status":     one(a.setStatus),
		"classify":             one(a.classify),
		"categories.list":      one(a.categories),
		"grids.list":           one(a.geojson(func() []byte { return a.Map.GridsJSON })),
		"zones.list":           one(a.geojson(func() []byte { return a.Map.ZonesJSON })),
		"places.search":        one(a.searchPlaces),
		"ws.screen":            a.screenSocket(),
		"incidents.candidates": one(a.candidates),
		"units.list":           one(a.listUnits),
		"units.get":            one(a.getUnit),
		"units.status":         one(a.setUnitStatus),
		"units.track":          one(a.track),
		"positions.create":     one(a.postPositions),
		"osmand":               one(a.osmand),
		"dispatches.create":    one(a.createDispatches),
		"dispatches.list":      one(a.listDispatches),
		"dispatches.get":       one(a.getDispatch),
		"dispatches.cancel":    one(a.cancelDispatch),
		"alarms.list":          one(a.listAlarms),
		"alarms.ack":           one(a.ackAlarm),
		"ws.session":           a.sessionSocket(),
		"ws.responder":         a.responderSocket(),
		"bulletins.daily":      one(a.dailyBulletin),
		"analysis.get":         one(a.analysis),
		"hotspots.get":         one(a.hotspots),
		"patrol.advice":        one(a.patrolAdvice),
		"cases.create":         one(a.createCase),
		"cases.list":           one(a.listCases),
		"cases.stats":          one(a.caseStats),
		"cases.get":            one(a.getCase),
		"cases.action":         one(a.caseAction),
		"cases.photos.add":     one(a.addPhoto),
		"cases.photos.get":     one(a.getPhoto),
		"cases.raise":          one(a.raiseCase),
		"cases.export":         one(a.exportCases),
		"case_kinds.list":      one(a.caseKinds),
		"daily.list":           one(a.dailyRollup),
		"daily.create":         one(a.submitDaily),
		"patrol.get":           one(a.patrol),
		"pprof.profile":        one(adapt(http.HandlerFunc(pprof.Profile))),
		"pprof.trace":          one(adapt(http.HandlerFunc(pprof.Trace))),
		"pprof.index":          one(pprofIndex()),
		"plans.list":           one(a.listPlans),
		"activations.list":     one(a.listActivations),
		"activations.get":      one(a.getActivation),
		"activations.approve":  one(a.activationAction("approve")),
		"activations.reject":   one(a.activationAction("reject")),
		"activations.end":      one(a.activationAction("end")),
		"activations.phase":    one(a.activationAction("phase")),
		"deadlines.sent":       one(a.recordSent),
		"tasks.ack":            one(a.taskAction(plan.ActAcknowledge)),
		"tasks.done":           one(a.taskAction(plan.ActDone)),
		"deadlines.report":     one(a.getInfoReport),
		"deadlines.report.put": one(a.saveInfoReport),
		"deadlines.report.txt": one(a.exportInfoReport),
		"incidents.duplicates": one(a.duplicates),
		"dispatches.redirect":  one(a.redirectDispatch),
		"audit.list":           one(a.auditTrail),
		"ws.leader":            a.leaderSocket(),
	}
}

// audit appends a record that belongs to no other write; a failure is
// logged, never shown (the request itself succeeded or failed on its own).
func (a *API) audit(c *fiber.Ctx, r audit.Record) {
	r.Who = strings.Clone(r.Who)
	r.At = time.Now().UTC()
	if err := a.Audit.Append(c.UserContext(), r); err != nil {
		a.Log.Warn("auditing failed", "action", r.Action, "err", err)
	}
}

func forbidden(detail string) error { return &fault.Forbidden{Detail: detail} }

// body returns the request body after checking the JSON size limit and
// the media type (415 unless application/json, see jsonMediaType).
func (a *API) body(c *fiber.Ctx) ([]byte, error) {
	b := c.Body()
	if len(b) > a.Config.Limits.JSONBodyBytes {
		return nil, fiber.NewError(fiber.StatusRequestEntityTooLarge)
	}
	ct := c.Get(fiber.HeaderContentType)
	if ct == "" && len(b) == 0 {
		return b, nil // no body at all: the actions whose body is optional
	}
	if err := jsonMediaType(ct); err != nil {
		return nil, err
	}
	return b, nil
}

// unsupportedMedia is a body of a media type other than JSON (415).
type unsupportedMedia struct{ detail string }

func (e *unsupportedMedia) Error() string { return e.detail }

// jsonMediaType accepts exactly application/json, with parameters (a
// charset, when given, must be UTF-8).
func jsonMediaType(ct string) error {
	mt, params, err := mime.ParseMediaType(ct)
	switch {
	case ct == "":
		return &unsupportedMedia{"a JSON body needs Content-Type: application/json"}
	case err != nil || mt != "application/json":
		return &unsupportedMedia{fmt.Sprintf("Content-Type must be application/json, not %q", ct)}
	case params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8"):
		return &unsupportedMedia{fmt.Sprintf("a JSON body is UTF-8, not charset %q", params["charset"])}
	}
	return nil
}

// decode reads a JSON body within the JSON size limit strictly into v, and
// returns the body too (idempotency fingerprints it).
func (a *API) decode(c *fiber.Ctx, v any) ([]byte, error) {
	b, err := a.body(c)
	if err != nil {
		return nil, err
	}
	return b, strictjson.Decode(b, v)
}

// idempotency reads the Idempotency-Key of a create, scoped to the account
// and the kind of thing created, bound to the body; nil without a key.
func (a *API) idempotency(c *fiber.Ctx, kind string, body []byte) (*vocab.Idempotency, error) {
	key := c.Get("Idempotency-Key")
	if key == "" {
		return nil, nil
	}
	if !validIdempotencyKey(key) {
		return nil, fault.Field("Idempotency-Key", "1 to 128 printable ASCII characters")
	}
	sum := sha256.Sum256(body)
	return &vocab.Idempotency{Key: session(c).Username + ":" + kind + ":" + key, Fingerprint: hex.EncodeToString(sum[:8]), TTL: a.Config.Idempotency}, nil
}

// reasonText cleans a free-text reason (incident.CleanText); one with
// nothing visible counts as none, so a required reason is still missing.
func reasonText(s string) string { return incident.CleanNote(s) }

func actor(c *fiber.Ctx) vocab.Actor {
	s := session(c)
	return vocab.Actor{Username: s.Username, Role: s.Role}
}

// seesPersonalData reports whether role may see reporters' names and phones.
func seesPersonalData(role vocab.Role) bool {
	return role == vocab.Operator || role == vocab.Leader || role == vocab.Deputy || role == vocab.Admin
}

func (a *API) view(c *fiber.Ctx, inc *incident.Incident) *incident.Incident {
	if seesPersonalData(session(c).Role) {
		return inc
	}
	return inc.Masked()
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Login input bounds: configured names are at most 64 characters, and
// bcrypt reads no further than 72 bytes of a password.
const (
	maxUsername = 64
	maxPassword = 256
)

func (a *API) login(c *fiber.Ctx) error {
	ip := a.clientIP(c)
	// Limits count per network, not per address: one IPv6 client holds a
	// whole /64 and could take a fresh address for each attempt.
	from := addressKey(ip)
	if ok, wait := a.logins.allow(from, time.Now()); !ok {
		c.Set(fiber.HeaderRetryAfter, retryAfter(wait))
		return problem(c, 429, "rate-limited", fmt.Sprintf("too many logins from this address; try again in %s s", retryAfter(wait)), nil)
	}
	var req loginRequest
	if _, err := a.decode(c, &req); err != nil {
		return err
	}
	bad := &fault.Invalid{}
	switch {
	case req.Username == "":
		bad.Add("username", "required")
	case len(req.Username) > maxUsername:
		bad.Add("username", "at most %d bytes", maxUsername)
	}
	switch {
	case req.Password == "":
		bad.Add("password", "required")
	case len(req.Password) > maxPassword:
		bad.Add("password", "at most %d bytes", maxPassword)
	}
	if err := bad.Err(); err != nil {
		return err
	}
	token, sess, err := a.Auth.Login(c.UserContext(), req.Username, req.Password, from)
	var throttled *auth.Throttled
	var refused *auth.Refused
	switch {
	case errors.As(err, &throttled):
		a.audit(c, audit.Record{Who: req.Username, Action: "session.throttled", Object: req.Username, Detail: map[string]any{"ip": ip}})
		c.Set(fiber.HeaderRetryAfter, retryAfter(throttled.RetryAfter))
		return problem(c, 429, "too-many-logins", throttled.Error(), nil)
	case errors.As(err, &refused):
		a.audit(c, audit.Record{Who: req.Username, Action: "session.refused", Object: req.Username, Detail: map[string]any{"ip": ip}})
		if refused.Wait > 0 {
			c.Set(fiber.HeaderRetryAfter, retryAfter(refused.Wait))
		}
		return problem(c, 401, "bad-credentials", refused.Error(), nil)
	case err != nil:
		return err
	}
	a.audit(c, audit.Record{Who: sess.Username, Role: sess.Role, Action: "session.created", Object: sess.Username, Detail: map[string]any{"ip": ip}})
	return c.Status(201).JSON(fiber.Map{"token": token, "role": sess.Role, "username": sess.Username, "unit": sess.Unit, "expires_at": sess.ExpiresAt})
}

func (a *API) logout(c *fiber.Ctx) error {
	hash, _ := c.Locals(tokenHashKey).(string)
	if err := a.Auth.EndSession(c.UserContext(), hash); err != nil {
		return err
	}
	s := session(c)
	a.audit(c, audit.Record{Who: s.Username, Role: s.Role, Action: "session.deleted", Object: s.Username})
	return c.SendStatus(204)
}

// ticket issues a one-time websocket ticket for the caller's session.
func (a *API) ticket(c *fiber.Ctx) error {
	hash, _ := c.Locals(tokenHashKey).(string)
	t, err := a.Auth.NewTicket(c.UserContext(), hash)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(201).JSON(t)
}

func (a *API) me(c *fiber.Ctx) error { return c.JSON(session(c)) }

func (a *API) publicConfig(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{
		"deployment": a.Config.Deployment,
		"timezone":   a.Config.Timezone,
		"map":        fiber.Map{"center": a.Config.Map.Center, "zoom": a.Config.Map.Zoom, "tile_url": a.Config.Map.TileURL, "base": baseMapConfig(a.Config.Map.Base)},
		"levels":     levelInfo(),
	})
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

func (a *API) geojson(get func() []byte) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "application/geo+json")
		c.Set(fiber.HeaderCacheControl, "private, max-age=300")
		return c.Send(get())
	}
}

func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > 128 {
		return false
	}
	for _, r := range k {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func (a *API) createIncident(c *fiber.Ctx) error {
	b, err := a.body(c)
	if err != nil {
		return err
	}
	idem, err := a.idempotency(c, "incidents", b)
	if err != nil {
		return err
	}
	in, err := incident.Decode(b)
	if err != nil {
		return err
	}
	inc, replayed, err := a.Incidents.Create(c.UserContext(), actor(c), in, idem)
	if err != nil {
		return err
	}
	if replayed {
		c.Set("Idempotency-Replayed", "true")
	}
	c.Set(fiber.HeaderLocation, "/api/v1/incidents/"+inc.ID)
	return c.Status(201).JSON(a.view(c, inc))
}

func (a *API) classify(c *fiber.Ctx) error {
	b, err := a.body(c)
	if err != nil {
		return err
	}
	in, err := incident.Decode(b)
	if err != nil {
		return err
	}
	res, err := a.Incidents.Classify(in)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (a *API) listIncidents(c *fiber.Ctx) error {
	q := incident.Query{Status: c.Query("status"), Category: c.Query("category"), Grid: c.Query("grid")}
	bad := &fault.Invalid{}
	if q.Status != "" && !incident.ValidStatus(q.Status) {
		bad.Add("status", "must be one of open, responding, recovery, closed")
	}
	if v := c.Query("level"); v != "" {
		l, err := alerts.ParseLevel(v)
		if err != nil {
			bad.Add("level", "must be I, II, III or IV")
		}
		q.Level = l
	}
	if v := c.Query("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			bad.Add("since", "must be an RFC 3339 time")
		}
		q.Since = t
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			bad.Add("limit", "must be a whole number from 1 to 1000")
		}
		q.Limit = n
	}
	if q.Category != "" && a.Config.Category(q.Category) == nil {
		bad.Add("category", "unknown category %q", q.Category)
	}
	if q.Grid != "" && a.Map.Area(q.Grid) == nil {
		bad.Add("grid", "unknown grid code %q", q.Grid)
	}
	if err := bad.Err(); err != nil {
		return err
	}
	list, err := a.Incidents.List(c.UserContext(), q)
	if err != nil {
		return err
	}
	for i := range list {
		list[i] = a.view(c, list[i])
	}
	return c.JSON(fiber.Map{"incidents": list, "count": len(list)})
}

func (a *API) getIncident(c *fiber.Ctx) error {
	inc, tl, err := a.Incidents.Get(c.UserContext(), strings.Clone(c.Params("id")))
	if err != nil {
		return err
	}
	return c.JSON(struct {
		*incident.Incident
		Timeline []incident.Entry `json:"timeline"`
	}{a.view(c, inc), tl})
}

func (a *API) reportIncident(c *fiber.Ctx) error {
	b, err := a.body(c)
	if err != nil {
		return err
	}
	id := strings.Clone(c.Params("id"))
	idem, err := a.idempotency(c, "reports:"+id, b)
	if err != nil {
		return err
	}
	in, err := incident.Decode(b)
	if err != nil {
		return err
	}
	inc, err := a.Incidents.Report(c.UserContext(), actor(c), id, in, idem)
	if err != nil {
		return err
	}
	return c.JSON(a.view(c, inc))
}

type levelRequest struct {
	Level  *string `json:"level"`
	Reason string  `json:"reason"`
}

func (a *API) setLevel(c *fiber.Ctx) error {
	var req levelRequest
	if _, err := a.decode(c, &req); err != nil {
		return err
	}
	if req.Level == nil {
		return fault.Field("level", "required: I, II, III or IV")
	}
	l, err := alerts.ParseLevel(*req.Level)
	if err != nil {
		return fault.Field("level", "must be I, II, III or IV")
	}
	if len(req.Reason) > 2000 {
		return fault.Field("reason", "at most 2000 characters")
	}
	inc, err := a.Incidents.SetLevel(c.UserContext(), actor(c), strings.Clone(c.Params("id")), l, reasonText(req.Reason))
	if err != nil {
		return err
	}
	return c.JSON(a.view(c, inc))
}

// pprofIndex serves the index and the named runtime profiles. cmdline (the
// process's arguments) and symbol (symbol lookup by address) are not served:
// they answer 404 like an unknown profile.
func pprofIndex() fiber.Handler {
	index := adapt(http.HandlerFunc(pprof.Index))
	return func(c *fiber.Ctx) error {
		switch strings.Trim(c.Params("*"), "/") {
		case "cmdline", "symbol":
			return fmt.Errorf("profile %s: %w", c.Params("*"), fault.ErrNotFound)
		}
		return index(c)
	}
}

// addressKey is what per-address limits count a client under: its IPv4
// address, or the /64 network of its IPv6 address.
func addressKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Is4() || addr.Is4In6() {
		return ip
	}
	p, err := addr.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}
