package acceptance_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/redis/go-redis/v9"

	"watchfloor/command/auth"
	"watchfloor/command/store/storetest"
	"watchfloor/config"
)

// loginFrom logs in as if from the client address addr behind a trusted
// proxy (X-Forwarded-For), and returns the status, Retry-After and body.
func (h *harness) loginFrom(addr, user, pw string) (int, string, string) {
	h.t.Helper()
	var hdr []string
	if addr != "" {
		hdr = []string{"X-Forwarded-For", addr}
	}
	res, b := h.do("POST", "/api/v1/sessions", "", map[string]string{"username": user, "password": pw}, hdr...)
	return res.StatusCode, res.Header.Get("Retry-After"), string(b)
}

// behindProxy trusts the test client (127.0.0.1) as a reverse proxy.
func behindProxy(c *config.Config) {
	c.TrustedProxies = []string{"127.0.0.1/32"}
	c.ProxyHeader = "X-Forwarded-For"
}

func TestLoginInputBounds(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name, user, pw, field string
	}{
		{"a 65-byte name", strings.Repeat("a", 65), "whatever", "username"},
		{"a 60 KB name", strings.Repeat("名", 20000), "whatever", "username"},
		{"a 257-byte password", "operator", strings.Repeat("p", 257), "password"},
		{"both", strings.Repeat("a", 100), strings.Repeat("p", 1000), "username"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := h.loginFrom("", tc.user, tc.pw)
			if code != 400 || !strings.Contains(body, `"field":"`+tc.field+`"`) {
				t.Errorf("%d %s", code, body)
			}
		})
	}
	// Nothing of the refused names reached the audit trail.
	_, b := h.do("GET", "/api/v1/audit?action=session", h.token("admin"), nil)
	if strings.Contains(string(b), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") {
		t.Errorf("an over-long name was audited: %.300s", b)
	}
}

func TestLoginRateLimitPerAddress(t *testing.T) {
	h := newHarness(t, behindProxy, func(c *config.Config) { c.Limits.LoginRate, c.Limits.LoginBurst = 0.1, 10 })
	var code int
	var retry, body string
	for i := range 30 {
		code, retry, body = h.loginFrom("203.0.113.7", fmt.Sprintf("nobody%d", i), "wrong-password")
		if code == 429 {
			break
		}
	}
	if code != 429 || retry == "" || !strings.Contains(body, "too many logins from this address") {
		t.Fatalf("a flood from one address: %d, Retry-After %q, %s", code, retry, body)
	}
	if code, _, body := h.loginFrom("203.0.113.8", "operator", testPassword); code != 201 {
		t.Errorf("another address: %d %s", code, body)
	}
}

func TestUntrustedForwardedForIgnored(t *testing.T) {
	// No trusted proxy: X-Forwarded-For is the client's own invention.
	h := newHarness(t, func(c *config.Config) { c.Limits.LoginRate, c.Limits.LoginBurst = 0.1, 5 })
	codes := []int{}
	for i := range 8 {
		code, _, _ := h.loginFrom(fmt.Sprintf("198.51.100.%d", i), fmt.Sprintf("nobody%d", i), "wrong-password")
		codes = append(codes, code)
	}
	if codes[len(codes)-1] != 429 {
		t.Errorf("changing X-Forwarded-For escaped the limit of the real address: %v", codes)
	}
	// Behind a trusted proxy, what the client put left of its own address
	// is not believed either.
	h2 := newHarness(t, behindProxy, func(c *config.Config) { c.Limits.LoginRate, c.Limits.LoginBurst = 0.1, 5 })
	codes = codes[:0]
	for i := range 8 {
		code, _, _ := h2.loginFrom(fmt.Sprintf("198.51.100.%d, 203.0.113.9", i), fmt.Sprintf("nobody%d", i), "wrong-password")
		codes = append(codes, code)
	}
	if codes[len(codes)-1] != 429 {
		t.Errorf("a spoofed left part of X-Forwarded-For escaped the limit: %v", codes)
	}
	if code, _, body := h2.loginFrom("203.0.113.10", "operator", testPassword); code != 201 {
		t.Errorf("another client behind the proxy: %d %s", code, body)
	}
}

// passwordChecks reads the instance's count of bcrypt comparisons.
func (h *harness) passwordChecks() int {
	h.t.Helper()
	_, b := h.do("GET", "/metrics", "", nil)
	m := regexp.MustCompile(`(?m)^watchfloor_login_password_checks_total (\d+)`).FindSubmatch(b)
	if m == nil {
		h.t.Fatal("no watchfloor_login_password_checks_total in /metrics")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func TestParallelWrongPasswordsCountedFirst(t *testing.T) {
	// A long delay, so that however slowly the machine serves the 40, none
	// comes after the delay and is rightly checked.
	h := newHarness(t, behindProxy, func(c *config.Config) { c.Limits.LoginBurst, c.Limits.LoginDelay = 1000, time.Minute })
	const n = 40
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, _ := h.doQuiet("POST", "/api/v1/sessions", "", map[string]string{"username": "operator", "password": "wrong-password"})
			if res != nil {
				codes[i] = res.StatusCode
			}
		}()
	}
	wg.Wait()
	refused, throttled := 0, 0
	for _, c := range codes {
		switch c {
		case 401:
			refused++
		case 429:
			throttled++
		}
	}
	limit := h.cfg.Limits.LoginFailures
	if refused > limit || refused+throttled != n {
		t.Errorf("%d wrong passwords checked and %d throttled of %d; at most %d may be checked: %v", refused, throttled, n, limit, codes)
	}
	if got := h.passwordChecks(); got > limit {
		t.Errorf("bcrypt ran %d times, want at most %d", got, limit)
	}
}

func TestFailuresElsewhereDoNotLockAName(t *testing.T) {
	h := newHarness(t, behindProxy, func(c *config.Config) {
		c.Limits.LoginBurst, c.Limits.LoginAlarm, c.Limits.LoginDelay, c.Limits.LoginMaxDelay = 1000, 10, time.Minute, time.Hour
	})
	var code int
	var retry, body string
	for range 50 {
		code, retry, body = h.loginFrom("192.0.2.1", "operator", "wrong-password")
	}
	// From A, the name waits, and is told for how long.
	if code != 429 || retry == "" || !strings.Contains(body, "try again in") {
		t.Errorf("A after 50 failures: %d, Retry-After %q, %s", code, retry, body)
	}
	if code, retry, body = h.loginFrom("192.0.2.1", "operator", testPassword); code != 429 || retry == "" {
		t.Errorf("A with the right password while waiting: %d %q %s", code, retry, body)
	}
	// From B, the same name logs in.
	if code, _, body := h.loginFrom("192.0.2.2", "operator", testPassword); code != 201 {
		t.Errorf("B with the right password: %d %s", code, body)
	}
	// The failures from many addresses against one name raise an alarm.
	for i := range 12 {
		h.loginFrom(fmt.Sprintf("192.0.2.%d", 100+i), "leader", "wrong-password")
	}
	// And many names from one address too.
	for i := range 12 {
		h.loginFrom("192.0.2.50", fmt.Sprintf("guess%d", i), "wrong-password")
	}
	waitFor(t, 2*time.Second, "login.failures alarms", func() bool {
		_, b := h.do("GET", "/api/v1/alarms?state=open", h.token("admin"), nil)
		return strings.Contains(string(b), `"id":"login.failures:user:leader"`) && strings.Contains(string(b), `"id":"login.failures:addr:192.0.2.50"`)
	})
}

func TestAuditRetentionExports(t *testing.T) {
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	h := newHarness(t, func(c *config.Config) {
		c.Audit.Retention = 2160 * time.Hour
		c.Audit.ExportFile = file
		c.Audit.ExportInterval = 50 * time.Millisecond
	})
	rdb := redis.NewClient(&redis.Options{Addr: h.redis.Addr})
	defer rdb.Close()
	ctx := context.Background()
	key := "wf:{luohu}:audit"
	old := time.Now().Add(-2200 * time.Hour).UnixMilli()
	// The accounts seeded at start are already recorded, newer than the old
	// records this test puts in: start the stream afresh.
	if err := rdb.Del(ctx, key).Err(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		rec := fmt.Sprintf(`{"at":"2026-01-01T00:00:00Z","who":"old%d","role":"","action":"session.refused","object":"old%d"}`, i, i)
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: fmt.Sprintf("%d-%d", old+int64(i), 0), Values: []string{"r", rec}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	h.token("admin") // a recent record (session.created)
	waitFor(t, 3*time.Second, "old records exported", func() bool {
		b, _ := os.ReadFile(file)
		return strings.Count(string(b), "\n") >= 3
	})
	b, _ := os.ReadFile(file)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i, l := range lines {
		var e struct {
			ID     string
			Record struct{ Who string }
		}
		mustJSON(t, []byte(l), &e)
		if e.Record.Who != fmt.Sprintf("old%d", i) || e.ID != fmt.Sprintf("%d-0", old+int64(i)) {
			t.Errorf("export line %d: %s", i, l)
		}
	}
	if len(lines) != 3 {
		t.Errorf("%d lines exported, want 3: %s", len(lines), b)
	}
	waitFor(t, 2*time.Second, "old records trimmed", func() bool {
		first, _ := rdb.XRangeN(ctx, key, "-", "+", 1).Result()
		return len(first) == 1 && !strings.Contains(first[0].Values["r"].(string), "old")
	})
	if _, body := h.do("GET", "/api/v1/audit?action=session.created", h.token("admin"), nil); !strings.Contains(string(body), `"who":"admin"`) {
		t.Errorf("recent records must stay: %s", body)
	}
}

func TestRedisMemoryAlarm(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.Redis.MemoryAlarm = 0.8; c.Redis.MemoryCheck = 50 * time.Millisecond })
	admin := h.token("admin")
	rdb := redis.NewClient(&redis.Options{Addr: h.redis.Addr})
	defer rdb.Close()
	ctx := context.Background()
	used := func() int64 {
		info := rdb.Info(ctx, "memory").Val()
		m := regexp.MustCompile(`used_memory:(\d+)`).FindStringSubmatch(info)
		n, _ := strconv.ParseInt(m[1], 10, 64)
		return n
	}
	limit := used() + 4<<20
	if err := rdb.ConfigSet(ctx, "maxmemory", strconv.FormatInt(limit, 10)).Err(); err != nil {
		t.Fatal(err)
	}
	junk := strings.Repeat("x", 64<<10)
	n := 0
	for ; used() < limit*9/10; n++ {
		if err := rdb.Set(ctx, fmt.Sprintf("junk:%d", n), junk, 0).Err(); err != nil {
			t.Fatalf("filling: %v", err)
		}
	}
	open := func() int {
		_, b := h.do("GET", "/api/v1/alarms?state=open", admin, nil)
		return strings.Count(string(b), `"kind":"redis.memory"`)
	}
	waitFor(t, 2*time.Second, "the redis.memory alarm", func() bool { return open() == 1 })
	time.Sleep(200 * time.Millisecond) // several more checks: raised once
	_, b := h.do("GET", "/api/v1/alarms?state=all", admin, nil)
	if n := strings.Count(string(b), `"kind":"redis.memory"`); n != 1 {
		t.Errorf("%d redis.memory alarms, want 1: %s", n, b)
	}
	_, m := h.do("GET", "/metrics", "", nil)
	if g := regexp.MustCompile(`(?m)^watchfloor_redis_maxmemory_bytes (\S+)`).FindSubmatch(m); g == nil {
		t.Error("no watchfloor_redis_maxmemory_bytes gauge")
	} else if f, _ := strconv.ParseFloat(string(g[1]), 64); int64(f) != limit {
		t.Errorf("maxmemory gauge %s, want %d", g[1], limit)
	}
	// Freed: the alarm clears itself.
	for i := range n {
		rdb.Del(ctx, fmt.Sprintf("junk:%d", i))
	}
	waitFor(t, 2*time.Second, "the alarm clearing", func() bool { return open() == 0 })
	_, b = h.do("GET", "/api/v1/alarms?state=all", admin, nil)
	if !strings.Contains(string(b), `"acked_by":"system"`) {
		t.Errorf("the cleared alarm: %s", b)
	}
}

// closeCode reads c until it is closed and returns the close code and
// reason, failing after d.
func closeCode(t testing.TB, c *wsConn, d time.Duration) (int, string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		_ = c.conn.SetReadDeadline(deadline)
		_, _, err := c.conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, ce.Text
		}
		t.Fatalf("socket not closed within %s: %v", d, err)
	}
}

// ticket asks for a one-time websocket ticket.
func (h *harness) ticket(token string) (int, string) {
	h.t.Helper()
	res, b := h.do("POST", "/api/v1/sessions/ticket", token, nil)
	var out struct {
		Ticket    string
		ExpiresAt time.Time `json:"expires_at"`
	}
	_ = json.Unmarshal(b, &out)
	return res.StatusCode, out.Ticket
}

// wsTicket dials a socket with ?ticket=.
func (h *harness) wsTicket(path, ticket string) (*wsConn, int, error) {
	c, res, err := h.ws(path, "", url.Values{"ticket": {ticket}}, nil)
	if res != nil {
		return c, res.StatusCode, err
	}
	return c, 0, err
}

func TestLogoutClosesSocketsOnEveryInstance(t *testing.T) {
	r := storetest.Start(t)
	// Sessions stay in each instance's cache far longer than the test: a
	// logout must reach both caches through the revocation, not by age.
	// The clock starts at 09:00: no daily alarm reaches the quiet socket.
	long := func(c *config.Config) { c.Auth.SessionCache = 10 * time.Second }
	clock := morningClock()
	a, b := newHarnessWith(t, r, clock.Now, long), newHarnessWith(t, r, clock.Now, long)
	tok := a.freshToken("viewer")
	for _, h := range []*harness{a, b, a, b} { // the second round comes from each cache
		if res, body := h.do("GET", "/api/v1/sessions/me", tok, nil); res.StatusCode != 200 {
			t.Fatalf("before the logout: %d %s", res.StatusCode, body)
		}
	}
	if n := sessionLookups(b, "cache"); n < 1 {
		t.Fatalf("B answered %d session lookups from its cache, want at least 1", n)
	}
	onA := a.screen(tok, nil)
	onA.next(2 * time.Second)
	onB := b.screen(tok, nil)
	onB.next(2 * time.Second)
	other := a.screen(a.freshToken("viewer"), nil) // another session stays
	other.next(2 * time.Second)

	start := time.Now()
	if res, _ := a.do("DELETE", "/api/v1/sessions", tok, nil); res.StatusCode != 204 {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	// The instance that ended it refuses the token from its answer on.
	if res, _ := a.do("GET", "/api/v1/sessions/me", tok, nil); res.StatusCode != 401 {
		t.Errorf("the ended session on A right after the logout: %d, want 401", res.StatusCode)
	}
	for name, c := range map[string]*wsConn{"A": onA, "B": onB} {
		code, reason := closeCode(t, c, 3*time.Second)
		if code != 4001 || reason != "session ended" {
			t.Errorf("socket on %s closed with %d %q, want 4001 session ended", name, code, reason)
		}
	}
	// Within 3 s, well short of the caches' 10 s: the revocation closed
	// them. API.md's "within a second" is timed here, not judged (a loaded
	// machine may be slow).
	t.Logf("sockets closed %s after the logout", time.Since(start))
	// The other instance refuses it since the revocation came, which
	// closed its socket above (its cache let go of it first).
	if res, _ := b.do("GET", "/api/v1/sessions/me", tok, nil); res.StatusCode != 401 {
		t.Errorf("the ended session on B: %d, want 401", res.StatusCode)
	}
	other.quiet(300 * time.Millisecond) // still open: only heartbeats
}

// sessionLookups reads h's watchfloor_session_lookups_total{from}.
func sessionLookups(h *harness, from string) int {
	h.t.Helper()
	_, body := h.do("GET", "/metrics", "", nil)
	prefix := `watchfloor_session_lookups_total{from="` + from + `"} `
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				h.t.Fatalf("%s: %v", line, err)
			}
			return n
		}
	}
	h.t.Fatalf("no %s in the metrics", prefix)
	return 0
}

// TestSocketsCheckTheirSessions: an open socket's session is checked every
// minute (session_ttl/4 when shorter) by the server's clock with no
// request from its client: the
// check looks it up (and slides it), and a session gone without a
// revocation (its key deleted, as if the message was lost) or past its
// maximum age closes its sockets with 4001; a session is looked up once a
// check however many sockets it has.
func TestSocketsCheckTheirSessions(t *testing.T) {
	clock := morningClock()
	h := newHarnessWith(t, storetest.Start(t), clock.Now, func(c *config.Config) {
		c.Auth.SessionTTL, c.Auth.SessionMaxAge = time.Hour, 2*time.Hour // checked every minute
		// Every lookup from Redis: the cache's freshness runs on the real
		// clock, which does not jump with this test's.
		c.Auth.SessionCache = 0
	})
	lost, aged := h.freshToken("viewer"), h.freshToken("viewer")
	lostSock := h.screen(lost, nil)
	lostSock.next(2 * time.Second)
	agedSocks := []*wsConn{h.screen(aged, nil), h.screen(aged, nil)}
	for _, c := range agedSocks {
		c.next(2 * time.Second)
	}
	lookups := func() int { return sessionLookups(h, "redis") + sessionLookups(h, "cache") }
	before := lookups()
	// Due: each session looked up, by the server alone.
	clock.Advance(16 * time.Minute)
	waitFor(t, 5*time.Second, "the sockets' sessions checked", func() bool { return lookups() >= before+2 })
	// A session deleted with no revocation heard: its socket closes at its
	// next check.
	rdb := redis.NewClient(&redis.Options{Addr: h.redis.Addr})
	defer rdb.Close()
	if err := rdb.Del(context.Background(), "wf:{"+h.cfg.Deployment+"}:session:"+auth.HashToken(lost)).Err(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(16 * time.Minute)
	if code, reason := closeCode(t, lostSock, 5*time.Second); code != 4001 || reason != "session ended" {
		t.Errorf("the deleted session's socket closed with %d %q, want 4001 session ended", code, reason)
	}
	// Past its maximum age (2 h from the login), by the clock alone, once
	// the second round has looked up the aged session too.
	waitFor(t, 5*time.Second, "the second round", func() bool { return lookups() >= before+4 })
	clock.Advance(90 * time.Minute)
	for i, c := range agedSocks {
		if code, reason := closeCode(t, c, 5*time.Second); code != 4001 || reason != "session ended" {
			t.Errorf("socket %d of the aged session closed with %d %q, want 4001 session ended", i, code, reason)
		}
	}
	// Three rounds: both sessions, both again (the deleted one found gone),
	// the aged one (found too old): 5, or 4 when the clock's last jump
	// comes while the aged session's second check is under way (counted as
	// it starts, it then reads the clock after the jump and finds the
	// session too old itself). A lookup a socket would be 7 or 8.
	if n := lookups() - before; n < 4 || n > 5 {
		t.Errorf("%d session lookups over three rounds of checks, want 5 (or 4; one a session a round)", n)
	}
}

func TestSessionMaxAge(t *testing.T) {
	clock := morningClock()
	h := newHarnessWith(t, storetest.Start(t), clock.Now, func(c *config.Config) {
		c.Auth.SessionTTL, c.Auth.SessionMaxAge = 30*time.Minute, time.Hour
	})
	tok := h.freshToken("viewer")
	for range 2 {
		clock.Advance(25 * time.Minute)
		if res, _ := h.do("GET", "/api/v1/sessions/me", tok, nil); res.StatusCode != 200 {
			t.Fatalf("an active session within its age: %d", res.StatusCode)
		}
	}
	clock.Advance(11 * time.Minute) // 61 minutes after login, used 11 minutes ago
	if res, body := h.do("GET", "/api/v1/sessions/me", tok, nil); res.StatusCode != 401 {
		t.Errorf("a session past its maximum age: %d %s", res.StatusCode, body)
	}
	// A new login starts a new age.
	if res, _ := h.do("GET", "/api/v1/sessions/me", h.freshToken("viewer"), nil); res.StatusCode != 200 {
		t.Errorf("a fresh session: %d", res.StatusCode)
	}
}

func TestSocketTicketSingleUseAndShortLived(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.Auth.TicketTTL = time.Second })
	tok := h.freshToken("viewer")
	code, ticket := h.ticket(tok)
	if code != 201 || len(ticket) < 32 {
		t.Fatalf("ticket: %d %q", code, ticket)
	}
	c, status, err := h.wsTicket("/ws/screen", ticket)
	if err != nil {
		t.Fatalf("first use: %v (%d)", err, status)
	}
	c.next(2 * time.Second)
	if _, status, err := h.wsTicket("/ws/screen", ticket); err == nil || status != 401 {
		t.Errorf("second use: %v (%d), want 401", err, status)
	}
	_, late := h.ticket(tok)
	time.Sleep(1200 * time.Millisecond)
	if _, status, err := h.wsTicket("/ws/screen", late); err == nil || status != 401 {
		t.Errorf("an expired ticket: %v (%d), want 401", err, status)
	}
	// A socket opened with a ticket closes when its session ends.
	_, lt := h.ticket(tok)
	byTicket, _, err := h.wsTicket("/ws/screen", lt)
	if err != nil {
		t.Fatal(err)
	}
	byTicket.next(2 * time.Second)
	// A ticket carries its session's role.
	_, vt := h.ticket(tok)
	if _, status, err := h.wsTicket("/ws/responder", vt); err == nil || status != 403 {
		t.Errorf("a viewer's ticket on /ws/responder: %v (%d), want 403", err, status)
	}
	// A ticket is not a token.
	if res, _ := h.do("GET", "/api/v1/sessions/me", ticket, nil); res.StatusCode != 401 {
		t.Errorf("a ticket as a bearer token: %d", res.StatusCode)
	}
	h.do("DELETE", "/api/v1/sessions", tok, nil)
	if code, reason := closeCode(t, byTicket, time.Second); code != 4001 {
		t.Errorf("a ticket's socket after logout: %d %q", code, reason)
	}
}
