package warning

import (
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"watchfloor/geo"
)

// Bounds of an area. MaxPoints at full float precision still fits the
// request body limit (64 KiB).
const (
	MaxCodes  = 200
	MaxHoles  = 20
	MaxPoints = 1000
)

// precision is the decimals a polygon's coordinates are rounded to (1e-7°
// is about 1 cm).
const precision = 1e7

// AreaInput is the area of a request: the kind and its codes or polygon
// (rings of [lon, lat] pairs, checked by ParsePolygon).
type AreaInput struct {
	Kind    string        `json:"kind"`
	Codes   []string      `json:"codes"`
	Polygon [][][]float64 `json:"polygon"`
}

// ParsePolygon checks drawn rings against the city's bound: one outer ring
// and at most MaxHoles holes, each of at least 4 [lon, lat] points and
// closed, at most MaxPoints in all, every point (rounded to 7 decimals)
// inside bound. It returns the polygon, or what is wrong with it (nothing
// else is fixed silently).
func ParsePolygon(rings [][][]float64, bound orb.Bound) ([][][2]float64, []string) {
	switch {
	case len(rings) == 0:
		return nil, []string{"required: one outer ring of [lon, lat] points"}
	case len(rings) > 1+MaxHoles:
		return nil, []string{fmt.Sprintf("at most one outer ring and %d holes, not %d rings", MaxHoles, len(rings))}
	}
	total := 0
	for _, r := range rings {
		total += len(r)
	}
	if total > MaxPoints {
		return nil, []string{fmt.Sprintf("at most %d points in all, not %d", MaxPoints, total)}
	}
	var bad []string
	out := make([][][2]float64, len(rings))
	for i, r := range rings {
		ring, why := parseRing(r, bound)
		for _, w := range why {
			bad = append(bad, fmt.Sprintf("ring %d: %s", i, w))
		}
		out[i] = ring
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return out, nil
}

// parseRing checks one ring: its points and that it is closed.
func parseRing(r [][]float64, bound orb.Bound) ([][2]float64, []string) {
	if len(r) < 4 {
		return nil, []string{fmt.Sprintf("a ring needs at least 4 points (closed), not %d", len(r))}
	}
	var bad []string
	out := make([][2]float64, len(r))
	for j, pt := range r {
		var p orb.Point
		if len(pt) == 2 {
			p = orb.Point{round(pt[0]), round(pt[1])}
		}
		switch {
		case len(pt) != 2:
			bad = append(bad, fmt.Sprintf("point %d must be [lon, lat]", j))
		case !geo.ValidPoint(p[0], p[1]):
			bad = append(bad, fmt.Sprintf("point %d is not a valid lon/lat", j))
		case !bound.Contains(p):
			bad = append(bad, fmt.Sprintf("point %d (%g, %g) is outside the city", j, p[0], p[1]))
		default:
			out[j] = p
		}
		if len(bad) >= 5 {
			break // enough to show what is wrong
		}
	}
	if len(bad) == 0 && (r[0][0] != r[len(r)-1][0] || r[0][1] != r[len(r)-1][1]) {
		bad = append(bad, "ring must be closed (its last point the same as its first)")
	}
	return out, bad
}

// round rounds a coordinate to 7 decimals.
func round(f float64) float64 { return math.Round(f*precision) / precision }

// shape is an area resolved for lookups: the grids it names, or a polygon,
// or the whole city.
type shape struct {
	city    bool
	grids   []*geo.Area
	polygon orb.Polygon
	bound   orb.Bound
}

// shapeOf resolves a's shape on the map m.
func shapeOf(m *geo.Map, a Area) shape {
	switch a.Kind {
	case AreaCity:
		return shape{city: true, bound: m.Bound()}
	case AreaPolygon:
		p := toPolygon(a.Polygon)
		return shape{polygon: p, bound: p.Bound()}
	}
	var s shape
	for _, c := range a.Codes {
		if g := m.Area(c); g != nil {
			if s.grids == nil {
				s.bound = g.Bound
			}
			s.grids = append(s.grids, g)
			s.bound = s.bound.Union(g.Bound)
		}
	}
	return s
}

func toPolygon(rings [][][2]float64) orb.Polygon {
	p := make(orb.Polygon, len(rings))
	for i, r := range rings {
		ring := make(orb.Ring, len(r))
		for j, pt := range r {
			ring[j] = orb.Point(pt)
		}
		p[i] = ring
	}
	return p
}

// contains reports whether the shape holds p; inCity says whether p lies in
// some grid of the city (asked only for a city-wide area).
func (s shape) contains(p orb.Point, inCity func(orb.Point) bool) bool {
	if len(s.grids) > 0 || s.polygon != nil {
		if !s.bound.Contains(p) {
			return false
		}
	}
	switch {
	case s.city:
		return inCity(p)
	case s.polygon != nil:
		return planar.PolygonContains(s.polygon, p)
	}
	return slices.ContainsFunc(s.grids, func(g *geo.Area) bool { return g.Contains(p) })
}
