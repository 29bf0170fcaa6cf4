package acceptance_test

import (
	"bytes"
	"compress/gzip"
	"slices"
	"strings"
	"testing"

	"watchfloor/config"
)

// problemFields returns the status and the fields a problem+json answer
// names.
func (h *harness) problemFields(method, path, tok, body string, headers ...string) (int, []string, string) {
	h.t.Helper()
	res, b := h.do(method, path, tok, body, headers...)
	var p struct {
		Errors []struct{ Field, Message string }
	}
	if res.StatusCode >= 400 {
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
			h.t.Errorf("%s %s: content type %q", method, path, ct)
		}
		mustJSON(h.t, b, &p)
	}
	out := []string{}
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	slices.Sort(out)
	return res.StatusCode, out, string(b)
}

// Hostile and sloppy bodies get a 4xx problem naming every bad field, and
// change nothing: incidents, cases and every JSON body through the shared
// decoder.
func TestInputHostileBodies(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	const place = `"location":{"lon":114.1118,"lat":22.547}`
	const inc = `"category":"mass_incident","title":"聚集",` + place
	const cs = `"kind":"hazard","title":"井盖",` + `"location":{"lon":114.10877,"lat":22.55415}`
	for _, tc := range []struct {
		name, path, body, ctype string
		status                  int
		fields                  []string
	}{
		{"jsonx media type", "/api/v1/incidents", `{` + inc + `}`, "application/jsonx", 415, []string{"Content-Type"}},
		{"text media type", "/api/v1/cases", `{` + cs + `}`, "text/plain", 415, []string{"Content-Type"}},
		{"latin-1 charset", "/api/v1/incidents", `{` + inc + `}`, "application/json; charset=iso-8859-1", 415, []string{"Content-Type"}},
		{"empty location", "/api/v1/incidents", `{"category":"mass_incident","title":"聚集","location":{}}`, "", 400, []string{"location.lat", "location.lon"}},
		{"lon only", "/api/v1/incidents", `{"category":"mass_incident","title":"聚集","location":{"lon":114.1}}`, "", 400, []string{"location.lat"}},
		{"case lon only", "/api/v1/cases", `{"kind":"hazard","title":"井盖","location":{"lon":114.1}}`, "", 400, []string{"location.lat"}},
		{"duplicate key", "/api/v1/incidents", `{` + inc + `,"title":"另一个"}`, "", 400, []string{"title"}},
		{"case duplicate key", "/api/v1/cases", `{` + cs + `,"kind":"dispute"}`, "", 400, []string{"kind"}},
		{"upper-case key", "/api/v1/incidents", `{"category":"mass_incident","TITLE":"聚集",` + place + `}`, "", 400, []string{"TITLE"}},
		{"case upper-case key", "/api/v1/cases", `{"kind":"hazard","Title":"井盖","location":{"lon":114.10877,"lat":22.55415}}`, "", 400, []string{"Title"}},
		{"invisible title", "/api/v1/incidents", `{"category":"mass_incident","title":"\u200b\ufeff\u0000",` + place + `}`, "", 400, []string{"title"}},
		{"case invisible title", "/api/v1/cases", `{"kind":"hazard","title":"\u200b \u2060","location":{"lon":114.10877,"lat":22.55415}}`, "", 400, []string{"title"}},
		{"year 0", "/api/v1/incidents", `{` + inc + `,"occurred_at":"0000-01-01T00:00:00Z"}`, "", 400, []string{"occurred_at"}},
		{"every type error at once", "/api/v1/incidents", `{"category":1,"title":2,"deaths":"x","location":{"lon":"a","lat":true}}`, "", 400,
			[]string{"category", "deaths", "location.lat", "location.lon", "title"}},
		{"login duplicate key", "/api/v1/sessions", `{"username":"viewer","password":"x","username":"operator"}`, "", 400, []string{"username"}},
		{"dispatch type errors", "/api/v1/incidents/I-none/dispatches", `{"unit_ids":[1,"car-01",true],"note":5}`, "", 400,
			[]string{"note", "unit_ids[0]", "unit_ids[2]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var headers []string
			if tc.ctype != "" {
				headers = []string{"Content-Type", tc.ctype}
			}
			tok := op
			if strings.HasPrefix(tc.path, "/api/v1/sessions") {
				tok = ""
			}
			status, fields, body := h.problemFields("POST", tc.path, tok, tc.body, headers...)
			if status != tc.status || !slices.Equal(fields, tc.fields) {
				t.Errorf("%d %v, want %d %v: %s", status, fields, tc.status, tc.fields, body)
			}
		})
	}
	for _, path := range []string{"/api/v1/incidents", "/api/v1/cases"} {
		_, b := h.do("GET", path, op, nil)
		if !strings.Contains(string(b), `"count":0`) {
			t.Errorf("refused bodies stored something: %s", b)
		}
	}
}

// A case is dispatched only to a unit or to an account that may handle it
// there (a role that acts on cases, with an area covering the case's); the
// refusal names the assignee field and changes nothing.
func TestInputCaseDispatchAssignee(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	chengdong := map[string]any{"kind": "hazard", "title": "城东", "location": map[string]float64{"lon": 114.12369, "lat": 22.55413}}
	id := h.createCase(op, chengdong)
	if code, body := h.act(op, id, map[string]any{"action": "accept"}); code != 200 {
		t.Fatalf("accept: %d %s", code, body)
	}
	for _, who := range []string{"viewer", "hubei-operator", "nobody"} {
		code, body := h.act(op, id, map[string]any{"action": "dispatch", "assignee": who})
		if code != 400 || !strings.Contains(body, `"field":"assignee"`) {
			t.Errorf("dispatch to %s: %d %s", who, code, body)
		}
	}
	if code, body := h.act(op, id, map[string]any{"action": "dispatch", "assignee": "dongmen-operator"}); code != 200 {
		t.Errorf("dispatch to the street's operator: %d %s", code, body)
	}
}

// A responder cannot tell which case ids exist: a case it may not see is
// 404, the same as one that does not exist, for reads, photos and actions.
func TestInputCaseHiddenIs404(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	id := h.createCase(op, hubeiHazard("不可见"))
	car := h.token("car-01")
	for _, path := range []string{"/api/v1/cases/" + id, "/api/v1/cases/C-19990101-0001", "/api/v1/cases/" + id + "/photos/1"} {
		if res, b := h.do("GET", path, car, nil); res.StatusCode != 404 {
			t.Errorf("GET %s as a responder: %d %s", path, res.StatusCode, b)
		}
	}
	for _, cid := range []string{id, "C-19990101-0001"} {
		if code, body := h.act(car, cid, map[string]any{"action": "handle", "result": "x"}); code != 404 {
			t.Errorf("action on %s as a responder: %d %s", cid, code, body)
		}
	}
}

// The edges: pprof's cmdline and symbol are not served (404 even to an
// admin), sockets may connect only to the page's own origin (CSP), and
// /metrics needs its token when one is configured.
func TestInputEdgesPprofCSPMetrics(t *testing.T) {
	const token = "metrics-token-0123456789"
	h := newHarness(t, func(c *config.Config) { c.Metrics.Token = token })
	admin := h.token("admin")
	for path, want := range map[string]int{"/debug/pprof/cmdline": 404, "/debug/pprof/symbol": 404, "/debug/pprof/goroutine?debug=1": 200} {
		if res, b := h.do("GET", path, admin, nil); res.StatusCode != want {
			t.Errorf("GET %s as admin: %d, want %d: %.200s", path, res.StatusCode, want, b)
		}
	}
	res, _ := h.do("GET", "/", "", nil)
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "connect-src 'self';") || strings.Contains(csp, "ws:") {
		t.Errorf("CSP %q: connect-src must be 'self' only", csp)
	}
	if res, _ := h.do("GET", "/metrics", "", nil); res.StatusCode != 401 {
		t.Errorf("/metrics without the token: %d", res.StatusCode)
	}
	if res, _ := h.do("GET", "/metrics", admin, nil); res.StatusCode != 401 {
		t.Errorf("/metrics with a session token instead of the metrics token: %d", res.StatusCode)
	}
	if res, b := h.do("GET", "/metrics", token, nil); res.StatusCode != 200 || !strings.Contains(string(b), "watchfloor_") {
		t.Errorf("/metrics with the token: %d", res.StatusCode)
	}
}

// A case's reporter is masked for viewers and responders and shown to
// operators, over every HTTP answer about the case (docs/API.md says so
// in one place now).
func TestInputCaseReporterMasking(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	id := h.createCase(op, hubeiHazard("遮蔽"))
	for who, want := range map[string]string{"operator": `"name":"赵六","phone":"13600006666"`, "viewer": `"name":"赵*","phone":"136****6666"`} {
		_, get := h.do("GET", "/api/v1/cases/"+id, h.token(who), nil)
		_, list := h.do("GET", "/api/v1/cases", h.token(who), nil)
		for what, b := range map[string][]byte{"get": get, "list": list} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s %s: want %s in %.300s", who, what, want, b)
			}
		}
	}
}

// A required reason of only invisible characters is no reason: closing an
// incident with one is refused on reason, and the incident stays open.
func TestInputInvisibleReason(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	id := h.create(dongmen("原因", 5))["id"].(string)
	status, fields, body := h.problemFields("POST", "/api/v1/incidents/"+id+"/status", op, `{"status":"closed","reason":"\u200b\u2060 \ufeff","summary":{"outcome":"已处置","losses":"无","lessons":"无"}}`)
	if status != 400 || !slices.Equal(fields, []string{"reason"}) {
		t.Errorf("closing with an invisible reason: %d %v %s", status, fields, body)
	}
	if _, b := h.do("GET", "/api/v1/incidents/"+id, op, nil); !strings.Contains(string(b), `"status":"open"`) {
		t.Errorf("the incident changed: %.200s", b)
	}
}

// A compressed body is refused before it is inflated: 20 KiB of gzip that
// would inflate to 20 MiB of positions is 415 naming Content-Encoding, and
// nothing is stored.
func TestCompressedBodiesRefused(t *testing.T) {
	h := newHarness(t)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(`{"positions":[`))
	row := []byte(`{"unit_id":"car-01","lon":114.11,"lat":22.54},`)
	for range (20 << 20) / len(row) {
		_, _ = zw.Write(row)
	}
	_, _ = zw.Write([]byte(`{"unit_id":"car-01","lon":114.11,"lat":22.54}]}`))
	_ = zw.Close()
	for _, path := range []string{"/api/v1/positions", "/api/v1/incidents", "/api/v1/sessions"} {
		res, b := h.do("POST", path, h.token("operator"), buf.Bytes(), "Content-Encoding", "gzip")
		if res.StatusCode != 415 || !strings.Contains(string(b), `"field":"Content-Encoding"`) {
			t.Errorf("%s: %d %s", path, res.StatusCode, b)
		}
	}
	if u := h.unit("car-01"); u.Position != nil {
		t.Errorf("a compressed batch moved car-01: %+v", u.Position)
	}
}

// A call keeps the line it came in on (110, 119, 122, 12345, walk-in…),
// and the printed bulletin names it in Chinese.
func TestIncidentSources(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	body := dongmen("火警", 3)
	body["source"] = "119"
	if inc := h.create(body); inc["source"] != "119" {
		t.Fatalf("source %v, want 119", inc["source"])
	}
	body["source"] = "999"
	if res, b := h.do("POST", "/api/v1/incidents", op, body); res.StatusCode != 400 || !strings.Contains(string(b), `"field":"source"`) {
		t.Errorf("source 999: %d %s", res.StatusCode, b)
	}
	_, page := h.do("GET", "/api/v1/bulletins/daily?format=html", h.token("viewer"), nil)
	if !strings.Contains(string(page), "119 火警") {
		t.Errorf("the printed bulletin does not name the 119 line")
	}
}
