package geo

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

// SampleMap is the sample city's map, for this package's outside tests.
func SampleMap(t testing.TB) *Map { return sample(t) }

// sample is the sample city's map.
func sample(t testing.TB) *Map {
	t.Helper()
	g, err := os.ReadFile("../config/sample/grids.geojson")
	if err != nil {
		t.Fatal(err)
	}
	z, err := os.ReadFile("../config/sample/zones.geojson")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMap(g, z)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// cityMap is a city of n×n irregular grids over about 30 km: a jittered
// lattice whose shared edges wind through 8 points each (the same for both
// grids beside them), under one district, with zones of 32 points, some
// overlapping.
func cityMap(t testing.TB, n, zones int) *Map {
	t.Helper()
	grids, zs := cityJSON(t, n, zones)
	m, err := NewMap(grids, zs)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// cityJSON is cityMap's grids and zones as GeoJSON.
func cityJSON(t testing.TB, n, zones int) (grids, zs []byte) {
	t.Helper()
	const lon0, lat0, side = 114.0, 22.4, 0.3
	cell := side / float64(n)
	hash := func(a ...int) float64 { // a fixed pseudo-random value in [-0.5, 0.5)
		h := uint64(1469598103934665603)
		for _, v := range a {
			h = (h ^ uint64(v+1000)) * 1099511628211
		}
		return float64(h%10007)/10007 - 0.5
	}
	vertex := func(i, j int) [2]float64 {
		x, y := lon0+float64(i)*cell, lat0+float64(j)*cell
		if i > 0 && i < n {
			x += 0.3 * cell * hash(i, j, 1)
		}
		if j > 0 && j < n {
			y += 0.3 * cell * hash(i, j, 2)
		}
		return [2]float64{x, y}
	}
	// edge is the winding line from vertex (i1,j1) to (i2,j2), drawn the
	// same way whichever end it starts from.
	edge := func(i1, j1, i2, j2 int) [][2]float64 {
		flip := i1 > i2 || i1 == i2 && j1 > j2
		if flip {
			i1, j1, i2, j2 = i2, j2, i1, j1
		}
		a, b := vertex(i1, j1), vertex(i2, j2)
		pts := [][2]float64{a}
		border := i1 == i2 && (i1 == 0 || i1 == n) || j1 == j2 && (j1 == 0 || j1 == n)
		for k := 1; k < 8; k++ {
			f := float64(k) / 8
			x, y := a[0]+(b[0]-a[0])*f, a[1]+(b[1]-a[1])*f
			if !border { // off the line, across it
				d := 0.08 * cell * hash(i1, j1, i2, j2, k)
				x, y = x-(b[1]-a[1])/cell*d, y+(b[0]-a[0])/cell*d
			}
			pts = append(pts, [2]float64{x, y})
		}
		pts = append(pts, b)
		if flip {
			slices.Reverse(pts)
		}
		return pts
	}
	type feature struct {
		Type     string         `json:"type"`
		Geometry map[string]any `json:"geometry"`
		Props    map[string]any `json:"properties"`
	}
	polygon := func(ring [][2]float64) map[string]any {
		return map[string]any{"type": "Polygon", "coordinates": [][][2]float64{ring}}
	}
	gs := []feature{{"Feature", polygon([][2]float64{{lon0 - 0.01, lat0 - 0.01}, {lon0 + side + 0.01, lat0 - 0.01},
		{lon0 + side + 0.01, lat0 + side + 0.01}, {lon0 - 0.01, lat0 + side + 0.01}, {lon0 - 0.01, lat0 - 0.01}}),
		map[string]any{"code": "d", "name": "区", "level": "district"}}}
	for i := range n {
		for j := range n {
			var ring [][2]float64
			ring = append(ring, edge(i, j, i+1, j)...)
			ring = append(ring, edge(i+1, j, i+1, j+1)[1:]...)
			ring = append(ring, edge(i+1, j+1, i, j+1)[1:]...)
			ring = append(ring, edge(i, j+1, i, j)[1:]...)
			gs = append(gs, feature{"Feature", polygon(ring), map[string]any{"code": fmt.Sprintf("g%03d-%03d", i, j), "name": "网格", "level": "grid", "parent": "d"}})
		}
	}
	var zf []feature
	for k := range zones {
		cx, cy := lon0+side*(0.5+0.9*hash(k, 7)), lat0+side*(0.5+0.9*hash(k, 8))
		r := cell * (0.5 + 2*(hash(k, 9)+0.5))
		var ring [][2]float64
		for a := range 32 {
			th := 2 * math.Pi * float64(a) / 32
			ring = append(ring, [2]float64{cx + r*math.Cos(th), cy + r*math.Sin(th)})
		}
		ring = append(ring, ring[0])
		zf = append(zf, feature{"Feature", polygon(ring), map[string]any{"id": fmt.Sprintf("z%02d", k), "name": "区域", "kind": "sensitive"}})
	}
	fc := func(fs []feature) []byte {
		b, err := json.Marshal(map[string]any{"type": "FeatureCollection", "features": fs})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return fc(gs), fc(zf)
}

// agrees fails unless the raster's answers for p are the polygon tests'.
func agrees(t testing.TB, m *Map, p orb.Point) bool {
	t.Helper()
	g, zs := m.Place(p)
	if want := m.gridAtSlow(p); g != want || m.GridAt(p) != want {
		t.Fatalf("%v: grid %v (GridAt %v), the polygons say %v", p, code(g), code(m.GridAt(p)), code(want))
	}
	want := m.zonesAtSlow(p)
	if !slices.Equal(zs, want) || !slices.Equal(m.ZonesAt(p), want) {
		t.Fatalf("%v: zones %v (ZonesAt %v), the polygons say %v", p, zs, m.ZonesAt(p), want)
	}
	return m.raster.at(p) != nil
}

func code(a *Area) string {
	if a == nil {
		return "none"
	}
	return a.Code
}

// TestRasterAgreesWithThePolygons: for points anywhere over and around
// each map, on and beside every vertex, along every edge and at every
// cell's corners near them, the raster answers what the polygon tests do;
// and it answers most points of the city itself.
func TestRasterAgreesWithThePolygons(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    *Map
		fast float64 // the least share of uniform points the raster answers
	}{
		{"sample", sample(t), 0.90},
		{"city of 20×20 grids", cityMap(t, 20, 12), 0.90},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, r := tc.m, tc.m.raster
			if r == nil {
				t.Fatal("no raster built")
			}
			rng := rand.New(rand.NewPCG(1, 2))
			b := m.bound
			w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
			fast, n := 0, 100000
			for range n {
				p := orb.Point{b.Min[0] - 0.1*w + 1.2*w*rng.Float64(), b.Min[1] - 0.1*h + 1.2*h*rng.Float64()}
				if agrees(t, m, p) && b.Contains(p) {
					fast++
				}
			}
			nan := math.NaN()
			for _, p := range []orb.Point{{nan, b.Min[1]}, {b.Min[0], nan}, {nan, nan}, {math.Inf(1), b.Min[1]}, {b.Min[0], math.Inf(-1)}} {
				if agrees(t, m, p) {
					t.Fatalf("%v answered from the raster", p)
				}
			}
			inside := float64(n) / 1.44
			if share := float64(fast) / inside; share < tc.fast {
				t.Errorf("the raster answered %.0f %% of the points inside the map, want %.0f %% or more", 100*share, 100*tc.fast)
			}
			// On, beside and between the polygons' points, and at the cells'
			// corners about them.
			for _, areas := range [][]*Area{m.leaves, m.zones} {
				for _, a := range areas {
					for _, poly := range a.Shape {
						for _, ring := range poly {
							for i, v := range ring {
								w := ring[(i+1)%len(ring)]
								for _, f := range []float64{0, 1.0 / 3, 0.999999} {
									p := orb.Point{v[0] + (w[0]-v[0])*f, v[1] + (w[1]-v[1])*f}
									for _, d := range []float64{0, 1e-12, -1e-12, 1e-9, -r.cellW / 2} {
										agrees(t, m, orb.Point{p[0] + d, p[1]})
										agrees(t, m, orb.Point{p[0], p[1] + d})
									}
								}
								cx := math.Floor((v[0] - b.Min[0]) / r.cellW)
								cy := math.Floor((v[1] - b.Min[1]) / r.cellH)
								for dx := -1.0; dx <= 2; dx++ {
									for dy := -1.0; dy <= 2; dy++ {
										agrees(t, m, orb.Point{b.Min[0] + (cx+dx)*r.cellW, b.Min[1] + (cy+dy)*r.cellH})
									}
								}
							}
						}
					}
				}
			}
		})
	}
}

// FuzzRaster: wherever a point is, over or around the sample city, the
// raster answers what the polygon tests do.
func FuzzRaster(f *testing.F) {
	m := sample(f)
	for _, p := range [][2]float64{{114.1118, 22.547}, {114.105, 22.528}, {114.135, 22.558}, {0, 0}, {114.12, 22.54}, {math.NaN(), 22.54}} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, lon, lat float64) {
		agrees(t, m, orb.Point{lon, lat})
	})
}

// BenchmarkPlace: a unit's grid and zones at points spread over a city of
// 1,600 irregular grids (winding edges of 8 points) and 12 zones, from the
// raster with the polygon tests where it cannot answer ("raster"), and by
// the polygon tests alone ("polygons", as before).
func BenchmarkPlace(b *testing.B) {
	m := cityMap(b, 40, 12)
	rng := rand.New(rand.NewPCG(3, 4))
	pts := make([]orb.Point, 4096)
	bd := m.bound
	for i := range pts {
		pts[i] = orb.Point{bd.Min[0] + (bd.Max[0]-bd.Min[0])*rng.Float64(), bd.Min[1] + (bd.Max[1]-bd.Min[1])*rng.Float64()}
	}
	b.Run("raster", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			m.Place(pts[i%len(pts)])
			i++
		}
	})
	b.Run("polygons", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			p := pts[i%len(pts)]
			m.gridAtSlow(p)
			m.zonesAtSlow(p)
			i++
		}
	})
}

// BenchmarkNewMap: building the map of BenchmarkPlace's city from its
// GeoJSON, the raster included.
func BenchmarkNewMap(b *testing.B) {
	grids, zones := cityJSON(b, 40, 12)
	for b.Loop() {
		if _, err := NewMap(grids, zones); err != nil {
			b.Fatal(err)
		}
	}
}
