//go:build ignore

// Command gen regenerates config/sample/grids.geojson and config/sample/zones.geojson (run from the repo root).
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// District bounding rectangle (WGS-84) and lattice size.
const (
	west, east   = 114.105, 114.135
	south, north = 22.528, 22.558
	cells        = 4      // cells per side; the lattice has cells+1 vertices per side
	jitterDeg    = 0.0003 // max vertex jitter in degrees (~30 m)
	outDir       = "config/sample"
	mPerDegLat   = 111320.0 // metres per degree of latitude
	refLat       = 22.543   // latitude used for metre -> degree conversion
)

type pt [2]float64

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// hash01 maps (i, j, salt) deterministically to [-1, 1] (splitmix64).
func hash01(i, j, salt int) float64 {
	x := uint64(i)*0x9E3779B97F4A7C15 ^ uint64(j)*0xBF58476D1CE4E5B9 ^ uint64(salt)*0x94D049BB133111EB
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	x ^= x >> 31
	return float64(x>>11)/float64(1<<53)*2 - 1
}

// lattice[i][k]: i = column (west->east), k = row (south->north).
var lattice [cells + 1][cells + 1]pt

func buildLattice() {
	dx := (east - west) / cells
	dy := (north - south) / cells
	for i := 0; i <= cells; i++ {
		for k := 0; k <= cells; k++ {
			x := west + float64(i)*dx
			y := south + float64(k)*dy
			onX := i == 0 || i == cells // on west/east edge: x fixed
			onY := k == 0 || k == cells // on south/north edge: y fixed
			if !onX {
				x += jitterDeg * hash01(i, k, 1)
			}
			if !onY {
				y += jitterDeg * hash01(i, k, 2)
			}
			lattice[i][k] = pt{round6(x), round6(y)}
		}
	}
}

// blockRing returns the CCW closed ring around cells [c0,c1) x [k0,k1),
// passing through every lattice vertex on the border.
func blockRing(c0, c1, k0, k1 int) []pt {
	var r []pt
	for i := c0; i < c1; i++ { // south edge, west -> east
		r = append(r, lattice[i][k0])
	}
	for k := k0; k < k1; k++ { // east edge, south -> north
		r = append(r, lattice[c1][k])
	}
	for i := c1; i > c0; i-- { // north edge, east -> west
		r = append(r, lattice[i][k1])
	}
	for k := k1; k > k0; k-- { // west edge, north -> south
		r = append(r, lattice[c0][k])
	}
	return append(r, r[0])
}

type gridProps struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
	Level  string `json:"level"`
	Parent string `json:"parent"`
}

type zoneProps struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
	Kind   string `json:"kind"`
}

type geometry struct {
	Type        string `json:"type"`
	Coordinates [][]pt `json:"coordinates"`
}

type feature struct {
	Type       string   `json:"type"`
	Properties any      `json:"properties"`
	Geometry   geometry `json:"geometry"`
}

func poly(props any, ring []pt) feature {
	return feature{Type: "Feature", Properties: props, Geometry: geometry{Type: "Polygon", Coordinates: [][]pt{ring}}}
}

// writeFC writes a FeatureCollection with one feature per line.
func writeFC(name string, fs []feature) {
	var b bytes.Buffer
	b.WriteString("{\"type\":\"FeatureCollection\",\"features\":[\n")
	for n, f := range fs {
		j, err := json.Marshal(f)
		if err != nil {
			panic(err)
		}
		b.Write(j)
		if n < len(fs)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]}\n")
	p := filepath.Join(outDir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		panic(err)
	}
	fmt.Printf("wrote %s (%d features)\n", p, len(fs))
}

type community struct {
	name, nameEn string
	c0, k0       int // SW cell of the 2x2 block
}

type street struct {
	name, nameEn string
	k0           int // south cell row of the 2x4 half
	comms        [2]community
}

func grids() []feature {
	const dcode = "440303"
	fs := []feature{poly(gridProps{dcode, "罗湖区", "Luohu District", "district", ""}, blockRing(0, cells, 0, cells))}
	streets := []street{
		{"东门街道", "Dongmen Subdistrict", 2, [2]community{
			{"湖贝社区", "Hubei", 0, 2},
			{"城东社区", "Chengdong", 2, 2},
		}},
		{"南湖街道", "Nanhu Subdistrict", 0, [2]community{
			{"罗湖社区", "Luohu", 0, 0},
			{"文华社区", "Wenhua", 2, 0},
		}},
	}
	for si, s := range streets {
		scode := fmt.Sprintf("%s%03d", dcode, si+1)
		fs = append(fs, poly(gridProps{scode, s.name, s.nameEn, "street", dcode}, blockRing(0, cells, s.k0, s.k0+2)))
		for ci, c := range s.comms {
			ccode := fmt.Sprintf("%s%03d", scode, ci+1)
			fs = append(fs, poly(gridProps{ccode, c.name, c.nameEn + " Community", "community", scode}, blockRing(c.c0, c.c0+2, c.k0, c.k0+2)))
			// 001 NW, 002 NE, 003 SW, 004 SE
			offs := [4][2]int{{0, 1}, {1, 1}, {0, 0}, {1, 0}}
			for gi, o := range offs {
				ci0, ki0 := c.c0+o[0], c.k0+o[1]
				fs = append(fs, poly(gridProps{
					Code:   fmt.Sprintf("%s%03d", ccode, gi+1),
					Name:   fmt.Sprintf("%s第%d网格", c.name, gi+1),
					NameEn: fmt.Sprintf("%s Grid %d", c.nameEn, gi+1),
					Level:  "grid",
					Parent: ccode,
				}, blockRing(ci0, ci0+1, ki0, ki0+1)))
			}
		}
	}
	return fs
}

func mToLon(m float64) float64 { return m / (mPerDegLat * math.Cos(refLat*math.Pi/180)) }
func mToLat(m float64) float64 { return m / mPerDegLat }

// rect returns a CCW closed rectangle centred at (lon, lat), w x h metres.
func rect(lon, lat, w, h float64) []pt {
	dx, dy := mToLon(w/2), mToLat(h/2)
	r := []pt{
		{round6(lon - dx), round6(lat - dy)},
		{round6(lon + dx), round6(lat - dy)},
		{round6(lon + dx), round6(lat + dy)},
		{round6(lon - dx), round6(lat + dy)},
	}
	return append(r, r[0])
}

// buffered returns a CCW closed ring approximating a w x h metre rectangle
// centred at (lon, lat) buffered by margin metres (rounded corners, 6 segments each).
func buffered(lon, lat, w, h, margin float64) []pt {
	const seg = 6
	corners := [4][2]float64{{w / 2, -h / 2}, {w / 2, h / 2}, {-w / 2, h / 2}, {-w / 2, -h / 2}} // SE, NE, NW, SW
	start := []float64{-math.Pi / 2, 0, math.Pi / 2, math.Pi}
	var r []pt
	for c := 0; c < 4; c++ {
		for s := 0; s <= seg; s++ {
			a := start[c] + float64(s)*(math.Pi/2)/seg
			mx := corners[c][0] + margin*math.Cos(a)
			my := corners[c][1] + margin*math.Sin(a)
			r = append(r, pt{round6(lon + mToLon(mx)), round6(lat + mToLat(my))})
		}
	}
	return append(r, r[0])
}

func zones() []feature {
	z := func(id, name, nameEn, kind string, ring []pt) feature {
		return poly(zoneProps{id, name, nameEn, kind}, ring)
	}
	return []feature{
		// Government compound, 城东社区 SE grid.
		z("district-government", "罗湖区人民政府", "Luohu District Government", "sensitive",
			rect(114.1310, 22.5465, 260, 200)),
		// Station forecourt, south of 南湖街道 (罗湖社区 SE grid).
		z("luohu-station-square", "罗湖火车站广场", "Luohu Railway Station Square", "sensitive",
			rect(114.1170, 22.5325, 220, 160)),
		// E-W pedestrian street deliberately straddling the 湖贝社区 grid 3 / grid 4 border (~114.1125).
		z("dongmen-pedestrian-street", "东门步行街", "Dongmen Pedestrian Street", "sensitive",
			rect(114.1118, 22.5470, 450, 150)),
		// Schools: ~100 x 90 m campus plus 200 m margin.
		z("dongmen-primary-school", "罗湖区东门小学", "Luohu Dongmen Primary School", "school",
			buffered(114.1162, 22.5542, 100, 90, 200)),
		z("cuiyuan-middle-school", "翠园中学", "Cuiyuan Middle School", "school",
			buffered(114.1312, 22.5542, 120, 100, 200)),
		z("nanhu-primary-school", "南湖小学", "Nanhu Primary School", "school",
			buffered(114.1238, 22.5392, 100, 90, 200)),
	}
}

func main() {
	buildLattice()
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		panic(err)
	}
	writeFC("grids.geojson", grids())
	writeFC("zones.geojson", zones())
}
