package acceptance_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"watchfloor/command/cap/captest"
	"watchfloor/config"
)

// warningCAP reads a warning's CAP export as token and holds it against
// the CAP 1.2 schema table.
func (h *harness) warningCAP(id, token string) (*captest.Node, string) {
	h.t.Helper()
	res, b := h.do("GET", "/api/v1/warnings/"+id+".cap", token, nil)
	if res.StatusCode != 200 {
		h.t.Fatalf("GET %s.cap: %d %s", id, res.StatusCode, b)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/cap+xml; charset=utf-8" {
		h.t.Errorf("Content-Type %q", ct)
	}
	if bad := captest.Validate(b); len(bad) > 0 {
		h.t.Fatalf("not valid CAP 1.2:\n%s\n%s", strings.Join(bad, "\n"), b)
	}
	root, _ := captest.Parse(b)
	return root, string(b)
}

// TestWarningCAPExport issues a red rainstorm warning for a street through
// the API and reads it as CAP 1.2: valid, Met, Extreme, the street's
// polygons in lat,lon order with its code; lowered it is an Update of the
// first, lifted its Cancel; unknown ids are 404 and responders 403.
func TestWarningCAPExport(t *testing.T) {
	h := newHarness(t)
	body := warningBody("rainstorm", "red", 6, time.Now())
	body["text"] = "联系人 13812345678"
	w := h.issueWarning("operator", body)
	root, raw := h.warningCAP(w.ID, h.token("viewer"))
	if root.Kid("msgType").Text != "Alert" || root.Kid("incidents").Text != w.ID || !strings.HasSuffix(root.Kid("identifier").Text, w.ID+".v1") {
		t.Errorf("msgType %q incidents %q identifier %q", root.Kid("msgType").Text, root.Kid("incidents").Text, root.Kid("identifier").Text)
	}
	infos := root.All("info")
	if len(infos) != 2 || infos[0].Kid("language").Text != "zh-CN" || infos[1].Kid("language").Text != "en-US" {
		t.Fatalf("info blocks: %d", len(infos))
	}
	for _, in := range infos {
		if in.Kid("category").Text != "Met" || in.Kid("severity").Text != "Extreme" || in.Kid("urgency").Text != "Immediate" || in.Kid("expires") == nil {
			t.Errorf("%s: category %q severity %q urgency %q", in.Kid("language").Text, in.Kid("category").Text, in.Kid("severity").Text, in.Kid("urgency").Text)
		}
		ar := in.All("area")
		if len(ar) != 1 || ar[0].Kid("geocode").Kid("value").Text != "440303002" || len(ar[0].All("polygon")) == 0 {
			t.Fatalf("%s areas %d", in.Kid("language").Text, len(ar))
		}
		for _, p := range ar[0].All("polygon") {
			for _, pt := range strings.Fields(p.Text) {
				if lat, _, _ := strings.Cut(pt, ","); !strings.HasPrefix(lat, "22.") {
					t.Errorf("point %q is not lat,lon", pt)
				}
			}
		}
	}
	if got := infos[0].Kid("area").Kid("areaDesc").Text; got != w.Area.Names[0].Name {
		t.Errorf("zh areaDesc %q, want %q", got, w.Area.Names[0].Name)
	}
	if strings.Contains(raw, "13812345678") {
		t.Error("the CAP carries an unmasked phone")
	}

	if code, _, b := h.warningStep("leader", w.ID, "lower", map[string]any{"colour": "orange", "reason": "雨势减弱"}); code != 200 {
		t.Fatalf("lower: %d %s", code, b)
	}
	root, _ = h.warningCAP(w.ID, h.token("operator"))
	if root.Kid("msgType").Text != "Update" || !strings.Contains(root.Kid("references").Text, w.ID+".v1,") ||
		root.Kid("info").Kid("severity").Text != "Severe" {
		t.Errorf("lowered: msgType %q references %v", root.Kid("msgType").Text, root.Kid("references"))
	}
	if code, _, b := h.warningStep("leader", w.ID, "lift", map[string]any{"reason": "雨停"}); code != 200 {
		t.Fatalf("lift: %d %s", code, b)
	}
	root, _ = h.warningCAP(w.ID, h.token("leader"))
	if root.Kid("msgType").Text != "Cancel" || root.Kid("info").Kid("responseType").Text != "AllClear" {
		t.Errorf("lifted: msgType %q", root.Kid("msgType").Text)
	}
	// Version 3 references both earlier versions.
	if refs := strings.Fields(root.Kid("references").Text); len(refs) != 2 || !strings.Contains(refs[0], w.ID+".v1,") || !strings.Contains(refs[1], w.ID+".v2,") {
		t.Errorf("lifted: references %q", refs)
	}
	if res, b := h.do("GET", "/api/v1/warnings/W-20000101-9999.cap", h.token("viewer"), nil); res.StatusCode != 404 {
		t.Errorf("unknown: %d %s", res.StatusCode, b)
	}
	if res, _ := h.do("GET", "/api/v1/warnings/"+w.ID+".cap", h.token("car-01"), nil); res.StatusCode != 403 {
		t.Errorf("responder: %d, want 403", res.StatusCode)
	}
}

// TestIncidentsCarryWarning: an incident recorded inside a street under a
// warning carries it, one elsewhere does not (the key is left out); a
// correction of the location moves it out.
func TestIncidentsCarryWarning(t *testing.T) {
	h := newHarness(t)
	w := h.issueWarning("operator", warningBody("rainstorm", "orange", 6, time.Now()))
	refs := func(inc map[string]any) []map[string]any {
		raw, ok := inc["warnings"]
		if !ok {
			return nil
		}
		b, _ := json.Marshal(raw)
		var out []map[string]any
		mustJSON(t, b, &out)
		return out
	}
	inside := h.create(map[string]any{"category": "fire", "title": "南湖火情", "grid": "440303002002001"})
	if r := refs(inside); len(r) != 1 || r[0]["id"] != w.ID || r[0]["colour"] != "orange" || r[0]["type"] != "rainstorm" || r[0]["title"] != "暴雨预警" {
		t.Fatalf("inside: warnings %v", inside["warnings"])
	}
	id := inside["id"].(string)
	res, b := h.do("GET", "/api/v1/incidents/"+id, h.token("viewer"), nil)
	var got map[string]any
	mustJSON(t, b, &got)
	if res.StatusCode != 200 || len(refs(got)) != 1 {
		t.Fatalf("read back: %d %s", res.StatusCode, b)
	}
	outside := h.create(map[string]any{"category": "fire", "title": "东门火情", "grid": "440303001001001"})
	if _, ok := outside["warnings"]; ok {
		t.Fatalf("outside: warnings %v", outside["warnings"])
	}
	res, b = h.do("POST", "/api/v1/incidents/"+id+"/reports", h.token("operator"), map[string]any{"grid": "440303001001001"})
	var moved map[string]any
	mustJSON(t, b, &moved)
	if res.StatusCode != 200 || len(refs(moved)) != 0 || moved["grid"] == nil {
		t.Fatalf("moved out: %d %s", res.StatusCode, b)
	}
}

// TestStartPlanForWarning: a leader starts the flood plan for a red
// rainstorm warning with two of its groups (level I from red); a second
// start is 409 naming the first; bad bodies name their fields; once the
// warning is lifted a start for it is refused naming warning_id.
func TestStartPlanForWarning(t *testing.T) {
	h := newHarness(t)
	w := h.issueWarning("leader", warningBody("rainstorm", "red", 6, time.Now()))
	body := map[string]any{"plan_id": "flood-typhoon", "warning_id": w.ID, "groups": []string{"rescue", "transfer"}, "reason": "暴雨红色预警"}
	res, b := h.do("POST", "/api/v1/activations", h.token("leader"), body)
	if res.StatusCode != 201 {
		t.Fatalf("start: %d %s", res.StatusCode, b)
	}
	var a struct {
		ID, Level, Status, WarningID string
		IncidentID                   string `json:"incident_id"`
		Groups                       []struct{ ID string }
	}
	mustJSON(t, b, &a)
	var raw map[string]any
	mustJSON(t, b, &raw)
	if raw["warning_id"] != w.ID || a.Level != "I" || a.Status != "active" || a.IncidentID != "" || len(a.Groups) != 2 ||
		a.Groups[0].ID != "transfer" || a.Groups[1].ID != "rescue" {
		t.Fatalf("activation %s", b)
	}
	res, b = h.do("POST", "/api/v1/activations", h.token("leader"), body)
	if res.StatusCode != 409 || !strings.Contains(string(b), a.ID) || !strings.Contains(string(b), w.ID) {
		t.Fatalf("second start: %d %s", res.StatusCode, b)
	}
	_, b = h.do("GET", "/api/v1/audit?action=plan.started&object="+a.ID, h.token("admin"), nil)
	if !strings.Contains(string(b), `"warning_id":"`+w.ID+`"`) || !strings.Contains(string(b), "暴雨红色预警") {
		t.Fatalf("audit of the start: %s", b)
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		want []string
	}{
		{"with an incident", map[string]any{"plan_id": "flood-typhoon", "warning_id": w.ID, "incident_id": "INC-20000101-0001"}, []string{"warning_id"}},
		{"unknown", map[string]any{"plan_id": "flood-typhoon", "warning_id": "W-20000101-9999", "level": "V"}, []string{"warning_id", "level"}},
	} {
		res, b := h.do("POST", "/api/v1/activations", h.token("leader"), tc.body)
		if res.StatusCode != 400 {
			t.Errorf("%s: %d %s", tc.name, res.StatusCode, b)
			continue
		}
		for _, f := range tc.want {
			if !strings.Contains(string(b), `"`+f+`"`) {
				t.Errorf("%s: %s does not name %s", tc.name, b, f)
			}
		}
	}
	if code, _, b := h.warningStep("leader", w.ID, "lift", map[string]any{"reason": "雨停"}); code != 200 {
		t.Fatalf("lift: %d %s", code, b)
	}
	res, b = h.do("POST", "/api/v1/activations", h.token("leader"), map[string]any{"plan_id": "general", "warning_id": w.ID})
	if res.StatusCode != 400 || !strings.Contains(string(b), "warning "+w.ID+" was lifted at") {
		t.Fatalf("after the lift: %d %s", res.StatusCode, b)
	}
}

// TestNotifyWarnings: a warning issued and raised through the API reaches
// every channel (the real local receivers) once per version; a lower
// tells nobody, and a drill nobody, as no rule takes drills.
func TestNotifyWarnings(t *testing.T) {
	rc := newReceivers(t)
	h := newHarness(t, rc.channels, func(c *config.Config) {
		c.Notifications.Rules = []config.NotifyRule{{Event: config.NotifyWarning, Channels: []string{"wecom", "dingtalk", "feishu", "webhook", "mail"}}}
	})
	// The drill first: its event is read before the others, so it would
	// be in the outbox by the time theirs are sent.
	drill := warningBody("flood", "red", 6, time.Now())
	drill["drill"] = true
	h.issueWarning("operator", drill)
	body := warningBody("rainstorm", "yellow", 6, time.Now())
	body["title"] = "暴雨黄色预警 联系13812345678"
	w := h.issueWarning("operator", body)
	if code, _, b := h.warningStep("leader", w.ID, "lower", map[string]any{"colour": "blue", "reason": "减弱"}); code != 200 {
		t.Fatalf("lower: %d %s", code, b)
	}
	if code, _, b := h.warningStep("leader", w.ID, "raise", map[string]any{"colour": "red", "reason": "加强"}); code != 200 {
		t.Fatalf("raise: %d %s", code, b)
	}
	rc.delivered(h, []string{"warning:" + w.ID + ":v1", "warning:" + w.ID + ":v3"}, 10*time.Second)
}
