package acceptance_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkCreateToScreen measures the time from sending a create request
// to the incident.created event arriving on a screen websocket, one
// incident at a time. Run with -benchtime=1000x for 1,000 incidents.
func BenchmarkCreateToScreen(b *testing.B) {
	h := newHarness(b, benchLimits)
	tok := h.token("operator")
	s := h.screen(h.token("viewer"), nil)
	s.next(2 * time.Second)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		res, body := h.do("POST", "/api/v1/incidents", tok, dongmen(fmt.Sprintf("压测%d", i), i%300))
		if res.StatusCode != 201 {
			b.Fatalf("%d %s", res.StatusCode, body)
		}
		var inc struct{ ID string }
		mustJSON(b, body, &inc)
		for {
			m := s.next(5 * time.Second)
			var got struct{ ID string }
			if err := json.Unmarshal(m.Data, &got); err == nil && got.ID == inc.ID {
				break
			}
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
