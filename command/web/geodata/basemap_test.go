package geodata

import (
	"strings"
	"testing"

	"watchfloor/config"
)

func TestContentSecurityImages(t *testing.T) {
	for _, c := range []struct {
		name string
		m    config.Map
		img  string
	}{
		{"offline", config.Map{Base: config.BaseMap{Kind: "pmtiles"}}, "img-src 'self' data:;"},
		{"none", config.Map{}, "img-src 'self' data:;"},
		{"tianditu", config.Map{Base: config.BaseMap{Kind: "tianditu"}}, "img-src 'self' data: https://*.tianditu.gov.cn;"},
		{"amap", config.Map{Base: config.BaseMap{Kind: "amap"}}, "img-src 'self' data: https://*.is.autonavi.com;"},
		{"tileURL", config.Map{TileURL: "https://{s}.tiles.example.org/{z}/{x}/{y}.png"}, "img-src 'self' data: https://*.tiles.example.org;"},
	} {
		if csp := ContentSecurity(c.m); !strings.Contains(csp, c.img) {
			t.Errorf("%s: %q, want %q", c.name, csp, c.img)
		}
	}
}

func TestByteRange(t *testing.T) {
	for _, c := range []struct {
		h          string
		start, end int64
		partial    bool
		err        bool
	}{
		{"", 0, 99, false, false},
		{"bytes=0-9", 0, 9, true, false},
		{"bytes=90-200", 90, 99, true, false},
		{"bytes=95-", 95, 99, true, false},
		{"bytes=-5", 95, 99, true, false},
		{"bytes=-500", 0, 99, true, false},
		{"bytes=100-", 0, 0, false, true},
		{"bytes=-0", 0, 0, false, true},
		{"bytes=5-1", 0, 0, false, true},
		{"bytes=a-b", 0, 0, false, true},
		{"bytes=0-1,3-4", 0, 0, false, true},
		{"pages=1", 0, 0, false, true},
	} {
		s, e, p, err := byteRange(c.h, 100)
		if (err != nil) != c.err || (!c.err && (s != c.start || e != c.end || p != c.partial)) {
			t.Errorf("%q: %d-%d partial %v err %v; want %d-%d partial %v err %v", c.h, s, e, p, err, c.start, c.end, c.partial, c.err)
		}
	}
}
