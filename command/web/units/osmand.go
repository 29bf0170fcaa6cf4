package units

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/fault"
	"watchfloor/command/osmand"
	"watchfloor/command/unit"
	"watchfloor/command/web/rest"
)

// OsmandBodyLimit is the largest OsmAnd body, on its own listener and at
// /api/v1/osmand alike; a device sends a few hundred bytes.
const OsmandBodyLimit = 64 << 10

// osmand takes one OsmAnd request (any method, query or form or JSON). A
// missing, oversize or unknown device id gets 400 problem+json; a known
// device 200, also when its request carries no usable position (no fix,
// a bad field), since devices resend a refused position forever. Absurd
// optional readings are dropped by the decoder and the fix kept. While the
// ingest queue is full the request is refused before it gets here
// (ShedFirst).
func (a *handlers) osmand(c *fiber.Ctx) error {
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
	if ok, wait := a.Devices.Allow(r.DeviceID, time.Now()); !ok {
		c.Set(fiber.HeaderRetryAfter, rest.RetryAfter(wait))
		return rest.Problem(c, 429, "rate-limited", "too many positions from this device: slow down", nil)
	}
	if err != nil || !r.HasPosition {
		a.Metrics.OsmandIgnored.Inc()
		a.Log.Debug("osmand request without a usable position", "device", r.DeviceID, "err", err)
		return c.SendStatus(200)
	}
	pos := unit.Position{Lon: r.Lon, Lat: r.Lat, At: r.Time, SpeedMPS: r.SpeedMPS, Heading: r.Heading, AccuracyM: r.AccuracyM, BatteryPct: r.BatteryPct}
	sm := unit.Sample{UnitID: id, Position: pos}
	if err := a.Ingest.Check(&sm); err != nil {
		a.Metrics.OsmandIgnored.Inc()
		a.Log.Debug("osmand position refused", "device", r.DeviceID, "err", err)
		return c.SendStatus(200)
	}
	if _, err := a.Ingest.Submit(c.UserContext(), []unit.Sample{sm}); err != nil {
		return err
	}
	return c.SendStatus(200)
}
