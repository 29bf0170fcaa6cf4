package sockets

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"watchfloor/command/live"
	"watchfloor/command/memstore"
	"watchfloor/command/web/rest"
	"watchfloor/config"
)

// testServer serves /ws/session (no session needed: counted by address
// only) on a Fiber app of its own over a memstore, behind the handlers
// before; its answers must be written within writeTimeout. /ws/held serves
// the stream "held", whose snapshot waits for held to close.
type testServer struct {
	*Server
	addr string
	reg  *prometheus.Registry
	held chan struct{}
}

const writeTimeout = 200 * time.Millisecond

func newTestServer(t *testing.T, tweak func(*config.Config), before ...fiber.Handler) *testServer {
	t.Helper()
	return newTestServerWith(t, tweak, nil, before...)
}

// newTestServerWith is newTestServer with server, when set, called on the
// Server before it listens.
func newTestServerWith(t *testing.T, tweak func(*config.Config), server func(*Server), before ...fiber.Handler) *testServer {
	t.Helper()
	cfg := &config.Config{
		Streams: config.Streams{MaxLen: 1000, Heartbeat: time.Hour, SendQueue: 16, WriteTimeout: 10 * time.Second},
		Limits:  config.Limits{SocketsPerSession: 4, SocketsPerAddress: 50},
	}
	if tweak != nil {
		tweak(cfg)
	}
	st := memstore.New(memstore.Options{})
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()
	kit, err := rest.NewKit(rest.Deps{Config: cfg, Hub: live.NewHub(st, quiet), Source: st, Registry: reg,
		Log: quiet, Ready: func() bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{Server: New(kit), reg: reg, held: make(chan struct{})}
	if server != nil {
		server(s.Server)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true, WriteTimeout: writeTimeout, ErrorHandler: s.ErrorHandler})
	app.Get("/ws/session", append(before, s.sessionSocket()...)...)
	app.Get("/ws/held", s.socketWith(func(*websocket.Conn) socketSpec {
		return socketSpec{stream: "held", snapshot: func(ctx context.Context) (live.Message, error) {
			select {
			case <-s.held:
			case <-ctx.Done():
			}
			return live.SnapshotOf([]byte(`{"seq":0,"type":"snapshot","data":{}}`), 0, nil)
		}}
	})...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Close(ctx)
		_ = app.ShutdownWithContext(ctx)
	})
	return s
}

// dial upgrades a client of /ws/session with header; the status answered,
// and the connection when upgraded (closed when the test ends).
func (s *testServer) dial(t *testing.T, header http.Header) (*fws.Conn, int) {
	t.Helper()
	return s.dialPath(t, "/ws/session", header)
}

func (s *testServer) dialPath(t *testing.T, path string, header http.Header) (*fws.Conn, int) {
	t.Helper()
	d := fws.Dialer{HandshakeTimeout: 3 * time.Second}
	c, res, err := d.Dial("ws://"+s.addr+path, header)
	if err != nil {
		if res == nil {
			t.Fatalf("dialing: %v", err)
		}
		return nil, res.StatusCode
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, res.StatusCode
}

// counts are the sockets counted now, by address.
func (s *testServer) counts() map[string]int {
	s.ws.mu.Lock()
	defer s.ws.mu.Unlock()
	out := map[string]int{}
	for k, n := range s.ws.byAddr {
		out[k] = n
	}
	return out
}

// poll waits up to d for cond, failing with what it waited for.
func poll(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
	}
}

// TestResetHandshakesGiveTheirPlacesBack: handshakes whose clients reset
// the connection before the upgrade's answer was written (fasthttp then
// starts no handler for them) give their places back: the address's count
// empties, a new client is upgraded (not 429), and shutdown does not wait
// for them.
func TestResetHandshakesGiveTheirPlacesBack(t *testing.T) {
	const n = 50
	answered, resume := make(chan struct{}), make(chan struct{})
	var held atomic.Int32
	// Holds each of the first n upgrades between its answer and fasthttp's
	// writing of it, while its client resets the connection.
	hold := func(c *fiber.Ctx) error {
		err := c.Next()
		if c.Response().StatusCode() == fiber.StatusSwitchingProtocols && held.Add(1) <= n {
			answered <- struct{}{}
			<-resume
		}
		return err
	}
	s := newTestServer(t, func(c *config.Config) { c.Limits.SocketsPerAddress = n }, hold)
	for i := range n {
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(conn, "GET /ws/session HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		select {
		case <-answered:
		case <-time.After(3 * time.Second):
			t.Fatalf("handshake %d not answered within 3 s", i)
		}
		_ = conn.(*net.TCPConn).SetLinger(0) // close with a reset
		_ = conn.Close()
		resume <- struct{}{}
	}
	poll(t, 5*time.Second, "the reset handshakes' places given back", func() bool { return len(s.counts()) == 0 })
	if _, status := s.dial(t, nil); status != http.StatusSwitchingProtocols {
		t.Fatalf("a client after %d reset handshakes: %d, want 101", n, status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("closing: %v", err)
	}
}

// TestSocketsCountedPerAddress: the per-address limit counts an IPv6
// client by its address in full, as an IPv4 one: the wall screens of a
// control room whose LAN is one /64 each have the limit. One /64 has a cap
// of its own, 8 times the limit, so that one client cannot take a fresh
// address for each socket without bound.
func TestSocketsCountedPerAddress(t *testing.T) {
	const perAddr = 2
	s := newTestServer(t, func(c *config.Config) {
		c.Limits.SocketsPerAddress = perAddr
		c.TrustedProxies, c.ProxyHeader = []string{"127.0.0.1"}, "X-Forwarded-For"
	})
	from := func(ip string) int {
		_, status := s.dial(t, http.Header{"X-Forwarded-For": {ip}})
		return status
	}
	for _, ip := range []string{"2001:db8::1", "2001:db8::1", "2001:db8::2", "2001:db8::2"} {
		if status := from(ip); status != http.StatusSwitchingProtocols {
			t.Fatalf("a socket from %s, with %d open at each address: %d, want 101", ip, perAddr, status)
		}
	}
	if status := from("2001:db8::1"); status != http.StatusTooManyRequests {
		t.Errorf("a third socket from 2001:db8::1: %d, want 429", status)
	}
	// The rest of the /64's cap, two sockets from each of further addresses.
	for i := 3; i <= networkSockets; i++ {
		for range perAddr {
			if status := from(fmt.Sprintf("2001:db8::%x", i)); status != http.StatusSwitchingProtocols {
				t.Fatalf("a socket from 2001:db8::%x, %d of the /64 open: %d, want 101", i, len(s.counts()), status)
			}
		}
	}
	if status := from("2001:db8::ff"); status != http.StatusTooManyRequests {
		t.Errorf("a fresh address of a /64 holding %d sockets: %d, want 429", networkSockets*perAddr, status)
	}
	for _, c := range []struct {
		name, from string
		want       int
	}{
		{"another /64", "2001:db8:0:1::1", http.StatusSwitchingProtocols},
		{"an IPv4 address", "192.0.2.1", http.StatusSwitchingProtocols},
		{"again", "192.0.2.1", http.StatusSwitchingProtocols},
		{"an IPv4 address at its limit", "192.0.2.1", http.StatusTooManyRequests},
		{"another IPv4 address", "192.0.2.2", http.StatusSwitchingProtocols},
	} {
		if status := from(c.from); status != c.want {
			t.Errorf("%s (%s): %d, want %d", c.name, c.from, status, c.want)
		}
	}
}

// TestClientBehindCutOffCounted: a client that has not taken what its
// queue holds when more arrives (here, its writer held at the snapshot
// while a burst arrives; the client reads nothing meanwhile) is cut off
// with 1008 and counted as behind, once; its place is given back.
func TestClientBehindCutOffCounted(t *testing.T) {
	s := newTestServer(t, nil)
	c, status := s.dialPath(t, "/ws/held", nil)
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("dialing: %d", status)
	}
	poll(t, 3*time.Second, "the socket subscribed", func() bool { return s.Hub.Clients("held") == 1 })
	for seq := range uint64(s.Config.Streams.SendQueue + 1) {
		s.Hub.Publish("held", live.Message{Seq: seq + 1, JSON: fmt.Appendf(nil, `{"seq":%d,"type":"x","data":{}}`, seq+1)})
	}
	close(s.held)
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		if !fws.IsCloseError(err, fws.ClosePolicyViolation) {
			t.Fatalf("the client behind: %v, want close 1008", err)
		}
		break
	}
	poll(t, 3*time.Second, "its place given back", func() bool { return len(s.counts()) == 0 })
	if got := s.closedCounts(t); !slices.Equal(got, []string{"held/behind 1"}) {
		t.Errorf("closed: %v, want held/behind 1", got)
	}
}

// closedCounts lists watchfloor_websocket_closed_total as registered,
// "stream/reason count" for each count not 0.
func (s *testServer) closedCounts(t *testing.T) []string {
	t.Helper()
	families, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range families {
		if f.GetName() != "watchfloor_websocket_closed_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			if v := m.GetCounter().GetValue(); v != 0 {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				out = append(out, fmt.Sprintf("%s/%s %v", labels["stream"], labels["reason"], v))
			}
		}
	}
	return out
}
