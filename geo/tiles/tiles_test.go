package tiles

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/protomaps/go-pmtiles/pmtiles"
)

// road crosses the edge between two z14 tiles from west to east.
func road(t *testing.T, z maptile.Zoom) (*geojson.Feature, maptile.Tile, maptile.Tile) {
	t.Helper()
	west := maptile.At(orb.Point{114.118, 22.543}, z)
	east := maptile.New(west.X+1, west.Y, z)
	wb, eb := west.Bound(), east.Bound()
	lat := (wb.Min[1] + wb.Max[1]) / 2
	f := geojson.NewFeature(orb.LineString{{wb.Center()[0], lat}, {eb.Center()[0], lat}})
	f.Properties = geojson.Properties{"kind": "major_road", "name": "深南东路"}
	return f, west, east
}

func TestBuildClipsRoadIntoBothTiles(t *testing.T) {
	f, west, east := road(t, 14)
	fc := geojson.NewFeatureCollection().Append(f)
	ts, err := Build(context.Background(), []Layer{{Name: "roads", Features: fc}}, Options{MinZoom: 14, MaxZoom: 14})
	if err != nil {
		t.Fatal(err)
	}
	got := map[maptile.Tile][]byte{}
	for _, tl := range ts {
		got[tl.Tile] = tl.Data
	}
	if len(got) != 2 || got[west] == nil || got[east] == nil {
		t.Fatalf("tiles built: %v, want exactly %v and %v", keys(got), west, east)
	}
	ext := float64(mvt.DefaultExtent)
	for _, tl := range []maptile.Tile{west, east} {
		ls, err := mvt.UnmarshalGzipped(got[tl])
		if err != nil {
			t.Fatalf("%v: %v", tl, err)
		}
		if len(ls) != 1 || ls[0].Name != "roads" || len(ls[0].Features) != 1 {
			t.Fatalf("%v: layers %+v, want one road", tl, ls)
		}
		rf := ls[0].Features[0]
		if rf.Properties["name"] != "深南东路" {
			t.Errorf("%v: name %v", tl, rf.Properties["name"])
		}
		b := rf.Geometry.Bound()
		// clipped at the buffer: the road leaves through one side and stops
		// just past the edge instead of running to the other tile's centre.
		lo, hi := -ext*buffer-1, ext+ext*buffer+1
		if b.Min[0] < lo || b.Max[0] > hi {
			t.Errorf("%v: road spans x %v..%v, want within %v..%v", tl, b.Min[0], b.Max[0], lo, hi)
		}
		switch tl {
		case west:
			if b.Max[0] < ext || b.Min[0] > ext/2+1 {
				t.Errorf("west tile: road spans x %v..%v, want from the centre past the east edge", b.Min[0], b.Max[0])
			}
		case east:
			if b.Min[0] > 0 || b.Max[0] < ext/2-1 {
				t.Errorf("east tile: road spans x %v..%v, want from past the west edge to the centre", b.Min[0], b.Max[0])
			}
		}
	}
}

func TestBuildMinZoom(t *testing.T) {
	f, _, _ := road(t, 12)
	f.Properties["min_zoom"] = 13.0
	fc := geojson.NewFeatureCollection().Append(f)
	ts, err := Build(context.Background(), []Layer{{Name: "roads", Features: fc}}, Options{MinZoom: 12, MaxZoom: 13})
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range ts {
		if tl.Z < 13 {
			t.Errorf("tile %v holds a feature whose min_zoom is 13", tl.Tile)
		}
	}
	if len(ts) == 0 {
		t.Fatal("no tiles at zoom 13")
	}
}

func TestTileIDMatchesPMTiles(t *testing.T) {
	for z := uint8(0); z <= 12; z++ {
		n := uint32(1) << z
		for _, xy := range [][2]uint32{{0, 0}, {n - 1, 0}, {0, n - 1}, {n - 1, n - 1}, {n / 2, n / 3}, {n / 3, n / 2}} {
			if got, want := TileID(z, xy[0], xy[1]), pmtiles.ZxyToID(z, xy[0], xy[1]); got != want {
				t.Errorf("TileID(%d,%d,%d) = %d, go-pmtiles says %d", z, xy[0], xy[1], got, want)
			}
		}
	}
}

// readBack reads every tile of an archive with go-pmtiles' own decoders.
func readBack(t *testing.T, archive []byte) (pmtiles.HeaderV3, map[uint64][]byte) {
	t.Helper()
	h, err := pmtiles.DeserializeHeader(archive[:pmtiles.HeaderV3LenBytes])
	if err != nil {
		t.Fatalf("header: %v", err)
	}
	out := map[uint64][]byte{}
	fetch := func(off, n uint64) ([]byte, error) {
		if off+n > uint64(len(archive)) {
			return nil, fmt.Errorf("range %d+%d past the end %d", off, n, len(archive))
		}
		return archive[off : off+n], nil
	}
	err = pmtiles.IterateEntries(h, fetch, func(e pmtiles.EntryV3) {
		for i := uint64(0); i < uint64(e.RunLength); i++ {
			start := h.TileDataOffset + e.Offset
			out[e.TileID+i] = archive[start : start+uint64(e.Length)]
		}
	})
	if err != nil {
		t.Fatalf("entries: %v", err)
	}
	return h, out
}

func TestArchiveReadsBackWithGoPMTiles(t *testing.T) {
	f, west, east := road(t, 14)
	fc := geojson.NewFeatureCollection().Append(f)
	ts, err := Build(context.Background(), []Layer{{Name: "roads", Features: fc}}, Options{MinZoom: 10, MaxZoom: 15})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WritePMTiles(&buf, ts, Meta{Name: "test", Attribution: "schematic", Layers: []string{"roads"}}); err != nil {
		t.Fatal(err)
	}
	h, got := readBack(t, buf.Bytes())
	if h.SpecVersion != 3 || h.TileType != pmtiles.Mvt || h.TileCompression != pmtiles.Gzip || h.MinZoom != 10 || h.MaxZoom != 15 {
		t.Errorf("header %+v", h)
	}
	if h.AddressedTilesCount != uint64(len(ts)) {
		t.Errorf("addressed tiles %d, built %d", h.AddressedTilesCount, len(ts))
	}
	for _, tl := range ts {
		id := pmtiles.ZxyToID(uint8(tl.Z), tl.X, tl.Y)
		if !bytes.Equal(got[id], tl.Data) {
			t.Errorf("tile %v reads back %d bytes, wrote %d", tl.Tile, len(got[id]), len(tl.Data))
		}
	}
	for _, tl := range []maptile.Tile{west, east} {
		if got[pmtiles.ZxyToID(uint8(tl.Z), tl.X, tl.Y)] == nil {
			t.Errorf("tile %v missing from the archive", tl)
		}
	}
	md, err := pmtiles.DeserializeMetadata(bytes.NewReader(buf.Bytes()[h.MetadataOffset:h.MetadataOffset+h.MetadataLength]), h.InternalCompression)
	if err != nil || md["attribution"] != "schematic" {
		t.Errorf("metadata %v, %v", md, err)
	}
}

func TestArchiveWithLeafDirectories(t *testing.T) {
	// 60,000 distinct tiles of varied sizes do not fit a 16 KiB root directory.
	var ts []Tile
	for x := uint32(0); x < 300; x++ {
		for y := uint32(0); y < 200; y++ {
			pad := bytes.Repeat([]byte{'.'}, int((x*31+y*17)%97))
			ts = append(ts, Tile{Tile: maptile.New(x*3, y*5, 12), Data: fmt.Appendf(pad, "%d/%d", x, y)})
		}
	}
	var buf bytes.Buffer
	if err := WritePMTiles(&buf, ts, Meta{Name: "leaves"}); err != nil {
		t.Fatal(err)
	}
	h, got := readBack(t, buf.Bytes())
	if h.LeafDirectoryLength == 0 {
		t.Fatal("no leaf directories written")
	}
	if h.RootLength+pmtiles.HeaderV3LenBytes > 16384 {
		t.Errorf("root directory ends at %d, past the first 16 KiB", h.RootLength+pmtiles.HeaderV3LenBytes)
	}
	for _, tl := range ts {
		if id := pmtiles.ZxyToID(12, tl.X, tl.Y); !bytes.Equal(got[id], tl.Data) {
			t.Fatalf("tile %v reads back %q, wrote %q", tl.Tile, got[id], tl.Data)
		}
	}
}

func TestArchiveStoresDuplicatesOnce(t *testing.T) {
	same := []byte("sea")
	ts := []Tile{{maptile.New(0, 0, 1), same}, {maptile.New(0, 1, 1), same}, {maptile.New(1, 1, 1), same}, {maptile.New(1, 0, 1), []byte("land")}}
	var buf bytes.Buffer
	if err := WritePMTiles(&buf, ts, Meta{}); err != nil {
		t.Fatal(err)
	}
	h, got := readBack(t, buf.Bytes())
	if h.TileContentsCount != 2 || h.TileDataLength != uint64(len("sea")+len("land")) {
		t.Errorf("contents %d, data %d bytes: want 2 contents, 7 bytes", h.TileContentsCount, h.TileDataLength)
	}
	for _, tl := range ts {
		if !bytes.Equal(got[pmtiles.ZxyToID(1, tl.X, tl.Y)], tl.Data) {
			t.Errorf("tile %v", tl.Tile)
		}
	}
}

func keys(m map[maptile.Tile][]byte) []maptile.Tile {
	var out []maptile.Tile
	for k := range m {
		out = append(out, k)
	}
	return out
}
