package warning

import (
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"watchfloor/geo"
)

// orient is twice the signed area of a, b, c: > 0 when c lies left of
// a→b, < 0 right of it, 0 on its line.
func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// crosses reports whether the segments ab and cd cross at a point inside
// both (touching at an end or running along each other is not crossing).
func crosses(a, b, c, d orb.Point) bool {
	o1, o2, o3, o4 := orient(c, d, a), orient(c, d, b), orient(a, b, c), orient(a, b, d)
	return (o1 > 0 && o2 < 0 || o1 < 0 && o2 > 0) && (o3 > 0 && o4 < 0 || o3 < 0 && o4 > 0)
}

// onSegment reports whether p lies on the segment ab.
func onSegment(a, b, p orb.Point) bool {
	return orient(a, b, p) == 0 && segBound(a, b).Contains(p)
}

func segBound(a, b orb.Point) orb.Bound {
	return orb.Bound{Min: orb.Point{min(a[0], b[0]), min(a[1], b[1])}, Max: orb.Point{max(a[0], b[0]), max(a[1], b[1])}}
}

// edges calls fn with each edge of every ring of g whose bound meets
// near; fn returning true stops the walk, and edges reports it.
func edges(g *geo.Area, near orb.Bound, fn func(c, d orb.Point) bool) bool {
	for _, poly := range g.Shape {
		for _, r := range poly {
			for i := 1; i < len(r); i++ {
				if segBound(r[i-1], r[i]).Intersects(near) && fn(r[i-1], r[i]) {
					return true
				}
			}
		}
	}
	return false
}

// leaves reports whether some part of the segment pq lies outside the
// grid g (p and q inside it): it crosses one of g's rings, or a piece of
// it between the points where it touches them lies outside.
func leaves(g *geo.Area, p, q orb.Point) bool {
	ts := []float64{0, 1}
	dx, dy := q[0]-p[0], q[1]-p[1]
	at := func(c orb.Point) float64 { return ((c[0]-p[0])*dx + (c[1]-p[1])*dy) / (dx*dx + dy*dy) }
	if edges(g, segBound(p, q), func(c, d orb.Point) bool {
		if crosses(p, q, c, d) {
			return true
		}
		for _, v := range []orb.Point{c, d} {
			if v != p && v != q && onSegment(p, q, v) {
				ts = append(ts, at(v))
			}
		}
		return false
	}) {
		return true
	}
	slices.Sort(ts)
	for i := 1; i < len(ts); i++ {
		if m := (ts[i-1] + ts[i]) / 2; ts[i] > ts[i-1] && !g.Contains(orb.Point{p[0] + m*dx, p[1] + m*dy}) {
			return true
		}
	}
	return false
}

// within reports whether the polygon whose outer ring is ring lies inside
// the grid g: every corner inside, no edge leaving it, and no corner of
// g's rings (a hole, a notch) strictly inside the polygon.
func within(g *geo.Area, ring [][2]float64) bool {
	outer := make(orb.Ring, len(ring))
	for i, pt := range ring {
		if outer[i] = orb.Point(pt); !g.Contains(outer[i]) {
			return false
		}
	}
	for i := 1; i < len(outer); i++ {
		if leaves(g, outer[i-1], outer[i]) {
			return false
		}
	}
	b := outer.Bound()
	for _, poly := range g.Shape {
		for _, r := range poly {
			for _, v := range r {
				if b.Contains(v) && planar.RingContains(outer, v) && !onRing(outer, v) {
					return false
				}
			}
		}
	}
	return true
}

// onRing reports whether p lies on an edge of r.
func onRing(r orb.Ring, p orb.Point) bool {
	for i := 1; i < len(r); i++ {
		if onSegment(r[i-1], r[i], p) {
			return true
		}
	}
	return false
}
