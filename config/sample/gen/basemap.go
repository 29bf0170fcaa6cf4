//go:build ignore

// Command basemap regenerates config/sample/basemap/*.geojson, the sample
// city's base-map layers (run from the repo root: go run config/sample/gen/basemap.go).
// Everything is schematic: main streets drawn straight from end to end (the
// same as the gazetteer's), boxes for buildings, and the Shenzhen and Buji
// rivers as strips. Every feature says so in its properties.
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
)

type road struct {
	name, en               string
	major                  bool
	lon0, lat0, lon1, lat1 float64
}

// roads are config/sample/gen/gazetteer.go's main streets.
var roads = []road{
	{"深南东路", "Shennan East Road", true, 114.1065, 22.5435, 114.1340, 22.5445},
	{"人民南路", "Renmin South Road", true, 114.1170, 22.5325, 114.1180, 22.5425},
	{"人民北路", "Renmin North Road", true, 114.1180, 22.5440, 114.1185, 22.5570},
	{"建设路", "Jianshe Road", true, 114.1145, 22.5330, 114.1130, 22.5560},
	{"解放路", "Jiefang Road", false, 114.1060, 22.5465, 114.1250, 22.5468},
	{"东门中路", "Dongmen Middle Road", true, 114.1235, 22.5450, 114.1235, 22.5570},
	{"宝安南路", "Bao'an South Road", true, 114.1070, 22.5380, 114.1072, 22.5570},
	{"春风路", "Chunfeng Road", true, 114.1070, 22.5370, 114.1250, 22.5372},
	{"嘉宾路", "Jiabin Road", true, 114.1100, 22.5355, 114.1300, 22.5357},
	{"沿河南路", "Yanhe South Road", false, 114.1280, 22.5290, 114.1282, 22.5430},
	{"文锦中路", "Wenjin Middle Road", true, 114.1285, 22.5455, 114.1287, 22.5570},
	{"爱国路", "Aiguo Road", false, 114.1330, 22.5480, 114.1332, 22.5570},
	{"湖贝路", "Hubei Road", false, 114.1150, 22.5505, 114.1250, 22.5507},
	{"新园路", "Xinyuan Road", false, 114.1060, 22.5530, 114.1180, 22.5532},
	{"和平路", "Heping Road", false, 114.1070, 22.5335, 114.1165, 22.5337},
}

type place struct {
	name, kind string
	lon, lat   float64
}

// places are the gazetteer's landmarks and buildings.
var places = []place{
	{"罗湖火车站", "station", 114.1170, 22.5320}, {"罗湖口岸", "border_crossing", 114.1150, 22.5300},
	{"罗湖区人民政府", "townhall", 114.1307, 22.5463}, {"东门步行街", "marketplace", 114.1114, 22.5469},
	{"地王大厦", "building", 114.1070, 22.5433}, {"国贸大厦", "building", 114.1185, 22.5407},
	{"人民公园", "park", 114.1180, 22.5540}, {"深圳书城罗湖城", "books", 114.1110, 22.5440},
	{"金光华广场", "mall", 114.1140, 22.5365}, {"罗湖商业城", "mall", 114.1160, 22.5330},
	{"湖贝古村", "attraction", 114.1215, 22.5480}, {"东门老街", "attraction", 114.1205, 22.5460},
	{"罗湖区东门小学", "school", 114.1162, 22.5541}, {"翠园中学", "school", 114.1312, 22.5541},
	{"南湖小学", "school", 114.1238, 22.5391}, {"罗湖汽车站", "bus_station", 114.1130, 22.5320},
	{"深圳站广场", "station", 114.1175, 22.5330}, {"东门派出所", "police", 114.1240, 22.5500},
	{"南湖派出所", "police", 114.1200, 22.5350}, {"罗湖消防救援站", "fire_station", 114.1270, 22.5400},
	{"罗湖医院", "hospital", 114.1260, 22.5480}, {"市人民医院", "hospital", 114.1220, 22.5560},
}

type feature struct {
	Type       string         `json:"type"`
	Properties map[string]any `json:"properties"`
	Geometry   map[string]any `json:"geometry"`
}

func collection(fs []feature) map[string]any {
	return map[string]any{"type": "FeatureCollection", "features": fs}
}

func props(kv ...any) map[string]any {
	p := map[string]any{"schematic": true, "source": "Watchfloor sample city, drawn by hand (示意)"}
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i].(string)] = kv[i+1]
	}
	return p
}

// box is a rectangle of w × h metres centred on lon, lat.
func box(lon, lat, w, h float64) [][][2]float64 {
	dx := w / 2 / (111320 * math.Cos(lat*math.Pi/180))
	dy := h / 2 / 110574
	return [][][2]float64{{{lon - dx, lat - dy}, {lon + dx, lat - dy}, {lon + dx, lat + dy}, {lon - dx, lat + dy}, {lon - dx, lat - dy}}}
}

// strip is a river of width w metres along the line pts.
func strip(pts [][2]float64, w float64) [][][2]float64 {
	var left, right [][2]float64
	for i, p := range pts {
		a, b := pts[max(i-1, 0)], pts[min(i+1, len(pts)-1)]
		k := 111320 * math.Cos(p[1]*math.Pi/180)
		dx, dy := (b[0]-a[0])*k, (b[1]-a[1])*110574
		n := math.Hypot(dx, dy)
		ox, oy := -dy/n*w/2/k, dx/n*w/2/110574
		left = append(left, [2]float64{p[0] + ox, p[1] + oy})
		right = append([][2]float64{{p[0] - ox, p[1] - oy}}, right...)
	}
	ring := append(append(left, right...), left[0])
	return [][][2]float64{ring}
}

func write(path string, v any) {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func main() {
	dir := "config/sample/basemap/"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		panic(err)
	}
	var rs []feature
	for _, r := range roads {
		kind, minZoom := "minor_road", 13
		if r.major {
			kind, minZoom = "major_road", 10
		}
		rs = append(rs, feature{"Feature", props("name", r.name, "name:en", r.en, "kind", kind, "min_zoom", minZoom),
			map[string]any{"type": "LineString", "coordinates": [][2]float64{{r.lon0, r.lat0}, {r.lon1, r.lat1}}}})
	}
	write(dir+"roads.geojson", collection(rs))

	var ps, bs []feature
	for _, p := range places {
		ps = append(ps, feature{"Feature", props("name", p.name, "kind", p.kind, "min_zoom", 13),
			map[string]any{"type": "Point", "coordinates": [2]float64{p.lon, p.lat}}})
		bs = append(bs, feature{"Feature", props("kind", "building", "min_zoom", 14),
			map[string]any{"type": "Polygon", "coordinates": box(p.lon+0.0004, p.lat+0.0003, 70, 45)}})
	}
	write(dir+"landmarks.geojson", collection(ps))
	write(dir+"buildings.geojson", collection(bs))

	shenzhen := [][2]float64{{114.0950, 22.5290}, {114.1050, 22.5270}, {114.1120, 22.5285}, {114.1160, 22.5275},
		{114.1220, 22.5262}, {114.1290, 22.5275}, {114.1380, 22.5260}, {114.1450, 22.5245}}
	buji := [][2]float64{{114.1258, 22.5600}, {114.1262, 22.5520}, {114.1250, 22.5470}, {114.1262, 22.5410},
		{114.1270, 22.5340}, {114.1250, 22.5275}}
	ws := []feature{
		{"Feature", props("name", "深圳河", "name:en", "Shenzhen River", "kind", "water"), map[string]any{"type": "Polygon", "coordinates": strip(shenzhen, 70)}},
		{"Feature", props("name", "布吉河", "name:en", "Buji River", "kind", "water"), map[string]any{"type": "Polygon", "coordinates": strip(buji, 25)}},
		{"Feature", props("name", "人民公园湖", "kind", "water", "min_zoom", 14), map[string]any{"type": "Polygon", "coordinates": box(114.1170, 22.5548, 90, 50)}},
	}
	write(dir+"water.geojson", collection(ws))
}
