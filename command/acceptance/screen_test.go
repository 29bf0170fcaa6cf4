package acceptance_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"watchfloor/command/store/storetest"
	"watchfloor/config"
)

func TestScreenReceivesAndResumes(t *testing.T) {
	h := newHarness(t)
	viewer := h.token("viewer")
	s := h.screen(viewer, nil)
	snap := s.next(2 * time.Second)
	if snap.Type != "snapshot" || snap.Seq != 0 || !strings.Contains(string(snap.Data), `"incidents":[]`) {
		t.Fatalf("first message: %s %d %s", snap.Type, snap.Seq, snap.Data)
	}
	ids := []string{}
	for i := range 3 {
		ids = append(ids, h.create(dongmen(fmt.Sprintf("事件%d", i), 5))["id"].(string))
	}
	var last uint64
	for i := range 3 {
		m := s.next(2 * time.Second)
		var inc struct {
			ID       string
			Summary  bool
			Reporter *struct{ Name, Phone string }
		}
		if err := json.Unmarshal(m.Data, &inc); err != nil {
			t.Fatal(err)
		}
		if m.Type != "incident.created" || m.Seq != uint64(i+1) || inc.ID != ids[i] {
			t.Fatalf("message %d: %s seq %d id %s", i, m.Type, m.Seq, inc.ID)
		}
		// The shared screen stream carries summaries: no personal data.
		if inc.Reporter != nil || !inc.Summary {
			t.Errorf("the shared screen stream carries more than a summary: %s", m.Data)
		}
		if _, err := time.Parse(time.RFC3339Nano, m.At); err != nil {
			t.Errorf("at %q: %v", m.At, err)
		}
		last = m.Seq
	}
	// Updates arrive too.
	h.do("POST", "/api/v1/incidents/"+ids[0]+"/reports", h.token("operator"), map[string]any{"people_involved": 20, "verified": true})
	if m := s.next(2 * time.Second); m.Type != "incident.updated" || m.Seq != 4 || !strings.Contains(string(m.Data), `"verified":true`) {
		t.Fatalf("update: %s %d %s", m.Type, m.Seq, m.Data)
	}
	last = 4
	s.conn.Close()

	// While the screen is away, more happens; it resumes without gaps or repeats.
	for i := range 5 {
		h.create(dongmen(fmt.Sprintf("离线期间%d", i), 5))
	}
	r := h.screen(viewer, &last)
	for want := last + 1; want <= last+5; want++ {
		m := r.next(2 * time.Second)
		if m.Seq != want || m.Type != "incident.created" {
			t.Fatalf("resume: got %s seq %d, want seq %d", m.Type, m.Seq, want)
		}
	}
	// Live events continue on the resumed socket with the next seq.
	h.create(dongmen("恢复后", 5))
	if m := r.next(2 * time.Second); m.Seq != last+6 {
		t.Fatalf("live after resume: seq %d", m.Seq)
	}
	r.quiet(300 * time.Millisecond)

	// A client resuming from the present gets nothing again; one from the
	// future (another life of the stream) gets a snapshot.
	now := last + 6
	p := h.screen(viewer, &now)
	p.quiet(300 * time.Millisecond)
	future := uint64(1 << 40)
	f := h.screen(viewer, &future)
	// The snapshot may be one built for a screen within the last second:
	// then what came after it follows, in order, up to now.
	m := f.next(2 * time.Second)
	if m.Type != "snapshot" || m.Seq > now {
		t.Fatalf("from the future: %s %d", m.Type, m.Seq)
	}
	for want := m.Seq + 1; want <= now; want++ {
		if m := f.next(2 * time.Second); m.Seq != want {
			t.Fatalf("after a snapshot at %d: %s seq %d, want %d", now, m.Type, m.Seq, want)
		}
	}
	// A heartbeat carries the seq so a quiet client knows it is current.
	f.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, b, err := f.conn.ReadMessage()
	if err != nil || !strings.Contains(string(b), `"type":"heartbeat"`) || !strings.Contains(string(b), fmt.Sprintf(`"seq":%d`, now)) {
		t.Fatalf("heartbeat: %s %v", b, err)
	}
	// A bad since is refused before the upgrade.
	if _, res, err := h.ws("/ws/screen", viewer, map[string][]string{"since": {"abc"}}, nil); err == nil || res.StatusCode != 400 {
		t.Errorf("since=abc: %v", err)
	}
}

// A client whose since the stream no longer holds starts from a snapshot.
func TestScreenResumeTooOld(t *testing.T) {
	r := storetest.Start(t, "--stream-node-max-entries", "10")
	h := newHarnessOn(t, r, func(c *config.Config) { c.Streams.MaxLen = 100 })
	for i := range 150 {
		h.create(dongmen(fmt.Sprintf("事件%d", i), 5))
	}
	since := uint64(1)
	s := h.screen(h.token("viewer"), &since)
	m := s.next(2 * time.Second)
	if m.Type != "snapshot" || m.Seq != 150 {
		t.Fatalf("resume from a trimmed seq: %s %d", m.Type, m.Seq)
	}
	var data struct{ Incidents []json.RawMessage }
	if err := json.Unmarshal(m.Data, &data); err != nil || len(data.Incidents) != 150 {
		t.Fatalf("snapshot holds %d incidents (%v)", len(data.Incidents), err)
	}
	h.create(dongmen("之后", 5))
	if m := s.next(2 * time.Second); m.Seq != 151 {
		t.Fatalf("after the snapshot: %d", m.Seq)
	}
	// A recent since is still replayed, not snapshotted.
	since = 148
	s2 := h.screen(h.token("viewer"), &since)
	for want := uint64(149); want <= 151; want++ {
		if m := s2.next(2 * time.Second); m.Seq != want || m.Type != "incident.created" {
			t.Fatalf("replay: %s %d, want %d", m.Type, m.Seq, want)
		}
	}
}

// Shutting down closes every screen with 1001 (going away) so it resumes
// elsewhere with since; the server does not wait out the clients.
func TestShutdownClosesScreensGoingAway(t *testing.T) {
	h := newHarness(t)
	s := h.screen(h.token("viewer"), nil)
	s.next(2 * time.Second)
	done := make(chan struct{})
	go func() { h.stop(); close(done) }()
	_ = s.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	for {
		_, _, err := s.conn.ReadMessage()
		if err == nil {
			continue
		}
		if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
			t.Fatalf("closed with %v, want 1001", err)
		}
		break
	}
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("shutdown did not finish")
	}
}
