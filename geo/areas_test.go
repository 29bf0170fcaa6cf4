package geo_test

import (
	"os"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"watchfloor/geo"
)

func sampleMap(t testing.TB) *geo.Map { return geo.SampleMap(t) }

func TestSampleHierarchy(t *testing.T) {
	m := sampleMap(t)
	count := map[geo.GridLevel]int{}
	for _, a := range m.Grids() {
		count[a.Level]++
	}
	if count[geo.District] != 1 || count[geo.Street] != 2 || count[geo.Community] != 4 || count[geo.Grid] != 16 {
		t.Fatalf("hierarchy %v, want 1 district, 2 streets, 4 communities, 16 grids", count)
	}
	for _, a := range m.Grids() {
		if a.Level != geo.Grid {
			continue
		}
		c := a.Centroid()
		ref := m.Locate(c)
		if ref == nil || ref.Code != a.Code {
			t.Fatalf("centroid of %s located in %+v", a.Code, ref)
		}
		if len(ref.Path) != 4 || ref.Path[0].Level != geo.District || ref.Path[3].Code != a.Code {
			t.Errorf("path of %s: %+v", a.Code, ref.Path)
		}
		for _, p := range ref.Path {
			if !m.Area(p.Code).Contains(c) {
				t.Errorf("%s's parent %s does not contain its centroid", a.Code, p.Code)
			}
		}
	}
}

func TestLocateBorders(t *testing.T) {
	m := sampleMap(t)
	// Every vertex of every grid is on a border shared by up to four grids:
	// it belongs to exactly one, the smallest code among those touching it.
	for _, a := range m.Grids() {
		if a.Level != geo.Grid {
			continue
		}
		for _, p := range a.Shape[0][0] {
			want := ""
			for _, b := range m.Grids() {
				if b.Level == geo.Grid && planar.MultiPolygonContains(b.Shape, p) && (want == "" || b.Code < want) {
					want = b.Code
				}
			}
			got := m.Locate(p)
			if got == nil || got.Code != want {
				t.Fatalf("vertex %v of %s located in %+v, want %s", p, a.Code, got, want)
			}
		}
		// The midpoint of an edge lies on the border of two grids.
		ring := a.Shape[0][0]
		mid := orb.Point{(ring[0][0] + ring[1][0]) / 2, (ring[0][1] + ring[1][1]) / 2}
		if got := m.Locate(mid); got == nil {
			t.Errorf("edge midpoint %v of %s is in no grid", mid, a.Code)
		}
	}
	for _, p := range []orb.Point{{114.0, 22.5}, {114.2, 22.6}, {0, 0}} {
		if got := m.Locate(p); got != nil {
			t.Errorf("%v outside the district located in %s", p, got.Code)
		}
	}
}

func TestZones(t *testing.T) {
	m := sampleMap(t)
	kinds := map[string]int{}
	for _, z := range m.Zones() {
		kinds[z.Kind]++
		got := m.ZonesAt(z.Centroid())
		found := false
		for _, r := range got {
			found = found || r.ID == z.Code
		}
		if !found {
			t.Errorf("zone %s does not contain its centroid: %+v", z.Code, got)
		}
	}
	if kinds["sensitive"] < 2 || kinds["school"] < 1 {
		t.Errorf("zone kinds %v: want two sensitive and schools", kinds)
	}
	// The pedestrian street crosses a grid border: both sides find it.
	street := m.ZonesAt(orb.Point{114.1118, 22.547})
	if len(street) != 1 || street[0].ID != "dongmen-pedestrian-street" || street[0].Kind != "sensitive" {
		t.Fatalf("pedestrian street: %+v", street)
	}
	grids := map[string]bool{}
	for _, z := range m.Zones() {
		if z.Code != "dongmen-pedestrian-street" {
			continue
		}
		for _, p := range z.Shape[0][0] {
			if r := m.Locate(p); r != nil {
				grids[r.Code] = true
			}
		}
	}
	if len(grids) < 2 {
		t.Errorf("the pedestrian street should cross grids, touches %v", grids)
	}
	if got := m.ZonesAt(orb.Point{114.125, 22.530}); len(got) != 0 {
		t.Errorf("a plain street corner is in zones %+v", got)
	}
}

func TestBadMaps(t *testing.T) {
	good, _ := os.ReadFile("../config/sample/grids.geojson")
	zones := []byte(`{"type":"FeatureCollection","features":[]}`)
	tests := map[string][]byte{
		"not json":    []byte(`{`),
		"no features": []byte(`{"type":"FeatureCollection","features":[]}`),
		"point":       []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"code":"1","name":"x","level":"grid"}}]}`),
		"bad level":   []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"properties":{"code":"1","name":"x","level":"block"}}]}`),
		"orphan":      []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"properties":{"code":"1","name":"x","level":"grid","parent":"9"}}]}`),
	}
	for name, g := range tests {
		if _, err := geo.NewMap(g, zones); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := geo.NewMap(good, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"properties":{"name":"x"}}]}`)); err == nil {
		t.Error("a zone without id and kind was accepted")
	}
}

func BenchmarkLocate(b *testing.B) {
	m := sampleMap(b)
	p := orb.Point{114.1118, 22.547}
	b.ReportAllocs()
	for b.Loop() {
		if m.Locate(p) == nil {
			b.Fatal("not found")
		}
	}
}

// TestGridAtAndWithin: GridAt names the grid Locate does, and Within(code,
// a) holds exactly when a is on Ref(code)'s path, for every pair of grids
// of the sample map and for an unknown code.
func TestGridAtAndWithin(t *testing.T) {
	m := sampleMap(t)
	ins := 0
	for _, a := range m.Grids() {
		c := a.Centroid()
		if g, ref := m.GridAt(c), m.Locate(c); g == nil || ref == nil || g.Code != ref.Code {
			t.Fatalf("centroid of %s: GridAt %+v, Locate %+v", a.Code, g, ref)
		}
		codes := m.Ref(a.Code).Codes()
		for _, b := range m.Grids() {
			want := slices.Contains(codes, b.Code)
			if m.Within(a.Code, b.Code) != want {
				t.Fatalf("Within(%s, %s) = %v, want %v", a.Code, b.Code, !want, want)
			}
			if want {
				ins++
			}
		}
		if m.Within("no-such-grid", a.Code) || m.Within(a.Code, "no-such-grid") {
			t.Fatalf("an unknown grid is within or holds %s", a.Code)
		}
	}
	if ins < 2*len(m.Grids()) {
		t.Fatalf("only %d pairs within: the sample's hierarchy is flat", ins)
	}
	if m.GridAt(orb.Point{0, 0}) != nil {
		t.Fatal("a point outside the city has a grid")
	}
}
