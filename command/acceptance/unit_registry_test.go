package acceptance_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// newUnit is a unit the administration page creates.
func newUnit(id, device string) map[string]any {
	return map[string]any{"id": id, "callsign": "新车" + id, "type": "car", "team": "patrol", "home_grid": "440303001001001",
		"device_ids": []string{device}, "capabilities": []string{"aed"}}
}

// unitIDs are the ids GET /api/v1/units lists (query q) to tok.
func (h *harness) unitIDs(tok, q string) []string {
	h.t.Helper()
	res, b := h.do("GET", "/api/v1/units"+q, tok, nil)
	if res.StatusCode != 200 {
		h.t.Fatalf("units: %d %s", res.StatusCode, b)
	}
	var out struct{ Units []struct{ ID string } }
	mustJSON(h.t, b, &out)
	ids := make([]string, len(out.Units))
	for i, u := range out.Units {
		ids[i] = u.ID
	}
	return ids
}

// osmandAt sends one fix of device at lon, lat to the device listener now.
func (h *harness) osmandAt(device string, lon, lat float64) int {
	h.t.Helper()
	code, _ := h.osmand("GET", fmt.Sprintf("id=%s&lat=%f&lon=%f&timestamp=%d", device, lat, lon, time.Now().Unix()), "", "")
	return code
}

// Bad units get a problem naming every bad field and change nothing; an
// edit needs the version it was read at; a unit on an order is not retired.
func TestUnitRegistryBadInput(t *testing.T) {
	h := newHarness(t)
	admin := h.token("admin")
	before := h.unitIDs(admin, "?retired=true")
	cases := []struct {
		name  string
		body  string
		wants []string
	}{
		{"duplicateID", `{"id":"car-01","callsign":"x","type":"car"}`, []string{"id"}},
		{"duplicateDevice", `{"id":"car-90","callsign":"x","type":"car","device_ids":["860000000000017"]}`, []string{"device_ids[0]"}},
		{"unknownType", `{"id":"car-90","callsign":"x","type":"tank"}`, []string{"type"}},
		{"gridOutside", `{"id":"car-90","callsign":"x","type":"car","home_grid":"110101001001001"}`, []string{"home_grid"}},
		{"badCapability", `{"id":"car-90","callsign":"x","type":"car","capabilities":["AED !"]}`, []string{"capabilities[0]"}},
		{"everything", `{"id":"Car 90","callsign":"","type":"tank","home_grid":"x","device_ids":["", "d"],"capabilities":["ok","ok"]}`,
			[]string{"callsign", "capabilities[1]", "device_ids[0]", "home_grid", "id", "type"}},
		{"missing", `{"id":"car-90"}`, []string{"callsign", "type"}},
		{"unknownField", `{"id":"car-90","callsign":"x","type":"car","colour":"red"}`, []string{"colour"}},
	}
	for _, tc := range cases {
		code, fields, body := h.problemFields("POST", "/api/v1/units", admin, tc.body)
		if code != 400 || !slices.Equal(fields, tc.wants) {
			t.Errorf("%s: %d %v, want 400 %v (%s)", tc.name, code, fields, tc.wants, body)
		}
	}
	if after := h.unitIDs(admin, "?retired=true"); !slices.Equal(after, before) {
		t.Fatalf("refused units changed the list: %d → %d", len(before), len(after))
	}
	if code := h.osmandAt("860000000000017", 114.11, 22.54); code != 200 {
		t.Fatalf("car-01's device after the refusals: %d", code)
	}

	// Created, then edited over its version only.
	res, b := h.do("POST", "/api/v1/units", admin, newUnit("car-90", "dev-90"))
	if res.StatusCode != 201 || !strings.Contains(string(b), `"version":1`) {
		t.Fatalf("create: %d %s", res.StatusCode, b)
	}
	if res, _ := h.do("POST", "/api/v1/units", h.token("operator"), newUnit("car-91", "dev-91")); res.StatusCode != 403 {
		t.Fatalf("an operator created a unit: %d", res.StatusCode)
	}
	edit := newUnit("car-90", "dev-90b")
	delete(edit, "id")
	if code, fields, _ := h.problemFields("PUT", "/api/v1/units/car-90", admin, mustMarshal(t, edit)); code != 400 || !slices.Equal(fields, []string{"version"}) {
		t.Fatalf("edit without version: %d %v", code, fields)
	}
	edit["version"] = 7
	if res, b := h.do("PUT", "/api/v1/units/car-90", admin, edit); res.StatusCode != 409 {
		t.Fatalf("stale edit: %d %s", res.StatusCode, b)
	}
	edit["version"] = 1
	if res, b := h.do("PUT", "/api/v1/units/car-90", admin, edit); res.StatusCode != 200 || !strings.Contains(string(b), "dev-90b") {
		t.Fatalf("edit: %d %s", res.StatusCode, b)
	}
	if code := h.osmandAt("dev-90", 114.11, 22.54); code != 400 {
		t.Fatalf("the released device still reports: %d", code)
	}
	if code := h.osmandAt("dev-90b", 114.1120, 22.5470); code != 200 {
		t.Fatalf("the new device: %d", code)
	}

	// A unit on an order is not retired; one off it is, and its device is
	// answered as an unknown one.
	inc := h.create(publicOrder("退役前的派警"))
	res, b = h.do("POST", "/api/v1/incidents/"+inc["id"].(string)+"/dispatches", h.token("operator"), map[string]any{"unit_ids": []string{"car-90"}})
	if res.StatusCode != 201 {
		t.Fatalf("dispatch: %d %s", res.StatusCode, b)
	}
	var sent struct {
		Dispatches []struct{ ID string } `json:"dispatches"`
	}
	mustJSON(t, b, &sent)
	res, b = h.do("POST", "/api/v1/units/car-90/retire", admin, nil)
	if res.StatusCode != 409 || len(sent.Dispatches) != 1 || !strings.Contains(string(b), sent.Dispatches[0].ID) {
		t.Fatalf("retire on an order: %d %s", res.StatusCode, b)
	}
	if res, b := h.do("POST", "/api/v1/units/car-02/retire", admin, nil); res.StatusCode != 200 || !strings.Contains(string(b), `"retired":true`) {
		t.Fatalf("retire: %d %s", res.StatusCode, b)
	}
	if ids := h.unitIDs(admin, ""); slices.Contains(ids, "car-02") {
		t.Fatal("a retired unit is still listed")
	}
	if ids := h.unitIDs(admin, "?retired=true"); !slices.Contains(ids, "car-02") {
		t.Fatal("a retired unit left the full list")
	}
	_, _, unknown := h.osmandRaw("GET", "http://"+h.srv.OsmandAddr()+"/?id=nobody-at-all&lat=22.54&lon=114.11", "", "")
	code, _, retired := h.osmandRaw("GET", "http://"+h.srv.OsmandAddr()+"/?id=860000000000018&lat=22.54&lon=114.11", "", "")
	if code != 400 || strings.ReplaceAll(string(retired), "860000000000018", "X") != strings.ReplaceAll(string(unknown), "nobody-at-all", "X") {
		t.Fatalf("a retired unit's device: %d %q (unknown: %q)", code, retired, unknown)
	}
	if res, b := h.do("POST", "/api/v1/units/car-02/restore", admin, nil); res.StatusCode != 200 || !strings.Contains(string(b), `"status":"available"`) {
		t.Fatalf("restore: %d %s", res.StatusCode, b)
	}

	// Every step is in the audit trail.
	res, b = h.do("GET", "/api/v1/audit?who=admin&limit=500", admin, nil)
	for _, action := range []string{"unit.created", "unit.updated", "unit.retired", "unit.restored"} {
		if res.StatusCode != 200 || !strings.Contains(string(b), action) {
			t.Errorf("audit lacks %s: %d %.300s", action, res.StatusCode, b)
		}
	}
	// Leaders read the audit trail; a device id (the OsmAnd port's only
	// credential) shows there by its last four characters.
	if strings.Contains(string(b), "dev-90") || !strings.Contains(string(b), `"…v-90"`) {
		t.Errorf("the audit trail shows a device id in full, or not at all: %.600s", b)
	}
}

// A unit created on one instance takes OsmAnd positions on another at
// once and is in its list; retired on one, the other refuses its device.
func TestUnitRegistryTwoInstances(t *testing.T) {
	a := newHarness(t)
	b := newHarnessOn(t, a.redis)
	admin := a.token("admin")
	screen := b.screen(b.token("viewer"), nil)
	screen.next(2 * time.Second) // snapshot
	if res, body := a.do("POST", "/api/v1/units", admin, newUnit("car-95", "dev-95")); res.StatusCode != 201 {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	for {
		m := screen.next(3 * time.Second)
		if m.Type == "unit.changed" {
			if strings.Contains(string(m.Data), "dev-95") || !strings.Contains(string(m.Data), `"car-95"`) {
				t.Fatalf("unit.changed: %s", m.Data)
			}
			break
		}
	}
	// B's fleet had the unit before its screens heard of it.
	if code := b.osmandAt("dev-95", 114.1120, 22.5470); code != 200 {
		t.Fatalf("B refused the new device: %d", code)
	}
	if !slices.Contains(b.unitIDs(b.token("operator"), ""), "car-95") {
		t.Fatal("B does not list the new unit")
	}
	waitFor(t, 2*time.Second, "the new unit's position on B", func() bool {
		v := b.unit("car-95")
		return v.Position != nil && v.Position.Lon > 114.11
	})
	if res, body := a.do("POST", "/api/v1/units/car-95/retire", admin, nil); res.StatusCode != 200 {
		t.Fatalf("retire: %d %s", res.StatusCode, body)
	}
	waitFor(t, 2*time.Second, "B refusing the retired unit's device", func() bool { return b.osmandAt("dev-95", 114.1121, 22.5470) == 400 })
	if slices.Contains(b.unitIDs(b.token("operator"), ""), "car-95") {
		t.Fatal("B still lists the retired unit")
	}
}

// A unit created at run time in a team is a member of the plan groups that
// name its team at once: the mass-incident plan's on-site control group
// (team foot-patrol-dongmen) lists it; retired, it is left out of the next.
func TestUnitCreatedAtRunTimeJoinsPlanGroups(t *testing.T) {
	h := newHarness(t)
	admin := h.token("admin")
	u := map[string]any{"id": "foot-97", "callsign": "步巡97", "type": "foot", "team": "foot-patrol-dongmen", "home_grid": "440303001001001"}
	if res, b := h.do("POST", "/api/v1/units", admin, u); res.StatusCode != 201 {
		t.Fatalf("create: %d %s", res.StatusCode, b)
	}
	members := func(incidentID string) string {
		_, b := h.do("GET", "/api/v1/activations", h.token("viewer"), nil)
		var out struct {
			Activations []struct {
				PlanID     string `json:"plan_id"`
				IncidentID string `json:"incident_id"`
				Groups     []struct {
					ID    string
					Units []string
				}
			}
		}
		mustJSON(t, b, &out)
		for _, a := range out.Activations {
			if a.IncidentID != incidentID || a.PlanID != "mass-incident" {
				continue
			}
			for _, g := range a.Groups {
				if g.ID == "onsite-control" {
					return strings.Join(g.Units, ",")
				}
			}
		}
		t.Fatalf("no mass-incident proposal with an on-site control group for %s: %s", incidentID, b)
		return ""
	}
	inc := h.create(dongmen("商户聚集", 150))
	if got := members(inc["id"].(string)); !strings.Contains(got, "foot-97") || !strings.Contains(got, "foot-01") {
		t.Fatalf("on-site control members %s: want foot-97 with the configured ones", got)
	}
	if res, b := h.do("POST", "/api/v1/units/foot-97/retire", admin, nil); res.StatusCode != 200 {
		t.Fatalf("retire: %d %s", res.StatusCode, b)
	}
	inc = h.create(dongmen("商户再次聚集", 160))
	if got := members(inc["id"].(string)); strings.Contains(got, "foot-97") {
		t.Fatalf("a retired unit is still a member: %s", got)
	}
}
