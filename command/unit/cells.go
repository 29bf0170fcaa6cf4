package unit

import (
	"math"
	"sync"

	"github.com/paulmach/orb"
)

// cellDeg is the side, in degrees, of the cells that index the units by
// position (about 1 km): Nearest looks at the cells around a point instead
// of at every unit of the city.
const cellDeg = 0.01

// cell is a cell's column (longitude) and row (latitude).
type cell struct{ x, y int32 }

// cellOf is the cell that holds p.
func cellOf(p orb.Point) cell {
	return cell{int32(math.Floor(p[0] / cellDeg)), int32(math.Floor(p[1] / cellDeg))}
}

// cells indexes the placed units by the cell of their last position. A fix
// within its unit's cell (nearly every one) does not touch it; a unit
// crossing into another cell moves here after its own lock is released, so
// the lock order is always the index's, then a unit's.
type cells struct {
	mu sync.RWMutex
	m  map[cell][]*state
}

// syncAll moves each of ss to the cell its position is in (their own
// locks not held), under one hold of the index's lock. Whichever of two
// racing calls runs last reads the latest cell, so the index ends where
// the unit is.
func (c *cells) syncAll(ss []*state) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range ss {
		c.sync(s)
	}
}

// sync moves s to the cell its position is in; the caller holds c.mu.
func (c *cells) sync(s *state) {
	s.mu.Lock()
	to := s.cell
	s.mu.Unlock()
	if s.indexed && s.in == to {
		return
	}
	if s.indexed {
		list := c.m[s.in]
		last := len(list) - 1
		list[s.slot] = list[last]
		list[s.slot].slot = s.slot
		list[last] = nil
		if last == 0 {
			delete(c.m, s.in)
		} else {
			c.m[s.in] = list[:last]
		}
	}
	if c.m == nil {
		c.m = map[cell][]*state{}
	}
	s.in, s.slot, s.indexed = to, len(c.m[to]), true
	c.m[to] = append(c.m[to], s)
}

// beyond is a lower bound, in metres, of the haversine distance from p to
// any point outside the square of cells within r of p's cell, and false
// where that square reaches a pole or the antimeridian (then no bound
// holds and the caller looks at every cell). A point outside the square
// lies more than r cells away in latitude, or in longitude at a latitude
// within r cells of p's (or else it is farther in latitude).
func beyond(p orb.Point, r int) (float64, bool) {
	span := float64(r+1) * cellDeg
	if math.Abs(p[1])+span >= 89 || p[0]-span <= -180 || p[0]+span >= 180 {
		return 0, false
	}
	d := float64(r) * cellDeg * math.Pi / 180 // radians
	lat := p[1] * math.Pi / 180
	cosFar := math.Cos(math.Abs(lat) + d) // the smallest cosine within d of lat
	hav := math.Sin(d/2) * math.Sin(d/2)
	lon := 2 * math.Asin(math.Sqrt(math.Cos(lat)*cosFar*hav))
	// A hair less, lest rounding put a unit at exactly the bound beyond it.
	return orb.EarthRadius * min(d, lon) * (1 - 1e-9), true // orb's haversine radius
}

// around calls visit for each occupied cell in the ring r cells from c
// (c itself for r 0).
func (c *cells) around(at cell, r int, visit func([]*state)) {
	if r == 0 {
		if list := c.m[at]; list != nil {
			visit(list)
		}
		return
	}
	r32 := int32(r)
	for dx := -r32; dx <= r32; dx++ {
		for _, dy := range [2]int32{-r32, r32} {
			if list := c.m[cell{at.x + dx, at.y + dy}]; list != nil {
				visit(list)
			}
		}
	}
	for dy := -r32 + 1; dy <= r32-1; dy++ {
		for _, dx := range [2]int32{-r32, r32} {
			if list := c.m[cell{at.x + dx, at.y + dy}]; list != nil {
				visit(list)
			}
		}
	}
}

// search calls visit for the occupied cells ring by ring outwards from p's
// cell until done(bound) says the units beyond the rings seen (none
// nearer than bound metres) cannot matter; once the rings would cover more
// cells than are occupied, or reach a pole or the antimeridian, it visits
// every cell left instead. The caller holds c.mu for reading.
func (c *cells) search(p orb.Point, visit func([]*state), done func(bound float64) bool) {
	at := cellOf(p)
	for r := 0; ; r++ {
		bound, ok := beyond(p, r)
		if !ok || (2*r+1)*(2*r+1) >= len(c.m) {
			for k, list := range c.m {
				if max(abs32(k.x-at.x), abs32(k.y-at.y)) >= int32(r) {
					visit(list)
				}
			}
			return
		}
		c.around(at, r, visit)
		if done(bound) {
			return
		}
	}
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}
