package acceptance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"watchfloor/command/server"
	"watchfloor/command/store/storetest"
	"watchfloor/config"
)

type placesAnswer struct {
	Places []struct {
		Code     string `json:"code"`
		Name     string `json:"name"`
		Kind     string `json:"kind"`
		Location struct{ Lon, Lat float64 }
		Grid     *struct{ Code string }
		Zones    []struct{ Name string }
	} `json:"places"`
	Total int `json:"total"`
}

// TestPlacesSearch: the sample gazetteer answers by name, door plate and
// code, with the grid and zones of each place; bad queries name the field.
func TestPlacesSearch(t *testing.T) {
	h := newHarness(t)
	tok := h.token("operator")
	search := func(q string) placesAnswer {
		t.Helper()
		res, body := h.do("GET", "/api/v1/places?q="+url.QueryEscape(q), tok, nil)
		if res.StatusCode != 200 {
			t.Fatalf("%q: %d %s", q, res.StatusCode, body)
		}
		var out placesAnswer
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	got := search("罗湖火车")
	if len(got.Places) == 0 || got.Places[0].Name != "罗湖火车站" || got.Places[0].Grid == nil || got.Total < 200 {
		t.Fatalf("罗湖火车: %+v", got)
	}
	if !slices.ContainsFunc(got.Places[0].Zones, func(z struct{ Name string }) bool { return z.Name == "罗湖火车站广场" }) {
		t.Errorf("the station lies in its square's zone: %+v", got.Places[0].Zones)
	}
	if got := search("深南东路1号"); len(got.Places) == 0 || got.Places[0].Name != "深南东路1号" || got.Places[0].Kind != "door_plate" {
		t.Errorf("door plate: %+v", got)
	}
	if got := search("dg-sndl-001"); len(got.Places) != 1 || got.Places[0].Kind != "pole" {
		t.Errorf("pole by code: %+v", got)
	}
	for _, tc := range []struct{ query, field string }{
		{"q=", "q"},
		{"q=" + strings.Repeat("路", 65), "q"},
		{"q=%E8%B7%AF&limit=0", "limit"},
		{"q=%E8%B7%AF&limit=x", "limit"},
		{"q=a%00", "q"},
		{"q=%E5%8E%A6%00%E4%BA%BA", "q"},
		{"q=a%07b", "q"},
		{"q=a%C2%85b", "q"},
	} {
		res, body := h.do("GET", "/api/v1/places?"+tc.query, tok, nil)
		if res.StatusCode != 400 || !strings.Contains(string(body), `"field":"`+tc.field+`"`) {
			t.Errorf("%s: %d %s", tc.query, res.StatusCode, body)
		}
	}
	if res, _ := h.do("GET", "/api/v1/places?q=a", h.token("car-01"), nil); res.StatusCode != 403 {
		t.Errorf("a responder searched the gazetteer: %d", res.StatusCode)
	}
}

// TestGazetteerBadFile: a bad gazetteer stops the server at start with the
// file, row and field named.
func TestGazetteerBadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "g.csv")
	if err := os.WriteFile(p, []byte("code,name,kind,lon,lat\nA,甲,pole,114.12,22.54\nB,乙,pole,114.12,north\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := storetest.Start(t)
	env := map[string]string{"WATCHFLOOR_LISTEN": "127.0.0.1:0", "WATCHFLOOR_REDIS_URL": r.URL(), "WATCHFLOOR_DEMO_PASSWORD": testPassword}
	cfg, err := config.Load("../../config/sample/watchfloor.yaml", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Map.Gazetteer = p
	_, err = server.New(context.Background(), cfg, server.Options{Notice: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "row 3, lat") {
		t.Fatalf("err = %v, want row 3, lat named", err)
	}
}

// BenchmarkPlacesHTTP: gazetteer searches over HTTP with 100,000 places,
// the console's searches as a person types them.
func BenchmarkPlacesHTTP(b *testing.B) {
	dir := b.TempDir()
	p := filepath.Join(dir, "big.csv")
	var sb strings.Builder
	sb.WriteString("code,name,kind,address,lon,lat\n")
	roads := []string{"深南东路", "人民南路", "建设路", "解放路", "东门中路", "宝安南路", "春风路", "嘉宾路", "和平路", "沿河南路", "爱国路", "文锦中路", "湖贝路", "新园路", "延芳路", "翠竹路", "太宁路", "布心路"}
	for i := range 100_000 {
		road := roads[i%len(roads)]
		lon := 114.106 + float64(i%997)/997*0.028
		lat := 22.529 + float64(i%991)/991*0.028
		switch i % 3 {
		case 0:
			fmt.Fprintf(&sb, "MP%07d,%s%d号,door_plate,罗湖区%s,%.6f,%.6f\n", i, road, i/len(roads)+1, road, lon, lat)
		case 1:
			fmt.Fprintf(&sb, "LH-P-%06d,%s电杆%06d,pole,,%.6f,%.6f\n", i, road, i, lon, lat)
		default:
			fmt.Fprintf(&sb, "BD%07d,%s大厦%d栋,building,%s,%.6f,%.6f\n", i, road, i%400, road, lon, lat)
		}
	}
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	h := newHarness(b, func(c *config.Config) { c.Map.Gazetteer = p; c.Limits.TokenRate = 1e6; c.Limits.TokenBurst = 1e6 })
	tok := h.token("operator")
	qs := []string{"深", "深南", "深南东路", "深南东路1", "深南东路12号", "路", "LH-P-00", "LH-P-001234", "大厦3栋", "不存在的地方"}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		res, body := h.do("GET", "/api/v1/places?q="+url.QueryEscape(qs[i%len(qs)]), tok, nil)
		if res.StatusCode != 200 {
			b.Fatalf("%d %s", res.StatusCode, body)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
