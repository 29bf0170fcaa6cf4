package acceptance_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"watchfloor/config"
)

// loadUnits adds n units (load-00001 … with devices L00001 …) to the city,
// with the relaxed rate limits of a bench configuration.
func loadUnits(n int) func(*config.Config) {
	return func(c *config.Config) {
		benchLimits(c)
		for i := 1; i <= n; i++ {
			id := fmt.Sprintf("load-%05d", i)
			c.Units = append(c.Units, config.Unit{ID: id, Callsign: id, Type: "car", Team: "load", Devices: []string{fmt.Sprintf("L%05d", i)}})
		}
	}
}

// benchLimits lifts the rate limits: a load run sends from few tokens and
// devices far faster than any one person or phone, and signs thousands of
// responders in, each with its socket, from one address.
func benchLimits(c *config.Config) {
	c.Limits.TokenRate, c.Limits.TokenBurst = 1e9, 1e9
	c.Limits.DeviceRate, c.Limits.DeviceBurst = 1e9, 1e9
	c.Limits.LoginRate, c.Limits.LoginBurst = 1e9, 1e9
	c.Limits.SocketsPerAddress = 1 << 20
}

// spot returns a position of unit i inside the district, moving a little with k.
func spot(i, k int) (float64, float64) {
	return 114.106 + float64(i%100)*0.00028 + float64(k%10)*0.00001, 22.529 + float64(i/100%100)*0.00028
}

var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}

func post(b testing.TB, url, tok string, body []byte) int {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := benchClient.Do(req)
	if err != nil {
		b.Error(err)
		return 0
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// BenchmarkPositionsBatchAPI: positions per second through POST
// /api/v1/positions, 8 clients sending batches of 500 for 10,000 units.
// One op is one position: run with -benchtime=500000x.
func BenchmarkPositionsBatchAPI(b *testing.B) {
	const units, batch, clients = 10000, 500, 8
	h := newHarness(b, loadUnits(units))
	b.Cleanup(benchClient.CloseIdleConnections) // as in BenchmarkOsmAndSingle
	tok := h.token("operator")
	start := time.Now().Add(-time.Hour)
	bodies := make(chan []byte, 64)
	go func() {
		defer close(bodies)
		for sent := 0; sent < b.N; sent += batch {
			ps := make([]map[string]any, 0, batch)
			for j := 0; j < batch && sent+j < b.N; j++ {
				n := sent + j
				u := n % units
				lon, lat := spot(u, n/units)
				ps = append(ps, map[string]any{"unit_id": fmt.Sprintf("load-%05d", u+1), "lon": lon, "lat": lat,
					"at": start.Add(time.Duration(n/units) * time.Second).Format(time.RFC3339Nano), "speed_mps": 5})
			}
			body, _ := json.Marshal(map[string]any{"positions": ps})
			bodies <- body
		}
	}()
	b.ResetTimer()
	t0 := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range bodies {
				if code := post(b, h.base+"/api/v1/positions", tok, body); code != 202 {
					b.Errorf("status %d", code)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "positions/s")
}

// BenchmarkOsmAndSingle: OsmAnd requests per second, one position each,
// from 64 devices at once over keep-alive connections. One op is one request.
func BenchmarkOsmAndSingle(b *testing.B) {
	const units, clients = 10000, 64
	h := newHarness(b, loadUnits(units))
	// The client's keep-alive connections are closed before the server
	// stops (cleanups run last first), which would otherwise wait on them.
	b.Cleanup(benchClient.CloseIdleConnections)
	base := "http://" + h.srv.OsmandAddr() + "/?"
	start := time.Now().Add(-time.Hour).Unix()
	var next atomic.Int64
	b.ResetTimer()
	t0 := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1)) - 1
				if n >= b.N {
					return
				}
				u := n % units
				lon, lat := spot(u, n/units)
				url := base + "id=L" + fmt.Sprintf("%05d", u+1) + "&lat=" + strconv.FormatFloat(lat, 'f', 6, 64) + "&lon=" + strconv.FormatFloat(lon, 'f', 6, 64) +
					"&timestamp=" + strconv.FormatInt(start+int64(n/units), 10) + "&speed=10"
				res, err := benchClient.Get(url)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Errorf("status %d", res.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "requests/s")
}

// BenchmarkPositionToFrame: the time from sending a position to seeing it
// in a unit.positions frame on a screen websocket, at 5,000 positions a
// second (50 every 10 ms over 2,000 units). One op is one position.
func BenchmarkPositionToFrame(b *testing.B) {
	const units, per, tick = 2000, 50, 10 * time.Millisecond
	h := newHarness(b, loadUnits(units))
	tok := h.token("operator")
	s := h.screen(h.token("viewer"), nil)
	s.next(2 * time.Second)
	var mu sync.Mutex
	sent := map[string]time.Time{} // "unit|at" → when it was sent
	lat := make([]time.Duration, 0, b.N)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for len(lat) < b.N {
			_ = s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, raw, err := s.conn.ReadMessage()
			if err != nil {
				b.Error(err)
				return
			}
			now := time.Now()
			var m struct {
				Type string
				Data struct {
					Units []struct {
						ID       string
						Position struct{ At string }
					}
				}
			}
			if json.Unmarshal(raw, &m) != nil || m.Type != "unit.positions" {
				continue
			}
			mu.Lock()
			for _, u := range m.Data.Units {
				if t, ok := sent[u.ID+"|"+u.Position.At]; ok {
					lat = append(lat, now.Sub(t))
					delete(sent, u.ID+"|"+u.Position.At)
				}
			}
			mu.Unlock()
		}
	}()
	b.ResetTimer()
	t := time.NewTicker(tick)
	defer t.Stop()
	for n := 0; n < b.N; {
		<-t.C
		ps := make([]map[string]any, 0, per)
		now := time.Now()
		mu.Lock()
		for j := 0; j < per && n < b.N; j, n = j+1, n+1 {
			u := n % units
			lon, lat := spot(u, n/units)
			at := now.Add(time.Duration(n%1000) * time.Microsecond).UTC().Format(time.RFC3339Nano)
			id := fmt.Sprintf("load-%05d", u+1)
			sent[id+"|"+at] = now
			ps = append(ps, map[string]any{"unit_id": id, "lon": lon, "lat": lat, "at": at})
		}
		mu.Unlock()
		body, _ := json.Marshal(map[string]any{"positions": ps})
		go post(b, h.base+"/api/v1/positions", tok, body)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	if len(lat) == 0 {
		b.Fatal("no position reached a frame")
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/float64(b.N)*100, "%seen")
}

// BenchmarkCandidatesHTTP: GET /incidents/{id}/candidates with 10,000
// units placed, one request at a time. One op is one query.
func BenchmarkCandidatesHTTP(b *testing.B) {
	const units = 10000
	h := newHarness(b, loadUnits(units))
	tok := h.token("operator")
	at := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano)
	for i := 0; i < units; i += 1000 {
		ps := make([]map[string]any, 0, 1000)
		for u := i; u < i+1000; u++ {
			lon, lat := spot(u, 0)
			ps = append(ps, map[string]any{"unit_id": fmt.Sprintf("load-%05d", u+1), "lon": lon, "lat": lat, "at": at})
		}
		body, _ := json.Marshal(map[string]any{"positions": ps})
		if code := post(b, h.base+"/api/v1/positions", tok, body); code != 202 {
			b.Fatalf("placing units: %d", code)
		}
	}
	inc := h.create(dongmen("候选", 50))
	url := "/api/v1/incidents/" + inc["id"].(string) + "/candidates?limit=5"
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		res, body := h.do("GET", url, tok, nil)
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
