package acceptance_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"watchfloor/config"
)

// shedConfig is a server whose ingest queue three positions fill, with a
// Retry-After of 2 s that problem checks.
func shedConfig(c *config.Config) {
	c.Positions.QueueLimit = 3
	c.Positions.RetryAfter = 2 * time.Second
}

// batchBody is a batch of n positions of car-04, about 130 bytes each, as
// a tracker gateway sends them.
func batchBody(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"positions":[`)
	at := time.Now().UTC().Add(-time.Minute)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"unit_id":"car-04","lon":114.1%05d,"lat":22.54,"at":%q,"speed_mps":8,"heading":90,"accuracy_m":5}`,
			i, at.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano))
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// rawConn is a client connection that writes bytes as the test says and
// reads answers with a deadline.
type rawConn struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{t: t, conn: conn, r: bufio.NewReader(conn)}
}

func (c *rawConn) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("sending: %v", err)
	}
}

// answer reads the next answer and its body.
func (c *rawConn) answer() (*http.Response, []byte) {
	c.t.Helper()
	res, err := http.ReadResponse(c.r, nil)
	if err != nil {
		c.t.Fatalf("reading the answer: %v", err)
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		c.t.Fatalf("reading the answer's body: %v", err)
	}
	return res, b
}

// closed fails unless the server closes the connection without sending
// anything more.
func (c *rawConn) closed() {
	c.t.Helper()
	b, err := io.ReadAll(c.r)
	if err != nil || len(b) > 0 {
		c.t.Fatalf("after the refusal the connection gave %q and %v, want nothing and its end", b, err)
	}
}

// While the ingest queue is full, a position request that declares a body
// is answered 503 with Retry-After while most of its body has not been
// sent yet: on the batch API (with and without a session, with a length or
// chunked, asking 100-continue), at /api/v1/osmand and on the OsmAnd
// listener. Each answer says Connection: close; the rest of the body sent
// after it is read and dropped, never taken for a request, and the server
// then closes the connection. Each refusal is counted.
func TestPositionsRefusedOnHeadersBeforeBody(t *testing.T) {
	h := newHarness(t, shedConfig)
	tok := h.token("operator")
	_, unpause := h.fillIngestQueue()
	body := string(batchBody(1500)) // about 190 KB
	form := "id=860000000000020&lat=22.54&lon=114.11&x=" + strings.Repeat("a", 50<<10)
	api, osm := h.srv.Addr(), h.srv.OsmandAddr()
	post := func(path, auth, ctype string, n int) string {
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\n%sContent-Type: %s\r\nContent-Length: %d\r\n\r\n", path, auth, ctype, n)
	}
	bearer := "Authorization: Bearer " + tok + "\r\n"
	const part = 16 << 10
	tests := []struct {
		name, addr, head, first, rest string
	}{
		{"batch API", api, post("/api/v1/positions", bearer, "application/json", len(body)), body[:part], body[part:]},
		{"batch API without a session", api, post("/api/v1/positions", "", "application/json", len(body)), body[:part], body[part:]},
		{"batch API chunked", api, "POST /api/v1/positions HTTP/1.1\r\nHost: x\r\n" + bearer + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
			fmt.Sprintf("%x\r\n%s\r\n", part, body[:part]), fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body)-part, body[part:])},
		{"batch API asking 100-continue", api, strings.Replace(post("/api/v1/positions", bearer, "application/json", len(body)), "\r\n\r\n", "\r\nExpect: 100-continue\r\n\r\n", 1), "", ""},
		{"/api/v1/osmand", api, post("/api/v1/osmand", "", "application/x-www-form-urlencoded", len(form)), form[:part], form[part:]},
		{"OsmAnd listener", osm, post("/", "", "application/x-www-form-urlencoded", len(form)), form[:part], form[part:]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, tc.addr)
			c.send(tc.head + tc.first)
			res, b := c.answer()
			problem(t, tc.name, res, b)
			if !res.Close {
				t.Errorf("the refusal does not say Connection: close: %v", res.Header)
			}
			if tc.rest != "" {
				c.send(tc.rest)
			}
			c.closed()
		})
	}
	if got := h.metric("watchfloor_positions_shed_requests_total"); got != float64(len(tests)) {
		t.Errorf("shed requests counted %v, want %d", got, len(tests))
	}

	// A drain still waiting for a body that does not come holds no stop.
	c := dialRaw(t, api)
	c.send(tests[0].head + tests[0].first)
	res, b := c.answer()
	problem(t, "before the stop", res, b)
	unpause()
	done := make(chan struct{})
	go func() { h.stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop while a refused body was being drained")
	}
}

// Refusals leave connections right: a Go client (as wfload and most
// gateways) sending 190 KB batches gets every one refused as 503, never a
// reset; a small refused body is read, and the next request pipelined
// behind it on the same connection is answered as itself; a declared body
// over the limits is 413 before any of it is sent, full queue or not; once
// Redis writes again, a large batch is taken whole.
func TestShedLeavesConnectionsRight(t *testing.T) {
	h := newHarness(t, shedConfig)
	tok := h.token("operator")
	first, unpause := h.fillIngestQueue()
	big := batchBody(1500)
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range 20 {
		req, _ := http.NewRequest("POST", h.base+"/api/v1/positions", bytes.NewReader(big))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("batch %d: %v, want a 503", i, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		problem(t, fmt.Sprintf("batch %d", i), res, b)
	}

	small := string(batchBody(3))
	c := dialRaw(t, h.srv.Addr())
	c.send(fmt.Sprintf("POST /api/v1/positions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%sGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
		tok, len(small), small))
	res, b := c.answer()
	problem(t, "a small batch", res, b)
	if res.Close {
		t.Errorf("a small refused body closed its connection")
	}
	if res, b = c.answer(); res.StatusCode != 200 || !strings.Contains(string(b), `"ok"`) {
		t.Fatalf("the request behind a small refused batch: %d %s", res.StatusCode, b)
	}

	overLimit := func(when string) {
		for _, target := range []string{h.base + "/api/v1/positions", "http://" + h.srv.OsmandAddr() + "/"} {
			n := h.cfg.Limits.BodyBytes + 1
			if !strings.HasPrefix(target, h.base) {
				n = 64<<10 + 1
			}
			if code, ctype, b := h.declaredOnly("POST", target, n, "application/json"); code != 413 || ctype != "application/problem+json" {
				t.Errorf("%s, %d bytes declared to %s: %d %s %s", when, n, target, code, ctype, b)
			}
		}
	}
	overLimit("queue full")

	unpause()
	for range 3 {
		if a := <-first; a != "200 OK" {
			t.Fatalf("a queued position after Redis came back: %s", a)
		}
	}
	overLimit("queue free")
	res, b = h.do("POST", "/api/v1/positions", tok, big)
	var out positionsAnswer
	if res.StatusCode != 202 || json.Unmarshal(b, &out) != nil || out.Accepted != 1500 {
		t.Fatalf("a large batch after the queue drained: %d %.300s", res.StatusCode, b)
	}
}
