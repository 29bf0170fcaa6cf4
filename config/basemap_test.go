package config_test

import (
	"path/filepath"
	"strings"
	"testing"

	"watchfloor/config"
)

func TestBaseMapConfig(t *testing.T) {
	env := map[string]string{"TDT_KEY": "0123456789abcdef0123456789abcdef"}
	getenv := func(k string) string { return env[k] }
	cases := []struct {
		name string
		base config.BaseMap
		want string // a substring of the error, or "" for valid
	}{
		{"none", config.BaseMap{}, ""},
		{"pmtiles", config.BaseMap{Kind: "pmtiles", Archive: "/srv/base.pmtiles"}, ""},
		{"pmtilesNoArchive", config.BaseMap{Kind: "pmtiles"}, "map.base.archive: required"},
		{"archiveForAmap", config.BaseMap{Kind: "amap", Archive: "x.pmtiles"}, "map.base.archive: only for kind pmtiles"},
		{"unknownKind", config.BaseMap{Kind: "baidu"}, `map.base.kind: "baidu"`},
		{"tiandituKeyEnv", config.BaseMap{Kind: "tianditu", KeyEnv: "TDT_KEY"}, ""},
		{"tiandituNoKey", config.BaseMap{Kind: "tianditu"}, "map.base.key: kind tianditu needs a key"},
		{"tiandituEmptyEnv", config.BaseMap{Kind: "tianditu", KeyEnv: "NOT_SET"}, "map.base.key: kind tianditu needs a key"},
		{"keyAndEnv", config.BaseMap{Kind: "tianditu", Key: "abc", KeyEnv: "TDT_KEY"}, "map.base.key_env: set key or key_env, not both"},
		{"badKey", config.BaseMap{Kind: "tianditu", Key: "a&b=c"}, "map.base.key: must be letters and digits"},
		{"maxZoom", config.BaseMap{Kind: "amap", MaxZoom: 30}, "map.base.max_zoom: 30"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := config.Load(filepath.Join("sample", "watchfloor.yaml"), nil)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Map.Base = c.base
			err = cfg.Validate(getenv)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("want valid, got %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("want an error with %q, got %v", c.want, err)
			}
		})
	}
}

func TestBaseMapDatumAndHosts(t *testing.T) {
	for _, c := range []struct {
		kind, datum string
		hosts       int
	}{{"none", "wgs84", 0}, {"pmtiles", "wgs84", 0}, {"tianditu", "wgs84", 1}, {"amap", "gcj02", 1}} {
		b := config.BaseMap{Kind: c.kind}
		if b.Datum() != c.datum || len(b.ImageHosts()) != c.hosts {
			t.Errorf("%s: datum %s, hosts %v", c.kind, b.Datum(), b.ImageHosts())
		}
	}
}

// The sample's archive path is resolved against the sample's directory.
func TestBaseMapArchiveResolved(t *testing.T) {
	cfg, err := config.Load(filepath.Join("sample", "watchfloor.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Map.Base.Kind != "pmtiles" || !filepath.IsAbs(cfg.Map.Base.Archive) || !strings.HasSuffix(cfg.Map.Base.Archive, filepath.Join("var", "basemap.pmtiles")) {
		t.Errorf("sample base map %+v", cfg.Map.Base)
	}
}
