package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/paulmach/orb/maptile"

	"watchfloor/geo/tiles"
)

// runTiles is `watchfloor tiles`: it builds a PMTiles base-map archive from
// GeoJSON layers given as NAME=PATH.
func runTiles(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("watchfloor tiles", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "var/basemap.pmtiles", "the PMTiles archive to write")
	minZ := fs.Uint("min-zoom", 10, "the lowest zoom to build")
	maxZ := fs.Uint("max-zoom", 17, "the deepest zoom to build (the page overzooms past it)")
	name := fs.String("name", "watchfloor base map", "the archive's name")
	attribution := fs.String("attribution", "", "the data's attribution, shown on the map")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: watchfloor tiles [flags] NAME=FILE.geojson ...  (e.g. roads=roads.geojson pois=landmarks.geojson)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *maxZ > 22 || *minZ > *maxZ {
		fmt.Fprintf(stderr, "watchfloor tiles: zooms %d–%d: want 0 ≤ min-zoom ≤ max-zoom ≤ 22\n", *minZ, *maxZ)
		return 2
	}
	layers, err := tiles.ParseLayerArgs(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "watchfloor tiles: %v\n", err)
		return 2
	}
	n, err := tiles.WriteArchive(ctx, *out, layers, tiles.Options{MinZoom: maptile.Zoom(*minZ), MaxZoom: maptile.Zoom(*maxZ)},
		tiles.Meta{Name: *name, Attribution: *attribution})
	if err != nil {
		fmt.Fprintf(stderr, "watchfloor tiles: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %d tiles, zooms %d–%d\n", *out, n, *minZ, *maxZ)
	return 0
}
