package acceptance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"watchfloor/command/server"
	"watchfloor/command/store/storetest"
	"watchfloor/command/timer"
	"watchfloor/config"
)

const testPassword = "test-password"

// harness runs the whole server in-process against a real redis-server.
type harness struct {
	t      testing.TB
	redis  *storetest.Redis
	cfg    *config.Config
	srv    *server.Server
	base   string
	tokens map[string]string
	// now is the server's clock (nil: the real one).
	now func() time.Time
	// opts are further server options (NoJobRunner).
	opts server.Options
	// logs receives the server's log (nil: discarded).
	logs io.Writer
}

func newHarness(t testing.TB, tweak ...func(*config.Config)) *harness {
	t.Helper()
	return newHarnessOn(t, storetest.Start(t), tweak...)
}

// newHarnessOn runs the server on a Redis the test started itself.
func newHarnessOn(t testing.TB, r *storetest.Redis, tweak ...func(*config.Config)) *harness {
	t.Helper()
	return newHarnessWith(t, r, nil, tweak...)
}

// newHarnessWith runs the server with an injected clock.
func newHarnessWith(t testing.TB, r *storetest.Redis, now func() time.Time, tweak ...func(*config.Config)) *harness {
	t.Helper()
	return newHarnessLogged(t, r, now, nil, tweak...)
}

// newHarnessLogged runs the server with its log written to logs.
func newHarnessLogged(t testing.TB, r *storetest.Redis, now func() time.Time, logs io.Writer, tweak ...func(*config.Config)) *harness {
	t.Helper()
	h := &harness{t: t, redis: r, tokens: map[string]string{}, now: now, logs: logs}
	env := map[string]string{
		"WATCHFLOOR_LISTEN":        "127.0.0.1:0",
		"WATCHFLOOR_OSMAND_LISTEN": "127.0.0.1:0",
		"WATCHFLOOR_REDIS_URL":     h.redis.URL(),
		"WATCHFLOOR_DEMO_PASSWORD": testPassword,
	}
	cfg, err := config.Load("../../config/sample/watchfloor.yaml", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Auth.BcryptCost = 4
	cfg.Streams.Heartbeat = 500 * time.Millisecond
	if now == nil {
		// On the real clock the daily reports fall due at the last minute
		// of the day: at 18:00 their alarms would reach every screen of
		// every test run between 18:00 and midnight in the sample city.
		// Tests of the alarms set a clock of their own.
		cfg.DailyReports.Due = "23:59"
		// And none runs across that minute or midnight, where "today"
		// changes between what it did and what it reads.
		pastMidnight(t, time.Now())
	}
	for _, f := range tweak {
		f(cfg)
	}
	h.cfg = cfg
	h.start()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) start() {
	h.t.Helper()
	w := h.logs
	if w == nil {
		w = io.Discard
	}
	log := slog.New(slog.NewTextHandler(w, nil))
	opts := h.opts
	opts.Logger, opts.Notice, opts.Now = log, io.Discard, h.now
	srv, err := server.New(context.Background(), h.cfg, opts)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.srv = srv
	h.base = "http://" + srv.Addr()
}

func (h *harness) stop() {
	if h.srv == nil {
		return
	}
	// A request still held by a Redis call after a failover (2 s timeouts,
	// one retry, several calls) may take longer than 5 s to drain on a
	// loaded machine; a hang is still caught.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := h.srv.Stop(ctx); err != nil {
		h.t.Errorf("stopping server: %v", err)
	}
	h.srv = nil
}

// restart stops the server and starts a new one on the same Redis (and a
// new port, as after a crash).
func (h *harness) restart() {
	h.stop()
	h.start()
}

// restartSamePort restarts the server on the address it had, as a
// restarted service comes back where its clients expect it.
func (h *harness) restartSamePort() {
	h.t.Helper()
	h.restartSamePortAfter(func() {})
}

// restartSamePortAfter is restartSamePort with meanwhile run while no
// server runs (a session ended in Redis while the server was down).
func (h *harness) restartSamePortAfter(meanwhile func()) {
	h.t.Helper()
	addr := h.srv.Addr()
	h.stop()
	meanwhile()
	listen := h.cfg.Listen
	h.cfg.Listen = addr
	defer func() { h.cfg.Listen = listen }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		srv, err := server.New(context.Background(), h.cfg, server.Options{Logger: log, Notice: io.Discard, Now: h.now})
		if err != nil {
			h.t.Fatal(err)
		}
		if err := srv.Start(); err == nil {
			h.srv = srv
			return
		} else if time.Now().After(deadline) {
			h.t.Fatalf("restarting on %s: %v", addr, err)
		}
		_ = srv.Stop(context.Background())
		time.Sleep(50 * time.Millisecond)
	}
}

// token logs username in once and remembers the token.
func (h *harness) token(username string) string {
	h.t.Helper()
	if tok, ok := h.tokens[username]; ok {
		return tok
	}
	res, body := h.do("POST", "/api/v1/sessions", "", map[string]string{"username": username, "password": testPassword})
	if res.StatusCode != 201 {
		h.t.Fatalf("login %s: %d %s", username, res.StatusCode, body)
	}
	var out struct{ Token string }
	mustJSON(h.t, body, &out)
	h.tokens[username] = out.Token
	return out.Token
}

// freshToken logs username in again, for a session of its own.
func (h *harness) freshToken(username string) string {
	h.t.Helper()
	res, body := h.do("POST", "/api/v1/sessions", "", map[string]string{"username": username, "password": testPassword})
	if res.StatusCode != 201 {
		h.t.Fatalf("login %s: %d %s", username, res.StatusCode, body)
	}
	var out struct{ Token string }
	mustJSON(h.t, body, &out)
	return out.Token
}

// doQuiet is do for goroutines and outages: a failed request returns nil
// instead of failing the test.
func (h *harness) doQuiet(method, path, token string, body any) (*http.Response, []byte) {
	enc, _ := json.Marshal(body)
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, h.base+path, r)
	if err != nil {
		return nil, nil
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// do sends a request; body is JSON-encoded unless it is []byte or a string.
func (h *harness) do(method, path, token string, body any, headers ...string) (*http.Response, []byte) {
	h.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case string:
		r = strings.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		r = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, h.base+path, r)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return res, b
}

// create files an incident as the operator and returns it.
func (h *harness) create(body map[string]any) map[string]any {
	h.t.Helper()
	res, b := h.do("POST", "/api/v1/incidents", h.token("operator"), body)
	if res.StatusCode != 201 {
		h.t.Fatalf("create: %d %s", res.StatusCode, b)
	}
	var inc map[string]any
	mustJSON(h.t, b, &inc)
	return inc
}

func mustJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
}

// msg is a websocket message.
type msg struct {
	Seq  uint64          `json:"seq"`
	Type string          `json:"type"`
	At   string          `json:"at"`
	Data json.RawMessage `json:"data"`
}

// wsConn is a test websocket client.
type wsConn struct {
	t    testing.TB
	conn *websocket.Conn
}

func (h *harness) ws(path, token string, query url.Values, header http.Header) (*wsConn, *http.Response, error) {
	if query == nil {
		query = url.Values{}
	}
	if token != "" {
		query.Set("token", token)
	}
	u := "ws://" + h.srv.Addr() + path + "?" + query.Encode()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	c, res, err := d.Dial(u, header)
	if err != nil {
		return nil, res, err
	}
	h.t.Cleanup(func() { c.Close() })
	return &wsConn{t: h.t, conn: c}, res, nil
}

func (h *harness) screen(token string, since *uint64) *wsConn {
	h.t.Helper()
	q := url.Values{}
	if since != nil {
		q.Set("since", strconv.FormatUint(*since, 10))
	}
	c, res, err := h.ws("/ws/screen", token, q, nil)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		h.t.Fatalf("dialing screen: %v (%d)", err, status)
	}
	return c
}

// next returns the next message that is not a heartbeat, within d.
func (c *wsConn) next(d time.Duration) msg {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		_ = c.conn.SetReadDeadline(deadline)
		_, b, err := c.conn.ReadMessage()
		if err != nil {
			c.t.Fatalf("reading websocket: %v", err)
		}
		var m msg
		mustJSON(c.t, b, &m)
		if m.Type != "heartbeat" {
			return m
		}
	}
}

// pastMidnight waits, when a test on the real clock starts in the last
// three minutes of the day in the sample city, until the next day has
// begun (a test runs in well under three minutes).
func pastMidnight(t testing.TB, now time.Time) {
	t.Helper()
	if wait := untilNewDay(now); wait > 0 {
		t.Logf("waiting %v for midnight in the sample city to pass", wait.Round(time.Second))
		time.Sleep(wait)
	}
}

// untilNewDay is how long from now, in the last three minutes of a day in
// the sample city, until two seconds into the next; 0 otherwise.
func untilNewDay(now time.Time) time.Duration {
	cst := time.FixedZone("CST", 8*3600)
	local := now.In(cst)
	y, m, d := local.Date()
	next := time.Date(y, m, d+1, 0, 0, 2, 0, cst)
	if wait := next.Sub(local); wait <= 3*time.Minute+2*time.Second {
		return wait
	}
	return 0
}

// morningClock is a manual clock at 09:00 of today in the sample city
// (UTC+8): a test that moves it a few hours does not pass 18:00, when the
// daily reports' alarm is raised, whatever the hour the test runs at.
func morningClock() *timer.Manual {
	cst := time.FixedZone("CST", 8*3600)
	y, m, d := time.Now().In(cst).Date()
	return timer.NewManual(time.Date(y, m, d, 9, 0, 0, 0, cst).UTC())
}

// quiet asserts that nothing but heartbeats (and the types ignored) arrives
// for d.
func (c *wsConn) quiet(d time.Duration, ignore ...string) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		_ = c.conn.SetReadDeadline(deadline)
		_, b, err := c.conn.ReadMessage()
		if err != nil {
			return // the deadline passed
		}
		var m msg
		mustJSON(c.t, b, &m)
		if m.Type != "heartbeat" && !slices.Contains(ignore, m.Type) {
			c.t.Fatalf("unexpected message %s", b)
		}
	}
}

// TestUntilNewDay: tests on the real clock wait only in the last three
// minutes of a day in the sample city, until just past its midnight.
func TestUntilNewDay(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	for _, tc := range []struct {
		at   time.Time
		want time.Duration
	}{
		{time.Date(2026, 12, 5, 23, 56, 59, 0, cst), 0},
		{time.Date(2026, 12, 5, 23, 57, 0, 0, cst), 3*time.Minute + 2*time.Second},
		{time.Date(2026, 12, 5, 23, 59, 30, 0, cst), 32 * time.Second},
		{time.Date(2026, 12, 31, 23, 59, 59, 0, cst), 3 * time.Second},
		{time.Date(2026, 12, 6, 0, 0, 1, 0, cst), 0},
		{time.Date(2026, 12, 5, 15, 58, 0, 0, time.UTC), 2*time.Minute + 2*time.Second}, // 23:58 in the city
		{time.Date(2026, 12, 5, 12, 0, 0, 0, cst), 0},
	} {
		if got := untilNewDay(tc.at); got != tc.want {
			t.Errorf("at %v: wait %v, want %v", tc.at, got, tc.want)
		}
	}
}
