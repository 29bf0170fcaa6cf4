package units

import (
	"errors"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/fault"
	"watchfloor/command/osmand"
	"watchfloor/command/strictjson"
	"watchfloor/command/unit"
	"watchfloor/command/vocab"
	"watchfloor/command/web/rest"
)

// positionIn is one position of the batch API: whose, and the reading.
type positionIn struct {
	UnitID   string `json:"unit_id"`
	DeviceID string `json:"device_id"`
	Reading
}

// Reading is a position as a client sends it, in a batch or on the
// responder socket: where, when and the optional readings.
type Reading struct {
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
// position itself (Reading.Position).
func (p *positionIn) read() (unit.Position, error) {
	if err := checkIDs(len(p.UnitID), len(p.DeviceID)); err != nil {
		return unit.Position{}, err
	}
	return p.Position()
}

// checkIDs checks the lengths of a position's unit and device ids.
func checkIDs(unitID, deviceID int) error {
	switch {
	case unitID > maxIDLen:
		return fault.Field("unit_id", "at most %d bytes", maxIDLen)
	case deviceID > maxIDLen:
		return fault.Field("device_id", "at most %d bytes", maxIDLen)
	case unitID == 0 && deviceID == 0:
		return fault.Field("unit_id", "unit_id or device_id is required")
	}
	return nil
}

// Position checks a position as sent: lon and lat present and on the
// earth, at (when given) an RFC 3339 time after 1970; optional readings
// out of bounds are dropped. A zero At means "now". The error is a
// fault.Invalid naming the field.
func (p *Reading) Position() (unit.Position, error) {
	return position(p.Lon, p.Lat, p.At, unit.Readings{SpeedMPS: p.SpeedMPS, Heading: p.Heading, AccuracyM: p.AccuracyM, BatteryPct: p.BatteryPct})
}

// position is Reading.Position of the parts of a reading.
func position(lon, lat *float64, at string, rd unit.Readings) (unit.Position, error) {
	switch {
	case lon == nil:
		return unit.Position{}, fault.Field("lon", "lon and lat are required")
	case lat == nil:
		return unit.Position{}, fault.Field("lat", "lon and lat are required")
	}
	var t time.Time
	if at != "" {
		x, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return unit.Position{}, fault.Field("at", "at must be an RFC 3339 time")
		}
		t = x
	}
	return unit.Read(*lon, *lat, t, at == "", rd)
}

// read checks a position read by batchReader, as positionIn.read does; a
// unit id ids knows is its shared string, any other a copy.
func (f *fix) read(ids unitIDs) positionRead {
	id, ok := "", false
	if ids != nil {
		id, ok = ids.ID(f.unitID)
	}
	if !ok {
		id = string(f.unitID)
	}
	p := positionRead{UnitID: id, DeviceID: string(f.deviceID)}
	if p.Err = checkIDs(len(f.unitID), len(f.deviceID)); p.Err == nil {
		rd := unit.Readings{SpeedMPS: f.reading(numSpeed), Heading: f.reading(numHeading), AccuracyM: f.reading(numAccuracy), BatteryPct: f.reading(numBattery)}
		p.Position, p.Err = position(f.reading(numLon), f.reading(numLat), string(f.at), rd)
	}
	return p
}

// positionRead is one position of a batch as decoded: its unit or device
// id and the position, or why it is refused (a fault.Invalid).
type positionRead struct {
	UnitID, DeviceID string
	Position         unit.Position
	Err              error
}

// decode decodes the body of POST /api/v1/positions, looking up only the
// shared string of a known unit's id: a body that is not the right JSON or
// holds more than MaxBatch positions is refused whole; each position is
// read on its own, so one bad position refuses only itself. The answer is
// valid until the reader's next use.
func (r *batchReader) decode(body []byte) ([]positionRead, error) {
	if !r.read(body) {
		return strictPositions(body) // says what is wrong
	}
	if len(r.fixes) > MaxBatch {
		return nil, fault.Field("positions", "at most %d positions per request", MaxBatch)
	}
	r.reads = slices.Grow(r.reads[:0], len(r.fixes))[:len(r.fixes)]
	for i := range r.fixes {
		r.reads[i] = r.fixes[i].read(r.ids)
	}
	return r.reads, nil
}

// release drops what the reader holds of a request (views of its body,
// ids) before it goes back to the pool.
func (r *batchReader) release() {
	clear(r.fixes)
	clear(r.reads)
	r.b, r.ids = nil, nil
}

// strictPositions is decode through the strict decoder (reflection), for
// the bodies batchReader does not take: it words their refusal.
func strictPositions(body []byte) ([]positionRead, error) {
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

func (a *handlers) postPositions(c *fiber.Ctx) error {
	// A batch may exceed the JSON body limit (up to the body limit).
	if err := rest.JSONMediaType(c.Get(fiber.HeaderContentType)); err != nil {
		return err
	}
	if a.Ingest.Full() { // refused before the work of reading the batch
		return a.Ingest.Shed(0)
	}
	rd, _ := a.readers.Get().(*batchReader)
	if rd == nil {
		rd = &batchReader{}
	}
	defer func() { rd.release(); a.readers.Put(rd) }()
	if f := a.Units.Fleet; f != nil {
		rd.ids = f
	}
	reads, err := rd.decode(c.Body())
	if err != nil {
		return err
	}
	s := rest.Session(c)
	now := a.Ingest.Now() // the time bounds of every sample of the batch
	samples, index := rd.samples[:0], rd.index[:0]
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
			err = a.Ingest.CheckAt(&sm, now)
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
	rd.keep(samples, index, err)
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

// keep keeps samples and index for the reader's next use when the ingest
// answered for every sample or refused them before queuing any (what
// submitting them returned); otherwise they are let go: a part queued as
// the ingest stopped is never taken, and whatever holds it may still read.
func (r *batchReader) keep(samples []unit.Sample, index []int, submitted error) {
	if busy := (*fault.Busy)(nil); submitted != nil && !errors.As(submitted, &busy) {
		r.samples, r.index = nil, nil
		return
	}
	clear(samples)
	r.samples, r.index = samples[:0], index[:0]
}

// sample resolves a read position's unit (by device id when no unit id).
func (a *handlers) sample(p positionRead) (unit.Sample, error) {
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
