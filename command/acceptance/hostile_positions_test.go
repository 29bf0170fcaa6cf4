package acceptance_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/config"
)

// problemDoc is a problem+json answer.
type problemDoc struct {
	Status int
	Errors []struct{ Field, Message string }
}

// osmandRaw sends one OsmAnd request and returns the status, content type
// and body.
func (h *harness) osmandRaw(method, target, body, ctype string, headers ...string) (int, string, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), b
}

// declaredOnly sends a request that declares a body of n bytes and sends
// none of it, and reads the answer. The OsmAnd listener refuses a body too
// large from its declared length, before reading it; sending the body as
// well would race its closing the connection after the answer (the client
// may then see a reset instead of the answer).
func (h *harness) declaredOnly(method, target string, n int, ctype string) (int, string, []byte) {
	h.t.Helper()
	return h.rawExchange(target, func(u *url.URL) string {
		return fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", method, u.RequestURI(), u.Host, ctype, n)
	})
}

// oversizeGet sends a GET for target in one write, whatever becomes of the
// write, and reads the answer: the listener answers a request line beyond
// its read buffer and closes while a client writing piecemeal (net/http)
// may still be sending, and that client then sees its write reset instead
// of the answer already on its way.
func (h *harness) oversizeGet(target string) (int, string, []byte) {
	h.t.Helper()
	return h.rawExchange(target, func(u *url.URL) string {
		return fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", u.RequestURI(), u.Host)
	})
}

// rawExchange writes the request head makes for target's host in one
// write on a connection of its own, and reads the answer to it.
func (h *harness) rawExchange(target string, head func(u *url.URL) string) (int, string, []byte) {
	h.t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		h.t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.WriteString(conn, head(u)) // a refusal may reset it: the answer says
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), b
}

// screensSee checks that every reader of units still gets its answer:
// the list and one unit for each role, the candidates, and a screen's
// snapshot.
func (h *harness) screensSee(incidentID, unitID string) {
	h.t.Helper()
	for _, who := range []string{"viewer", "operator", "leader", "admin"} {
		for _, path := range []string{"/api/v1/units", "/api/v1/units/" + unitID} {
			if res, b := h.do("GET", path, h.token(who), nil); res.StatusCode != 200 {
				h.t.Errorf("%s GET %s: %d %s", who, path, res.StatusCode, b)
			}
		}
	}
	if res, b := h.do("GET", "/api/v1/incidents/"+incidentID+"/candidates", h.token("operator"), nil); res.StatusCode != 200 {
		h.t.Errorf("candidates: %d %s", res.StatusCode, b)
	}
	// A session of its own each time: sockets per session are limited.
	s := h.screen(h.freshToken("viewer"), nil)
	defer s.conn.Close()
	if m := s.next(3 * time.Second); m.Type != "snapshot" {
		h.t.Errorf("screen got %s, want its snapshot", m.Type)
	}
}

// One unauthenticated device request with an absurd reading must not blind
// every screen: the reading is dropped at the edge, the position kept.
func TestHostileReadingsDoNotBlindScreens(t *testing.T) {
	h := newHarness(t)
	inc := h.create(map[string]any{"category": "public_order", "title": "打架", "location": map[string]float64{"lon": 114.1118, "lat": 22.547}})
	device := "860000000000017" // car-01
	osm := "http://" + h.srv.OsmandAddr() + "/?"
	at := time.Now().Add(-20 * time.Minute).Truncate(time.Second)
	lon := 114.1100
	next := func() (float64, time.Time) { lon += 0.0002; at = at.Add(10 * time.Second); return lon, at }
	tests := []struct {
		name string
		send func() (int, []byte)
	}{
		{"OsmAnd query speed 1e308 knots", func() (int, []byte) {
			x, t := next()
			code, _, b := h.osmandRaw("GET", osm+fmt.Sprintf("id=%s&lat=22.547&lon=%v&timestamp=%d&speed=1e308", device, x, t.Unix()), "", "")
			return code, b
		}},
		{"OsmAnd query accuracy, altitude, bearing, battery absurd", func() (int, []byte) {
			x, t := next()
			code, _, b := h.osmandRaw("GET", osm+fmt.Sprintf("id=%s&lat=22.547&lon=%v&timestamp=%d&accuracy=1e308&altitude=1e308&bearing=1e308&batt=1e308", device, x, t.Unix()), "", "")
			return code, b
		}},
		{"OsmAnd form body speed 1e308", func() (int, []byte) {
			x, t := next()
			code, _, b := h.osmandRaw("POST", osm, fmt.Sprintf("id=%s&lat=22.547&lon=%v&timestamp=%d&speed=1e308", device, x, t.Unix()), "application/x-www-form-urlencoded")
			return code, b
		}},
		{"OsmAnd JSON speed and accuracy 1e308", func() (int, []byte) {
			x, t := next()
			body := fmt.Sprintf(`{"device_id":%q,"location":{"timestamp":%q,"coords":{"latitude":22.547,"longitude":%v,"speed":1e308,"accuracy":1e308,"heading":1e308}}}`, device, t.UTC().Format(time.RFC3339), x)
			code, _, b := h.osmandRaw("POST", osm, body, "application/json")
			return code, b
		}},
		{"/api/v1/osmand speed 1e308", func() (int, []byte) {
			x, t := next()
			res, b := h.do("GET", fmt.Sprintf("/api/v1/osmand?id=%s&lat=22.547&lon=%v&timestamp=%d&speed=1e308", device, x, t.Unix()), "", nil)
			return res.StatusCode, b
		}},
		{"batch API readings out of range", func() (int, []byte) {
			x, t := next()
			res, b := h.do("POST", "/api/v1/positions", h.token("operator"), map[string]any{"positions": []map[string]any{
				{"unit_id": "car-01", "lon": x, "lat": 22.547, "at": ts(t), "speed_mps": 1e308, "heading": 1e308, "accuracy_m": 1e308, "battery_pct": 1e308}}})
			if res.StatusCode == 202 {
				res.StatusCode = 200
			}
			return res.StatusCode, b
		}},
		{"responder socket readings out of range", func() (int, []byte) {
			x, t := next()
			r := h.responder("car-01", nil)
			r.next(2 * time.Second) // snapshot
			ok, data := r.replyTo(map[string]any{"type": "position", "id": "p", "lon": x, "lat": 22.547, "at": ts(t), "speed_mps": 1e308, "heading": 1e308, "accuracy_m": 1e308, "battery_pct": 1e308})
			b, _ := json.Marshal(data)
			if !ok {
				return 400, b
			}
			return 200, b
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if code, b := tc.send(); code != 200 {
				t.Fatalf("%d %s", code, b)
			}
			h.screensSee(inc["id"].(string), "car-01")
			u := h.unit("car-01")
			if u.Position == nil || u.Position.Lon != lon || !u.Position.At.Equal(at) {
				t.Fatalf("position %+v, want lon %v at %v", u.Position, lon, at)
			}
			if u.Position.SpeedMPS != nil || u.Position.Heading != nil || u.Position.BatteryPct != nil {
				t.Errorf("absurd readings kept: %+v", *u.Position)
			}
		})
	}
}

// One bad record in Redis never fails a listing: it is skipped, logged and
// counted, and the other units are served.
func TestCorruptLastPositionSkipped(t *testing.T) {
	h := newHarness(t)
	at := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano)
	c := redis.NewClient(&redis.Options{Addr: h.redis.Addr})
	defer c.Close()
	if err := c.HSet(context.Background(), "wf:{luohu}:units:last",
		"car-01", `{"lon":`, // not JSON
		"car-02", `{"lon":114.1,"lat":1000,"at":"`+at+`"}`, // no place on earth
		"car-03", `{"lon":114.1,"lat":22.5,"at":"0001-01-01T00:00:00Z"}`, // no time
		"car-04", `{"lon":114.1,"lat":22.5,"at":"`+at+`","speed_mps":1e307,"accuracy_m":-1,"battery_pct":1e300}`, // absurd readings
		"car-05", `{"lon":114.1,"lat":22.5,"at":"`+at+`","speed_mps":3}`,
	).Err(); err != nil {
		t.Fatal(err)
	}
	h.restart()
	h.tokens = map[string]string{}
	inc := h.create(map[string]any{"category": "public_order", "title": "打架", "location": map[string]float64{"lon": 114.1118, "lat": 22.547}})
	h.screensSee(inc["id"].(string), "car-04")
	for _, id := range []string{"car-01", "car-02", "car-03"} {
		if u := h.unit(id); u.Position != nil {
			t.Errorf("%s restored from a bad record: %+v", id, *u.Position)
		}
	}
	if u := h.unit("car-04"); u.Position == nil || u.Position.SpeedMPS != nil || u.Position.BatteryPct != nil {
		t.Errorf("car-04: %+v", u.Position)
	}
	if u := h.unit("car-05"); u.Position == nil || u.Position.SpeedMPS == nil || *u.Position.SpeedMPS != 3 {
		t.Errorf("car-05: %+v", u.Position)
	}
	_, b := h.do("GET", "/metrics", "", nil)
	if !strings.Contains(string(b), `watchfloor_bad_records_skipped_total{kind="last_position"} 3`) {
		t.Errorf("metrics lack 3 skipped last positions")
	}
	h.metricsCounted("go_sched_latencies_seconds_count")
}

// metricsCounted fails the test unless each of names is on /metrics with a
// value of at least 1.
func (h *harness) metricsCounted(names ...string) {
	h.t.Helper()
	for _, m := range names {
		if h.metric(m) < 1 {
			h.t.Errorf("metrics lack %s, or it counted nothing", m)
		}
	}
}

// A time that is no time (Go's zero, before 1970) is refused by name, never
// taken as "now"; a track window outside what times can hold is a 400.
func TestPositionTimesRefused(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	good := ts(time.Now().Add(-time.Minute))
	code, out := h.positions(op,
		map[string]any{"unit_id": "car-01", "lon": 114.12, "lat": 22.55, "at": "0001-01-01T00:00:00Z"},
		map[string]any{"unit_id": "car-02", "lon": 114.12, "lat": 22.55, "at": "1969-12-31T23:59:59Z"},
		map[string]any{"unit_id": "car-03", "lon": 114.12, "lat": 22.55, "at": good},
		map[string]any{"device_id": strings.Repeat("8", 10<<10), "lon": 114.12, "lat": 22.55},
	)
	if code != 202 || out.Accepted != 1 || len(out.Rejected) != 3 {
		t.Fatalf("%d %+v", code, out)
	}
	for i, r := range out.Rejected {
		if want := []string{"at", "at", "device_id"}[i]; !strings.HasPrefix(r.Reason, want+": ") || len(r.Reason) > 200 {
			t.Errorf("rejection %d: %q, want it to name %s", r.Index, r.Reason, want)
		}
	}
	for _, id := range []string{"car-01", "car-02"} {
		if u := h.unit(id); u.Position != nil {
			t.Errorf("%s moved by a position without a time: %+v", id, *u.Position)
		}
	}
	// The responder socket answers with an error naming the field.
	r := h.responder("car-04", nil)
	r.next(2 * time.Second)
	ok, data := r.replyTo(map[string]any{"type": "position", "id": "z", "lon": 114.12, "lat": 22.55, "at": "0001-01-01T00:00:00Z"})
	if ok || data["code"] != "invalid" || !strings.Contains(fmt.Sprint(data["message"]), "at: ") {
		t.Errorf("socket zero time: %v %v", ok, data)
	}
	// An OsmAnd time of Go's zero is no time: nothing moves.
	body := `{"device_id":"860000000000037","location":{"timestamp":"0001-01-01T00:00:00Z","coords":{"latitude":22.55,"longitude":114.12}}}`
	if code, _, b := h.osmandRaw("POST", "http://"+h.srv.OsmandAddr()+"/", body, "application/json"); code != 200 {
		t.Errorf("osmand zero time: %d %s", code, b)
	}
	if u := h.unit("car-03"); u.Position == nil {
		t.Fatal("car-03 did not move")
	}
	h.metricsCounted("watchfloor_positions_batch_seconds_count", "watchfloor_positions_batch_size_sum")
	if u := h.unit("foot-01"); u.Position != nil {
		t.Errorf("foot-01 moved by an OsmAnd position at the zero time: %+v", *u.Position)
	}
	// Track windows beyond what a time can hold.
	for _, tc := range []struct{ query, field string }{
		{"from=0001-01-01T00:00:00Z", "from"},
		{"from=1969-12-31T00:00:00Z", "from"},
		{"to=2263-01-01T00:00:00Z", "to"},
		{"from=2000-01-01T00:00:00Z&to=9999-12-31T23:59:59Z", "to"},
	} {
		res, b := h.do("GET", "/api/v1/units/car-03/track?"+tc.query, op, nil)
		var p problemDoc
		_ = json.Unmarshal(b, &p)
		if res.StatusCode != 400 || len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
			t.Errorf("track %s: %d %s", tc.query, res.StatusCode, b)
		}
	}
}

// The OsmAnd listener answers oversize ids and bodies with problem+json,
// never 500.
func TestOsmAndOversize(t *testing.T) {
	h := newHarness(t)
	osm := "http://" + h.srv.OsmandAddr() + "/"
	long := strings.Repeat("8", 10<<10)
	tests := []struct {
		name, method, target, body, ctype string
		status                            int
		field                             string
	}{
		{"10 KB id in the query", "GET", osm + "?id=" + long + "&lat=22.5&lon=114.1", "", "", 400, "id"},
		{"10 KB id in a form", "POST", osm, "id=" + long + "&lat=22.5&lon=114.1", "application/x-www-form-urlencoded", 400, "id"},
		{"10 KB id in JSON", "POST", osm, `{"device_id":"` + long + `"}`, "application/json", 400, "id"},
		{"10 KB id at /api/v1/osmand", "POST", h.base + "/api/v1/osmand", "id=" + long, "application/x-www-form-urlencoded", 400, "id"},
		{"unknown device", "GET", osm + "?id=999&lat=22.5&lon=114.1", "", "", 400, "id"},
		{"100 KB body", "POST", osm, "id=860000000000017&x=" + strings.Repeat("a", 100<<10), "application/x-www-form-urlencoded", 413, ""},
		{"100 KB body at /api/v1/osmand", "POST", h.base + "/api/v1/osmand", "id=860000000000017&x=" + strings.Repeat("a", 100<<10), "application/x-www-form-urlencoded", 413, ""},
		{"a query beyond the read buffer", "GET", osm + "?id=" + strings.Repeat("8", 40<<10), "", "", 431, ""},
		{"a compressed body", "POST", osm, "id=860000000000017", "application/x-www-form-urlencoded", 415, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var extra []string
			if tc.status == 415 {
				extra = []string{"Content-Encoding", "gzip"}
			}
			var code int
			var ctype string
			var b []byte
			switch {
			case strings.HasPrefix(tc.target, osm) && len(tc.body) > 64<<10:
				// The OsmAnd listener refuses it from its declared length.
				code, ctype, b = h.declaredOnly(tc.method, tc.target, len(tc.body), tc.ctype)
			case tc.status == 431:
				code, ctype, b = h.oversizeGet(tc.target)
			default:
				code, ctype, b = h.osmandRaw(tc.method, tc.target, tc.body, tc.ctype, extra...)
			}
			if code != tc.status || ctype != "application/problem+json" {
				t.Fatalf("%d %s %.200s", code, ctype, b)
			}
			var p problemDoc
			mustJSON(t, b, &p)
			if tc.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tc.field || len(p.Errors[0].Message) > 200) {
				t.Errorf("errors %+v", p.Errors)
			}
		})
	}
}

// A responder socket is limited per connection: a burst beyond the bucket
// is answered with errors and not stored.
func TestResponderSocketRateLimit(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.Limits.SocketRate, c.Limits.SocketBurst = 1, 10 })
	r := h.responder("car-01", nil)
	r.next(2 * time.Second)
	start := time.Now()
	at := time.Now().Add(-30 * time.Minute)
	const n = 1500
	go func() {
		for i := range n {
			_ = r.conn.WriteJSON(map[string]any{"type": "position", "id": fmt.Sprint(i), "lon": 114.1 + float64(i)*1e-5, "lat": 22.55, "at": ts(at.Add(time.Duration(i) * time.Second))})
		}
	}()
	var ok, limited int
	for ok+limited < n {
		m := r.next(10 * time.Second)
		var d struct {
			OK   bool
			Code string
		}
		mustJSON(t, m.Data, &d)
		switch {
		case m.Type == "reply" && d.OK:
			ok++
		case m.Type == "error" && d.Code == "rate_limited":
			limited++
		default:
			t.Fatalf("unexpected %s %s", m.Type, m.Data)
		}
	}
	most := 10 + int(time.Since(start).Seconds()) + 1
	if ok > most || limited < n-most {
		t.Errorf("%d stored and %d refused in %v; at most %d may pass", ok, limited, time.Since(start), most)
	}
	res, b := h.do("GET", "/api/v1/units/car-01/track?from="+url.QueryEscape(at.Add(-time.Minute).UTC().Format(time.RFC3339)), h.token("operator"), nil)
	var track struct {
		Properties struct{ Times []string }
	}
	mustJSON(t, b, &track)
	if res.StatusCode != 200 || len(track.Properties.Times) != ok {
		t.Errorf("track holds %d fixes, %d replies ok (%d)", len(track.Properties.Times), ok, res.StatusCode)
	}
}
