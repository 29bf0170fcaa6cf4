// Package geo holds the command centre's geography: the grid hierarchy
// (district → street → community → grid) and zones in a spatial index,
// point lookups, and distances. It is pure orb: no I/O beyond decoding the
// GeoJSON it is given.
package geo

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

// GridLevel is a level of the grid hierarchy, from the district down.
type GridLevel string

// The levels of 网格化管理, largest first.
const (
	District  GridLevel = "district"
	Street    GridLevel = "street"
	Community GridLevel = "community"
	Grid      GridLevel = "grid"
)

var levelRank = map[GridLevel]int{District: 0, Street: 1, Community: 2, Grid: 3}

// Area is one polygon of the grid hierarchy or a zone.
type Area struct {
	Code   string    // grid code, or zone id
	Name   string    // Chinese name
	NameEN string    // English name
	Level  GridLevel // grids only
	Parent string    // grids only: the parent's code
	Kind   string    // zones only: sensitive, school, station…
	Shape  orb.MultiPolygon
	Bound  orb.Bound
}

// Contains reports whether p lies in the area, boundary included.
func (a *Area) Contains(p orb.Point) bool {
	return a.Bound.Contains(p) && planar.MultiPolygonContains(a.Shape, p)
}

// Centroid is the area's centroid, used where only an area is known.
func (a *Area) Centroid() orb.Point {
	c, _ := planar.CentroidArea(a.Shape)
	return c
}

// Ref names an area for the outside world: code, names and level.
type Ref struct {
	Code   string    `json:"code"`
	Name   string    `json:"name"`
	NameEN string    `json:"name_en,omitempty"`
	Level  GridLevel `json:"level,omitempty"`
}

// GridRef is where an incident lies: its grid and the grid's parents,
// district first.
type GridRef struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEN string `json:"name_en,omitempty"`
	Path   []Ref  `json:"path"`
}

// Codes returns the codes of the grid and all its parents.
func (g *GridRef) Codes() []string {
	if g == nil {
		return nil
	}
	out := make([]string, len(g.Path))
	for i, r := range g.Path {
		out[i] = r.Code
	}
	return out
}

// ZoneRef names a zone an incident lies in.
type ZoneRef struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	NameEN string `json:"name_en,omitempty"`
	Kind   string `json:"kind"`
}

// Map is the grid hierarchy and the zones, indexed for point lookups.
// It never changes after it is built and is safe for concurrent use.
type Map struct {
	grids   []*Area // sorted by code
	byCode  map[string]*Area
	zones   []*Area // sorted by id
	gridIdx *index
	zoneIdx *index
	leaves  []*Area // grids of the lowest level present, by code
	bound   orb.Bound
	// raster answers most points without a polygon test (raster.go).
	raster *raster

	GridsJSON []byte // the grids as a GeoJSON FeatureCollection, for the API
	ZonesJSON []byte // the zones as a GeoJSON FeatureCollection
}

// NewMap builds a Map from GeoJSON FeatureCollections of grids (properties
// code, name, name_en, level, parent) and zones (id, name, name_en, kind).
func NewMap(gridsJSON, zonesJSON []byte) (*Map, error) {
	m := &Map{byCode: map[string]*Area{}}
	grids, err := decode(gridsJSON, "grids", func(a *Area, f *geojson.Feature) error {
		a.Code = f.Properties.MustString("code", "")
		a.Level = GridLevel(f.Properties.MustString("level", ""))
		a.Parent = f.Properties.MustString("parent", "")
		if a.Code == "" {
			return errors.New("property code is required")
		}
		if _, ok := levelRank[a.Level]; !ok {
			return fmt.Errorf("grid %s: level %q is not district, street, community or grid", a.Code, a.Level)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	zones, err := decode(zonesJSON, "zones", func(a *Area, f *geojson.Feature) error {
		a.Code = f.Properties.MustString("id", "")
		a.Kind = f.Properties.MustString("kind", "")
		if a.Code == "" || a.Kind == "" {
			return errors.New("properties id and kind are required")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(grids) == 0 {
		return nil, errors.New("grids: no features")
	}
	slices.SortFunc(grids, func(a, b *Area) int { return cmp.Compare(a.Code, b.Code) })
	slices.SortFunc(zones, func(a, b *Area) int { return cmp.Compare(a.Code, b.Code) })
	lowest := District
	m.bound = grids[0].Bound
	for _, g := range grids {
		if _, dup := m.byCode[g.Code]; dup {
			return nil, fmt.Errorf("grids: code %s appears twice", g.Code)
		}
		m.byCode[g.Code] = g
		if levelRank[g.Level] > levelRank[lowest] {
			lowest = g.Level
		}
		m.bound = m.bound.Union(g.Bound)
	}
	for _, g := range grids {
		if g.Parent == "" {
			if g.Level != District {
				return nil, fmt.Errorf("grids: %s (%s) has no parent", g.Code, g.Level)
			}
			continue
		}
		p, ok := m.byCode[g.Parent]
		if !ok {
			return nil, fmt.Errorf("grids: %s names parent %s, which does not exist", g.Code, g.Parent)
		}
		if levelRank[p.Level] >= levelRank[g.Level] {
			return nil, fmt.Errorf("grids: %s (%s) has parent %s of level %s", g.Code, g.Level, p.Code, p.Level)
		}
	}
	seenZone := map[string]bool{}
	for _, z := range zones {
		if seenZone[z.Code] {
			return nil, fmt.Errorf("zones: id %s appears twice", z.Code)
		}
		seenZone[z.Code] = true
	}
	m.grids, m.zones = grids, zones
	for _, g := range grids {
		if g.Level == lowest {
			m.leaves = append(m.leaves, g)
		}
	}
	m.gridIdx = newIndex(m.leaves, m.bound)
	m.zoneIdx = newIndex(zones, m.bound)
	m.raster = newRaster(m)
	m.GridsJSON = collection(grids, true)
	m.ZonesJSON = collection(zones, false)
	return m, nil
}

func decode(b []byte, what string, check func(*Area, *geojson.Feature) error) ([]*Area, error) {
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out := make([]*Area, 0, len(fc.Features))
	for i, f := range fc.Features {
		a := &Area{
			Name:   f.Properties.MustString("name", ""),
			NameEN: f.Properties.MustString("name_en", ""),
		}
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			a.Shape = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			a.Shape = g
		default:
			return nil, fmt.Errorf("%s: feature %d: geometry must be a Polygon or MultiPolygon, not %T", what, i, f.Geometry)
		}
		if a.Name == "" {
			return nil, fmt.Errorf("%s: feature %d: property name is required", what, i)
		}
		if err := check(a, f); err != nil {
			return nil, fmt.Errorf("%s: feature %d: %w", what, i, err)
		}
		a.Bound = a.Shape.Bound()
		out = append(out, a)
	}
	return out, nil
}

func collection(areas []*Area, grids bool) []byte {
	fc := geojson.NewFeatureCollection()
	for _, a := range areas {
		f := geojson.NewFeature(a.Shape)
		if len(a.Shape) == 1 {
			f = geojson.NewFeature(a.Shape[0])
		}
		f.Properties["name"] = a.Name
		f.Properties["name_en"] = a.NameEN
		if grids {
			f.Properties["code"] = a.Code
			f.Properties["level"] = string(a.Level)
			f.Properties["parent"] = a.Parent
		} else {
			f.Properties["id"] = a.Code
			f.Properties["kind"] = a.Kind
		}
		fc.Append(f)
	}
	b, _ := fc.MarshalJSON()
	return b
}

// Bound is the bounding box of all grids.
func (m *Map) Bound() orb.Bound { return m.bound }

// Area returns the grid with code, or nil.
func (m *Map) Area(code string) *Area { return m.byCode[code] }

// Grids returns all grids, sorted by code.
func (m *Map) Grids() []*Area { return m.grids }

// Zones returns all zones, sorted by id.
func (m *Map) Zones() []*Area { return m.zones }

// ZoneKinds returns the distinct zone kinds.
func (m *Map) ZoneKinds() []string {
	var out []string
	for _, z := range m.zones {
		if !slices.Contains(out, z.Kind) {
			out = append(out, z.Kind)
		}
	}
	return out
}

// Locate returns the lowest-level grid containing p with its parents, or
// nil when p lies outside every grid. A point on an edge shared by two grids
// belongs to the one with the smaller code.
func (m *Map) Locate(p orb.Point) *GridRef {
	found := m.GridAt(p)
	if found == nil {
		return nil
	}
	return m.Ref(found.Code)
}

// GridAt returns the grid Locate names for p, or nil, without building
// its path (a unit's every position asks it).
func (m *Map) GridAt(p orb.Point) *Area {
	if a := m.raster.at(p); a != nil {
		return a.grid
	}
	return m.gridAtSlow(p)
}

// Place returns GridAt(p) and the zones ZonesAt(p) returns, those in a
// slice that may be shared: the caller reads it and never changes it.
// Most points are answered from the raster with no polygon test and no
// allocation.
func (m *Map) Place(p orb.Point) (grid *Area, zones []ZoneRef) {
	if a := m.raster.at(p); a != nil {
		return a.grid, a.zones
	}
	return m.gridAtSlow(p), m.zonesAtSlow(p)
}

// gridAtSlow is GridAt by the polygon tests.
func (m *Map) gridAtSlow(p orb.Point) *Area {
	var found *Area
	m.gridIdx.each(p, func(a *Area) bool {
		if a.Contains(p) {
			if found == nil || a.Code < found.Code {
				found = a
			}
		}
		return true
	})
	return found
}

// Within reports whether code is the grid ancestor or one below it: whether
// ancestor is among Ref(code)'s path, without building it.
func (m *Map) Within(code, ancestor string) bool {
	n := 0
	for x := m.byCode[code]; x != nil; x = m.byCode[x.Parent] {
		if x.Code == ancestor {
			return true
		}
		if n++; x.Parent == "" || n > len(levelRank) {
			return false
		}
	}
	return false
}

// Ref returns the GridRef of the grid with code, or nil when there is none.
func (m *Map) Ref(code string) *GridRef {
	a := m.byCode[code]
	if a == nil {
		return nil
	}
	ref := &GridRef{Code: a.Code, Name: a.Name, NameEN: a.NameEN}
	for x := a; x != nil; x = m.byCode[x.Parent] {
		ref.Path = append(ref.Path, Ref{Code: x.Code, Name: x.Name, NameEN: x.NameEN, Level: x.Level})
		if x.Parent == "" || len(ref.Path) > len(levelRank) {
			break
		}
	}
	slices.Reverse(ref.Path)
	return ref
}

// ZonesAt returns the zones containing p, sorted by id (never nil).
func (m *Map) ZonesAt(p orb.Point) []ZoneRef {
	if a := m.raster.at(p); a != nil {
		return slices.Clone(a.zones)
	}
	return m.zonesAtSlow(p)
}

// zonesAtSlow is ZonesAt by the polygon tests.
func (m *Map) zonesAtSlow(p orb.Point) []ZoneRef {
	out := []ZoneRef{}
	m.zoneIdx.each(p, func(a *Area) bool {
		if a.Contains(p) {
			out = append(out, ZoneRef{ID: a.Code, Name: a.Name, NameEN: a.NameEN, Kind: a.Kind})
		}
		return true
	})
	slices.SortFunc(out, func(a, b ZoneRef) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// ValidPoint reports whether lon and lat are WGS-84 degrees in range.
func ValidPoint(lon, lat float64) bool {
	return lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90
}
