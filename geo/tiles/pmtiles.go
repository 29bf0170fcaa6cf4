package tiles

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/bits"
	"sort"

	"github.com/paulmach/orb"
)

// The PMTiles v3 layout (github.com/protomaps/PMTiles spec/v3/spec.md): a
// 127-byte header, the root directory within the first 16 KiB, JSON metadata,
// leaf directories, then the tile data. Directories and metadata are gzipped.
const (
	headerLen   = 127
	rootMax     = 16384 - headerLen
	compGzip    = 2
	typeMVT     = 1
	leafEntries = 4096
)

// Meta describes the archive: its name, attribution and the layers it holds.
type Meta struct {
	Name        string   `json:"name"`
	Attribution string   `json:"attribution"`
	Description string   `json:"description,omitempty"`
	Layers      []string `json:"-"`
}

type entry struct {
	id     uint64
	offset uint64
	length uint32
	run    uint32
}

// TileID is the PMTiles tile id of z/x/y: the tiles of lower zooms first,
// then the position along the zoom's Hilbert curve.
func TileID(z uint8, x, y uint32) uint64 {
	var acc uint64
	for i := uint8(0); i < z; i++ {
		acc += uint64(1) << (2 * i)
	}
	n := uint32(1) << z
	var d uint64
	for s := n / 2; s > 0; s /= 2 {
		var rx, ry uint32
		if x&s > 0 {
			rx = 1
		}
		if y&s > 0 {
			ry = 1
		}
		d += uint64(s) * uint64(s) * uint64((3*rx)^ry)
		// rotate the quadrant
		if ry == 0 {
			if rx == 1 {
				x = s - 1 - x
				y = s - 1 - y
			}
			x, y = y, x
		}
	}
	return acc + d
}

// WritePMTiles writes the tiles as one PMTiles v3 archive to w. Identical
// tiles (open sea, empty blocks) are stored once.
func WritePMTiles(w io.Writer, ts []Tile, meta Meta) error {
	if len(ts) == 0 {
		return fmt.Errorf("writing pmtiles: no tiles")
	}
	sorted := make([]Tile, len(ts))
	copy(sorted, ts)
	sort.Slice(sorted, func(i, j int) bool {
		return TileID(uint8(sorted[i].Z), sorted[i].X, sorted[i].Y) < TileID(uint8(sorted[j].Z), sorted[j].X, sorted[j].Y)
	})
	a := layout(sorted)
	root, leaves, err := directories(a.entries)
	if err != nil {
		return err
	}
	metaGz, err := metadata(meta)
	if err != nil {
		return err
	}
	for _, part := range [][]byte{a.header(root, metaGz, leaves), root, metaGz, leaves, a.data.Bytes()} {
		if _, err := w.Write(part); err != nil {
			return fmt.Errorf("writing pmtiles: %w", err)
		}
	}
	return nil
}

// archive is tiles laid out for PMTiles: their data (identical tiles
// once), the directory entries, and what the header says of them.
type archive struct {
	data            bytes.Buffer
	entries         []entry
	bound           orb.Bound
	minZ, maxZ      uint8
	tiles, contents int
}

// layout lays out tiles sorted by tile id: each distinct content once,
// consecutive ids of one content in one run.
func layout(sorted []Tile) *archive {
	a := &archive{tiles: len(sorted), minZ: 255,
		bound: orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}}
	seen := map[[32]byte]entry{}
	for i, t := range sorted {
		id := TileID(uint8(t.Z), t.X, t.Y)
		h := sha256.Sum256(t.Data)
		e, dup := seen[h]
		if !dup {
			e = entry{offset: uint64(a.data.Len()), length: uint32(len(t.Data))}
			a.data.Write(t.Data)
			seen[h] = e
			a.contents++
		}
		if n := len(a.entries); n > 0 && a.entries[n-1].id+uint64(a.entries[n-1].run) == id && a.entries[n-1].offset == e.offset {
			a.entries[n-1].run++
		} else {
			a.entries = append(a.entries, entry{id: id, offset: e.offset, length: e.length, run: 1})
		}
		// the bounds are those of the deepest zoom's tiles (tiles come in zoom order)
		switch z := uint8(t.Z); {
		case i == 0 || z > a.maxZ:
			a.maxZ, a.bound = z, t.Bound()
		case z == a.maxZ:
			a.bound = a.bound.Union(t.Bound())
		}
		a.minZ = min(a.minZ, uint8(t.Z))
	}
	return a
}

// metadata is the archive's gzipped JSON metadata.
func metadata(meta Meta) ([]byte, error) {
	layers := make([]map[string]any, 0, len(meta.Layers))
	for _, l := range meta.Layers {
		layers = append(layers, map[string]any{"id": l, "fields": map[string]string{}})
	}
	mj, err := json.Marshal(map[string]any{"name": meta.Name, "attribution": meta.Attribution, "description": meta.Description,
		"type": "baselayer", "format": "pbf", "vector_layers": layers})
	if err != nil {
		return nil, fmt.Errorf("writing pmtiles metadata: %w", err)
	}
	return gz(mj)
}

// header is the archive's 127-byte header, with the parts laid out after
// it in order: root directory, metadata, leaf directories, tile data.
func (a *archive) header(root, metaGz, leaves []byte) []byte {
	h := make([]byte, headerLen)
	copy(h, "PMTiles")
	h[7] = 3
	put := func(at int, v uint64) { binary.LittleEndian.PutUint64(h[at:], v) }
	rootOff := uint64(headerLen)
	metaOff := rootOff + uint64(len(root))
	leafOff := metaOff + uint64(len(metaGz))
	dataOff := leafOff + uint64(len(leaves))
	put(8, rootOff)
	put(16, uint64(len(root)))
	put(24, metaOff)
	put(32, uint64(len(metaGz)))
	put(40, leafOff)
	put(48, uint64(len(leaves)))
	put(56, dataOff)
	put(64, uint64(a.data.Len()))
	put(72, uint64(a.tiles))
	put(80, uint64(len(a.entries)))
	put(88, uint64(a.contents))
	h[96] = 1 // clustered: tile data is in tile id order
	h[97] = compGzip
	h[98] = compGzip
	h[99] = typeMVT
	h[100] = a.minZ
	h[101] = a.maxZ
	e7 := func(at int, v float64) { binary.LittleEndian.PutUint32(h[at:], uint32(int32(math.Round(v*1e7)))) }
	e7(102, a.bound.Min[0])
	e7(106, a.bound.Min[1])
	e7(110, a.bound.Max[0])
	e7(114, a.bound.Max[1])
	h[118] = a.minZ + (a.maxZ-a.minZ)/2
	c := a.bound.Center()
	e7(119, c[0])
	e7(123, c[1])
	return h
}

// directories serialises the entries into a root directory that fits the
// first 16 KiB, with leaf directories when they do not all fit in it.
func directories(entries []entry) (root, leaves []byte, err error) {
	if root, err = serialize(entries); err != nil || len(root) <= rootMax {
		return root, nil, err
	}
	for size := leafEntries; ; size *= 2 {
		var refs []entry
		var lb bytes.Buffer
		for i := 0; i < len(entries); i += size {
			leaf, err := serialize(entries[i:min(i+size, len(entries))])
			if err != nil {
				return nil, nil, err
			}
			refs = append(refs, entry{id: entries[i].id, offset: uint64(lb.Len()), length: uint32(len(leaf))})
			lb.Write(leaf)
		}
		if root, err = serialize(refs); err != nil {
			return nil, nil, err
		}
		if len(root) <= rootMax || bits.Len(uint(size)) > 40 {
			return root, lb.Bytes(), nil
		}
	}
}

// serialize encodes one directory: the count, then delta tile ids, run
// lengths (0 marks a leaf pointer), lengths and offsets (0 when contiguous
// with the previous entry, else offset+1), gzipped.
func serialize(es []entry) ([]byte, error) {
	var b []byte
	b = binary.AppendUvarint(b, uint64(len(es)))
	last := uint64(0)
	for _, e := range es {
		b = binary.AppendUvarint(b, e.id-last)
		last = e.id
	}
	for _, e := range es {
		b = binary.AppendUvarint(b, uint64(e.run))
	}
	for _, e := range es {
		b = binary.AppendUvarint(b, uint64(e.length))
	}
	for i, e := range es {
		if i > 0 && e.offset == es[i-1].offset+uint64(es[i-1].length) {
			b = binary.AppendUvarint(b, 0)
		} else {
			b = binary.AppendUvarint(b, e.offset+1)
		}
	}
	return gz(b)
}

func gz(b []byte) ([]byte, error) {
	var out bytes.Buffer
	w, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return out.Bytes(), nil
}
