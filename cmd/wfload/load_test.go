package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestBatchBodyPositions: a batch body is the JSON the batch API takes,
// with each position's unit, place and time as wfload always sent them
// (unit n % units at its spot for lap n / units, 1 µs apart), across a
// second's end and in a reused buffer.
func TestBatchBodyPositions(t *testing.T) {
	l := &load{o: options{Units: 10000}}
	now := time.Date(2026, 12, 5, 5, 59, 59, 999_998_500, time.UTC)
	ns := []int{0, 1, 9999, 10000, 123456}
	buf := l.batchBody([]byte("old bytes"), ns, now)[len("old bytes"):]
	var body struct {
		Positions []struct {
			UnitID string    `json:"unit_id"`
			Lon    float64   `json:"lon"`
			Lat    float64   `json:"lat"`
			At     time.Time `json:"at"`
			Speed  float64   `json:"speed_mps"`
		}
	}
	if err := json.Unmarshal(buf, &body); err != nil || len(body.Positions) != len(ns) {
		t.Fatalf("%s: %v", buf, err)
	}
	for i, n := range ns {
		p := body.Positions[i]
		u := n % 10000
		lon, lat := spot(u, n/10000)
		at := now.Add(time.Duration(i) * time.Microsecond)
		if p.UnitID != fmt.Sprintf("load-%05d", u+1) || fmt.Sprintf("%.6f", p.Lon) != fmt.Sprintf("%.6f", lon) ||
			fmt.Sprintf("%.6f", p.Lat) != fmt.Sprintf("%.6f", lat) || !p.At.Equal(at) || p.Speed != 8 {
			t.Fatalf("position %d: %+v, want load-%05d %.6f %.6f %v", i, p, u+1, lon, lat, at)
		}
	}
}

// TestOsmAndTarget: an OsmAnd request's target is the very one wfload
// always sent (fmt.Sprintf of it), more than 99,999 units too.
func TestOsmAndTarget(t *testing.T) {
	now := time.Now()
	for _, units := range []int{10000, 200000} {
		l := &load{o: options{Units: units}}
		for _, n := range []int{0, 1, 9999, 10000, 123456, 199999} {
			u := n % units
			lon, lat := spot(u, n/units)
			want := fmt.Sprintf("/?id=L%05d&lat=%.6f&lon=%.6f&timestamp=%d&speed=10", u+1, lat, lon, now.UnixMilli())
			if got := l.osmandTarget([]byte("x"), n, now); string(got) != "x"+want {
				t.Fatalf("%d of %d units: %s, want x%s", n, units, got, want)
			}
		}
	}
}

// TestOsmAndConn: the hand-spoken connection sends each position as the
// GET net/http would and reads each answer: 200 on one kept connection,
// 503 with Retry-After counted as shed, an answer that closes the
// connection and a connection the server dropped while idle (both dialled
// again), a non-200 counted as an error.
func TestOsmAndConn(t *testing.T) {
	var dials atomic.Int32
	got := make(chan string, 100)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Method + " " + r.URL.RequestURI()
		switch r.URL.Query().Get("id") {
		case "L00002":
			w.Header().Set("Retry-After", "1")
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case "L00003":
			w.Header().Set("Connection", "close")
		case "L00004":
			http.Error(w, "no", http.StatusBadRequest)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	l := &load{o: options{Units: 10}, osmands: []string{srv.URL}}
	conns := l.osmandConns()
	defer conns.close()
	now := time.Now()
	send := func(n int) {
		l.osmandOne(conns, n)
		if want := "GET " + string(l.osmandTarget(nil, n, now)); !strings.HasPrefix(<-got, want[:len(want)-len("&timestamp=0000000000000&speed=10")]) {
			t.Fatalf("position %d: not sent as %s", n, want)
		}
	}
	send(0)
	send(10)
	if dials.Load() != 1 || l.sent.Load() != 2 {
		t.Fatalf("%d connections, %d sent", dials.Load(), l.sent.Load())
	}
	send(1) // 503 + Retry-After
	if l.shed.Load() != 1 || l.sent.Load() != 2 {
		t.Fatalf("shed %d, sent %d", l.shed.Load(), l.sent.Load())
	}
	send(2) // Connection: close
	send(0)
	if dials.Load() != 2 || l.sent.Load() != 4 {
		t.Fatalf("after a closing answer: %d connections, %d sent", dials.Load(), l.sent.Load())
	}
	srv.CloseClientConnections()
	send(0)
	send(3) // 400
	if dials.Load() != 3 || l.sent.Load() != 5 || l.posErr.Load() != 1 {
		t.Fatalf("after a dropped connection: %d connections, %d sent, %d errors", dials.Load(), l.sent.Load(), l.posErr.Load())
	}
}

// Positions the senders never sent are not errors: they are said on the
// refusals' line when some were refused, else on the last line, so the
// report keeps its number of lines (the device bench keeps its last ones).
func TestUnsentPositionsReported(t *testing.T) {
	l := &load{o: options{PositionRate: 1000, PositionMode: "batch"}}
	l.unsent.Add(700)
	l.posErr.Add(3)
	figs := l.figures(time.Second)
	if figs[0].Errors != 3 {
		t.Fatalf("errors %d, want the 3 failed, not the unsent", figs[0].Errors)
	}
	var out strings.Builder
	(&Report{Elapsed: "1s", Figures: figs, Unsent: l.unsent.Load()}).print(&out)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if last := lines[len(lines)-1]; last != "elapsed 1s; 700 positions not sent: every sender was busy when they were due" {
		t.Fatalf("last line %q", last)
	}
	l.shed.Add(5000)
	l.refused.add(time.Millisecond)
	said := false
	figs = l.figures(time.Second)
	out.Reset()
	(&Report{Elapsed: "1s", Figures: figs, Unsent: l.unsent.Load()}).print(&out)
	if !strings.HasSuffix(out.String(), "\nelapsed 1s\n") {
		t.Fatalf("said twice, or not on the refusals' line:\n%s", out.String())
	}
	for _, f := range figs {
		if strings.HasPrefix(f.Name, "answer, 503") {
			said = strings.HasSuffix(f.Comment, "; 700 positions not sent: every sender was busy when they were due")
		}
	}
	if !said {
		t.Fatal("the refusals' line does not say what was not sent")
	}
}
