package unit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"watchfloor/command/vocab"
	"watchfloor/config"
	"watchfloor/geo"
)

func testFleet(t testing.TB, extra int) *Fleet {
	t.Helper()
	cfg, err := config.Load("../../config/sample/watchfloor.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	for i := range extra {
		cfg.Units = append(cfg.Units, config.Unit{ID: fmt.Sprintf("x-%05d", i), Callsign: "x", Type: []string{"car", "foot", "fire"}[i%3]})
	}
	g, _ := os.ReadFile(cfg.Path(cfg.Map.Grids))
	z, _ := os.ReadFile(cfg.Path(cfg.Map.Zones))
	m, err := geo.NewMap(g, z)
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFleet(cfg.UnitTypes, cfg.Units, m)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestNearestOrderAndFilters(t *testing.T) {
	f := testFleet(t, 0)
	at := time.Now()
	place := map[string][2]float64{
		"car-01": {114.1150, 22.5470}, "car-02": {114.1200, 22.5470}, "foot-01": {114.1120, 22.5470},
		"fire-01": {114.1119, 22.5470}, "car-03": {114.1130, 22.5470},
	}
	for id, p := range place {
		f.restore(id, &Position{Lon: p[0], Lat: p[1], At: at}, "")
	}
	f.SetStatus("car-03", Dispatched)
	p := orb.Point{114.1118, 22.5470}
	got := f.Nearest(p, []string{"car", "foot"}, 10, nil)
	want := []string{"foot-01", "car-01", "car-02"}
	if len(got) != len(want) {
		t.Fatalf("got %d candidates: %+v", len(got), got)
	}
	for i, c := range got {
		if c.ID != want[i] {
			t.Fatalf("order %v", got)
		}
	}
	if c := f.Nearest(p, nil, 1, nil); len(c) != 1 || c[0].ID != "fire-01" {
		t.Errorf("any type, limit 1: %+v", c)
	}
	if c := f.Nearest(p, []string{"car"}, 5, func(id string) bool { return id == "car-01" }); len(c) != 1 || c[0].ID != "car-02" {
		t.Errorf("excluding a tried unit: %+v", c)
	}
	// eta: 30 km/h for cars.
	c := got[1]
	if want := c.DistanceM / (30 / 3.6); c.ETAS < want-1 || c.ETAS > want+1 {
		t.Errorf("eta %v for %v m", c.ETAS, c.DistanceM)
	}
}

func TestFlagNames(t *testing.T) {
	if n := (Late | Implausible).Names(); len(n) != 2 || n[0] != "late" || n[1] != "implausible" {
		t.Errorf("%v", n)
	}
	if n := Flags(0).Names(); len(n) != 0 {
		t.Errorf("%v", n)
	}
}

// BenchmarkNearest: the five nearest available cars among 10,000 placed units.
func BenchmarkNearest(b *testing.B) {
	f := testFleet(b, 10000)
	at := time.Now()
	for i := range 10000 {
		f.restore(fmt.Sprintf("x-%05d", i), &Position{Lon: 114.106 + float64(i%100)*0.00028, Lat: 22.529 + float64(i/100)*0.00028, At: at}, "")
	}
	p := orb.Point{114.1118, 22.547}
	b.ReportAllocs()
	for b.Loop() {
		if len(f.Nearest(p, []string{"car"}, 5, nil)) != 5 {
			b.Fatal("too few")
		}
	}
}

func TestFollowUnitStatus(t *testing.T) {
	f := testFleet(t, 0)
	id := f.order[0]
	for _, tc := range []struct {
		name string
		ev   vocab.Envelope
		want string
	}{
		{"other event", vocab.Envelope{Type: vocab.IncidentUpdated, Data: json.RawMessage(`{"unit_id":"` + id + `","status":"busy"}`)}, Available},
		{"bad data", vocab.Envelope{Type: vocab.UnitStatus, Data: json.RawMessage(`[1]`)}, Available},
		{"unit.status", vocab.Envelope{Type: vocab.UnitStatus, Data: json.RawMessage(`{"unit_id":"` + id + `","status":"off_duty","by":"x"}`)}, "off_duty"},
	} {
		f.Follow(tc.ev)
		if got := f.Status(id); got != tc.want {
			t.Errorf("%s: status %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestOwnNoteKnownByItsStart: every note an instance publishes begins with
// its own prefix, so Follow drops it undecoded; another instance's note,
// even one whose id begins with this one's, does not.
func TestOwnNoteKnownByItsStart(t *testing.T) {
	g := &Ingester{instance: "0123abcd"}
	other := &Ingester{instance: "0123abcdef"}
	latest := map[string]Position{"car-1": Unknown(114.1, 22.5, time.Now()), "car-2": Unknown(114.2, 22.6, time.Now())}
	for _, m := range []map[string]Position{latest, {}} {
		b := g.encodeNote(nil, m)
		if !bytes.HasPrefix(b, g.ownPrefix()) {
			t.Fatalf("own note %s does not begin with %s", b, g.ownPrefix())
		}
		if b := other.encodeNote(nil, m); bytes.HasPrefix(b, g.ownPrefix()) {
			t.Fatalf("another instance's note %s taken for this one's", b)
		}
	}
}

// TestNoteReadsBack: the note written by hand is valid JSON that Follow's
// reading takes back whole: the instance, every unit id (quotes, control
// characters, HTML and non-ASCII ones too) and each position as written.
func TestNoteReadsBack(t *testing.T) {
	g := &Ingester{instance: "0123abcd"}
	at := time.Date(2026, 12, 5, 5, 30, 0, 123456789, time.UTC)
	latest := map[string]Position{"car-1": Unknown(114.1, 22.5, at), `q"\x`: Unknown(114.2, 22.6, at.Add(time.Second)),
		"ctl\x01\n": Unknown(-180, -90, at), "<a&b>": Unknown(180, 90, at), "车-01": Unknown(114.123456789, 22.5, at)}
	p := latest["car-1"]
	p.SpeedMPS, p.Heading, p.BatteryPct = 8.25, 90, 55
	latest["car-1"] = p
	b := g.encodeNote([]byte("left alone"), latest)[len("left alone"):]
	var nt noteIn
	if err := json.Unmarshal(b, &nt); err != nil || nt.Instance != g.instance || len(nt.Units) != len(latest) {
		t.Fatalf("note %s: %+v %v", b, nt, err)
	}
	for _, u := range nt.Units {
		want, ok := latest[u.ID]
		var got Position
		if err := json.Unmarshal(u.Pos, &got); !ok || err != nil || string(got.AppendJSON(nil)) != string(want.AppendJSON(nil)) {
			t.Fatalf("unit %q: %s, want %s (%v)", u.ID, u.Pos, want.AppendJSON(nil), err)
		}
	}
	if b := g.encodeNote(nil, nil); string(b) != `{"i":"0123abcd","u":[]}` {
		t.Fatalf("empty note %s", b)
	}
}
