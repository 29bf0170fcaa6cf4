package stats

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestCSVEscapesAndBOM(t *testing.T) {
	b := DailyBulletin(Day{Date: "2026-11-23", Counts: map[string]int64{"inc": 2, "inc:cat:=SUM(A1)": 1, "inc:src:call": 2}}, nil)
	out := CSV(b, map[string]string{"call": "+电话"})
	if !bytes.HasPrefix(out, []byte("\ufeff")) {
		t.Error("no BOM")
	}
	s := string(out)
	if !strings.Contains(s, "'=SUM(A1)") || strings.Contains(s, ",=SUM") || !strings.Contains(s, "'+电话") {
		t.Errorf("formula cells not escaped:\n%s", s)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{[]float64{30}, 30}, {[]float64{10, 30, 20}, 20}, {[]float64{10, 40, 20, 30}, 25}} {
		if got := Median(tc.in); got == nil || *got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if Median(nil) != nil {
		t.Error("median of nothing")
	}
}

func TestPeriods(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	for _, tc := range []struct {
		kind, at, label, from, to, prev string
	}{
		{"month", "2026-11", "2026-11", "2026-11-01", "2026-11-30", "2026-10"},
		{"month", "2026-03", "2026-03", "2026-03-01", "2026-03-31", "2026-02"},
		{"quarter", "2026-Q4", "2026-Q4", "2026-10-01", "2026-12-31", "2026-Q3"},
		{"quarter", "2026-02", "2026-Q1", "2026-01-01", "2026-03-31", "2025-Q4"},
	} {
		p, err := ParsePeriod(tc.kind, tc.at, loc)
		if err != nil {
			t.Fatal(err)
		}
		if p.Label != tc.label || p.From.Format(time.DateOnly) != tc.from || p.To.Format(time.DateOnly) != tc.to || p.Previous().Label != tc.prev {
			t.Errorf("%s %s: %s %s..%s prev %s", tc.kind, tc.at, p.Label, p.From.Format(time.DateOnly), p.To.Format(time.DateOnly), p.Previous().Label)
		}
	}
	for _, bad := range [][2]string{{"year", "2026"}, {"month", "2026-13"}, {"quarter", "2026-Q5"}} {
		if _, err := ParsePeriod(bad[0], bad[1], loc); err == nil {
			t.Errorf("%v parsed", bad)
		}
	}
}

func TestAnalyseChanges(t *testing.T) {
	p, _ := ParsePeriod("month", "2026-11", time.UTC)
	cur := []Day{{Counts: map[string]int64{"inc": 10, "inc:cat:fire": 6, "inc:cat:traffic": 4, "inc:closed": 8, "med:success": 19, "med:failed": 1}}}
	prev := []Day{{Counts: map[string]int64{"inc": 8, "inc:cat:fire": 2, "inc:cat:traffic": 6}}}
	a := Analyse(p, cur, prev, nil)
	if *a.Change != 0.25 || *a.ClearanceRate != 0.8 || *a.MediationRate != 0.95 {
		t.Errorf("change %v clearance %v mediation %v", *a.Change, *a.ClearanceRate, *a.MediationRate)
	}
	if a.ByCategory[0].Key != "fire" || *a.ByCategory[0].Change != 2 || len(a.Rising) != 1 || a.Rising[0].Key != "fire" {
		t.Errorf("categories %+v rising %+v", a.ByCategory, a.Rising)
	}
}

func TestBulletinByHourLevel(t *testing.T) {
	b := DailyBulletin(Day{Date: "2026-11-23", Counts: map[string]int64{
		"inc": 4, "inc:hlvl:II:9": 2, "inc:hlvl:IV:23": 1, "inc:hlvl:IV:0": 1, "inc:hlvl:IV:24": 5, "inc:hlvl:x": 3,
	}}, nil)
	got := b.Incidents.ByHourLevel
	if len(got) != 2 || got["II"][9] != 2 || got["IV"][23] != 1 || got["IV"][0] != 1 {
		t.Errorf("by_hour_level = %v", got)
	}
	var sum int64
	for _, row := range got {
		for _, n := range row {
			sum += n
		}
	}
	if sum != 4 {
		t.Errorf("by_hour_level adds up to %d, want 4 (bad keys must be skipped)", sum)
	}
}
