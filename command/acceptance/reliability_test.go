package acceptance_test

import (
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"watchfloor/command/store/storetest"
	"watchfloor/config"
)

// waitFor polls cond every 20 ms until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRedisOutageAndRecovery(t *testing.T) {
	r := storetest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	h := newHarnessOn(t, r)
	op := h.token("operator")
	screen := h.screen(h.token("viewer"), nil)
	screen.next(2 * time.Second)
	h.create(dongmen("之前", 5))
	screen.await("incident.created", 2*time.Second)

	r.Stop()
	waitFor(t, 3*time.Second, "readyz failing", func() bool {
		res, _ := h.do("GET", "/readyz", "", nil)
		return res.StatusCode == 503
	})
	res, b := h.do("POST", "/api/v1/incidents", op, dongmen("期间", 5))
	if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" || !strings.Contains(string(b), "unavailable") {
		t.Errorf("a write during the outage: %d %q %s", res.StatusCode, res.Header.Get("Retry-After"), b)
	}
	if code, _ := h.osmand("GET", fmt.Sprintf("id=860000000000017&lat=22.54&lon=114.11&timestamp=%d", time.Now().Unix()), "", ""); code != 503 {
		t.Errorf("OsmAnd during the outage: %d (devices must keep their positions and retry)", code)
	}
	if res, _ := h.do("GET", "/healthz", "", nil); res.StatusCode != 200 {
		t.Errorf("healthz during the outage: %d (the process is alive)", res.StatusCode)
	}
	// The screen is told it is not live.
	hb := screen.conn
	_ = hb.SetReadDeadline(time.Now().Add(3 * time.Second))
	sawNotReady := false
	for !sawNotReady {
		_, raw, err := hb.ReadMessage()
		if err != nil {
			t.Fatalf("screen during the outage: %v", err)
		}
		sawNotReady = strings.Contains(string(raw), `"ready":false`)
	}

	r.Restart()
	waitFor(t, 3*time.Second, "readyz recovering", func() bool {
		res, _ := h.do("GET", "/readyz", "", nil)
		return res.StatusCode == 200
	})
	after := h.create(dongmen("之后", 5))
	m := screen.await("incident.created", 3*time.Second)
	if !strings.Contains(string(m.Data), after["id"].(string)) {
		t.Fatalf("the screen missed the incident after recovery: %s", m.Data)
	}
	if code, _ := h.osmand("GET", fmt.Sprintf("id=860000000000017&lat=22.54&lon=114.11&timestamp=%d", time.Now().Unix()), "", ""); code != 200 {
		t.Errorf("OsmAnd after recovery: %d", code)
	}
}

// A screen that stops reading is cut off and never delays the others.
func TestSlowScreenIsCutOff(t *testing.T) {
	h := newHarness(t, benchLimits, func(c *config.Config) {
		c.Streams.SendQueue = 16
		c.Streams.WriteTimeout = 500 * time.Millisecond
	})
	// The stalled client has a small receive buffer, as a phone on a bad
	// link; with loopback's 32 MB buffers the kernel would absorb minutes.
	small := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, NetDial: small.Dial}
	slow, _, err := d.Dial("ws://"+h.srv.Addr()+"/ws/screen?token="+h.token("viewer"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if _, _, err := slow.ReadMessage(); err != nil { // the snapshot; then it never reads again
		t.Fatal(err)
	}
	fast := h.screen(h.token("viewer"), nil)
	snap := fast.next(2 * time.Second)
	big := strings.Repeat("现场情况描述", 600) // about 11 kB per incident (its event is a summary of about 1 kB)
	tok := h.token("operator")
	got := uint64(snap.Seq)
	cut := false
	for i := 0; i < 3000 && !cut; i++ {
		body := dongmen(fmt.Sprintf("慢%d", i), 5)
		body["description"] = big
		if res, b := h.do("POST", "/api/v1/incidents", tok, body); res.StatusCode != 201 {
			t.Fatalf("%d %s", res.StatusCode, b)
		}
		// The fast screen keeps up, in order, without gaps.
		for {
			m := fast.next(2 * time.Second)
			if m.Seq == 0 {
				continue
			}
			if m.Seq != got+1 {
				t.Fatalf("fast screen: seq %d after %d", m.Seq, got)
			}
			got = m.Seq
			break
		}
		if i%50 == 49 {
			_, b := h.do("GET", "/metrics", "", nil)
			cut = strings.Contains(string(b), `watchfloor_websocket_clients{stream="screen"} 1`)
		}
	}
	if !cut {
		t.Fatal("the screen that never reads was not cut off")
	}
}
