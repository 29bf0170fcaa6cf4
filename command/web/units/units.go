// Package units serves the fleet's resources: units, their status and
// tracks, the candidates nearest an incident, and positions (the batch API
// and OsmAnd devices).
package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"watchfloor/command/fault"
	"watchfloor/command/vocab"
	"watchfloor/command/web/rest"
)

func seesDevices(role vocab.Role) bool { return role == vocab.Operator || role == vocab.Admin }

func (a *handlers) listUnits(c *fiber.Ctx) error {
	units := a.Units.Fleet.List(seesDevices(rest.Session(c).Role), c.Query("retired") == "true")
	return c.JSON(fiber.Map{"units": units, "count": len(units)})
}

func (a *handlers) getUnit(c *fiber.Ctx) error {
	v, ok := a.Units.Fleet.Get(c.Params("id"), seesDevices(rest.Session(c).Role))
	if !ok {
		return fmt.Errorf("unit %s: %w", c.Params("id"), fault.ErrNotFound)
	}
	return c.JSON(v)
}

type unitStatusRequest struct {
	Status string `json:"status"`
}

func (a *handlers) setUnitStatus(c *fiber.Ctx) error {
	id := strings.Clone(c.Params("id"))
	s := rest.Session(c)
	if s.Role == vocab.Responder && s.Unit != id {
		return rest.Forbidden(fmt.Sprintf("a responder may change only its own unit (%s)", s.Unit))
	}
	var req unitStatusRequest
	if _, err := a.Decode(c, &req); err != nil {
		return err
	}
	v, err := a.Units.SetStatus(c.UserContext(), id, req.Status, s.Username, s.Role)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (a *handlers) track(c *fiber.Ctx) error {
	id := strings.Clone(c.Params("id"))
	to := time.Now().UTC() // track entries are keyed by Redis's arrival time: the real clock
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

func (a *handlers) candidates(c *fiber.Ctx) error {
	inc, err := a.Incidents.Load(c.UserContext(), strings.Clone(c.Params("id")))
	if err != nil {
		return err
	}
	types := a.Dispatch.UnitTypes(inc.Category)
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
