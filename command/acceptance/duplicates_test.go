package acceptance_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"watchfloor/command/store/storetest"
)

// at returns dongmen's body placed dlon degrees east of the street
// (0.001° of longitude is about 103 m there).
func dongmenAt(title string, dlon float64) map[string]any {
	b := dongmen(title, 5)
	b["location"] = map[string]float64{"lon": 114.1118 + dlon, "lat": 22.547}
	return b
}

type duplicatesAnswer struct {
	RadiusM    float64 `json:"radius_m"`
	WindowS    int64   `json:"window_s"`
	Duplicates []struct {
		ID        string
		Category  string
		Status    string
		DistanceM float64 `json:"distance_m"`
		AgeS      int64   `json:"age_s"`
		Location  struct{ Lon, Lat float64 }
		Grid      struct{ Code string }
	}
}

func (h *harness) duplicates(query string) (int, duplicatesAnswer, string) {
	h.t.Helper()
	res, b := h.do("GET", "/api/v1/incidents/duplicates?"+query, h.token("operator"), nil)
	var out duplicatesAnswer
	if res.StatusCode == 200 {
		mustJSON(h.t, b, &out)
	}
	return res.StatusCode, out, string(b)
}

func dupIDs(a duplicatesAnswer) []string {
	out := []string{}
	for _, d := range a.Duplicates {
		out = append(out, d.ID)
	}
	return out
}

// TestDuplicates: open incidents of the call's category within 300 m and
// 30 minutes of creation or last report are offered, nearest first; other
// categories, far ones, old ones and closed ones are not.
func TestDuplicates(t *testing.T) {
	clock := morningClock()
	h := newHarnessWith(t, storetest.Start(t), clock.Now)
	op := h.token("operator")
	near := h.create(dongmenAt("同一地点", 0))["id"].(string)
	close200 := h.create(dongmenAt("两百米外", 0.002))["id"].(string)
	far := h.create(dongmenAt("五百米外", 0.005))["id"].(string)
	other := h.create(publicOrder("同地点其他类别"))["id"].(string)
	closed := h.create(dongmenAt("已结束", 0))["id"].(string)
	if res, b := h.do("POST", "/api/v1/incidents/"+closed+"/status", op, closing("已处置")); res.StatusCode != 200 {
		t.Fatalf("closing: %d %s", res.StatusCode, b)
	}

	code, got, body := h.duplicates("category=mass_incident&lon=114.1118&lat=22.547")
	if code != 200 || got.RadiusM != 300 || got.WindowS != 1800 {
		t.Fatalf("%d %s", code, body)
	}
	if ids := dupIDs(got); !slices.Equal(ids, []string{near, close200}) {
		t.Fatalf("duplicates %v, want [%s %s] (nearest first; not %s far, %s of another category, %s closed): %s", ids, near, close200, far, other, closed, body)
	}
	if d := got.Duplicates[1]; d.DistanceM < 190 || d.DistanceM > 220 || d.Category != "mass_incident" || d.Status != "open" || d.Grid.Code == "" {
		t.Errorf("second duplicate %+v", d)
	}

	// 31 minutes on, both are out of the window; a follow-up report brings
	// one back (its last report is new).
	clock.Advance(31 * time.Minute)
	if _, got, body := h.duplicates("category=mass_incident&lon=114.1118&lat=22.547"); len(got.Duplicates) != 0 {
		t.Fatalf("after the window: %s", body)
	}
	// The console sends the new call's whole form as a follow-up (续报),
	// drill included; a repeat with the same Idempotency-Key records once.
	call := dongmenAt("又一个电话", 0.002)
	call["people_involved"], call["deaths"], call["injuries"], call["drill"], call["verified"] = 40, 0, 1, false, false
	call["reporter"] = map[string]string{"name": "王五", "phone": "13700007777"}
	for i := range 2 {
		res, b := h.do("POST", "/api/v1/incidents/"+close200+"/reports", op, call, "Idempotency-Key", "call-2")
		if res.StatusCode != 200 || !strings.Contains(string(b), `"reports":1,`) || !strings.Contains(string(b), `"people_involved":40`) {
			t.Fatalf("follow-up %d with a new call's form: %d %s", i, res.StatusCode, b)
		}
	}
	call["people_involved"] = 41
	if status, fields, body := h.problemFields("POST", "/api/v1/incidents/"+close200+"/reports", op, mustMarshal(t, call), "Idempotency-Key", "call-2"); status != 400 || !slices.Equal(fields, []string{"Idempotency-Key"}) {
		t.Errorf("a key reused for another body: %d %v %s", status, fields, body)
	}
	if status, fields, body := h.problemFields("POST", "/api/v1/incidents/"+close200+"/reports", op, `{"drill":true}`); status != 400 || !slices.Equal(fields, []string{"drill"}) {
		t.Errorf("drill changed by a follow-up: %d %v %s", status, fields, body)
	}
	if _, got, body := h.duplicates("category=mass_incident&lon=114.1118&lat=22.547"); !slices.Equal(dupIDs(got), []string{close200}) || got.Duplicates[0].AgeS != 0 {
		t.Fatalf("after a follow-up: %s", body)
	}
	// By grid: the grid's centre stands for the place.
	if code, _, body := h.duplicates("category=mass_incident&grid=440303001001002"); code != 200 {
		t.Errorf("by grid: %d %s", code, body)
	}

	for _, c := range []struct {
		name, query string
		fields      []string
	}{
		{"nothing", "", []string{"category", "lat", "lon"}},
		{"no category", "lon=114.1&lat=22.5", []string{"category"}},
		{"unknown category", "category=nope&lon=114.1&lat=22.5", []string{"category"}},
		{"bad numbers", "category=fire&lon=east&lat=", []string{"lat", "lon"}},
		{"out of range", "category=fire&lon=200&lat=-91", []string{"lat", "lon"}},
		{"unknown grid", "category=fire&grid=999", []string{"grid"}},
		{"both", "category=fire&grid=440303001001002&lon=114.1&lat=22.5", []string{"grid"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, fields, body := h.problemFields("GET", "/api/v1/incidents/duplicates?"+c.query, op, "")
			if status != 400 || !slices.Equal(fields, c.fields) {
				t.Errorf("%d %v, want 400 %v: %s", status, fields, c.fields, body)
			}
		})
	}
	if res, _ := h.do("GET", "/api/v1/incidents/duplicates?category=fire&lon=114.1&lat=22.5", h.token("viewer"), nil); res.StatusCode != 403 {
		t.Errorf("viewer: %d", res.StatusCode)
	}
}

func mustMarshal(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
