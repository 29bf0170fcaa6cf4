package web

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"watchfloor/command/fault"
	"watchfloor/command/osmand"
	"watchfloor/command/strictjson"
	"watchfloor/command/unit"
	"watchfloor/command/vocab"
)

func seesDevices(role vocab.Role) bool { return role == vocab.Operator || role == vocab.Admin }

func (a *API) listUnits(c *fiber.Ctx) error {
	units := a.Units.Fleet.List(seesDevices(session(c).Role))
	return c.JSON(fiber.Map{"units": units, "count": len(units)})
}

func (a *API) getUnit(c *fiber.Ctx) error {
	v, ok := a.Units.Fleet.Get(c.Params("id"), seesDevices(session(c).Role))
	if !ok {
		return fmt.Errorf("unit %s: %w", c.Params("id"), fault.ErrNotFound)
	}
	return c.JSON(v)
}

type unitStatusRequest struct {
	Status string `json:"status"`
}

func (a *API) setUnitStatus(c *fiber.Ctx) error {
	id := strings.Clone(c.Params("id"))
	s := session(c)
	if s.Role == vocab.Responder && s.Unit != id {
		return forbidden(fmt.Sprintf("a responder may change only its own unit (%s)", s.Unit))
	}
	var req unitStatusRequest
	if _, err := a.decode(c, &req); err != nil {
		return err
	}
	v, err := a.Units.SetStatus(c.UserContext(), id, req.Status, s.Username, s.Role)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// positionIn is one position of the batch API.
type positionIn struct {
	UnitID     string   `json:"unit_id"`
	DeviceID   string   `json:"device_id"`
	Lon        *float64 `json:"lon"`
	Lat        *float64 `json:"lat"`
	At         string   `json:"at"`
	SpeedMPS   *float64 `json:"speed_mps"`
	Heading    *float64 `json:"heading"`
	AccuracyM  *float64 `json:"accuracy_m"`
	BatteryPct *float64 `json:"battery_pct"`
}

type rejected struct {
	Index  int    `json:"index"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

type flagged struct {
	Index int      `json:"index"`
	Flags []string `json:"flags"`
}

// MaxBatch is the most positions one batch request may carry.
const MaxBatch = 10000

// maxIDLen bounds unit and device ids as sent, so a hostile id is refused
// by its length, never looked up or echoed whole.
const maxIDLen = osmand.MaxDeviceID

// read checks one position of a batch: a unit or device id, then the
// position itself (readPosition).
func (p *positionIn) read() (unit.Position, error) {
	switch {
	case len(p.UnitID) > maxIDLen:
		return unit.Position{}, fault.Field("unit_id", "at most %d bytes", maxIDLen)
	case len(p.DeviceID) > maxIDLen:
		return unit.Position{}, fault.Field("device_id", "at most %d bytes", maxIDLen)
	case p.UnitID == "" && p.DeviceID == "":
		return unit.Position{}, fault.Field("unit_id", "unit_id or device_id is required")
	}
	return p.readPosition()
}

// readPosition checks a position as sent: lon and lat present and on the
// earth, at (when given) an RFC 3339 time after 1970; optional readings
// out of bounds are dropped. A zero At means "now". The error is a
// fault.Invalid naming the field.
func (p *positionIn) readPosition() (unit.Position, error) {
	switch {
	case p.Lon == nil:
		return unit.Position{}, fault.Field("lon", "lon and lat are required")
	case p.Lat == nil:
		return unit.Position{}, fault.Field("lat", "lon and lat are required")
	}
	var at time.Time
	if p.At != "" {
		t, err := time.Parse(time.RFC3339Nano, p.At)
		if err != nil {
			return unit.Position{}, fault.Field("at", "at must be an RFC 3339 time")
		}
		at = t
	}
	return unit.Read(*p.Lon, *p.Lat, at, p.At == "", unit.Readings{SpeedMPS: p.SpeedMPS, Heading: p.Heading, AccuracyM: p.AccuracyM, BatteryPct: p.BatteryPct})
}

// positionRead is one position of a batch as decoded: its unit or device
// id and the position, or why it is refused (a fault.Invalid).
type positionRead struct {
	UnitID, DeviceID string
	Position         unit.Position
	Err              error
}

// decodePositions decodes the body of POST /api/v1/positions without
// looking anything up: a body that is not the right JSON or holds more
// than MaxBatch positions is refused whole; each position is read on its
// own, so one bad position refuses only itself.
func decodePositions(body []byte) ([]positionRead, error) {
	var req struct {
		Positions []positionIn `json:"positions"`
	}
	if err := strictjson.Decode(body, &req); err != nil {
		return nil, err
	}
	if len(req.Positions) > MaxBatch {
		return nil, fault.Field("positions", "at most %d positions per request", MaxBatch)
	}
	out := make([]positionRead, len(req.Positions))
	for i := range req.Positions {
		p := &req.Positions[i]
		pos, err := p.read()
		out[i] = positionRead{UnitID: p.UnitID, DeviceID: p.DeviceID, Position: pos, Err: err}
	}
	return out, nil
}

// reason is a refusal as a batch answer gives it: the field and why.
func reason(err error) (field, why string) {
	var inv *fault.Invalid
	if errors.As(err, &inv) && len(inv.Errors) > 0 {
		f := inv.Errors[0]
		if f.Field == "" {
			return "", f.Message
		}
		return f.Field, f.Field + ": " + f.Message
	}
	return "", err.Error()
}

func (a *API) postPositions(c *fiber.Ctx) error {
	// A batch may exceed the JSON body limit (up to the body limit).
	if err := jsonMediaType(c.Get(fiber.HeaderContentType)); err != nil {
		return err
	}
	reads, err := decodePositions(c.Body())
	if err != nil {
		return err
	}
	s := session(c)
	samples := make([]unit.Sample, 0, len(reads))
	index := make([]int, 0, len(reads))
	out := struct {
		Accepted int        `json:"accepted"`
		Moved    int        `json:"moved"`
		Flagged  []flagged  `json:"flagged"`
		Rejected []rejected `json:"rejected"`
	}{Flagged: []flagged{}, Rejected: []rejected{}}
	for i, p := range reads {
		sm, err := a.sample(p)
		if err == nil && s.Role == vocab.Responder && sm.UnitID != s.Unit {
			err = fault.Field("unit_id", "a responder sends only its own unit's positions (%s)", s.Unit)
		}
		if err == nil {
			err = a.Ingest.Check(&sm)
		}
		if err != nil {
			field, why := reason(err)
			out.Rejected = append(out.Rejected, rejected{Index: i, Field: field, Reason: why})
			continue
		}
		samples = append(samples, sm)
		index = append(index, i)
	}
	flags, err := a.Ingest.Submit(c.UserContext(), samples)
	if err != nil {
		return err
	}
	for j, f := range flags {
		if f == 0 {
			out.Moved++
		} else {
			out.Flagged = append(out.Flagged, flagged{Index: index[j], Flags: f.Names()})
		}
	}
	out.Accepted = len(samples)
	return c.Status(fiber.StatusAccepted).JSON(out)
}

// sample resolves a read position's unit (by device id when no unit id).
func (a *API) sample(p positionRead) (unit.Sample, error) {
	if p.Err != nil {
		return unit.Sample{}, p.Err
	}
	id := p.UnitID
	if id == "" {
		var ok bool
		if id, ok = a.Units.Fleet.ByDevice(p.DeviceID); !ok {
			return unit.Sample{}, fault.Field("device_id", "unknown device %q", p.DeviceID)
		}
	}
	return unit.Sample{UnitID: id, Position: p.Position}, nil
}

// OsmandBodyLimit is the largest OsmAnd body, on its own listener and at
// /api/v1/osmand alike; a device sends a few hundred bytes.
const OsmandBodyLimit = 64 << 10

// osmand takes one OsmAnd request (any method, query or form or JSON). A
// missing, oversize or unknown device id gets 400 problem+json; a known
// device 200, also when its request carries no usable position (no fix,
// a bad field), since devices resend a refused position forever. Absurd
// optional readings are dropped by the decoder and the fix kept.
func (a *API) osmand(c *fiber.Ctx) error {
	// The body is read as sent (identityBodies refused a compressed one on
	// both listeners), so c.Body() never inflates it.
	body := c.Request().Body()
	if len(body) > OsmandBodyLimit {
		return fiber.ErrRequestEntityTooLarge
	}
	r, err := osmand.Decode(c.Request().URI().QueryString(), body, string(c.Request().Header.ContentType()))
	if r.DeviceID == "" {
		if err == nil {
			err = osmand.ErrNoDevice
		}
		return err
	}
	id, known := a.Units.Fleet.ByDevice(r.DeviceID)
	if !known {
		return fault.Field("id", "unknown device %q", r.DeviceID)
	}
	if ok, wait := a.devices.allow(r.DeviceID, time.Now()); !ok {
		c.Set(fiber.HeaderRetryAfter, retryAfter(wait))
		return problem(c, 429, "rate-limited", "too many positions from this device: slow down", nil)
	}
	if err != nil || !r.HasPosition {
		a.metrics.osmandIgnored.Inc()
		a.Log.Debug("osmand request without a usable position", "device", r.DeviceID, "err", err)
		return c.SendStatus(200)
	}
	pos := unit.Position{Lon: r.Lon, Lat: r.Lat, At: r.Time, SpeedMPS: r.SpeedMPS, Heading: r.Heading, AccuracyM: r.AccuracyM, BatteryPct: r.BatteryPct}
	sm := unit.Sample{UnitID: id, Position: pos}
	if err := a.Ingest.Check(&sm); err != nil {
		a.metrics.osmandIgnored.Inc()
		a.Log.Debug("osmand position refused", "device", r.DeviceID, "err", err)
		return c.SendStatus(200)
	}
	if _, err := a.Ingest.Submit(c.UserContext(), []unit.Sample{sm}); err != nil {
		return err
	}
	return c.SendStatus(200)
}

// NewOsmandApp is the OsmAnd listener: every method on every path, with
// the API's problem+json errors (an oversize body is 413, a request line
// beyond the read buffer 431, never 500).
func (a *API) NewOsmandApp() *fiber.App {
	app := fiber.New(fiber.Config{
		AppName: "watchfloor-osmand", BodyLimit: OsmandBodyLimit, DisableStartupMessage: true,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second,
		ReadBufferSize: 16 << 10,
		ErrorHandler:   a.errorHandler,
	})
	app.Use(recover.New())
	app.Use(identityBodies)
	app.Use(a.osmand)
	return app
}

func (a *API) candidates(c *fiber.Ctx) error {
	inc, err := a.Incidents.Load(c.UserContext(), strings.Clone(c.Params("id")))
	if err != nil {
		return err
	}
	var types []string
	if cat := a.Config.Category(inc.Category); cat != nil {
		types = cat.UnitTypes
	}
	if q := c.Query("types"); q != "" {
		types = nil
		for _, t := range strings.Split(q, ",") {
			if a.Config.UnitType(t) == nil {
				return fault.Field("types", "unknown unit type %q", t)
			}
			types = append(types, t)
		}
	}
	limit := 5
	if q := c.Query("limit"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > 50 {
			return fault.Field("limit", "a whole number from 1 to 50")
		}
		limit = n
	}
	if inc.Location == nil {
		return &fault.Conflict{Detail: "the incident has no location"}
	}
	list := a.Units.Fleet.Nearest(orb.Point{inc.Location.Lon, inc.Location.Lat}, types, limit, nil)
	if types == nil {
		types = []string{}
	}
	return c.JSON(fiber.Map{"incident_id": inc.ID, "types": types, "candidates": list})
}

func (a *API) track(c *fiber.Ctx) error {
	id := strings.Clone(c.Params("id"))
	to := time.Now().UTC()
	from := to.Add(-time.Hour)
	bad := &fault.Invalid{}
	// Times outside what Redis stream ids and time.Duration hold: from
	// 1970 (ids are unsigned milliseconds) to 2262 (nanoseconds in int64).
	first, last := time.Unix(0, 0).UTC(), time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
	window := func(name string, t *time.Time) {
		v := c.Query(name)
		if v == "" {
			return
		}
		x, err := time.Parse(time.RFC3339, v)
		switch {
		case err != nil:
			bad.Add(name, "must be an RFC 3339 time")
		case x.Before(first) || !x.Before(last):
			bad.Add(name, "must be from 1970-01-01T00:00:00Z to before 2262-01-01T00:00:00Z")
		default:
			*t = x
		}
	}
	window("from", &from)
	window("to", &to)
	if len(bad.Errors) == 0 && to.Before(from) {
		bad.Add("to", "is before from")
	}
	if err := bad.Err(); err != nil {
		return err
	}
	fixes, err := a.Units.Track(c.UserContext(), id, from, to)
	if err != nil {
		return err
	}
	line := make(orb.LineString, 0, len(fixes))
	times := make([]string, 0, len(fixes))
	flags := make([][]string, 0, len(fixes))
	speeds := make([]*float64, 0, len(fixes))
	for _, f := range fixes {
		line = append(line, orb.Point{f.Lon, f.Lat})
		times = append(times, f.At.Format(time.RFC3339Nano))
		flags = append(flags, f.Flags.Names())
		var sp *float64
		if !math.IsNaN(f.SpeedMPS) {
			v := f.SpeedMPS
			sp = &v
		}
		speeds = append(speeds, sp)
	}
	feat := geojson.NewFeature(line)
	feat.Properties["unit_id"] = id
	feat.Properties["from"] = from.Format(time.RFC3339)
	feat.Properties["to"] = to.Format(time.RFC3339)
	feat.Properties["times"] = times
	feat.Properties["flags"] = flags
	feat.Properties["speeds_mps"] = speeds
	b, err := feat.MarshalJSON()
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/geo+json")
	return c.Send(b)
}
