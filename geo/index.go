package geo

import "github.com/paulmach/orb"

// index is a uniform bucket grid over the map's bound: each cell lists the
// areas whose bounding box touches it, so a lookup tests a handful of
// polygons instead of all of them.
type index struct {
	bound        orb.Bound
	nx, ny       int
	cells        [][]*Area
	outside      []*Area // areas reaching beyond the bound
	cellW, cellH float64
}

const indexCells = 64

func newIndex(areas []*Area, bound orb.Bound) *index {
	ix := &index{bound: bound, nx: indexCells, ny: indexCells}
	w, h := bound.Max[0]-bound.Min[0], bound.Max[1]-bound.Min[1]
	if w <= 0 || h <= 0 {
		ix.nx, ix.ny = 1, 1
		w, h = 1, 1
	}
	ix.cellW, ix.cellH = w/float64(ix.nx), h/float64(ix.ny)
	ix.cells = make([][]*Area, ix.nx*ix.ny)
	for _, a := range areas {
		if !bound.Contains(a.Bound.Min) || !bound.Contains(a.Bound.Max) {
			ix.outside = append(ix.outside, a)
			continue
		}
		x0, y0 := ix.cell(a.Bound.Min)
		x1, y1 := ix.cell(a.Bound.Max)
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				ix.cells[y*ix.nx+x] = append(ix.cells[y*ix.nx+x], a)
			}
		}
	}
	return ix
}

func (ix *index) cell(p orb.Point) (int, int) {
	x := int((p[0] - ix.bound.Min[0]) / ix.cellW)
	y := int((p[1] - ix.bound.Min[1]) / ix.cellH)
	return min(max(x, 0), ix.nx-1), min(max(y, 0), ix.ny-1)
}

// each calls f for every area that may contain p, until f returns false.
func (ix *index) each(p orb.Point, f func(*Area) bool) {
	for _, a := range ix.outside {
		if !f(a) {
			return
		}
	}
	if !ix.bound.Contains(p) {
		return
	}
	x, y := ix.cell(p)
	for _, a := range ix.cells[y*ix.nx+x] {
		if !f(a) {
			return
		}
	}
}
