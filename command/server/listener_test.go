package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"watchfloor/command/store/storetest"
	"watchfloor/config"
)

// testPassword is every demo account's password in these tests.
const testPassword = "server-test-pw"

// startServer starts an instance of the sample city on r, stopped at the
// test's end within stopWithin.
func startServer(t *testing.T, r *storetest.Redis, stopWithin time.Duration) *Server {
	t.Helper()
	srv := newServer(t, r, stopWithin)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	return srv
}

// newServer builds an instance of the sample city on r, not yet started,
// stopped within stopWithin when the test ends.
func newServer(t *testing.T, r *storetest.Redis, stopWithin time.Duration) *Server {
	t.Helper()
	env := map[string]string{"WATCHFLOOR_LISTEN": "127.0.0.1:0", "WATCHFLOOR_OSMAND_LISTEN": "127.0.0.1:0",
		"WATCHFLOOR_REDIS_URL": r.URL(), "WATCHFLOOR_DEMO_PASSWORD": testPassword}
	cfg, err := config.Load("../../config/sample/watchfloor.yaml", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Auth.BcryptCost = 4
	srv, err := New(context.Background(), cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Notice: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), stopWithin)
		defer cancel()
		_ = srv.Stop(ctx)
	})
	return srv
}

// TestStopClosesSilentConnections: a connection opened and never written
// to (a browser's preconnect, net/http's spare dial) does not hold a
// drain for the 30 s read timeout; one that asked is still answered.
func TestStopClosesSilentConnections(t *testing.T) {
	srv := startServer(t, storetest.Start(t), 10*time.Second)
	var silent []net.Conn
	for _, addr := range []string{srv.Addr(), srv.OsmandAddr()} {
		for range 3 {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			silent = append(silent, c)
		}
	}
	// A request on its way when the drain starts is still answered.
	asked, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer asked.Close()
	if _, err := io.WriteString(asked, "GET /healthz HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	// The server has accepted that connection and read the request's start
	// before the drain (a connection still in the accept queue is reset
	// when the listener closes, and three unused say nothing of it).
	deadline := time.Now().Add(5 * time.Second)
	for srv.ln.accepts() != 4 || srv.ln.unused() != 3 || srv.osmandLn.unused() != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("accepted %d, unused connections: %d and %d, want 4, 3 and 3", srv.ln.accepts(), srv.ln.unused(), srv.osmandLn.unused())
		}
		time.Sleep(10 * time.Millisecond)
	}
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stopped <- srv.Stop(ctx)
	}()
	if _, err := io.WriteString(asked, "\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = asked.SetReadDeadline(time.Now().Add(5 * time.Second))
	head := make([]byte, 12)
	if _, err := io.ReadFull(asked, head); err != nil || string(head[:9]) != "HTTP/1.1 " {
		t.Errorf("the request on its way: %q, %v", head, err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("stopping with %d silent connections open: %v", len(silent), err)
	}
	for i, c := range silent {
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
			t.Errorf("silent connection %d still open after the drain: %d, %v", i, n, err)
		}
	}
}

// blockedConn's Read waits for its data; its Close does not end a Read
// already under way, as a read racing a close can find it.
type blockedConn struct {
	net.Conn
	data chan []byte
}

func (c *blockedConn) Read(b []byte) (int, error) { return copy(b, <-c.data), nil }
func (c *blockedConn) Close() error               { return nil }

// TestFirstBytesAfterDrainNotServed: bytes read by a connection that a
// drain closed meanwhile are not handed on (a request carried out but
// never answered); before the drain, they are, and it leaves the set.
func TestFirstBytesAfterDrainNotServed(t *testing.T) {
	l := &unusedCloser{conns: map[*trackedConn]struct{}{}}
	track := func() *trackedConn {
		c := &trackedConn{Conn: &blockedConn{data: make(chan []byte, 1)}, owner: l}
		l.conns[c] = struct{}{}
		return c
	}
	used := track()
	used.Conn.(*blockedConn).data <- []byte("GET / HTTP/1.1\r\n\r\n")
	if n, err := used.Read(make([]byte, 64)); n == 0 || err != nil {
		t.Fatalf("a first request before any drain: %d, %v", n, err)
	}
	if l.unused() != 0 {
		t.Errorf("a used connection is still in the unused set")
	}
	raced := track()
	l.closeUnused()
	raced.Conn.(*blockedConn).data <- []byte("POST /api/v1/incidents HTTP/1.1\r\n\r\n")
	if n, err := raced.Read(make([]byte, 64)); n != 0 || !errors.Is(err, net.ErrClosed) {
		t.Errorf("bytes read after the drain closed it: %d, %v; want 0, net.ErrClosed", n, err)
	}
	used.Conn.(*blockedConn).data <- []byte("GET / HTTP/1.1\r\n\r\n")
	if n, err := used.Read(make([]byte, 64)); n == 0 || err != nil {
		t.Errorf("a used connection's next request after a drain: %d, %v", n, err)
	}
}

// TestSilentConnectionsTimeOut: a connection that sends nothing is closed
// once its first byte is late, though fasthttp with ReduceMemoryUsage (as
// the API's server runs) sets no deadline before that byte; one that asks
// in time is answered, and its next request may come later than that.
func TestSilentConnectionsTimeOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const firstByte = 300 * time.Millisecond
	srv := &fasthttp.Server{ReduceMemoryUsage: true, ReadTimeout: firstByte, IdleTimeout: 10 * time.Second,
		Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }}
	go func() { _ = srv.Serve(newUnusedCloser(ln, firstByte)) }()
	defer srv.Shutdown()

	asking, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer asking.Close()
	r := bufio.NewReader(asking)
	ask := func(i int) {
		t.Helper()
		if _, err := io.WriteString(asking, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		_ = asking.SetReadDeadline(time.Now().Add(5 * time.Second))
		res, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, res.StatusCode)
		}
	}
	ask(0)
	// Dialled after the asking one, the silent one is closed after the
	// asking one's first-byte bound has passed too: its close is the wait.
	silent, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	_ = silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := silent.Read(make([]byte, 1)); n != 0 || err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("a silent connection: %d, %v; want it closed past its first-byte bound", n, err)
	}
	ask(1) // later than the asking connection's first-byte bound
}
