package cap_test

import (
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"watchfloor/command/cap"
	"watchfloor/command/cap/captest"
	"watchfloor/command/warning"
	"watchfloor/geo"
)

var issued = time.Date(2026, 7, 1, 6, 0, 0, 0, time.UTC)

// sampleWarning is a red rainstorm warning for two streets, issued at
// issued for the next twelve hours.
func sampleWarning() *warning.Warning {
	return &warning.Warning{ID: "W-20260701-0001", Type: warning.Rainstorm, Colour: warning.Red, Title: "暴雨红色预警 联系 13812345678",
		Text: "预计未来 3 小时降雨量 100 毫米以上。值班电话 0755-12345678。", Source: "深圳市气象台",
		Area: warning.Area{Kind: warning.AreaStreets, Codes: []string{"440303001", "440303002"},
			Names: []warning.Name{{Code: "440303001", Name: "东门街道", NameEN: "Dongmen Street"}, {Code: "440303002", Name: "南湖街道"}}},
		StartsAt: issued, EndsAt: issued.Add(12 * time.Hour), Status: warning.Active, IssuedAt: issued, UpdatedAt: issued,
		IssuedBy: "op", Version: 1, History: []warning.Step{{At: issued, Action: warning.StepIssued, By: "op"}}}
}

// step moves w on by a step of action at: a version more.
func step(w *warning.Warning, action string, at time.Time) {
	w.History = append(w.History, warning.Step{At: at, Action: action, By: "op"})
	w.Version, w.UpdatedAt = int64(len(w.History)), at
}

// streetShapes are the two streets' grids: one square each, the second
// of two polygons with an open ring.
func streetShapes() []*geo.Area {
	sq := func(x, y float64) orb.Ring {
		return orb.Ring{{x, y}, {x + 0.01, y}, {x + 0.01, y + 0.01}, {x, y + 0.01}, {x, y}}
	}
	open := orb.Ring{{114.2, 22.6}, {114.21, 22.6}, {114.21, 22.61}}
	return []*geo.Area{
		{Code: "440303001", Name: "东门街道", NameEN: "Dongmen Street", Shape: orb.MultiPolygon{{sq(114.1, 22.5)}}},
		{Code: "440303002", Name: "南湖街道", Shape: orb.MultiPolygon{{sq(114.12, 22.52)}, {open}}},
	}
}

func renderWarning(t *testing.T, w *warning.Warning, shapes []*geo.Area) (string, *captest.Node) {
	t.Helper()
	b, err := cap.Render(cap.FromWarning(w, src(), shapes))
	return valid(t, b, err)
}

// A warning as issued: every element CAP 1.2 requires, the mappings of
// its colour, type and validity, two languages, masked text.
func TestWarningIssued(t *testing.T) {
	out, root := renderWarning(t, sampleWarning(), streetShapes())
	for el, want := range map[string]string{"identifier": "watchfloor.luohu.W-20260701-0001.v1", "sender": "watchfloor.luohu",
		"sent": "2026-07-01T14:00:00+08:00", "status": "Actual", "msgType": "Alert", "scope": "Restricted", "incidents": "W-20260701-0001"} {
		if n := root.Kid(el); n == nil || n.Text != want {
			t.Errorf("<%s> %v, want %q", el, n, want)
		}
	}
	if root.Kid("references") != nil {
		t.Error("a first alert has references")
	}
	infos := root.All("info")
	if len(infos) != 2 || infos[0].Kid("language").Text != "zh-CN" || infos[1].Kid("language").Text != "en-US" {
		t.Fatalf("want a zh-CN and an en-US info, got %d", len(infos))
	}
	for _, in := range infos {
		for el, want := range map[string]string{"category": "Met", "urgency": "Immediate", "severity": "Extreme", "certainty": "Likely",
			"responseType": "Prepare", "effective": "2026-07-01T14:00:00+08:00", "expires": "2026-07-02T02:00:00+08:00"} {
			if n := in.Kid(el); n == nil || n.Text != want {
				t.Errorf("%s <%s> %v, want %q", in.Kid("language").Text, el, n, want)
			}
		}
		if ec := in.Kid("eventCode"); ec == nil || ec.Kid("valueName").Text != "watchfloor:warning_type" || ec.Kid("value").Text != "rainstorm" {
			t.Errorf("eventCode %+v", ec)
		}
		var params []string
		for _, p := range in.All("parameter") {
			params = append(params, p.Kid("valueName").Text+"="+p.Kid("value").Text)
		}
		if got := strings.Join(params, " "); got != "watchfloor:level=I watchfloor:colour=red" {
			t.Errorf("parameters %q", got)
		}
	}
	zh, en := infos[0], infos[1]
	for _, c := range [][2]string{
		{zh.Kid("event").Text, "暴雨预警"}, {en.Kid("event").Text, "Rainstorm warning"},
		{zh.Kid("headline").Text, "暴雨红色预警：暴雨红色预警 联系 138****5678"},
		{en.Kid("headline").Text, "Red rainstorm warning: 暴雨红色预警 联系 138****5678"},
		{zh.Kid("description").Text, "预计未来 3 小时降雨量 100 毫米以上。值班电话 075******5678。\n发布单位：深圳市气象台"},
		{en.Kid("description").Text, "预计未来 3 小时降雨量 100 毫米以上。值班电话 075******5678。\nSource: 深圳市气象台"},
		{zh.Kid("web").Text, "https://wf.example/console.html"},
	} {
		if c[0] != c[1] {
			t.Errorf("got %q, want %q", c[0], c[1])
		}
	}
	if strings.Contains(out, "13812345678") || strings.Contains(out, "12345678。") {
		t.Error("a phone number is not masked")
	}
}

// Areas: one per street with its names and grid code, polygons in lat,lon
// order and closed (an open ring of the grid closed); a drawn polygon's
// outer ring; the city its districts.
func TestWarningAreas(t *testing.T) {
	_, root := renderWarning(t, sampleWarning(), streetShapes())
	zh, en := root.All("info")[0].All("area"), root.All("info")[1].All("area")
	if len(zh) != 2 || len(en) != 2 {
		t.Fatalf("areas %d, %d, want 2 each", len(zh), len(en))
	}
	for i, want := range [][3]string{{"东门街道", "Dongmen Street", "440303001"}, {"南湖街道", "南湖街道", "440303002"}} {
		if got := [3]string{zh[i].Kid("areaDesc").Text, en[i].Kid("areaDesc").Text, zh[i].Kid("geocode").Kid("value").Text}; got != want {
			t.Errorf("area %d: %v, want %v", i, got, want)
		}
	}
	if got := zh[0].Kid("polygon").Text; got != "22.5,114.1 22.5,114.11 22.51,114.11 22.51,114.1 22.5,114.1" {
		t.Errorf("polygon %q", got)
	}
	polys := zh[1].All("polygon")
	if len(polys) != 2 || polys[1].Text != "22.6,114.2 22.6,114.21 22.61,114.21 22.6,114.2" {
		t.Errorf("second street's polygons %v", polys)
	}

	drawn := sampleWarning()
	drawn.Area = warning.Area{Kind: warning.AreaPolygon, Polygon: [][][2]float64{
		{{114.1, 22.5}, {114.2, 22.5}, {114.2, 22.6}, {114.1, 22.5}},
		{{114.15, 22.52}, {114.16, 22.52}, {114.16, 22.53}, {114.15, 22.52}}}, // a hole: CAP has none
		Names: []warning.Name{{Code: "440303001", Name: "东门街道", NameEN: "Dongmen Street"}}}
	_, root = renderWarning(t, drawn, nil)
	ar := root.Kid("info").Kid("area")
	if got := ar.All("polygon"); len(got) != 1 || got[0].Text != "22.5,114.1 22.5,114.2 22.6,114.2 22.5,114.1" {
		t.Errorf("drawn polygon %v", got)
	}
	if got := ar.Kid("areaDesc").Text; got != "划定区域（东门街道）" {
		t.Errorf("drawn areaDesc %q", got)
	}

	city := sampleWarning()
	city.Area = warning.Area{Kind: warning.AreaCity, Names: []warning.Name{{Code: "440303", Name: "罗湖区", NameEN: "Luohu District"}}}
	districts := []*geo.Area{{Code: "440303", Name: "罗湖区", NameEN: "Luohu District", Level: geo.District, Shape: streetShapes()[0].Shape}}
	_, root = renderWarning(t, city, districts)
	if ar := root.All("info")[1].Kid("area"); ar.Kid("areaDesc").Text != "Luohu District" || ar.Kid("polygon") == nil {
		t.Errorf("city area: %q", ar.Kid("areaDesc").Text)
	}
	_, root = renderWarning(t, city, nil)
	if got := root.Kid("info").Kid("area").Kid("areaDesc").Text; got != "全市" {
		t.Errorf("city without a map: %q", got)
	}
}

// Colours, types and the warning's state map to severity, category,
// urgency (at the version's sent time), responseType and msgType; a later
// version references each earlier one.
func TestWarningMappings(t *testing.T) {
	v1 := "watchfloor.luohu,watchfloor.luohu.W-20260701-0001.v1,2026-07-01T14:00:00+08:00"
	v2 := "watchfloor.luohu,watchfloor.luohu.W-20260701-0001.v2,2026-07-01T15:00:00+08:00"
	cases := []struct {
		name                          string
		edit                          func(w *warning.Warning)
		category, severity, urgency   string
		response, msgType, status, rf string
	}{
		{"blue typhoon ahead", func(w *warning.Warning) {
			w.Colour, w.Type, w.StartsAt = warning.Blue, warning.Typhoon, issued.Add(time.Hour)
		}, "Met", "Minor", "Expected", "Prepare", "Alert", "Actual", ""},
		{"extended once begun", func(w *warning.Warning) {
			w.StartsAt = issued.Add(time.Hour)
			step(w, warning.StepExtended, issued.Add(time.Hour))
		}, "Met", "Extreme", "Immediate", "Prepare", "Update", "Actual", v1},
		{"yellow flood", func(w *warning.Warning) { w.Colour, w.Type = warning.Yellow, warning.Flood }, "Met", "Moderate", "Immediate", "Prepare", "Alert", "Actual", ""},
		{"orange large event raised", func(w *warning.Warning) {
			w.Colour, w.Type = warning.Orange, warning.LargeEvent
			step(w, warning.StepRaised, issued.Add(time.Hour))
		}, "Safety", "Severe", "Immediate", "Prepare", "Update", "Actual", v1},
		{"mass gathering drill", func(w *warning.Warning) { w.Type, w.Drill = warning.MassGathering, true }, "Safety", "Extreme", "Immediate", "Prepare", "Alert", "Exercise", ""},
		{"other lifted", func(w *warning.Warning) {
			w.Type, w.Status = warning.Other, warning.Lifted
			step(w, warning.StepRaised, issued.Add(time.Hour))
			step(w, warning.StepLifted, issued.Add(2*time.Hour))
		}, "Safety", "Extreme", "Past", "AllClear", "Cancel", "Actual", v1 + " " + v2},
		{"expired", func(w *warning.Warning) {
			w.Status = warning.Expired
			step(w, warning.StepExpired, w.EndsAt)
		}, "Met", "Extreme", "Past", "AllClear", "Update", "Actual", v1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := sampleWarning()
			c.edit(w)
			_, root := renderWarning(t, w, streetShapes())
			got := []string{root.Kid("msgType").Text, root.Kid("status").Text, ""}
			if r := root.Kid("references"); r != nil {
				got[2] = r.Text
			}
			if want := []string{c.msgType, c.status, c.rf}; strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("msgType, status, references %q, want %q", got, want)
			}
			for _, in := range root.All("info") {
				got := [4]string{in.Kid("category").Text, in.Kid("severity").Text, in.Kid("urgency").Text, in.Kid("responseType").Text}
				if want := [4]string{c.category, c.severity, c.urgency, c.response}; got != want {
					t.Errorf("category, severity, urgency, responseType %v, want %v", got, want)
				}
			}
			wantID := "watchfloor.luohu.W-20260701-0001.v" + string(rune('0'+w.Version))
			if id := root.Kid("identifier").Text; id != wantID {
				t.Errorf("identifier %q, want %q", id, wantID)
			}
		})
	}
}

// Version 3 (issued, raised, lifted) references versions 1 and 2, each
// with its own sent time, and is sent at its own step's time even when the
// warning was touched later; every version renders the same however late
// it is asked for (nothing depends on the wall clock).
func TestWarningVersions(t *testing.T) {
	w := sampleWarning()
	w.StartsAt = issued.Add(30 * time.Minute)
	step(w, warning.StepRaised, issued.Add(time.Hour))
	step(w, warning.StepLifted, issued.Add(2*time.Hour+30*time.Second))
	out, root := renderWarning(t, w, streetShapes())
	want := "watchfloor.luohu,watchfloor.luohu.W-20260701-0001.v1,2026-07-01T14:00:00+08:00 " +
		"watchfloor.luohu,watchfloor.luohu.W-20260701-0001.v2,2026-07-01T15:00:00+08:00"
	if r := root.Kid("references"); r == nil || r.Text != want {
		t.Fatalf("references %v, want %q", r, want)
	}
	if got := root.Kid("sent").Text; got != "2026-07-01T16:00:30+08:00" {
		t.Errorf("sent %q", got)
	}
	if again, _ := renderWarning(t, w, streetShapes()); again != out {
		t.Error("the same version renders differently")
	}

	first := sampleWarning()
	first.StartsAt = issued.Add(30 * time.Minute) // not begun when version 1 was sent
	_, root = renderWarning(t, first, streetShapes())
	if u := root.Kid("info").Kid("urgency").Text; u != "Expected" {
		t.Errorf("version 1 of a warning beginning later: urgency %q, want Expected", u)
	}
}

// A code the map does not know (nil shape) still makes an area: its name
// from the warning's names and its geocode, with no polygon.
func TestWarningAreaUnknownToMap(t *testing.T) {
	_, root := renderWarning(t, sampleWarning(), streetShapes()[:1])
	zh, en := root.All("info")[0].All("area"), root.All("info")[1].All("area")
	if len(zh) != 2 || len(en) != 2 {
		t.Fatalf("areas %d, %d, want 2 each", len(zh), len(en))
	}
	if zh[1].Kid("areaDesc").Text != "南湖街道" || en[1].Kid("areaDesc").Text != "南湖街道" || zh[1].Kid("polygon") != nil ||
		zh[1].Kid("geocode") == nil || zh[1].Kid("geocode").Kid("value").Text != "440303002" {
		t.Errorf("the unknown street's area: %q %v %v", zh[1].Kid("areaDesc").Text, zh[1].Kid("polygon"), zh[1].Kid("geocode"))
	}
	if zh[0].Kid("polygon") == nil {
		t.Error("the known street has no polygon")
	}
}
