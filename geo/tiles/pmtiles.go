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
	var data bytes.Buffer
	seen := map[[32]byte]entry{}
	var entries []entry
	bound := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	minZ, maxZ := uint8(255), uint8(0)
	contents := 0
	for i, t := range sorted {
		id := TileID(uint8(t.Z), t.X, t.Y)
		h := sha256.Sum256(t.Data)
		e, dup := seen[h]
		if !dup {
			e = entry{offset: uint64(data.Len()), length: uint32(len(t.Data))}
			data.Write(t.Data)
			seen[h] = e
			contents++
		}
		if n := len(entries); n > 0 && entries[n-1].id+uint64(entries[n-1].run) == id && entries[n-1].offset == e.offset {
			entries[n-1].run++
		} else {
			entries = append(entries, entry{id: id, offset: e.offset, length: e.length, run: 1})
		}
		// the bounds are those of the deepest zoom's tiles (tiles come in zoom order)
		switch z := uint8(t.Z); {
		case i == 0 || z > maxZ:
			maxZ, bound = z, t.Bound()
		case z == maxZ:
			bound = bound.Union(t.Bound())
		}
		minZ = min(minZ, uint8(t.Z))
	}
	root, leaves, err := directories(entries)
	if err != nil {
		return err
	}
	layers := make([]map[string]any, 0, len(meta.Layers))
	for _, l := range meta.Layers {
		layers = append(layers, map[string]any{"id": l, "fields": map[string]string{}})
	}
	mj, err := json.Marshal(map[string]any{"name": meta.Name, "attribution": meta.Attribution, "description": meta.Description,
		"type": "baselayer", "format": "pbf", "vector_layers": layers})
	if err != nil {
		return fmt.Errorf("writing pmtiles metadata: %w", err)
	}
	metaGz, err := gz(mj)
	if err != nil {
		return err
	}
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
	put(64, uint64(data.Len()))
	put(72, uint64(len(sorted)))
	put(80, uint64(len(entries)))
	put(88, uint64(contents))
	h[96] = 1 // clustered: tile data is in tile id order
	h[97] = compGzip
	h[98] = compGzip
	h[99] = typeMVT
	h[100] = minZ
	h[101] = maxZ
	e7 := func(at int, v float64) { binary.LittleEndian.PutUint32(h[at:], uint32(int32(math.Round(v*1e7)))) }
	e7(102, bound.Min[0])
	e7(106, bound.Min[1])
	e7(110, bound.Max[0])
	e7(114, bound.Max[1])
	h[118] = minZ + (maxZ-minZ)/2
	c := bound.Center()
	e7(119, c[0])
	e7(123, c[1])
	for _, part := range [][]byte{h, root, metaGz, leaves, data.Bytes()} {
		if _, err := w.Write(part); err != nil {
			return fmt.Errorf("writing pmtiles: %w", err)
		}
	}
	return nil
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
