package datum

import (
	"math"
	"testing"
)

// References are the published test points of googollee/eviltransform
// (WGS-84 → GCJ-02), the implementation most others are checked against.
var references = []struct {
	name                   string
	wLon, wLat, gLon, gLat float64
}{
	{"shanghai", 121.5272106, 31.1774276, 121.531541859215, 31.17530398364597},
	{"shenzhen", 113.912316, 22.543847, 113.9171764808363, 22.540796131694766},
	{"beijing", 116.377817, 39.911954, 116.38404722455657, 39.91334545536069},
}

func TestToGCJ02References(t *testing.T) {
	for _, r := range references {
		t.Run(r.name, func(t *testing.T) {
			lon, lat := ToGCJ02(r.wLon, r.wLat)
			if math.Abs(lon-r.gLon) > 1e-6 || math.Abs(lat-r.gLat) > 1e-6 {
				t.Errorf("ToGCJ02(%v, %v) = %v, %v; want %v, %v", r.wLon, r.wLat, lon, lat, r.gLon, r.gLat)
			}
		})
	}
}

func TestToWGS84InvertsToGCJ02(t *testing.T) {
	for _, r := range references {
		t.Run(r.name, func(t *testing.T) {
			lon, lat := ToWGS84(r.gLon, r.gLat)
			if math.Abs(lon-r.wLon) > 1e-7 || math.Abs(lat-r.wLat) > 1e-7 {
				t.Errorf("ToWGS84(%v, %v) = %v, %v; want %v, %v", r.gLon, r.gLat, lon, lat, r.wLon, r.wLat)
			}
		})
	}
}

func TestOutOfChinaIsUnchanged(t *testing.T) {
	for _, p := range [][2]float64{{-0.1276, 51.5072}, {139.6917, 35.6895}, {151.2093, -33.8688}} {
		if lon, lat := ToGCJ02(p[0], p[1]); lon != p[0] || lat != p[1] {
			t.Errorf("ToGCJ02(%v) = %v, %v; want unchanged", p, lon, lat)
		}
		if lon, lat := ToWGS84(p[0], p[1]); lon != p[0] || lat != p[1] {
			t.Errorf("ToWGS84(%v) = %v, %v; want unchanged", p, lon, lat)
		}
	}
}

// The shift in Luohu is a few hundred metres, as Chinese online maps show.
func TestShiftInLuohuIsHundredsOfMetres(t *testing.T) {
	lon, lat := ToGCJ02(114.118, 22.543)
	dx := (lon - 114.118) * 111320 * math.Cos(22.543*math.Pi/180)
	dy := (lat - 22.543) * 110574
	if d := math.Hypot(dx, dy); d < 200 || d > 800 {
		t.Errorf("shift %.0f m, want a few hundred metres", d)
	}
}
