//go:build ignore

// Command gazetteer regenerates config/sample/gazetteer.csv, the sample
// city's place names (run from the repo root: go run config/sample/gen/gazetteer.go).
// The roads are drawn schematically along Luohu's main streets; door plates
// and poles are spaced along them, so the names are plausible and every
// point lies inside the sample grids.
package main

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
)

type road struct {
	name, abbr             string
	lon0, lat0, lon1, lat1 float64
}

// roads are the sample city's main streets, straight from end to end.
var roads = []road{
	{"深南东路", "SNDL", 114.1065, 22.5435, 114.1340, 22.5445},
	{"人民南路", "RMNL", 114.1170, 22.5325, 114.1180, 22.5425},
	{"人民北路", "RMBL", 114.1180, 22.5440, 114.1185, 22.5570},
	{"建设路", "JSL", 114.1145, 22.5330, 114.1130, 22.5560},
	{"解放路", "JFL", 114.1060, 22.5465, 114.1250, 22.5468},
	{"东门中路", "DMZL", 114.1235, 22.5450, 114.1235, 22.5570},
	{"宝安南路", "BANL", 114.1070, 22.5380, 114.1072, 22.5570},
	{"春风路", "CFL", 114.1070, 22.5370, 114.1250, 22.5372},
	{"嘉宾路", "JBL", 114.1100, 22.5355, 114.1300, 22.5357},
	{"沿河南路", "YHNL", 114.1280, 22.5290, 114.1282, 22.5430},
	{"文锦中路", "WJZL", 114.1285, 22.5455, 114.1287, 22.5570},
	{"爱国路", "AGL", 114.1330, 22.5480, 114.1332, 22.5570},
	{"湖贝路", "HBL", 114.1150, 22.5505, 114.1250, 22.5507},
	{"新园路", "XYL", 114.1060, 22.5530, 114.1180, 22.5532},
	{"和平路", "HPL", 114.1070, 22.5335, 114.1165, 22.5337},
}

type place struct {
	code, name, kind, address string
	lon, lat                  float64
}

// landmarks and buildings, placed where they stand (roughly) in Luohu.
var fixed = []place{
	{"LM-001", "罗湖火车站", "landmark", "人民南路", 114.1170, 22.5320},
	{"LM-002", "罗湖口岸", "landmark", "人民南路", 114.1150, 22.5300},
	{"LM-003", "罗湖区人民政府", "landmark", "文锦中路", 114.1307, 22.5463},
	{"LM-004", "东门步行街", "landmark", "解放路", 114.1114, 22.5469},
	{"LM-005", "地王大厦", "landmark", "深南东路5002号", 114.1070, 22.5433},
	{"LM-006", "国贸大厦", "landmark", "人民南路3002号", 114.1185, 22.5407},
	{"LM-007", "人民公园", "landmark", "人民北路", 114.1180, 22.5540},
	{"LM-008", "深圳书城罗湖城", "landmark", "深南东路", 114.1110, 22.5440},
	{"LM-009", "金光华广场", "landmark", "人民南路2028号", 114.1140, 22.5365},
	{"LM-010", "罗湖商业城", "landmark", "人民南路", 114.1160, 22.5330},
	{"LM-011", "湖贝古村", "landmark", "湖贝路", 114.1215, 22.5480},
	{"LM-012", "东门老街", "landmark", "解放路", 114.1205, 22.5460},
	{"LM-013", "罗湖区东门小学", "landmark", "人民北路", 114.1162, 22.5541},
	{"LM-014", "翠园中学", "landmark", "东门中路", 114.1312, 22.5541},
	{"LM-015", "南湖小学", "landmark", "嘉宾路", 114.1238, 22.5391},
	{"LM-016", "罗湖汽车站", "landmark", "和平路", 114.1130, 22.5320},
	{"LM-017", "深圳站广场", "landmark", "人民南路", 114.1175, 22.5330},
	{"LM-018", "东门派出所", "landmark", "东门中路", 114.1240, 22.5500},
	{"LM-019", "南湖派出所", "landmark", "嘉宾路", 114.1200, 22.5350},
	{"LM-020", "罗湖消防救援站", "landmark", "沿河南路", 114.1270, 22.5400},
	{"LM-021", "罗湖医院", "landmark", "友谊路", 114.1260, 22.5480},
	{"LM-022", "市人民医院", "landmark", "东门北路", 114.1220, 22.5560},
	{"BD-001", "湖贝社区党群服务中心", "building", "湖贝路", 114.1120, 22.5500},
	{"BD-002", "城东社区工作站", "building", "东门中路", 114.1270, 22.5500},
	{"BD-003", "罗湖社区工作站", "building", "建设路", 114.1110, 22.5350},
	{"BD-004", "文华社区工作站", "building", "嘉宾路", 114.1270, 22.5350},
	{"BD-005", "东门街道办事处", "building", "东门中路", 114.1230, 22.5520},
	{"BD-006", "南湖街道办事处", "building", "嘉宾路", 114.1210, 22.5360},
	{"BD-007", "湖贝新村", "building", "湖贝路", 114.1190, 22.5510},
	{"BD-008", "东门花园", "building", "东门中路", 114.1250, 22.5530},
	{"BD-009", "文华大厦", "building", "嘉宾路", 114.1250, 22.5340},
	{"BD-010", "金城大厦", "building", "春风路", 114.1150, 22.5375},
	{"BD-011", "罗湖大厦", "building", "深南东路", 114.1260, 22.5442},
	{"BD-012", "城东花园", "building", "文锦中路", 114.1300, 22.5520},
	{"BD-013", "翠竹苑", "building", "爱国路", 114.1320, 22.5560},
	{"BD-014", "新园小区", "building", "新园路", 114.1100, 22.5525},
	{"BD-015", "华佳广场", "building", "建设路", 114.1135, 22.5400},
	{"BD-016", "友谊城", "building", "春风路", 114.1200, 22.5380},
}

func main() {
	out := append([]place{}, fixed...)
	for _, r := range roads {
		// Door plates every ~60 m, odd numbers on one side, even on the
		// other; a pole every ~120 m.
		length := metres(r.lon0, r.lat0, r.lon1, r.lat1)
		n := int(length / 60)
		for i := 0; i <= n; i++ {
			f := float64(i) / float64(max(n, 1))
			lon := r.lon0 + (r.lon1-r.lon0)*f
			lat := r.lat0 + (r.lat1-r.lat0)*f
			side := 1.0
			num := 2*i + 1
			if i%2 == 1 {
				side, num = -1, 2*i
			}
			// 12 m to the side of the centre line.
			dLon, dLat := offset(r, side*12)
			name := fmt.Sprintf("%s%d号", r.name, num)
			out = append(out, place{fmt.Sprintf("MP-%s-%04d", r.abbr, num), name, "door_plate", "罗湖区" + name, round6(lon + dLon), round6(lat + dLat)})
			if i%4 == 0 {
				out = append(out, place{fmt.Sprintf("DG-%s-%03d", r.abbr, i/2+1), fmt.Sprintf("%s%d号杆", r.name, i/2+1), "pole", r.name, round6(lon), round6(lat)})
			}
			if i == n/2 {
				out = append(out, place{fmt.Sprintf("AD-%s", r.abbr), r.name, "address", "深圳市罗湖区" + r.name, round6(lon), round6(lat)})
			}
		}
	}
	f, err := os.Create("config/sample/gazetteer.csv")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	f.WriteString("\ufeff")
	w := csv.NewWriter(f)
	w.Write([]string{"code", "name", "kind", "address", "lon", "lat"})
	for _, p := range out {
		w.Write([]string{p.code, p.name, p.kind, p.address, fmt.Sprint(p.lon), fmt.Sprint(p.lat)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d places\n", len(out))
}

const mPerDeg = 111320.0

func metres(lon0, lat0, lon1, lat1 float64) float64 {
	dx := (lon1 - lon0) * mPerDeg * math.Cos(lat0*math.Pi/180)
	dy := (lat1 - lat0) * mPerDeg
	return math.Hypot(dx, dy)
}

// offset is the shift in degrees d metres to the left of r's direction.
func offset(r road, d float64) (float64, float64) {
	dx := (r.lon1 - r.lon0) * math.Cos(r.lat0*math.Pi/180)
	dy := r.lat1 - r.lat0
	l := math.Hypot(dx, dy)
	nx, ny := -dy/l, dx/l
	return nx * d / mPerDeg / math.Cos(r.lat0*math.Pi/180), ny * d / mPerDeg
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }
