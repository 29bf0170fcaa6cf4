package acceptance_test

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"

	"watchfloor/command/store/storetest"
	"watchfloor/command/timer"
)

// TestBulletinAndAnalysisFromKnownHistory builds a known history around
// local midnight in Asia/Shanghai with a manual clock and checks the
// figures exactly; drills never count.
func TestBulletinAndAnalysisFromKnownHistory(t *testing.T) {
	// 23:50 on Monday 23 November 2026 in Shanghai.
	clock := timer.NewManual(time.Date(2026, 11, 23, 15, 50, 0, 0, time.UTC))
	h := newHarnessWith(t, storetest.Start(t), clock.Now)
	op := h.token("operator")
	at := func(lon, lat float64) map[string]float64 { return map[string]float64{"lon": lon, "lat": lat} }
	h.create(map[string]any{"category": "fire", "title": "商铺起火", "location": at(114.1160, 22.5520), "injuries": 12})             // III, Hubei grid 2
	h.create(map[string]any{"category": "public_order", "title": "醉酒滋事", "location": at(114.1290, 22.5400), "source": "patrol"}) // IV
	h.create(map[string]any{"category": "fire", "title": "消防演练", "location": at(114.1160, 22.5520), "injuries": 50, "drill": true})
	h.createCase(op, map[string]any{"kind": "hazard", "title": "演练隐患", "location": at(114.10877, 22.55415), "drill": true})

	clock.Advance(20 * time.Minute)           // 00:10 on Tuesday 24 November
	serious := h.create(dongmen("商户聚集", 150)) // II: an alarm
	h.createCase(op, hubeiHazard("井盖缺失"))
	res, b := h.do("POST", "/api/v1/incidents/"+serious["id"].(string)+"/dispatches", op, map[string]any{"unit_ids": []string{"car-01"}})
	if res.StatusCode != 201 {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
	var created struct{ Dispatches []struct{ ID string } }
	mustJSON(t, b, &created)
	clock.Advance(30 * time.Second)
	r := h.responder("car-01", nil)
	r.next(2 * time.Second)
	if ok, data := r.replyTo(map[string]any{"type": "ack", "id": "a", "dispatch_id": created.Dispatches[0].ID}); !ok {
		t.Fatalf("ack: %v", data)
	}
	_, b = h.do("GET", "/api/v1/alarms", op, nil)
	var alarms struct{ Alarms []struct{ ID string } }
	mustJSON(t, b, &alarms)
	for _, a := range alarms.Alarms {
		h.do("POST", "/api/v1/alarms/"+url.PathEscape(a.ID)+"/ack", op, nil)
	}

	get := func(q string) map[string]any {
		t.Helper()
		res, b := h.do("GET", q, h.token("viewer"), nil)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", q, res.StatusCode, b)
		}
		var m map[string]any
		mustJSON(t, b, &m)
		return m
	}
	mon := get("/api/v1/bulletins/daily?date=2026-11-23")
	monInc := mon["incidents"].(map[string]any)
	if monInc["total"] != 2.0 || monInc["by_category"].(map[string]any)["fire"] != 1.0 || monInc["by_level"].(map[string]any)["IV"] != 1.0 {
		t.Errorf("Monday: %v", mon)
	}
	if mon["calls"].(map[string]any)["by_source"].(map[string]any)["patrol"] != 1.0 || mon["cases"].(map[string]any)["created"] != 0.0 {
		t.Errorf("Monday calls and cases (the drill case does not count): %v", mon)
	}
	if g := monInc["by_grid"].(map[string]any); g["440303001001002"] != 1.0 || len(g) != 2 {
		t.Errorf("Monday by grid: %v", g)
	}
	tue := get("/api/v1/bulletins/daily?date=2026-11-24")
	calls := tue["calls"].(map[string]any)
	if tue["incidents"].(map[string]any)["total"] != 1.0 || calls["dispatches"] != 1.0 || calls["ack_s_p50"] != 30.0 {
		t.Errorf("Tuesday: %v", tue)
	}
	if al := tue["alarms"].(map[string]any); al["raised"] != 1.0 || al["acked"] != 1.0 {
		t.Errorf("Tuesday alarms (the drill's alarm does not count): %v", al)
	}
	if cs := tue["cases"].(map[string]any); cs["created"] != 1.0 {
		t.Errorf("Tuesday cases: %v", cs)
	}
	// The CSV opens with its BOM; the HTML page is a page.
	res, csv := h.do("GET", "/api/v1/bulletins/daily?date=2026-11-24&format=csv", h.token("viewer"), nil)
	if res.StatusCode != 200 || !bytes.HasPrefix(csv, []byte("\ufeff")) || !strings.Contains(string(csv), "mass_incident,群体性事件,1") {
		t.Errorf("csv: %d %s", res.StatusCode, csv)
	}
	res, page := h.do("GET", "/api/v1/bulletins/daily?date=2026-11-24&format=html", h.token("viewer"), nil)
	if res.StatusCode != 200 || !strings.Contains(string(page), "每日三通报") || !strings.Contains(string(page), "<svg") {
		t.Errorf("html: %d %.300s", res.StatusCode, page)
	}

	an := get("/api/v1/analysis?period=month&at=2026-11")
	if an["incidents"] != 3.0 || an["previous_incidents"] != 0.0 || an["change"] != nil {
		t.Errorf("analysis totals: %v", an)
	}
	hours := an["by_hour"].([]any)
	weekdays := an["by_weekday"].([]any)
	if hours[23] != 2.0 || hours[0] != 1.0 || weekdays[1] != 2.0 || weekdays[2] != 1.0 {
		t.Errorf("by hour %v, by weekday %v", hours, weekdays)
	}
	if an["ack_s_p50"] != 30.0 || an["dispatches"] != 1.0 || an["cases"] != 1.0 {
		t.Errorf("analysis figures: %v", an)
	}
	q := get("/api/v1/analysis?period=quarter&at=2026-Q4")
	if q["incidents"] != 3.0 || q["period"] != "2026-Q4" || q["from"] != "2026-10-01" {
		t.Errorf("quarter: %v", q)
	}
	hs := get("/api/v1/hotspots?from=2026-11-23&to=2026-11-24")
	if !strings.Contains(mustString(hs["grids"]), `"count":1`) {
		t.Errorf("hotspots %v", hs)
	}
	if res, _ := h.do("GET", "/api/v1/analysis?period=year", h.token("viewer"), nil); res.StatusCode != 400 {
		t.Errorf("a bad period: %d", res.StatusCode)
	}
	get("/api/v1/patrol/advice")
}

func mustString(v any) string {
	b, _ := jsonMarshal(v)
	return string(b)
}
