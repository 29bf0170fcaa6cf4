package geo

import (
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"
)

// raster answers the grid and zones of a point with one array read
// wherever no edge of a grid or zone touches the point's cell of a fine
// raster over the map: such a cell lies wholly on one side of every edge,
// so all its points share one answer, that of its region (the cells joined
// side by side that no edge touches), looked up once when the map is
// built. A point in a cell an edge touches, or outside the raster, is left
// to the polygon tests. Every unit's every position asks.
type raster struct {
	bound        orb.Bound
	nx, ny       int
	cellW, cellH float64
	// cells holds, per cell, 0 (an edge touches it) or k, the answer
	// answers[k-1].
	cells   []uint32
	answers []placeAnswer
}

// placeAnswer is what the polygon tests answer for a region.
type placeAnswer struct {
	grid  *Area
	zones []ZoneRef // sorted by id, never nil; shared, so handed out as a copy
}

// rasterStep is the side of a raster cell in degrees (about 11 m), unless
// the map is so large that rasterCells would be passed.
const rasterStep = 1e-4

// rasterCells bounds the raster's cells (4 bytes each).
const rasterCells = 1 << 21

// rasterEps widens each edge by a millionth of a cell, far more than the
// rounding of a point's cell, so a point that rounds into a cell an edge
// only nearly touches is still tested.
const rasterEps = 1e-6

// newRaster builds the raster of m over its bound; nil when the bound is
// empty or not finite (every point is then tested).
func newRaster(m *Map) *raster {
	b := m.bound
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	if !(w > 0 && h > 0) || math.IsInf(w, 0) || math.IsInf(h, 0) {
		return nil
	}
	step := rasterStep
	if n := (w / step) * (h / step); n > rasterCells {
		step *= math.Sqrt(n / rasterCells)
	}
	r := &raster{bound: b, nx: max(1, int(math.Ceil(w/step))), ny: max(1, int(math.Ceil(h/step)))}
	for r.nx*r.ny > rasterCells { // rounding up may pass the bound by a row
		step *= 1.01
		r.nx, r.ny = max(1, int(math.Ceil(w/step))), max(1, int(math.Ceil(h/step)))
	}
	r.cellW, r.cellH = w/float64(r.nx), h/float64(r.ny)
	const touched = math.MaxUint32
	r.cells = make([]uint32, r.nx*r.ny)
	mark := func(c int) { r.cells[c] = touched }
	for _, areas := range [][]*Area{m.leaves, m.zones} {
		for _, a := range areas {
			for _, poly := range a.Shape {
				for _, ring := range poly {
					for i := 1; i < len(ring); i++ {
						r.segment(ring[i-1], ring[i], mark)
					}
					switch n := len(ring); {
					case n == 1: // a ring of one point holds that point alone
						r.segment(ring[0], ring[0], mark)
					case n > 1 && ring[0] != ring[n-1]: // an open ring closes
						r.segment(ring[n-1], ring[0], mark)
					}
				}
			}
		}
	}
	// Each region, found by a walk from its first cell, takes the answer
	// at that cell's centre; equal answers are kept once.
	seen := map[string]uint32{}
	var stack []int
	for start, v := range r.cells {
		if v != 0 {
			continue
		}
		c := r.center(start)
		ans := placeAnswer{grid: m.gridAtSlow(c), zones: m.zonesAtSlow(c)}
		key := answerKey(ans)
		k, ok := seen[key]
		if !ok {
			r.answers = append(r.answers, ans)
			k = uint32(len(r.answers))
			seen[key] = k
		}
		r.cells[start] = k
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := i%r.nx, i/r.nx
			for _, d := range [4][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
				nx, ny := x+d[0], y+d[1]
				if nx < 0 || nx >= r.nx || ny < 0 || ny >= r.ny {
					continue
				}
				if j := ny*r.nx + nx; r.cells[j] == 0 {
					r.cells[j] = k
					stack = append(stack, j)
				}
			}
		}
	}
	for i, v := range r.cells {
		if v == touched {
			r.cells[i] = 0
		}
	}
	return r
}

// answerKey names an answer by its grid's code and its zones' ids.
func answerKey(a placeAnswer) string {
	var sb strings.Builder
	if a.grid != nil {
		sb.WriteString(a.grid.Code)
	}
	for _, z := range a.zones {
		sb.WriteByte(0)
		sb.WriteString(z.ID)
	}
	return sb.String()
}

// center is the centre of cell i.
func (r *raster) center(i int) orb.Point {
	x, y := i%r.nx, i/r.nx
	return orb.Point{r.bound.Min[0] + (float64(x)+0.5)*r.cellW, r.bound.Min[1] + (float64(y)+0.5)*r.cellH}
}

// segment calls mark with every cell the segment ab touches, widened by
// rasterEps: column by column, the rows its part over the column spans.
func (r *raster) segment(a, b orb.Point, mark func(cell int)) {
	ax, ay := (a[0]-r.bound.Min[0])/r.cellW, (a[1]-r.bound.Min[1])/r.cellH
	bx, by := (b[0]-r.bound.Min[0])/r.cellW, (b[1]-r.bound.Min[1])/r.cellH
	if !finite(ax, ay, bx, by) {
		return
	}
	if ax > bx {
		ax, ay, bx, by = bx, by, ax, ay
	}
	for cx := max(int(math.Floor(ax-rasterEps)), 0); cx <= min(int(math.Floor(bx+rasterEps)), r.nx-1); cx++ {
		yl, yr := ay, by
		if dx := bx - ax; dx > 0 {
			xl, xr := max(float64(cx)-rasterEps, ax), min(float64(cx+1)+rasterEps, bx)
			yl, yr = ay+(by-ay)*(xl-ax)/dx, ay+(by-ay)*(xr-ax)/dx
		}
		if yl > yr {
			yl, yr = yr, yl
		}
		for cy := max(int(math.Floor(yl-rasterEps)), 0); cy <= min(int(math.Floor(yr+rasterEps)), r.ny-1); cy++ {
			mark(cy*r.nx + cx)
		}
	}
}

func finite(vs ...float64) bool {
	return !slices.ContainsFunc(vs, func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) })
}

// at returns the answer of p's cell, or nil when p must be tested: outside
// the raster (or not a number), or in a cell an edge touches. A point on
// the raster's far edges falls in its last cells, as index.cell has it.
func (r *raster) at(p orb.Point) *placeAnswer {
	// Written so that NaN, which every comparison fails, is outside.
	if r == nil || !(p[0] >= r.bound.Min[0] && p[0] <= r.bound.Max[0] && p[1] >= r.bound.Min[1] && p[1] <= r.bound.Max[1]) {
		return nil
	}
	x := min(int((p[0]-r.bound.Min[0])/r.cellW), r.nx-1)
	y := min(int((p[1]-r.bound.Min[1])/r.cellH), r.ny-1)
	if k := r.cells[y*r.nx+x]; k != 0 {
		return &r.answers[k-1]
	}
	return nil
}
