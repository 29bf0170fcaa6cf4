// Package tiles builds vector base-map tiles (MVT) from GeoJSON layers and
// writes them as a PMTiles v3 archive, the single file a deployment serves.
package tiles

import (
	"context"
	"fmt"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"
)

// Layer is one named layer of the base map (roads, buildings, water, pois).
type Layer struct {
	Name     string
	Features *geojson.FeatureCollection
}

// Options bound the zooms built. A feature's numeric min_zoom property keeps
// it out of lower zooms (minor roads and buildings only at street zoom).
type Options struct {
	MinZoom, MaxZoom maptile.Zoom
}

// Tile is one built tile: its address and its gzipped MVT bytes.
type Tile struct {
	maptile.Tile
	Data []byte
}

// buffer is how far, in tile widths, features reach past a tile's edge, so
// lines and labels do not end at the seams.
const buffer = 1.0 / 16

// Build cuts every layer into the tiles of each zoom: features are clipped to
// the tile (plus a small buffer), projected, simplified and encoded. Tiles
// with nothing in them are left out. Tiles come back in no particular order.
func Build(ctx context.Context, layers []Layer, opt Options) ([]Tile, error) {
	if opt.MaxZoom < opt.MinZoom || opt.MaxZoom > 22 {
		return nil, fmt.Errorf("building tiles: zooms %d–%d are not a range within 0–22", opt.MinZoom, opt.MaxZoom)
	}
	var out []Tile
	for z := opt.MinZoom; z <= opt.MaxZoom; z++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("building tiles: %w", err)
		}
		// buckets: which features of which layer touch each tile.
		buckets := map[maptile.Tile]map[string][]*geojson.Feature{}
		for _, l := range layers {
			if l.Features == nil {
				continue
			}
			for _, f := range l.Features.Features {
				if f.Geometry == nil || !visible(f, z) {
					continue
				}
				b := f.Geometry.Bound()
				lo := maptile.At(orb.Point{b.Min[0], b.Max[1]}, z)
				hi := maptile.At(orb.Point{b.Max[0], b.Min[1]}, z)
				for x := lo.X; x <= hi.X; x++ {
					for y := lo.Y; y <= hi.Y; y++ {
						t := maptile.New(x, y, z)
						if buckets[t] == nil {
							buckets[t] = map[string][]*geojson.Feature{}
						}
						buckets[t][l.Name] = append(buckets[t][l.Name], f)
					}
				}
			}
		}
		keys := make([]maptile.Tile, 0, len(buckets))
		for t := range buckets {
			keys = append(keys, t)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i].Quadkey() < keys[j].Quadkey() })
		for _, t := range keys {
			data, err := encode(t, buckets[t])
			if err != nil {
				return nil, fmt.Errorf("building tile %d/%d/%d: %w", t.Z, t.X, t.Y, err)
			}
			if data != nil {
				out = append(out, Tile{Tile: t, Data: data})
			}
		}
	}
	return out, nil
}

// visible reports whether f belongs in zoom z by its min_zoom property.
func visible(f *geojson.Feature, z maptile.Zoom) bool {
	v, ok := f.Properties["min_zoom"].(float64)
	return !ok || float64(z) >= v
}

// encode clips the features to tile t and encodes them; nil when nothing is left.
func encode(t maptile.Tile, byLayer map[string][]*geojson.Feature) ([]byte, error) {
	box := t.Bound(buffer)
	fcs := map[string]*geojson.FeatureCollection{}
	for name, fs := range byLayer {
		fc := geojson.NewFeatureCollection()
		for _, f := range fs {
			g := clip.Geometry(box, orb.Clone(f.Geometry))
			if g == nil {
				continue
			}
			nf := geojson.NewFeature(g)
			nf.ID = f.ID
			nf.Properties = f.Properties.Clone()
			fc.Append(nf)
		}
		if len(fc.Features) > 0 {
			fcs[name] = fc
		}
	}
	if len(fcs) == 0 {
		return nil, nil
	}
	ls := mvt.NewLayers(fcs)
	ls.ProjectToTile(t)
	ext := float64(mvt.DefaultExtent) * buffer
	ls.Clip(orb.Bound{Min: orb.Point{-ext, -ext}, Max: orb.Point{mvt.DefaultExtent + ext, mvt.DefaultExtent + ext}})
	ls.Simplify(simplify.DouglasPeucker(1.0))
	ls.RemoveEmpty(1.0, 1.0)
	empty := true
	for _, l := range ls {
		if len(l.Features) > 0 {
			empty = false
		}
	}
	if empty {
		return nil, nil
	}
	return mvt.MarshalGzipped(ls)
}
