package tiles

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/paulmach/orb/geojson"
)

// ReadLayer reads one GeoJSON FeatureCollection as the layer name.
func ReadLayer(name, path string) (Layer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Layer{}, fmt.Errorf("reading layer %s: %w", name, err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		return Layer{}, fmt.Errorf("reading layer %s from %s: %w", name, path, err)
	}
	return Layer{Name: name, Features: fc}, nil
}

// ParseLayerArgs reads layers given as NAME=PATH (or PATH, named after the
// file without its extension).
func ParseLayerArgs(args []string) ([]Layer, error) {
	var out []Layer
	seen := map[string]bool{}
	for _, a := range args {
		name, path, ok := strings.Cut(a, "=")
		if !ok {
			path = a
			name = strings.TrimSuffix(filepath.Base(a), filepath.Ext(a))
		}
		if name == "" || seen[name] {
			return nil, fmt.Errorf("layer %q: a layer needs a unique name (NAME=PATH)", a)
		}
		seen[name] = true
		l, err := ReadLayer(name, path)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no layers: give GeoJSON files as NAME=PATH")
	}
	return out, nil
}

// WriteArchive builds the layers into a PMTiles archive at path, replacing
// any archive there at once (written beside it, then renamed), so a server
// reading it never sees half a file. It returns the number of tiles.
func WriteArchive(ctx context.Context, path string, layers []Layer, opt Options, meta Meta) (int, error) {
	ts, err := Build(ctx, layers, opt)
	if err != nil {
		return 0, err
	}
	for _, l := range layers {
		meta.Layers = append(meta.Layers, l.Name)
	}
	var buf bytes.Buffer
	if err := WritePMTiles(&buf, ts, meta); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, fmt.Errorf("writing %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pmtiles-*")
	if err != nil {
		return 0, fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return 0, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return 0, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("writing %s: %w", path, err)
	}
	return len(ts), nil
}
