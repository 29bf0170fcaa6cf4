package acceptance_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkDispatchToResponder: the time from a dispatch request to the
// order on its responder's websocket, with 2,000 responders connected. One
// op is one order to a different unit: run with -benchtime=1000x.
func BenchmarkDispatchToResponder(b *testing.B) {
	const responders = 2000
	if b.N > responders {
		b.Fatalf("at most %d orders (one per unit)", responders)
	}
	h := newHarness(b, loadUnits(responders))
	op := h.token("operator")
	conns := make([]*wsConn, responders)
	var mu sync.Mutex
	arrived := make(map[string]chan time.Time, responders)
	var wg sync.WaitGroup
	for i := range responders {
		id := fmt.Sprintf("load-%05d", i+1)
		conns[i] = h.responder(id, nil)
		conns[i].next(5 * time.Second) // snapshot
		ch := make(chan time.Time, 1)
		arrived[id] = ch
		wg.Add(1)
		go func(c *wsConn, ch chan time.Time) {
			defer wg.Done()
			// next left the snapshot's read deadline on the connection;
			// signing 2,000 responders in takes longer than that.
			_ = c.conn.SetReadDeadline(time.Time{})
			for {
				_, raw, err := c.conn.ReadMessage()
				if err != nil {
					return
				}
				var m struct{ Type string }
				if json.Unmarshal(raw, &m) == nil && m.Type == "dispatch.created" {
					ch <- time.Now()
				}
			}
		}(conns[i], ch)
	}
	inc := h.create(publicOrder("压测派警"))
	path := "/api/v1/incidents/" + inc["id"].(string) + "/dispatches"
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("load-%05d", i+1)
		start := time.Now()
		res, body := h.do("POST", path, op, map[string]any{"unit_ids": []string{id}})
		if res.StatusCode != 201 {
			b.Fatalf("%d %s", res.StatusCode, body)
		}
		mu.Lock()
		ch := arrived[id]
		mu.Unlock()
		select {
		case at := <-ch:
			lat = append(lat, at.Sub(start))
		case <-time.After(5 * time.Second):
			b.Fatalf("order to %s did not arrive", id)
		}
	}
	b.StopTimer()
	for _, c := range conns {
		c.conn.Close()
	}
	wg.Wait()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
