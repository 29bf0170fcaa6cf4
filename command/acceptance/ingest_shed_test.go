package acceptance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/config"
)

// With Redis holding writes, three OsmAnd positions fill the ingest queue
// (positions.queue_limit 3); then an OsmAnd request on its listener and one
// on the API's /api/v1/osmand are refused at once with 503, Retry-After and
// problem+json while the first three still wait; when Redis takes writes
// again those three are stored and positions are taken again. The
// refusals are counted.
func TestIngestShedsWith503(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.Positions.QueueLimit = 3
		c.Positions.RetryAfter = 2 * time.Second
	})
	first, unpause := h.fillIngestQueue()
	query := osmandQuery
	req, _ := http.NewRequest("GET", "http://"+h.srv.OsmandAddr()+"/?"+query(20), nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	problem(t, "OsmAnd listener", res, b)
	res, b = h.do("GET", "/api/v1/osmand?"+query(21), "", nil)
	problem(t, "/api/v1/osmand", res, b)
	select {
	case a := <-first:
		t.Fatalf("a queued position was answered (%s) while Redis held its writes", a)
	default:
	}
	if got := h.metric("watchfloor_positions_shed_requests_total"); got != 2 {
		t.Errorf("shed requests counted %v, want 2", got)
	}
	if _, m := h.do("GET", "/metrics", "", nil); !strings.Contains(string(m), "\nwatchfloor_positions_shed_read_requests_total 0\n") {
		t.Errorf("requests refused after their positions were read: not 0 (both were refused on their headers), or not counted at all")
	}

	unpause()
	for range 3 {
		if a := <-first; a != "200 OK" {
			t.Fatalf("a queued position after Redis came back: %s", a)
		}
	}
	if code, _ := h.osmand("GET", query(22), "", ""); code != 200 {
		t.Fatalf("after the queue drained: %d", code)
	}
	var last struct{ Position *struct{ Lat float64 } }
	_, b = h.do("GET", "/api/v1/units/car-03", h.token("operator"), nil)
	if mustJSON(t, b, &last); last.Position == nil {
		t.Fatalf("car-03 was not moved by its queued position: %s", b)
	}
}

// osmandQuery is an OsmAnd query of device 8600000000000NN (17 to 22:
// car-01 to car-06) at the current time.
func osmandQuery(device int) string {
	return fmt.Sprintf("id=8600000000000%02d&lat=22.54&lon=114.11&timestamp=%d", device, time.Now().Unix())
}

// fillIngestQueue holds Redis's writes and sends three OsmAnd positions
// (car-01 to car-03), which fill the ingest queue of a server with
// positions.queue_limit 3; it returns where their answers come and a
// function that lets Redis write again (idempotent; the test's end calls it too).
func (h *harness) fillIngestQueue() (<-chan string, func()) {
	h.t.Helper()
	c := redis.NewClient(&redis.Options{Addr: h.redis.Addr})
	h.t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if err := c.Do(ctx, "CLIENT", "PAUSE", 20000, "WRITE").Err(); err != nil {
		h.t.Fatal(err)
	}
	unpause := sync.OnceFunc(func() {
		if err := c.Do(ctx, "CLIENT", "UNPAUSE").Err(); err != nil {
			h.t.Error(err)
		}
	})
	h.t.Cleanup(unpause) // before the client closes, and on a failure below
	first := make(chan string, 3)
	for d := 17; d <= 19; d++ {
		go func() {
			res, err := http.Get("http://" + h.srv.OsmandAddr() + "/?" + osmandQuery(d))
			if err != nil {
				first <- err.Error()
				return
			}
			res.Body.Close()
			first <- res.Status
		}()
	}
	waitFor(h.t, 10*time.Second, "three positions filling the queue", func() bool { return h.metric("watchfloor_positions_queued") >= 3 })
	return first, unpause
}

// problem fails unless res is a 503 problem+json saying the ingest is
// overloaded, with the configured Retry-After.
func problem(t *testing.T, what string, res *http.Response, b []byte) {
	t.Helper()
	if res.StatusCode != 503 || res.Header.Get("Retry-After") != "2" || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%s while the queue is full: %d Retry-After %q %s %s", what, res.StatusCode, res.Header.Get("Retry-After"), res.Header.Get("Content-Type"), b)
	}
	var p struct{ Type, Detail string }
	if err := json.Unmarshal(b, &p); err != nil || !strings.Contains(p.Type, "overloaded") || !strings.Contains(p.Detail, "retry") {
		t.Fatalf("%s: problem %s", what, b)
	}
}
