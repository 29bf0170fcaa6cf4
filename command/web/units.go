package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/osmand"
	"watchfloor/command/unit"
)

func seesDevices(role string) bool { return role == "operator" || role == "admin" }

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
	if s.Role == "responder" && s.Unit != id {
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
	Reason string `json:"reason"`
}

type flagged struct {
	Index int      `json:"index"`
	Flags []string `json:"flags"`
}

// MaxBatch is the most positions one batch request may carry.
const MaxBatch = 10000

func (a *API) postPositions(c *fiber.Ctx) error {
	var req struct {
		Positions []positionIn `json:"positions"`
	}
	// A batch may exceed the JSON body limit (up to the body limit).
	if err := jsonMediaType(c.Get(fiber.HeaderContentType)); err != nil {
		return err
	}
	if err := incident.DecodeJSON(c.Body(), &req); err != nil {
		return err
	}
	if len(req.Positions) > MaxBatch {
		return fault.Field("positions", "at most %d positions per request", MaxBatch)
	}
	s := session(c)
	samples := make([]unit.Sample, 0, len(req.Positions))
	index := make([]int, 0, len(req.Positions))
	out := struct {
		Accepted int        `json:"accepted"`
		Moved    int        `json:"moved"`
		Flagged  []flagged  `json:"flagged"`
		Rejected []rejected `json:"rejected"`
	}{Flagged: []flagged{}, Rejected: []rejected{}}
	for i, p := range req.Positions {
		sm, err := a.sample(&p)
		if err == nil && s.Role == "responder" && sm.UnitID != s.Unit {
			err = fmt.Errorf("a responder sends only its own unit's positions (%s)", s.Unit)
		}
		if err == nil {
			err = a.Ingest.Check(&sm)
		}
		if err != nil {
			out.Rejected = append(out.Rejected, rejected{Index: i, Reason: err.Error()})
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

func (a *API) sample(p *positionIn) (unit.Sample, error) {
	id := p.UnitID
	if id == "" && p.DeviceID != "" {
		var ok bool
		if id, ok = a.Units.Fleet.ByDevice(p.DeviceID); !ok {
			return unit.Sample{}, fmt.Errorf("unknown device %q", p.DeviceID)
		}
	}
	if id == "" {
		return unit.Sample{}, errors.New("unit_id or device_id is required")
	}
	if p.Lon == nil || p.Lat == nil {
		return unit.Sample{}, errors.New("lon and lat are required")
	}
	var at time.Time
	if p.At != "" {
		t, err := time.Parse(time.RFC3339Nano, p.At)
		if err != nil {
			return unit.Sample{}, errors.New("at must be an RFC 3339 time")
		}
		at = t
	}
	pos := unit.Unknown(*p.Lon, *p.Lat, at)
	opt := func(dst *float64, v *float64, lo, hi float64) {
		if v != nil && *v >= lo && *v <= hi {
			*dst = *v
		}
	}
	opt(&pos.SpeedMPS, p.SpeedMPS, 0, 1000)
	opt(&pos.Heading, p.Heading, 0, 360)
	opt(&pos.AccuracyM, p.AccuracyM, 0, 1e6)
	opt(&pos.BatteryPct, p.BatteryPct, 0, 100)
	return unit.Sample{UnitID: id, Position: pos}, nil
}

// osmand takes one OsmAnd request (any method, query or form or JSON). An
// unknown device gets 400; a known one 200, also when its request carries
// no usable position, since devices resend a refused position forever.
func (a *API) osmand(c *fiber.Ctx) error {
	r, err := osmand.Decode(c.Request().URI().QueryString(), c.Body(), string(c.Request().Header.ContentType()))
	if err != nil && r.DeviceID == "" {
		return c.Status(400).SendString(err.Error())
	}
	id, known := a.Units.Fleet.ByDevice(r.DeviceID)
	if !known {
		return c.Status(400).SendString("unknown device " + strconv.Quote(r.DeviceID))
	}
	if ok, wait := a.devices.allow(r.DeviceID, time.Now()); !ok {
		c.Set(fiber.HeaderRetryAfter, retryAfter(wait))
		return c.Status(429).SendString("too many positions from this device: slow down")
	}
	if err != nil || !r.HasPosition {
		a.metrics.osmandIgnored.Inc()
		return c.SendStatus(200)
	}
	pos := unit.Position{Lon: r.Lon, Lat: r.Lat, At: r.Time, SpeedMPS: r.SpeedMPS, Heading: r.Heading, AccuracyM: r.AccuracyM, BatteryPct: r.BatteryPct}
	sm := unit.Sample{UnitID: id, Position: pos}
	if err := a.Ingest.Check(&sm); err != nil {
		a.metrics.osmandIgnored.Inc()
		return c.SendStatus(200)
	}
	if _, err := a.Ingest.Submit(c.UserContext(), []unit.Sample{sm}); err != nil {
		if unit.Unavailable(err) {
			c.Set(fiber.HeaderRetryAfter, "1")
			return c.Status(503).SendString("storage unavailable: retry")
		}
		return err
	}
	return c.SendStatus(200)
}

// NewOsmandApp is the OsmAnd listener: every method on every path.
func (a *API) NewOsmandApp() *fiber.App {
	app := fiber.New(fiber.Config{
		AppName: "watchfloor-osmand", BodyLimit: 64 << 10, DisableStartupMessage: true,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			a.Log.Error("osmand request failed", "err", err)
			return c.Status(500).SendString("internal error")
		},
	})
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
	if v := c.Query("from"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			bad.Add("from", "must be an RFC 3339 time")
		}
		from = t
	}
	if v := c.Query("to"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			bad.Add("to", "must be an RFC 3339 time")
		}
		to = t
	}
	if to.Before(from) {
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

// observeStatus keeps the fleet's statuses current from the screen stream,
// whichever instance changed them.
func (a *API) observeStatus(m []byte) {
	if !bytes.Contains(m[:min(len(m), 64)], []byte(`"type":"unit.status"`)) {
		return
	}
	var ev struct {
		Data unit.StatusEvent `json:"data"`
	}
	if json.Unmarshal(m, &ev) == nil {
		a.Units.Fleet.SetStatus(ev.Data.UnitID, ev.Data.Status)
	}
}
