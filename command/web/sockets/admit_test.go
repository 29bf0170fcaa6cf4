package sockets

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"watchfloor/command/auth"
	"watchfloor/command/vocab"
)

// admitServer serves /ws/session behind AdmitFor with one place and wait,
// then a handler that holds the first request it sees until release is
// called (as a slow session lookup would) and refuses those that ask.
type admitServer struct {
	*testServer
	seen    atomic.Int32  // requests past AdmitFor
	holding chan struct{} // closed once the first is held
	release func()
}

func newAdmitServer(t *testing.T, wait time.Duration) *admitServer {
	t.Helper()
	a := &admitServer{holding: make(chan struct{})}
	free := make(chan struct{})
	var once sync.Once
	a.release = func() { once.Do(func() { close(free) }) }
	t.Cleanup(a.release) // runs last: the server's shutdown waits for the held one up to 5 s
	hold := func(c *fiber.Ctx) error {
		if a.seen.Add(1) == 1 {
			close(a.holding)
			<-free
		}
		if c.Get("X-Panic") != "" {
			panic("a handler after AdmitFor")
		}
		if c.Get("X-Refuse") != "" {
			return fiber.ErrForbidden
		}
		return c.Next()
	}
	var s *Server
	admit := func(c *fiber.Ctx) error { return s.admit(c, s.admits) }
	a.testServer = newTestServerWith(t, nil, func(srv *Server) {
		s, srv.admits, srv.admitWait = srv, make(chan struct{}, 1), wait
	}, recover.New(), admit, hold)
	return a
}

// held waits for the first request to be held past AdmitFor.
func (a *admitServer) held(t *testing.T) {
	t.Helper()
	select {
	case <-a.holding:
	case <-time.After(10 * time.Second):
		t.Fatal("no request came past AdmitFor within 10 s")
	}
}

// dialing dials /ws/session with header in the background; its status
// and answer headers come on the channel (status 0: no answer).
func (a *admitServer) dialing(t *testing.T, header http.Header) <-chan *http.Response {
	t.Helper()
	out := make(chan *http.Response, 1)
	go func() {
		c, res, _ := (&fws.Dialer{HandshakeTimeout: 10 * time.Second}).Dial("ws://"+a.addr+"/ws/session", header)
		if c != nil {
			t.Cleanup(func() { _ = c.Close() })
		}
		if res == nil {
			res = &http.Response{}
		}
		out <- res
	}()
	return out
}

func answer(t *testing.T, ch <-chan *http.Response) *http.Response {
	t.Helper()
	select {
	case res := <-ch:
		return res
	case <-time.After(10 * time.Second):
		t.Fatal("no answer within 10 s")
		return nil
	}
}

// TestAdmitTakesUpgradesInTurn: with one place, a second upgrade waits at
// AdmitFor while the first is held past it, and goes on once the first has
// started its socket; the place is given back as a socket starts, not when
// it closes.
func TestAdmitTakesUpgradesInTurn(t *testing.T) {
	a := newAdmitServer(t, 5*time.Second)
	first := a.dialing(t, nil)
	a.held(t)
	second := a.dialing(t, nil)
	// Bounded, to show an absence: the second does not pass AdmitFor.
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if a.seen.Load() > 1 {
			t.Fatal("a second upgrade went on while the first held the one place")
		}
	}
	a.release()
	for _, ch := range []<-chan *http.Response{first, second} {
		if res := answer(t, ch); res.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("upgrade answered %d, want 101", res.StatusCode)
		}
	}
	poll(t, 3*time.Second, "the place given back with both sockets open", func() bool { return len(a.admits) == 0 })
	if n := len(a.counts()); n == 0 {
		t.Fatal("the sockets closed")
	}
}

// TestAdmitRefusesPastItsWait: an upgrade that finds no place within its
// wait is answered 503 overloaded with Retry-After, and counted; one the
// route refuses gives its place back at once.
func TestAdmitRefusesPastItsWait(t *testing.T) {
	a := newAdmitServer(t, 100*time.Millisecond)
	first := a.dialing(t, http.Header{"X-Refuse": {"yes"}})
	a.held(t)
	res := answer(t, a.dialing(t, nil))
	var p struct{ Type string }
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != admitRetry {
		t.Fatalf("an upgrade with no place: %d, Retry-After %q; want 503 and %s", res.StatusCode, res.Header.Get("Retry-After"), admitRetry)
	}
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil || p.Type != "/docs/problems#overloaded" {
		t.Fatalf("problem %+v, %v", p, err)
	}
	if n := a.counter(t, "watchfloor_websocket_starts_refused_total"); n != 1 {
		t.Fatalf("refusals counted: %v, want 1", n)
	}
	a.release()
	if res := answer(t, first); res.StatusCode != http.StatusForbidden {
		t.Fatalf("the refused upgrade: %d, want 403", res.StatusCode)
	}
	// Its place is free again: the next is upgraded within its 100 ms.
	if res := answer(t, a.dialing(t, nil)); res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("an upgrade after a refused one: %d, want 101", res.StatusCode)
	}
	// A handler that panics after AdmitFor (recovered further out) gives its
	// place back too.
	if res := answer(t, a.dialing(t, http.Header{"X-Panic": {"yes"}})); res.StatusCode != http.StatusInternalServerError {
		t.Fatalf("a panicking handler: %d, want 500", res.StatusCode)
	}
	if res := answer(t, a.dialing(t, nil)); res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("an upgrade after a panic: %d, want 101", res.StatusCode)
	}
}

// TestHandshakeHandsItsAdmissionOverFirst: an upgrade answered but whose
// handler has not started gives its place among the sockets starting back
// after the handoff, and keeps its own count until the limit.
func TestHandshakeHandsItsAdmissionOverFirst(t *testing.T) {
	places := make(chan struct{}, 1)
	places <- struct{}{}
	released := make(chan struct{})
	h := &handshake{started: make(chan struct{}), adm: &admission{places: places}, release: func() { close(released) }}
	base, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.watch(base, 10*time.Millisecond, time.Hour) }()
	poll(t, 3*time.Second, "the place among the sockets starting given back", func() bool { return len(places) == 0 })
	select {
	case <-released:
		t.Fatal("the handshake's own count was released at the handoff")
	default:
	}
	cancel() // the server shuts down
	<-done
	select {
	case <-released:
	default:
		t.Fatal("the handshake was not released at shutdown")
	}
}

// counter is the value of the registered counter name (without labels).
func (s *testServer) counter(t *testing.T, name string) float64 {
	t.Helper()
	families, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no counter %s", name)
	return 0
}

// TestTheControlRoomHasAQueueOfItsOwn: phones queue apart from the wall
// screens, leaders and pages' session sockets, so that with every phone's
// place taken a screen's upgrade still goes on at once.
func TestTheControlRoomHasAQueueOfItsOwn(t *testing.T) {
	var s *Server
	admit := func(c *fiber.Ctx) error { return s.AdmitFor("ws.session")(c) }
	ts := newTestServerWith(t, nil, func(srv *Server) {
		s, srv.admitWait = srv, 100*time.Millisecond
	}, admit)
	for _, tc := range []struct {
		route string
		want  chan struct{}
	}{{"ws.responder", s.admits}, {"ws.screen", s.desks}, {"ws.leader", s.desks}, {"ws.session", s.desks}} {
		if s.placesFor(tc.route) != tc.want {
			t.Errorf("%s queues with the wrong places", tc.route)
		}
	}
	// Every websocket route of the table: the phones' alone (a responder's
	// only) queue with the phones, so that a new or renamed one is seen.
	for _, r := range auth.Routes {
		if !strings.HasPrefix(r.Name, "ws.") {
			continue
		}
		phones := slices.Equal(r.Roles, []vocab.Role{vocab.Responder})
		if (s.placesFor(r.Name) == s.admits) != phones {
			t.Errorf("%s (roles %v) queues with the phones: %v, want %v", r.Name, r.Roles, !phones, phones)
		}
	}
	if s.admits == s.desks || cap(s.admits) != admitsAtOnce || cap(s.desks) != deskAdmitsAtOnce {
		t.Fatalf("queues: phones %d places, control room %d, the same: %v", cap(s.admits), cap(s.desks), s.admits == s.desks)
	}
	for range cap(s.admits) {
		s.admits <- struct{}{} // every phone's place taken
	}
	if _, status := ts.dial(t, nil); status != http.StatusSwitchingProtocols {
		t.Fatalf("a session socket with every phone's place taken: %d, want 101", status)
	}
}
