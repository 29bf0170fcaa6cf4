package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTilesCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "base.pmtiles")
	dir := "../../config/sample/basemap/"
	var stdout, stderr bytes.Buffer
	code := runTiles(context.Background(), []string{"--out", out, "--min-zoom", "12", "--max-zoom", "14",
		"roads=" + dir + "roads.geojson", "pois=" + dir + "landmarks.geojson"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(b, []byte("PMTiles\x03")) {
		t.Fatalf("archive: %v, starts %q", err, b[:min(8, len(b))])
	}
	if !strings.Contains(stdout.String(), "tiles, zooms 12–14") {
		t.Errorf("stdout %q", stdout.String())
	}
	for name, args := range map[string][]string{
		"no layers":    {"--out", out},
		"bad zooms":    {"--min-zoom", "15", "--max-zoom", "12", "roads=" + dir + "roads.geojson"},
		"twice":        {"roads=" + dir + "roads.geojson", "roads=" + dir + "water.geojson"},
		"no such file": {"roads=" + dir + "nothing.geojson"},
	} {
		stderr.Reset()
		if code := runTiles(context.Background(), args, &stdout, &stderr); code != 2 || stderr.Len() == 0 {
			t.Errorf("%s: exit %d, stderr %q; want 2 and a message", name, code, stderr.String())
		}
	}
}
