package acceptance_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// BenchmarkAnalysisYear: GET /api/v1/analysis for a quarter and for a
// month with a year of figures in Redis: 200,000 incidents over 365 days,
// written as the counters creation keeps (the same keys), so the answer
// reads day counters and never scans incidents. One op is one request.
func BenchmarkAnalysisYear(b *testing.B) {
	h := newHarness(b, benchLimits)
	c := redis.NewClient(&redis.Options{Addr: h.redis.Addr})
	defer c.Close()
	ctx := context.Background()
	cats := []string{"mass_incident", "fire", "traffic", "public_order", "civil_dispute", "crowd"}
	grids := []string{"440303001001001", "440303001001002", "440303001002001", "440303002001001", "440303002002004"}
	start := time.Date(2025, 12, 1, 0, 0, 0, 0, h.cfg.Location)
	rnd := rand.New(rand.NewPCG(1, 2))
	pipe := c.Pipeline()
	for i := range 200000 {
		day := start.AddDate(0, 0, i%365)
		key := "wf:{luohu}:stats:day:" + day.Format(time.DateOnly)
		hour := rnd.IntN(24)
		g := grids[rnd.IntN(len(grids))]
		for _, f := range []string{"inc", "inc:cat:" + cats[rnd.IntN(len(cats))], "inc:lvl:IV", "inc:src:call",
			"inc:hour:" + strconv.Itoa(hour), fmt.Sprintf("inc:how:%d:%d", int(day.Weekday()), hour), "inc:grid:" + g, "inc:grid:" + g[:12], "inc:grid:" + g[:9], "inc:grid:440303"} {
			pipe.HIncrBy(ctx, key, f, 1)
		}
		if i%5000 == 4999 {
			if _, err := pipe.Exec(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		b.Fatal(err)
	}
	tok := h.token("viewer")
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		q := "/api/v1/analysis?period=quarter&at=2026-Q3"
		if i%2 == 1 {
			q = "/api/v1/analysis?period=month&at=2026-08"
		}
		t0 := time.Now()
		res, body := h.do("GET", q, tok, nil)
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
