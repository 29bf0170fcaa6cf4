package acceptance_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/redis/go-redis/v9"

	"watchfloor/command/store/storetest"
	"watchfloor/command/timer"
	"watchfloor/config"
)

// A storage error on an open socket closes it with 1013 (try again later),
// not 1000: the page reconnects with since instead of taking it for a
// normal end.
func TestSocketStorageErrorClosesTryAgainLater(t *testing.T) {
	logs := &lockedBuffer{}
	h := newHarnessLogged(t, storetest.Start(t), nil, logs)
	s := h.screen(h.token("viewer"), nil)
	if m := s.next(2 * time.Second); m.Type != "snapshot" {
		t.Fatalf("first message: %s", m.Type)
	}
	// Break the screen stream under the open socket: its seq moves on, so
	// the next sweep asks the socket to catch up, and reading the stream fails.
	c := redis.NewClient(&redis.Options{Addr: h.redis.Addr})
	defer c.Close()
	ctx := context.Background()
	prefix := "wf:{" + h.cfg.Deployment + "}:"
	if err := c.Set(ctx, prefix+"stream:screen", "not a stream", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Incr(ctx, prefix+"seq:screen").Err(); err != nil {
		t.Fatal(err)
	}
	if code, _ := closeCode(t, s, 5*time.Second); code != websocket.CloseTryAgainLater {
		t.Fatalf("close code %d, want %d (try again later)", code, websocket.CloseTryAgainLater)
	}
	waitFor(t, 2*time.Second, "the storage error logged at warn", func() bool {
		return strings.Contains(logs.String(), "level=WARN msg=\"websocket ended by a storage error\" stream=screen")
	})
}

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// drain collects every message (heartbeats included) that arrives within d.
func drain(c *wsConn, d time.Duration) []msg {
	c.t.Helper()
	out, _ := readUntil(c, time.Now().Add(d), "")
	return out
}

// drainThrough reads what c is sent until a message of type typ (for up to
// 5 s), then for d more: a replay under load may take longer than a fixed window.
func drainThrough(c *wsConn, typ string, d time.Duration) []msg {
	c.t.Helper()
	out, found := readUntil(c, time.Now().Add(5*time.Second), typ)
	if found {
		out = append(out, drain(c, d)...)
	}
	return out
}

// readUntil reads what c is sent until deadline or, when typ is not "",
// a message of that type (then found).
func readUntil(c *wsConn, deadline time.Time, typ string) (out []msg, found bool) {
	c.t.Helper()
	for {
		_ = c.conn.SetReadDeadline(deadline)
		_, b, err := c.conn.ReadMessage()
		if err != nil {
			return out, false
		}
		var m msg
		mustJSON(c.t, b, &m)
		out = append(out, m)
		if typ != "" && m.Type == typ {
			return out, true
		}
	}
}

// caseIDs returns the ids of the case events among ms.
func caseIDs(t testing.TB, ms []msg) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for _, m := range ms {
		if strings.HasPrefix(m.Type, "case.") {
			var cs struct{ ID string }
			mustJSON(t, m.Data, &cs)
			ids[cs.ID] = true
		}
	}
	return ids
}

// An account limited to an area sees on the screen socket only the cases
// it may read over HTTP: live, on replay and in the snapshot.
func TestSocketAreaLimitsCases(t *testing.T) {
	// At 09:00: after 18:00 Beijing time the daily reports' alarms would
	// add events to the screen stream the seqs below do not count.
	h := newHarnessWith(t, storetest.Start(t), morningClock().Now)
	hubei, dongmenOp, op, admin := h.token("hubei-operator"), h.token("dongmen-operator"), h.token("operator"), h.token("admin")
	hs := h.screen(hubei, nil)
	as := h.screen(admin, nil)
	hs.next(2 * time.Second)
	as.next(2 * time.Second)

	inHubei := h.createCase(hubei, hubeiHazard("湖贝"))
	inChengdong := h.createCase(dongmenOp, map[string]any{"kind": "hazard", "title": "城东隐患甲", "description": "城东的隐患",
		"location": map[string]float64{"lon": 114.12369, "lat": 22.55413}})
	nanhu := h.createCase(op, map[string]any{"kind": "hazard", "title": "南湖", "location": map[string]float64{"lon": 114.12388, "lat": 22.53931}})
	if code, body := h.act(dongmenOp, inChengdong, map[string]any{"action": "accept"}); code != 200 {
		t.Fatalf("accept: %d %s", code, body)
	}
	h.create(dongmen("事件", 5)) // an incident: every screen sees it
	const last = 5

	check := func(what string, ms []msg, want map[string]bool) {
		t.Helper()
		got := caseIDs(t, ms)
		for id, w := range want {
			if got[id] != w {
				t.Errorf("%s: sees case %s = %v, want %v", what, id, got[id], w)
			}
		}
		incident := false
		for _, m := range ms {
			incident = incident || m.Type == "incident.created"
		}
		if !incident {
			t.Errorf("%s: the incident did not arrive", what)
		}
	}
	hubeiSees := map[string]bool{inHubei: true, inChengdong: false, nanhu: false}
	hlive := drain(hs, 1500*time.Millisecond)
	check("live, hubei", hlive, hubeiSees)
	check("live, admin", drain(as, 300*time.Millisecond), map[string]bool{inHubei: true, inChengdong: true, nanhu: true})
	// Skipped events still count: the heartbeat says the client is current,
	// so it does not catch up (and skip) the same events again and again.
	var hb struct{ Seq uint64 }
	for _, m := range hlive {
		if m.Type == "heartbeat" {
			mustJSON(t, m.Data, &hb)
		}
	}
	if hb.Seq != last {
		t.Errorf("hubei's heartbeat seq %d, want %d", hb.Seq, last)
	}

	zero := uint64(0)
	check("replay, hubei", drainThrough(h.screen(hubei, &zero), "incident.created", 300*time.Millisecond), hubeiSees)
	check("replay, admin", drainThrough(h.screen(admin, &zero), "incident.created", 300*time.Millisecond), map[string]bool{inHubei: true, inChengdong: true, nanhu: true})

	snap := h.screen(hubei, nil).next(2 * time.Second)
	for _, id := range []string{inChengdong, nanhu, "城东隐患甲", "城东的隐患"} {
		if strings.Contains(string(snap.Data), id) {
			t.Errorf("hubei's snapshot carries %s", id)
		}
	}
}

// A screen snapshot stays small however many open incidents carry long
// texts: it carries summaries, at most streams.snapshot_incidents of them,
// and says how many there are.
func TestScreenSnapshotBounded(t *testing.T) {
	h := newHarness(t, benchLimits)
	tok := h.token("operator")
	long := strings.Repeat("现场描述", 430) // about 5 kB
	const n = 1700
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				body := dongmen(fmt.Sprintf("事件%d", i), 5)
				body["description"], body["measures_taken"], body["support_needed"] = long, long, long
				if res, b := h.doQuiet("POST", "/api/v1/incidents", tok, body); res.StatusCode != 201 {
					errs <- fmt.Sprintf("%d %s", res.StatusCode, b)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	// Two sockets connecting together: the second waits for the first's
	// build and shares it.
	viewer := h.token("viewer")
	c, _, err := h.ws("/ws/screen", viewer, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c2, _, err := h.ws("/ws/screen", viewer, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, raw, err := c.conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("snapshot of %d open incidents: %d bytes", n, len(raw))
	if len(raw) > 1<<20 {
		t.Errorf("snapshot of %d open incidents is %d bytes, want under 1 MiB", n, len(raw))
	}
	_ = c2.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, raw2, err := c2.conn.ReadMessage(); err != nil || !bytes.Equal(raw, raw2) {
		t.Errorf("two sockets connecting together got different snapshots (%v)", err)
	}
	var snap struct {
		Type string
		Data struct {
			Incidents          []map[string]any
			IncidentsTotal     int  `json:"incidents_total"`
			IncidentsTruncated bool `json:"incidents_truncated"`
		}
	}
	mustJSON(t, raw, &snap)
	d := snap.Data
	if snap.Type != "snapshot" || d.IncidentsTotal != n || !d.IncidentsTruncated || len(d.Incidents) != h.cfg.Streams.SnapshotIncidents {
		t.Fatalf("snapshot: %s with %d incidents, total %d, truncated %v", snap.Type, len(d.Incidents), d.IncidentsTotal, d.IncidentsTruncated)
	}
	for _, k := range []string{"description", "measures_taken", "support_needed", "reporter"} {
		if _, ok := d.Incidents[0][k]; ok {
			t.Errorf("a snapshot incident carries %s", k)
		}
	}
}

// One session opens at most limits.sockets_per_session sockets at once;
// the next is refused before the upgrade with 429.
func TestSocketLimitPerSession(t *testing.T) {
	h := newHarness(t)
	tok := h.token("viewer")
	var open []*wsConn
	for range h.cfg.Limits.SocketsPerSession {
		s := h.screen(tok, nil)
		s.next(2 * time.Second)
		open = append(open, s)
	}
	_, res, err := h.ws("/ws/screen", tok, nil, nil)
	if err == nil || res == nil || res.StatusCode != 429 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("socket %d of one session: %v (%d)", h.cfg.Limits.SocketsPerSession+1, err, status)
	}
	// Another session is not affected, and a closed socket frees its place.
	h.screen(h.token("operator"), nil).next(2 * time.Second)
	open[0].conn.Close()
	waitFor(t, 3*time.Second, "a place freed", func() bool {
		c, _, err := h.ws("/ws/screen", tok, nil, nil)
		if err == nil {
			c.conn.Close()
		}
		return err == nil
	})
}

// One client address opens at most limits.sockets_per_address sockets,
// whatever the sessions.
func TestSocketLimitPerAddress(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.Limits.SocketsPerSession, c.Limits.SocketsPerAddress = 2, 3 })
	h.screen(h.token("viewer"), nil).next(2 * time.Second)
	h.screen(h.token("viewer"), nil).next(2 * time.Second)
	h.screen(h.token("operator"), nil).next(2 * time.Second)
	if _, res, err := h.ws("/ws/screen", h.token("admin"), nil, nil); err == nil || res == nil || res.StatusCode != 429 {
		t.Fatalf("socket 4 from one address: %v", err)
	}
}

// A socket whose client goes silent (here it stops reading, so it answers
// no ping; a dead network path is silent too) is closed within a few
// heartbeats, and its place in its session's sockets freed: the phone that
// reconnects is not refused. It is counted as silent.
func TestSilentSocketClosed(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.Streams.Heartbeat, c.Streams.WriteTimeout = 100*time.Millisecond, 200*time.Millisecond
		c.Limits.SocketsPerSession = 1
	})
	tok := h.token("viewer")
	h.screen(tok, nil) // never read again
	if _, res, err := h.ws("/ws/screen", tok, nil, nil); err == nil || res == nil || res.StatusCode != 429 {
		t.Fatalf("a second socket of the session while the first is open: %v", err)
	}
	// Silence is 3 heartbeats and the write timeout: 0.5 s here.
	waitFor(t, 5*time.Second, "the silent socket's place freed", func() bool {
		c, _, err := h.ws("/ws/screen", tok, nil, nil)
		if err == nil {
			c.conn.Close()
		}
		return err == nil
	})
	if n := h.metric(`watchfloor_websocket_closed_total{reason="silent",stream="screen"}`); n != 1 {
		t.Errorf("sockets closed as silent: %v, want 1", n)
	}
}

// Alarms about a grid case belong to its area: an account limited to
// another area does not see them over HTTP, on its socket or in its
// snapshot, and cannot acknowledge them; the case's own area and
// unrestricted accounts do.
func TestAlarmsFollowCaseAreas(t *testing.T) {
	clock := morningClock()
	h := newHarnessWith(t, storetest.Start(t), clock.Now, func(c *config.Config) { c.Dispatch.TimerInterval = 20 * time.Millisecond })
	hubei, dongmenOp, admin := h.token("hubei-operator"), h.token("dongmen-operator"), h.token("admin")
	hs, as := h.screen(hubei, nil), h.screen(admin, nil)
	hs.next(2 * time.Second)
	as.next(2 * time.Second)
	// A case in Chengdong (not Hubei) passes its time limit.
	h.createCase(dongmenOp, map[string]any{"kind": "hazard", "title": "城东超时", "location": map[string]float64{"lon": 114.12369, "lat": 22.55413}})
	clock.Advance(2*time.Hour + time.Minute)
	m := as.awaitAlarm("case.overdue", 3*time.Second)
	var al struct{ ID, Kind, Area string }
	mustJSON(t, m.Data, &al)
	if al.Kind != "case.overdue" || al.Area == "" {
		t.Fatalf("alarm %s", m.Data)
	}
	for _, got := range drain(hs, 700*time.Millisecond) {
		if strings.Contains(string(got.Data), al.ID) {
			t.Errorf("hubei's socket got %s %s", got.Type, got.Data)
		}
	}
	listed := func(tok string) bool {
		_, b := h.do("GET", "/api/v1/alarms", tok, nil)
		return strings.Contains(string(b), al.ID)
	}
	if listed(hubei) || !listed(dongmenOp) || !listed(admin) {
		t.Errorf("listed: hubei %v, dongmen %v, admin %v", listed(hubei), listed(dongmenOp), listed(admin))
	}
	// A screen connecting now has the alarm in its snapshot or, when that
	// snapshot was built in the last second, among the events after it.
	connected := func(tok string) bool {
		s := h.screen(tok, nil)
		if strings.Contains(string(s.next(2*time.Second).Data), al.ID) {
			return true
		}
		_ = s.conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond)) // what follows comes at once
		for {
			_, b, err := s.conn.ReadMessage()
			if err != nil {
				return false
			}
			if strings.Contains(string(b), al.ID) {
				return true
			}
		}
	}
	if connected(h.freshToken("hubei-operator")) {
		t.Errorf("hubei's new screen got the alarm")
	}
	if !connected(h.freshToken("dongmen-operator")) {
		t.Errorf("dongmen's new screen lacks the alarm")
	}
	if res, b := h.do("POST", "/api/v1/alarms/"+url.PathEscape(al.ID)+"/ack", hubei, nil); res.StatusCode != 404 {
		t.Errorf("hubei acknowledged another area's alarm: %d %s", res.StatusCode, b)
	}
	if res, b := h.do("POST", "/api/v1/alarms/"+url.PathEscape(al.ID)+"/ack", dongmenOp, nil); res.StatusCode != 200 {
		t.Errorf("dongmen could not acknowledge its alarm: %d %s", res.StatusCode, b)
	}
}

// A daily report reaches the screens of its area only, and the audit trail
// (which spans every area) is refused to accounts limited to one.
func TestDailyReportsAndAuditFollowAreas(t *testing.T) {
	h := newHarness(t)
	hubei, dongmenOp := h.token("hubei-operator"), h.token("dongmen-operator")
	hs, ds := h.screen(hubei, nil), h.screen(dongmenOp, nil)
	hs.next(2 * time.Second)
	ds.next(2 * time.Second)
	if res, b := h.do("POST", "/api/v1/daily-reports", dongmenOp, map[string]any{"area": "440303001002", "note": "城东今日无异常"}); res.StatusCode != 201 {
		t.Fatalf("daily report: %d %s", res.StatusCode, b)
	}
	if m := ds.await("daily_report.submitted", 2*time.Second); !strings.Contains(string(m.Data), "城东今日无异常") {
		t.Errorf("the street's screen: %s", m.Data)
	}
	for _, m := range drain(hs, 700*time.Millisecond) {
		if m.Type == "daily_report.submitted" || strings.Contains(string(m.Data), "城东今日无异常") {
			t.Errorf("hubei's screen got another community's report: %s %s", m.Type, m.Data)
		}
	}
	if res, _ := h.do("GET", "/api/v1/audit?action=case", h.token("dongmen-leader"), nil); res.StatusCode != 403 {
		t.Errorf("an area-limited leader read the whole audit trail: %d", res.StatusCode)
	}
	if res, _ := h.do("GET", "/api/v1/audit?action=case", h.token("leader"), nil); res.StatusCode != 200 {
		t.Errorf("the leader cannot read the audit trail: %d", res.StatusCode)
	}
}

// TestServerClockOnEveryAnswer: a server on a clock of its own (a morning
// in March in the sample city) puts that time on its snapshots and
// heartbeats, which the pages set their clocks by, and takes its day for
// the reports' defaults: one clock, not the machine's beside it.
func TestServerClockOnEveryAnswer(t *testing.T) {
	clock := timer.NewManual(time.Date(2026, 3, 10, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)).UTC())
	h := newHarnessWith(t, storetest.Start(t), clock.Now)
	want := clock.Now().UTC().Format(time.RFC3339Nano)
	s := h.screen(h.token("viewer"), nil)
	snap := s.next(2 * time.Second)
	if snap.Type != "snapshot" || snap.At != want {
		t.Errorf("snapshot %s at %s, want at %s", snap.Type, snap.At, want)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		_ = s.conn.SetReadDeadline(deadline)
		_, b, err := s.conn.ReadMessage()
		if err != nil {
			t.Fatalf("no heartbeat: %v", err)
		}
		var m msg
		mustJSON(t, b, &m)
		if m.Type != "heartbeat" {
			continue
		}
		if m.At != want {
			t.Errorf("heartbeat at %s, want %s", m.At, want)
		}
		break
	}
	res, b := h.do("GET", "/api/v1/bulletins/daily", h.token("leader"), nil)
	var bulletin struct{ Date string }
	mustJSON(t, b, &bulletin)
	if day := clock.Now().In(h.cfg.Location).Format(time.DateOnly); res.StatusCode != 200 || bulletin.Date != day {
		t.Errorf("the daily bulletin by default: %d, date %q, want %s", res.StatusCode, bulletin.Date, day)
	}
	if got := res.Header.Get("X-Server-Time"); got != want {
		t.Errorf("the answer's X-Server-Time %q, want %q", got, want)
	}
}
