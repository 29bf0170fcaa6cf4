package web

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// The header check takes exactly the position routes' method and path,
// with or without a query; another spelling the router would also take is
// left to be read and refused after its body.
func TestShedMatchesPositionRoutes(t *testing.T) {
	api := &headerShed{routes: []shedRoute{{method: "POST", path: "/api/v1/positions"}, {path: "/api/v1/osmand"}}}
	osmand := &headerShed{routes: []shedRoute{{}}}
	tests := []struct {
		method, uri string
		api, osmand bool
	}{
		{"POST", "/api/v1/positions", true, true},
		{"POST", "/api/v1/positions?x=1", true, true},
		{"GET", "/api/v1/positions", false, true},
		{"POST", "/api/v1/positions/", false, true},
		{"POST", "/API/V1/POSITIONS", false, true},
		{"POST", "http://x/api/v1/positions", false, true},
		{"POST", "/api/v1/positionsx", false, true},
		{"PUT", "/api/v1/osmand?id=1", true, true},
		{"POST", "/api/v1/incidents", false, true},
		{"POST", "/", false, true},
	}
	for _, tc := range tests {
		var h fasthttp.RequestHeader
		h.SetMethod(tc.method)
		h.SetRequestURI(tc.uri)
		if got := api.positions(&h); got != tc.api {
			t.Errorf("API %s %s: %v, want %v", tc.method, tc.uri, got, tc.api)
		}
		if got := osmand.positions(&h); got != tc.osmand {
			t.Errorf("OsmAnd listener %s %s: %v, want %v", tc.method, tc.uri, got, tc.osmand)
		}
	}
}

// drained runs answerThenDrain of a 503 on one end of a pipe, with the
// client's side played by client on the other, and fails unless it ends
// within 5 s; it returns the answer the client read.
func drained(t *testing.T, s *headerShed, d declared, client func(net.Conn)) string {
	t.Helper()
	srv, cli := net.Pipe()
	defer srv.Close()
	defer cli.Close()
	var ctx fasthttp.RequestCtx
	ctx.Response.SetStatusCode(503)
	ctx.Response.SetBodyString("busy")
	answer := make(chan string, 1)
	go func() {
		res, err := http.ReadResponse(bufio.NewReader(cli), nil)
		if err != nil {
			answer <- err.Error()
			return
		}
		answer <- fmt.Sprintf("%d close=%v", res.StatusCode, res.Close)
		client(cli)
	}()
	done := make(chan struct{})
	go func() { s.answerThenDrain(&ctx, srv, d); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the drain did not end")
	}
	return <-answer
}

// A drain answers first, then ends at its read deadline when the body
// never comes, and stops reading a chunked body at the limit when it
// does not end: a refused client holds its connection for a bounded time
// and bytes.
func TestDrainIsBounded(t *testing.T) {
	s := &headerShed{limit: 64 << 10, readTimeout: 200 * time.Millisecond, writeTimeout: time.Second}
	if got := drained(t, s, declared{length: 1 << 20}, func(net.Conn) {}); got != "503 close=true" {
		t.Errorf("a body that never comes: answer %s", got)
	}
	var sent atomic.Int64
	endless := func(c net.Conn) {
		chunk := fmt.Sprintf("%x\r\n%s\r\n", 4096, strings.Repeat("a", 4096))
		for {
			if _, err := io.WriteString(c, chunk); err != nil {
				return
			}
			sent.Add(4096)
		}
	}
	s.readTimeout = time.Minute
	if got := drained(t, s, declared{length: -1}, endless); got != "503 close=true" {
		t.Errorf("an endless chunked body: answer %s", got)
	}
	if n := sent.Load(); n > int64(s.limit)+8192 {
		t.Errorf("the drain read %d bytes of an endless body, limit %d", n, s.limit)
	}

	// A chunked body read to its end, trailer and final CRLF included. A
	// pipe's Write returns once the other end has read it all, so the
	// drain has read up to the last chunk's line before the CRLF is sent,
	// and that comes on a read of its own; a write the drain never reads
	// fails when the pipe closes.
	s.readTimeout = 5 * time.Second
	if got := drained(t, s, declared{length: -1}, sends(t, "5\r\nhello\r\n0\r\n", "\r\n")); got != "503 close=true" {
		t.Errorf("a chunked body: answer %s", got)
	}
	// A trailer field, then the CRLF.
	if got := drained(t, s, declared{length: -1}, sends(t, "5\r\nhello\r\n0\r\n", "X-Sum: 1\r\n", "\r\n")); got != "503 close=true" {
		t.Errorf("a chunked body with a trailer: answer %s", got)
	}

	// A 100-continue client sends its body once its wait runs out: it is
	// read, up to the declared length; one that sends nothing holds the
	// connection a second, not the read timeout.
	s.readTimeout = time.Minute
	if got := drained(t, s, declared{length: 5, expected: true}, sends(t, "hel", "lo")); got != "503 close=true" {
		t.Errorf("a 100-continue body sent after all: answer %s", got)
	}
	start := time.Now()
	if got := drained(t, s, declared{length: 5, expected: true}, func(net.Conn) {}); got != "503 close=true" {
		t.Errorf("a 100-continue body never sent: answer %s", got)
	}
	if d := time.Since(start); d > continueDrain+time.Second {
		t.Errorf("a 100-continue body never sent held the connection %v", d)
	}
}

// sends is a client that writes parts one after the other and fails the
// test unless the drain reads every byte; the test waits for it to end.
func sends(t *testing.T, parts ...string) func(net.Conn) {
	t.Helper()
	done := make(chan struct{})
	t.Cleanup(func() {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("the client did not end")
		}
	})
	return func(c net.Conn) {
		defer close(done)
		for i, p := range parts {
			if _, err := io.WriteString(c, p); err != nil {
				t.Errorf("part %d %q was not read by the drain: %v", i, p, err)
				return
			}
		}
	}
}

// Expect is 100-continue in any case; another expectation is not.
func TestExpectsContinue(t *testing.T) {
	for v, want := range map[string]bool{"100-continue": true, "100-Continue": true, "": false, "something-else": false, "100-continues": false} {
		var h fasthttp.RequestHeader
		if v != "" {
			h.Set("Expect", v)
		}
		if got := expectsContinue(&h); got != want {
			t.Errorf("Expect %q: %v, want %v", v, got, want)
		}
	}
}
