package geo_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"watchfloor/geo"
)

const sampleCSV = "\ufeffcode,name,kind,address,lon,lat\n" +
	"LH-P-0001,深南东路电杆0001,pole,深南东路,114.118,22.540\n" +
	"D-1,深南东路1号,door_plate,深南东路1号,114.119,22.541\n" +
	"D-2,深南东路12号,door_plate,深南东路12号,114.120,22.541\n" +
	"L-1,罗湖火车站,landmark,人民南路,114.117,22.532\n" +
	"B-1,国贸大厦,building,人民南路3002号,114.1185,22.5407\n"

func TestGazetteerSearch(t *testing.T) {
	places, err := geo.ParsePlaces([]byte(sampleCSV), "g.csv")
	if err != nil {
		t.Fatal(err)
	}
	g := geo.NewGazetteer(places)
	for _, tc := range []struct {
		q    string
		want []string // codes, in order
	}{
		{"深南东路", []string{"D-1", "D-2", "LH-P-0001"}},
		{"深", []string{"D-1", "D-2", "LH-P-0001"}},
		{"东路1", []string{"D-1", "D-2"}},
		{"lh-p", []string{"LH-P-0001"}},
		{"LH-P-0001", []string{"LH-P-0001"}},
		{"d-1", []string{"D-1"}},
		{"人民南路", []string{"B-1", "L-1"}},
		{"火车站", []string{"L-1"}},
		{"  国贸 ", []string{"B-1"}},
		{"北京", nil},
		{"", nil},
		// NUL separates a place's name, address and code in the searched
		// text: a query holding one matches nothing, not across fields.
		{"厦\x00人", nil},
		{"深\x00", nil},
		{"\x00", nil},
		{"a\x00", nil},
	} {
		got := g.Search(tc.q, 10)
		var codes []string
		for _, m := range got {
			codes = append(codes, m.Code)
		}
		if fmt.Sprint(codes) != fmt.Sprint(tc.want) {
			t.Errorf("Search(%q) = %v, want %v", tc.q, codes, tc.want)
		}
	}
	if got := g.Search("深南东路", 2); len(got) != 2 || got[0].Code != "D-1" {
		t.Errorf("limit 2: %+v", got)
	}
}

func TestParsePlacesErrors(t *testing.T) {
	head := "code,name,kind,lon,lat\n"
	for _, tc := range []struct {
		name, in, file string
		row            int
		field          string
	}{
		{"no header", "", "g.csv", 1, ""},
		{"missing column", "code,name,kind,lon\n", "g.csv", 1, "lat"},
		{"bad lon", head + "A,甲,pole,x,22\n", "g.csv", 2, "lon"},
		{"lat out of range", head + "A,甲,pole,114,91\n", "g.csv", 2, "lat"},
		{"infinite", head + "A,甲,pole,114,Inf\n", "g.csv", 2, "lat"},
		{"bad kind", head + "A,甲,shop,114,22\n", "g.csv", 2, "kind"},
		{"invisible name", head + "A,\u200b\ufeff,pole,114,22\n", "g.csv", 2, "name"},
		{"duplicate code", head + "A,甲,pole,114,22\nB,乙,pole,114,22\nA,丙,pole,114,22\n", "g.csv", 4, "code"},
		{"code with space", head + "A B,甲,pole,114,22\n", "g.csv", 2, "code"},
		{"long code", head + strings.Repeat("A", 65) + ",甲,pole,114,22\n", "g.csv", 2, "code"},
		{"quote", head + "A,\"甲,pole,114,22\n", "g.csv", 2, ""},
		{"geojson not point", `{"type":"FeatureCollection","features":[{"geometry":{"type":"LineString","coordinates":[1,2]},"properties":{}}]}`, "g.geojson", 0, "features[0].geometry"},
		{"geojson kind", `{"type":"FeatureCollection","features":[{"geometry":{"type":"Point","coordinates":[114,22]},"properties":{"code":"A","name":"甲","kind":"x"}}]}`, "g.geojson", 0, "features[0].properties.kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := geo.ParsePlaces([]byte(tc.in), tc.file)
			var pe *geo.PlaceError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a geo.PlaceError", err)
			}
			if pe.Row != tc.row || pe.Field != tc.field {
				t.Errorf("row %d field %q (%v), want row %d field %q", pe.Row, pe.Field, err, tc.row, tc.field)
			}
		})
	}
}

func TestParsePlacesGeoJSON(t *testing.T) {
	in := `{"type":"FeatureCollection","features":[
	 {"type":"Feature","geometry":{"type":"Point","coordinates":[114.117,22.532]},"properties":{"code":"L-1","name":"罗湖火车站","kind":"landmark"}},
	 {"type":"Feature","geometry":{"type":"Point","coordinates":[114.12,22.54]},"properties":{"code":42,"name":"四十二号","kind":"door_plate","address":"某路42号"}}]}`
	ps, err := geo.ParsePlaces([]byte(in), "g.geojson")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[1].Code != "42" || ps[0].Lon != 114.117 || ps[1].Address != "某路42号" {
		t.Errorf("%+v", ps)
	}
}

// TestSampleGazetteer keeps the sample city's gazetteer loadable and inside
// the district.
func TestSampleGazetteer(t *testing.T) {
	b, err := os.ReadFile("../config/sample/gazetteer.csv")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := geo.ParsePlaces(b, "gazetteer.csv")
	if err != nil {
		t.Fatal(err)
	}
	m := sampleMap(t)
	if len(ps) < 200 {
		t.Errorf("%d places, want a few hundred", len(ps))
	}
	for _, p := range ps {
		if m.Locate(orb.Point{p.Lon, p.Lat}) == nil {
			t.Errorf("%s %s lies outside every grid", p.Code, p.Name)
		}
	}
}

// FuzzParsePlaces: whatever a gazetteer file holds, parsing never panics,
// and every place it accepts is complete, in range and searchable.
func FuzzParsePlaces(f *testing.F) {
	f.Add([]byte(sampleCSV), false)
	f.Add([]byte("code,name,kind,lon,lat\nA,甲,pole,114,22\n"), false)
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"geometry":{"type":"Point","coordinates":[114,22]},"properties":{"code":"A","name":"甲","kind":"pole"}}]}`), true)
	f.Fuzz(func(t *testing.T, b []byte, geojson bool) {
		name := "f.csv"
		if geojson {
			name = "f.geojson"
		}
		ps, err := geo.ParsePlaces(b, name)
		if err != nil {
			var pe *geo.PlaceError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a geo.PlaceError", err)
			}
			return
		}
		codes := map[string]bool{}
		for _, p := range ps {
			if !geo.ValidPoint(p.Lon, p.Lat) || math.IsNaN(p.Lon) || math.IsNaN(p.Lat) {
				t.Fatalf("place %+v out of range", p)
			}
			if p.Code == "" || codes[p.Code] || strings.TrimSpace(p.Name) == "" || !utf8.ValidString(p.Name) {
				t.Fatalf("place %+v accepted with a bad code or name", p)
			}
			codes[p.Code] = true
		}
		g := geo.NewGazetteer(ps)
		for _, p := range ps {
			if len(g.Search(p.Code, 1)) != 1 {
				t.Fatalf("place %q not found by its code", p.Code)
			}
		}
	})
}

// bigGazetteer makes n places spread over the sample district: door plates
// along numbered roads, poles, buildings.
func bigGazetteer(n int) *geo.Gazetteer {
	roads := []string{"深南东路", "人民南路", "建设路", "解放路", "东门中路", "宝安南路", "春风路", "嘉宾路", "和平路", "沿河南路", "爱国路", "文锦中路", "湖贝路", "新园路", "延芳路", "翠竹路", "太宁路", "布心路"}
	ps := make([]geo.Place, 0, n)
	for i := 0; len(ps) < n; i++ {
		road := roads[i%len(roads)]
		lon := 114.106 + float64(i%997)/997*0.028
		lat := 22.529 + float64(i%991)/991*0.028
		switch i % 3 {
		case 0:
			ps = append(ps, geo.Place{Code: fmt.Sprintf("MP%07d", i), Name: fmt.Sprintf("%s%d号", road, i/len(roads)+1), Kind: geo.PlaceDoorPlate, Address: "罗湖区" + road, Lon: lon, Lat: lat})
		case 1:
			ps = append(ps, geo.Place{Code: fmt.Sprintf("LH-P-%06d", i), Name: fmt.Sprintf("%s电杆%06d", road, i), Kind: geo.PlacePole, Lon: lon, Lat: lat})
		default:
			ps = append(ps, geo.Place{Code: fmt.Sprintf("BD%07d", i), Name: fmt.Sprintf("%s大厦%d栋", road, i%400), Kind: geo.PlaceBuilding, Address: road, Lon: lon, Lat: lat})
		}
	}
	return geo.NewGazetteer(ps)
}

// BenchmarkPlacesSearch runs typical console searches over 100,000 places:
// one character, a road name, a door number, a code prefix.
func BenchmarkPlacesSearch(b *testing.B) {
	g := bigGazetteer(100_000)
	qs := []string{"深", "深南东路", "人民南路12号", "LH-P-0012", "mp00123", "大厦3栋", "不存在的地方"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g.Search(qs[i%len(qs)], 10)
	}
}

// BenchmarkPlacesSearchEach times each kind of search on its own.
func BenchmarkPlacesSearchEach(b *testing.B) {
	g := bigGazetteer(100_000)
	for _, q := range []string{"深", "路", "深南东路", "人民南路12号", "LH-P-0012", "mp00123", "大厦3栋", "不存在的地方"} {
		b.Run(q, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				g.Search(q, 10)
			}
		})
	}
}
