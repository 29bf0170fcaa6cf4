package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
)

// Map names the map layers: the grid hierarchy and zones as GeoJSON files,
// and an optional background tile URL for the screens.
type Map struct {
	Grids string `yaml:"grids"`
	Zones string `yaml:"zones"`
	// Gazetteer is the place names the console searches (地名地址库): a CSV
	// (code, name, kind, lon, lat, address) or GeoJSON points; optional.
	Gazetteer string `yaml:"gazetteer"`
	TileURL   string `yaml:"tile_url"`
	// Base is the base map drawn under the grids (map.base).
	Base BaseMap `yaml:"base"`
	// Center and Zoom are where screens open.
	Center [2]float64 `yaml:"center"`
	Zoom   int        `yaml:"zoom"`
	// Navigation is the map app a phone's "navigate" button opens (NavGeo
	// or NavAmap), so the app reads the point in the datum it expects.
	Navigation string `yaml:"navigation"`
}

// Navigation apps: a geo: URI (RFC 5870, WGS-84: what an app makes of it
// varies), or Amap's URI API (高德), given GCJ-02 as it documents.
const (
	NavGeo  = "geo"
	NavAmap = "amap"
)

// BaseMap is the base map of the screens: none (the grids are the map), a
// PMTiles vector archive Watchfloor serves itself (offline), or an online
// Chinese provider. Positions stay WGS-84; only a GCJ-02 display shifts.
type BaseMap struct {
	// Kind is "none", "pmtiles", "tianditu" (天地图, CGCS2000 ≈ WGS-84) or "amap" (高德, GCJ-02).
	Kind string `yaml:"kind"`
	// Archive is the PMTiles file for kind pmtiles, resolved like map.grids.
	Archive string `yaml:"archive"`
	// Key is the Tianditu browser key; KeyEnv names a variable holding it instead.
	Key    string `yaml:"key"`
	KeyEnv string `yaml:"key_env"`
	// Attribution is shown in the map's corner (the provider's or the data's).
	Attribution string `yaml:"attribution"`
	// MaxZoom is the deepest zoom the base map has tiles for (the page overzooms past it).
	MaxZoom int `yaml:"max_zoom"`
}

// Base map kinds.
const (
	BaseNone     = "none"
	BasePMTiles  = "pmtiles"
	BaseTianditu = "tianditu"
	BaseAmap     = "amap"
)

// Datum is the datum the base map is drawn in: "gcj02" for Amap, else "wgs84".
func (b BaseMap) Datum() string {
	if b.Kind == BaseAmap {
		return "gcj02"
	}
	return "wgs84"
}

// ImageHosts are the origins the pages load base-map images from, for the
// Content-Security-Policy's img-src; none for an offline base map.
func (b BaseMap) ImageHosts() []string {
	switch b.Kind {
	case BaseTianditu:
		return []string{"https://*.tianditu.gov.cn"}
	case BaseAmap:
		return []string{"https://*.is.autonavi.com"}
	}
	return nil
}

// validate checks map.*.
func (m Map) validate(in scope) []error {
	return append(broken([]bound{
		{m.Grids == "", "map.grids: required (a GeoJSON file of the grid hierarchy)"},
		{m.Zones == "", "map.zones: required (a GeoJSON file of zones)"},
		{m.Navigation != NavGeo && m.Navigation != NavAmap, fmt.Sprintf("map.navigation: %q must be geo or amap", m.Navigation)},
	}), m.Base.validate(in.env)...)
}

// resolve fills map.base's defaults and reads the Tianditu key from key_env
// (not without getenv); a key given both ways is its problem.
func (b *BaseMap) resolve(getenv func(string) string) []error {
	if b.Kind == "" {
		b.Kind = BaseNone
	}
	if b.MaxZoom == 0 {
		b.MaxZoom = 18
	}
	switch {
	case b.KeyEnv == "":
	case b.Key != "":
		return []error{errors.New("map.base.key_env: set key or key_env, not both")}
	case getenv != nil:
		b.Key = getenv(b.KeyEnv)
	}
	return nil
}

// validate checks map.base once resolved; env says whether key_env could be
// read (without it a missing key is not a problem yet).
func (b BaseMap) validate(env bool) []error {
	return broken([]bound{
		{!slices.Contains([]string{BaseNone, BasePMTiles, BaseTianditu, BaseAmap}, b.Kind),
			fmt.Sprintf("map.base.kind: %q must be none, pmtiles, tianditu or amap", b.Kind)},
		{b.Kind == BasePMTiles && b.Archive == "", "map.base.archive: required for kind pmtiles (a PMTiles v3 file; build one with watchfloor tiles)"},
		{b.Kind != BasePMTiles && b.Archive != "", "map.base.archive: only for kind pmtiles"},
		{b.Kind == BaseTianditu && b.Key == "" && (b.KeyEnv == "" || env),
			"map.base.key: kind tianditu needs a key (or key_env naming a variable that holds one)"},
		{b.Key != "" && !tiandituKey.MatchString(b.Key), "map.base.key: must be letters and digits only"},
		{b.MaxZoom < 1 || b.MaxZoom > 22, fmt.Sprintf("map.base.max_zoom: %d must be within 1–22", b.MaxZoom)},
		{len(b.Attribution) > 300, "map.base.attribution: at most 300 bytes"},
	})
}

// tiandituKey is what a Tianditu key looks like (32 hex digits in practice).
var tiandituKey = regexp.MustCompile(`^[A-Za-z0-9]{1,128}$`)
