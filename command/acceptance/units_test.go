package acceptance_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// unitView is a unit as GET /api/v1/units/{id} shows it.
type unitView struct {
	ID       string
	Status   string
	Type     string
	Grid     *string
	Devices  []string `json:"device_ids"`
	Position *struct {
		Lon, Lat   float64
		At         time.Time
		SpeedMPS   *float64 `json:"speed_mps"`
		Heading    *float64
		BatteryPct *float64 `json:"battery_pct"`
	}
}

func (h *harness) unit(id string) unitView {
	h.t.Helper()
	res, b := h.do("GET", "/api/v1/units/"+id, h.token("operator"), nil)
	if res.StatusCode != 200 {
		h.t.Fatalf("unit %s: %d %s", id, res.StatusCode, b)
	}
	var v unitView
	mustJSON(h.t, b, &v)
	return v
}

// osmand sends one OsmAnd request to the device listener.
func (h *harness) osmand(method, query, body, ctype string) (int, string) {
	h.t.Helper()
	req, err := http.NewRequest(method, "http://"+h.srv.OsmandAddr()+"/?"+query, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	var sb strings.Builder
	_, _ = fmt.Fscan(res.Body, &sb)
	return res.StatusCode, sb.String()
}

// positions posts a batch and returns the answer.
func (h *harness) positions(tok string, ps ...map[string]any) (int, positionsAnswer) {
	h.t.Helper()
	res, b := h.do("POST", "/api/v1/positions", tok, map[string]any{"positions": ps})
	var out positionsAnswer
	if res.StatusCode == 202 {
		mustJSON(h.t, b, &out)
	}
	return res.StatusCode, out
}

type positionsAnswer struct {
	Accepted int
	Moved    int
	Flagged  []struct {
		Index int
		Flags []string
	}
	Rejected []struct {
		Index  int
		Reason string
	}
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func TestOsmAndForms(t *testing.T) {
	h := newHarness(t)
	base := time.Now().Add(-30 * time.Minute).Truncate(time.Second).UTC()
	device := "860000000000017" // car-01
	step := 0
	next := func() time.Time { step++; return base.Add(time.Duration(step) * 10 * time.Second) }
	lon, lat := 114.1100, 22.5400
	move := func() (float64, float64) { lon += 0.0005; return lon, lat }
	tests := []struct {
		name    string
		send    func() (int, string)
		speed   float64 // m/s expected, NaN for absent
		battery float64
	}{
		{"GET query, epoch seconds, knots", func() (int, string) {
			x, y := move()
			return h.osmand("GET", fmt.Sprintf("id=%s&lat=%v&lon=%v&timestamp=%d&speed=20&bearing=45&batt=88", device, y, x, next().Unix()), "", "")
		}, 20 * 1852.0 / 3600, 88},
		{"POST query, epoch milliseconds", func() (int, string) {
			x, y := move()
			return h.osmand("POST", fmt.Sprintf("deviceid=%s&lat=%v&lon=%v&timestamp=%d", device, y, x, next().UnixMilli()), "", "")
		}, math.NaN(), math.NaN()},
		{"POST form body, ISO 8601", func() (int, string) {
			x, y := move()
			return h.osmand("POST", "", fmt.Sprintf("id=%s&lat=%v&lon=%v&timestamp=%s&speed=1", device, y, x, url.QueryEscape(next().Format(time.RFC3339))), "application/x-www-form-urlencoded")
		}, 1852.0 / 3600, math.NaN()},
		{"PUT with location=lat,lon and a spaced date", func() (int, string) {
			x, y := move()
			return h.osmand("PUT", fmt.Sprintf("id=%s&location=%v,%v&timestamp=%s", device, y, x, url.QueryEscape(next().Format("2006-01-02 15:04:05"))), "", "")
		}, math.NaN(), math.NaN()},
		{"JSON body of Traccar Client", func() (int, string) {
			x, y := move()
			body := fmt.Sprintf(`{"device_id":%q,"location":{"timestamp":%q,"coords":{"latitude":%v,"longitude":%v,"speed":4.5,"heading":90},"battery":{"level":0.5}}}`, device, next().Format(time.RFC3339Nano), y, x)
			return h.osmand("POST", "", body, "application/json")
		}, 4.5, 50},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := tc.send(); code != 200 {
				t.Fatalf("%d %s", code, body)
			}
			u := h.unit("car-01")
			if u.Position == nil || math.Abs(u.Position.Lon-lon) > 1e-9 || !u.Position.At.Equal(base.Add(time.Duration(step)*10*time.Second)) {
				t.Fatalf("position %+v, want %v at step %d", u.Position, lon, step)
			}
			got := math.NaN()
			if u.Position.SpeedMPS != nil {
				got = *u.Position.SpeedMPS
			}
			if !(math.IsNaN(got) && math.IsNaN(tc.speed)) && math.Abs(got-tc.speed) > 0.01 {
				t.Errorf("speed %v m/s, want %v", got, tc.speed)
			}
			bat := math.NaN()
			if u.Position.BatteryPct != nil {
				bat = *u.Position.BatteryPct
			}
			if !(math.IsNaN(bat) && math.IsNaN(tc.battery)) && bat != tc.battery {
				t.Errorf("battery %v, want %v", bat, tc.battery)
			}
		})
	}
	// The same protocol at /api/v1/osmand on the API listener, without a token.
	x, y := move()
	res, b := h.do("GET", fmt.Sprintf("/api/v1/osmand?id=%s&lat=%v&lon=%v&timestamp=%d", device, y, x, next().Unix()), "", nil)
	if res.StatusCode != 200 || h.unit("car-01").Position.Lon != lon {
		t.Fatalf("/api/v1/osmand: %d %s", res.StatusCode, b)
	}
	// Unknown devices are refused; a known device without a fix is answered
	// 200 and nothing moves.
	if code, _ := h.osmand("GET", "id=999&lat=22.5&lon=114.1", "", ""); code != 400 {
		t.Errorf("unknown device: %d", code)
	}
	if code, _ := h.osmand("GET", "lat=22.5&lon=114.1", "", ""); code != 400 {
		t.Errorf("no device id: %d", code)
	}
	for _, q := range []string{
		"id=" + device + "&cell=460,0,1,2",                          // no fix
		"id=" + device + "&lat=95&lon=114.1",                        // out of range
		"id=" + device + "&lat=22.5&lon=114.1&timestamp=4102444800", // 2100: far in the future
	} {
		if code, _ := h.osmand("GET", q, "", ""); code != 200 {
			t.Errorf("%s: %d", q, code)
		}
		if u := h.unit("car-01"); u.Position.Lon != lon {
			t.Errorf("%s moved the unit to %v", q, u.Position.Lon)
		}
	}
}

func TestPositionBatch(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	now := time.Now().UTC()
	code, out := h.positions(op,
		map[string]any{"unit_id": "car-02", "lon": 114.12, "lat": 22.55, "at": ts(now.Add(-time.Minute)), "speed_mps": 8},
		map[string]any{"device_id": "860000000000029", "lon": 114.121, "lat": 22.551},                          // moto-01 by device
		map[string]any{"unit_id": "car-99", "lon": 114.12, "lat": 22.55},                                       // unknown unit
		map[string]any{"unit_id": "car-03", "lon": 181, "lat": 22.55},                                          // out of range
		map[string]any{"unit_id": "car-03", "lat": 22.55},                                                      // no lon
		map[string]any{"unit_id": "car-03", "lon": 114.12, "lat": 22.55, "at": ts(now.Add(time.Hour))},         // future
		map[string]any{"unit_id": "car-03", "lon": 114.12, "lat": 22.55, "at": "yesterday"},                    // bad time
		map[string]any{"device_id": "000", "lon": 114.12, "lat": 22.55},                                        // unknown device
		map[string]any{"unit_id": "car-02", "lon": 114.13, "lat": 22.55, "at": ts(now.Add(-2 * time.Minute))},  // older than the first
		map[string]any{"unit_id": "car-02", "lon": 114.20, "lat": 22.60, "at": ts(now.Add(-59 * time.Second))}, // 10 km in a second
	)
	if code != 202 || out.Accepted != 4 || out.Moved != 2 {
		t.Fatalf("%d %+v", code, out)
	}
	rejected := map[int]string{}
	for _, r := range out.Rejected {
		rejected[r.Index] = r.Reason
	}
	for i, want := range map[int]string{2: "unknown unit", 3: "out of range", 4: "lon and lat", 5: "future", 6: "RFC 3339", 7: "unknown device"} {
		if !strings.Contains(rejected[i], want) {
			t.Errorf("position %d: reason %q, want %q", i, rejected[i], want)
		}
	}
	flags := map[int]string{}
	for _, f := range out.Flagged {
		flags[f.Index] = strings.Join(f.Flags, ",")
	}
	if flags[8] != "late" || flags[9] != "implausible" {
		t.Errorf("flags %v", flags)
	}
	// Neither the older nor the implausible position moved the unit; both are in its track.
	u := h.unit("car-02")
	if u.Position.Lon != 114.12 {
		t.Errorf("car-02 at %v", u.Position.Lon)
	}
	res, b := h.do("GET", "/api/v1/units/car-02/track?from="+ts(now.Add(-10 * time.Minute))[:19]+"Z", op, nil)
	if res.StatusCode != 200 {
		t.Fatalf("track: %d %s", res.StatusCode, b)
	}
	var track struct {
		Type     string
		Geometry struct {
			Type        string
			Coordinates [][]float64
		}
		Properties struct {
			Times []string
			Flags [][]string
		}
	}
	mustJSON(t, b, &track)
	if track.Geometry.Type != "LineString" || len(track.Geometry.Coordinates) != 3 || track.Properties.Flags[0][0] != "late" || track.Properties.Flags[2][0] != "implausible" {
		t.Errorf("track %s", b)
	}
	// A responder sends only its own unit's positions.
	code, out = h.positions(h.token("car-03"),
		map[string]any{"unit_id": "car-03", "lon": 114.12, "lat": 22.55},
		map[string]any{"unit_id": "car-04", "lon": 114.12, "lat": 22.55})
	if code != 202 || out.Accepted != 1 || len(out.Rejected) != 1 || out.Rejected[0].Index != 1 {
		t.Errorf("responder batch: %d %+v", code, out)
	}
	if code, _ := h.positions(h.token("viewer"), map[string]any{"unit_id": "car-03", "lon": 114.12, "lat": 22.55}); code != 403 {
		t.Errorf("viewer posted positions: %d", code)
	}
	res, b = h.do("POST", "/api/v1/positions", op, `{"positions":[{"unit_id":"car-03","lon":"east"}]}`)
	if res.StatusCode != 400 || !strings.Contains(string(b), "positions[0].lon") {
		t.Errorf("wrong type: %d %s", res.StatusCode, b)
	}
	// Device ids are for operators and admins.
	if v := h.unit("car-02"); len(v.Devices) != 1 {
		t.Errorf("operator sees devices %v", v.Devices)
	}
	_, b = h.do("GET", "/api/v1/units/car-02", h.token("viewer"), nil)
	if strings.Contains(string(b), "device_ids") {
		t.Errorf("viewer sees devices: %s", b)
	}
	_, b = h.do("GET", "/api/v1/units", h.token("viewer"), nil)
	var list struct{ Count int }
	mustJSON(t, b, &list)
	if list.Count != 50 {
		t.Errorf("%d units", list.Count)
	}
}

func TestGridAndZoneTransitions(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	s := h.screen(h.token("viewer"), nil)
	s.next(2 * time.Second)
	at := time.Now().Add(-10 * time.Minute)
	send := func(lon, lat float64) {
		t.Helper()
		at = at.Add(time.Minute)
		if code, out := h.positions(op, map[string]any{"unit_id": "grid-01", "lon": lon, "lat": lat, "at": ts(at)}); code != 202 || out.Moved != 1 {
			t.Fatalf("%d %+v", code, out)
		}
	}
	expect := func(typ, kind, code string) {
		t.Helper()
		for {
			m := s.next(2 * time.Second)
			if m.Type == "unit.positions" {
				continue
			}
			var d struct{ UnitID, Kind, Code string }
			_ = json.Unmarshal(m.Data, &struct {
				UnitID *string `json:"unit_id"`
				Kind   *string `json:"kind"`
				Code   *string `json:"code"`
			}{&d.UnitID, &d.Kind, &d.Code})
			if m.Type != typ || d.UnitID != "grid-01" || d.Kind != kind || d.Code != code || m.Seq == 0 {
				t.Fatalf("got %s %s, want %s %s %s", m.Type, m.Data, typ, kind, code)
			}
			return
		}
	}
	send(114.10877, 22.55415) // in its home grid 440303001001001: the first fix is no transition
	send(114.10878, 22.54674) // grid 003, outside home
	expect("unit.left", "home_grid", "440303001001001")
	send(114.1118, 22.547) // Dongmen pedestrian street, a sensitive zone
	expect("unit.entered", "zone", "dongmen-pedestrian-street")
	send(114.10877, 22.55415) // home again, leaving the street
	for range 2 {
		m := s.next(2 * time.Second)
		for m.Type == "unit.positions" {
			m = s.next(2 * time.Second)
		}
		if m.Type != "unit.entered" && m.Type != "unit.left" {
			t.Fatalf("got %s", m.Type)
		}
	}
	// Frames carry only units that moved, without seq.
	send(114.1090, 22.5542)
	for {
		m := s.next(2 * time.Second)
		if m.Type != "unit.positions" {
			continue
		}
		var d struct {
			Units []struct{ ID string }
		}
		mustJSON(t, m.Data, &d)
		if m.Seq != 0 || len(d.Units) != 1 || d.Units[0].ID != "grid-01" {
			t.Fatalf("frame %d %s", m.Seq, m.Data)
		}
		break
	}
}

func TestCandidates(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	// A fight on the pedestrian street: public_order suits car, motorbike, foot.
	inc := h.create(map[string]any{"category": "public_order", "title": "打架", "location": map[string]float64{"lon": 114.1118, "lat": 22.547}})
	id := inc["id"].(string)
	now := time.Now().Add(-time.Minute).UTC()
	place := []map[string]any{
		{"unit_id": "foot-01", "lon": 114.1120, "lat": 22.5470, "at": ts(now)}, // ~20 m
		{"unit_id": "car-01", "lon": 114.1150, "lat": 22.5470, "at": ts(now)},  // ~330 m
		{"unit_id": "moto-01", "lon": 114.1118, "lat": 22.5500, "at": ts(now)}, // ~330 m north
		{"unit_id": "car-02", "lon": 114.1300, "lat": 22.5470, "at": ts(now)},  // ~1.9 km
		{"unit_id": "grid-01", "lon": 114.1119, "lat": 22.5470, "at": ts(now)}, // closest, wrong type
		{"unit_id": "fire-01", "lon": 114.1118, "lat": 22.5471, "at": ts(now)}, // close, wrong type
		{"unit_id": "foot-02", "lon": 114.1117, "lat": 22.5470, "at": ts(now)}, // close, but off duty
	}
	if code, out := h.positions(op, place...); code != 202 || out.Moved != len(place) {
		t.Fatalf("%d %+v", code, out)
	}
	res, b := h.do("POST", "/api/v1/units/foot-02/status", op, map[string]string{"status": "off_duty"})
	if res.StatusCode != 200 {
		t.Fatalf("off duty: %d %s", res.StatusCode, b)
	}
	get := func(q string) []struct {
		ID        string
		Type      string
		DistanceM float64 `json:"distance_m"`
		ETAS      float64 `json:"eta_s"`
	} {
		t.Helper()
		res, b := h.do("GET", "/api/v1/incidents/"+id+"/candidates"+q, op, nil)
		if res.StatusCode != 200 {
			t.Fatalf("candidates%s: %d %s", q, res.StatusCode, b)
		}
		var out struct {
			Candidates []struct {
				ID        string
				Type      string
				DistanceM float64 `json:"distance_m"`
				ETAS      float64 `json:"eta_s"`
			}
		}
		mustJSON(t, b, &out)
		return out.Candidates
	}
	got := get("")
	ids := []string{}
	for _, c := range got {
		ids = append(ids, c.ID)
	}
	if strings.Join(ids, " ") != "foot-01 car-01 moto-01 car-02" {
		t.Fatalf("candidates %v", ids)
	}
	for i := 1; i < len(got); i++ {
		if got[i].DistanceM < got[i-1].DistanceM {
			t.Errorf("not nearest first: %+v", got)
		}
	}
	// eta: straight-line distance over the type's speed (car 30 km/h).
	if c := got[1]; math.Abs(c.ETAS-math.Round(c.DistanceM/(30/3.6))) > 1 {
		t.Errorf("car eta %v for %v m", c.ETAS, c.DistanceM)
	}
	if c := get("?types=grid_officer,fire&limit=1"); len(c) != 1 || c[0].ID != "grid-01" {
		t.Errorf("types filter: %+v", c)
	}
	if res, _ := h.do("GET", "/api/v1/incidents/"+id+"/candidates?types=tank", op, nil); res.StatusCode != 400 {
		t.Errorf("unknown type: %d", res.StatusCode)
	}
	// Back on duty, it is a candidate again.
	h.do("POST", "/api/v1/units/foot-02/status", h.token("foot-02"), map[string]string{"status": "available"})
	if c := get("?limit=2"); len(c) != 2 || c[0].ID != "foot-02" && c[1].ID != "foot-02" {
		t.Errorf("after duty: %+v", c)
	}
}

func TestUnitStatus(t *testing.T) {
	h := newHarness(t)
	s := h.screen(h.token("viewer"), nil)
	s.next(2 * time.Second)
	for _, tc := range []struct {
		tok, unit, status string
		want              int
	}{
		{h.token("car-05"), "car-05", "off_duty", 200},
		{h.token("car-05"), "car-06", "off_duty", 403},
		{h.token("operator"), "car-06", "dispatched", 400},
		{h.token("operator"), "car-06", "nap", 400},
		{h.token("operator"), "car-99", "off_duty", 404},
		{h.token("viewer"), "car-06", "off_duty", 403},
		{h.token("operator"), "car-05", "available", 200},
	} {
		res, b := h.do("POST", "/api/v1/units/"+tc.unit+"/status", tc.tok, map[string]string{"status": tc.status})
		if res.StatusCode != tc.want {
			t.Errorf("%s → %s: %d, want %d: %s", tc.unit, tc.status, res.StatusCode, tc.want, b)
		}
	}
	for _, want := range []string{"off_duty", "available"} {
		m := s.next(2 * time.Second)
		for m.Type == "unit.positions" {
			m = s.next(2 * time.Second)
		}
		if m.Type != "unit.status" || !strings.Contains(string(m.Data), `"status":"`+want+`"`) {
			t.Fatalf("got %s %s, want unit.status %s", m.Type, m.Data, want)
		}
	}
	// Statuses survive a restart.
	h.do("POST", "/api/v1/units/car-07/status", h.token("operator"), map[string]string{"status": "off_duty"})
	h.restart()
	h.tokens = map[string]string{}
	if u := h.unit("car-07"); u.Status != "off_duty" {
		t.Errorf("after restart: %s", u.Status)
	}
}
