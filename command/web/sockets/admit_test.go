package sockets

import (
	"context"
	"encoding/json"
	"fmt"
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
	"watchfloor/config"
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
	return newAdmitServerWith(t, wait, nil)
}

// newAdmitServerWith is newAdmitServer with tweak applied to its
// configuration.
func newAdmitServerWith(t *testing.T, wait time.Duration, tweak func(*config.Config)) *admitServer {
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
	a.testServer = newTestServerWith(t, tweak, func(srv *Server) {
		s, srv.admits.places, srv.admitWait = srv, make(chan struct{}, 1), wait
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

// wellFormed is a credential of a token's form: AdmitFor lets it queue,
// and no session behind /ws/session is looked up.
func wellFormed() http.Header {
	return http.Header{"Authorization": {"Bearer " + strings.Repeat("A", 43)}}
}

// dialing dials /ws/session with header, and a well-formed credential
// unless it has one, in the background; its status and answer headers
// come on the channel (status 0: no answer).
func (a *admitServer) dialing(t *testing.T, header http.Header) <-chan *http.Response {
	t.Helper()
	header = header.Clone()
	if header == nil {
		header = http.Header{}
	}
	if _, ok := header["Authorization"]; !ok {
		header.Set("Authorization", wellFormed().Get("Authorization"))
	}
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
	// The second waits at AdmitFor, counted there, and has not passed it.
	poll(t, 5*time.Second, "the second upgrade waiting", func() bool { return waitingFrom(a.admits, "127.0.0.1") == 1 })
	if a.seen.Load() > 1 {
		t.Fatal("a second upgrade went on while the first held the one place")
	}
	a.release()
	for _, ch := range []<-chan *http.Response{first, second} {
		if res := answer(t, ch); res.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("upgrade answered %d, want 101", res.StatusCode)
		}
	}
	poll(t, 3*time.Second, "the place given back with both sockets open", func() bool { return len(a.admits.places) == 0 })
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
	a.refused(t, answer(t, a.dialing(t, nil)), http.StatusServiceUnavailable, "overloaded", "overloaded", 0)
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

// TestAdmitRefusesIllFormedCredentialsFirst: with the one place held, an
// upgrade with no credential a session could have is answered 401, not
// queued: it neither waits for the place nor comes past AdmitFor.
func TestAdmitRefusesIllFormedCredentialsFirst(t *testing.T) {
	a := newAdmitServer(t, time.Minute)
	first := a.dialing(t, nil)
	a.held(t)
	for _, h := range []http.Header{{"Authorization": {""}}, {"Authorization": {"Bearer undefined"}}} {
		if res := answer(t, a.dialing(t, h)); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("an upgrade with %q: %d, want 401", h.Get("Authorization"), res.StatusCode)
		}
	}
	if n := waitingFrom(a.admits, "127.0.0.1"); n != 0 || a.seen.Load() != 1 {
		t.Fatalf("%d waiting, %d past AdmitFor; want 0 and the first", n, a.seen.Load())
	}
	a.release()
	if res := answer(t, first); res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("the first: %d, want 101", res.StatusCode)
	}
}

// TestAdmitLetsItsWaitersGoAtShutdown: an upgrade waiting for a place
// when the server shuts down is answered 503 at once and no longer counted.
func TestAdmitLetsItsWaitersGoAtShutdown(t *testing.T) {
	a := newAdmitServer(t, time.Minute)
	a.dialing(t, nil)
	a.held(t)
	waiting := a.dialing(t, nil)
	poll(t, 5*time.Second, "an upgrade waiting", func() bool { return waitingFrom(a.admits, "127.0.0.1") == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if res := answer(t, waiting); res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("the waiting upgrade at shutdown: %d, want 503", res.StatusCode)
	}
	if n := waitingFrom(a.admits, "127.0.0.1"); n != 0 {
		t.Fatalf("%d counted waiting after the shutdown", n)
	}
	a.release()
}

// refused checks that res is a refusal of AdmitFor's: status with
// Retry-After and the problem typ, counted once for reason, with waiting
// upgrades left in the phones' queue; it returns the problem's detail.
func (a *admitServer) refused(t *testing.T, res *http.Response, status int, typ, reason string, waiting int) string {
	t.Helper()
	if res.StatusCode != status || res.Header.Get("Retry-After") != admitRetry {
		t.Fatalf("refused with %d, Retry-After %q; want %d and %s", res.StatusCode, res.Header.Get("Retry-After"), status, admitRetry)
	}
	var p struct{ Type, Detail string }
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil || p.Type != "/docs/problems#"+typ {
		t.Fatalf("problem %+v, %v; want %s", p, err, typ)
	}
	if n := a.counter(t, "watchfloor_websocket_starts_refused_total", "phones", reason); n != 1 {
		t.Fatalf("refusals counted for %s: %v, want 1", reason, n)
	}
	if n := waitingFrom(a.admits, "127.0.0.1"); n != waiting {
		t.Fatalf("%d waiting after the refusal, want %d", n, waiting)
	}
	return p.Detail
}

// waitingFrom is how many upgrades of key (an address or a /64) wait in q.
func waitingFrom(q *queue, key string) int {
	q.waiting.mu.Lock()
	defer q.waiting.mu.Unlock()
	return q.waiting.byAddr[key] + q.waiting.byNet[key]
}

// TestAdmitCapsAnAddressesWaiters: past limits.sockets_per_address
// upgrades of one address waiting for a place, the next is answered 429
// at once with Retry-After, counted, and takes no place in the queue; the
// ones waiting go on when the place is free.
func TestAdmitCapsAnAddressesWaiters(t *testing.T) {
	a := newAdmitServerWith(t, 10*time.Second, func(c *config.Config) { c.Limits.SocketsPerAddress = 2 })
	// Refused once past AdmitFor, so that the two waiting are the
	// address's open sockets in the end.
	first := a.dialing(t, http.Header{"X-Refuse": {"yes"}})
	a.held(t)
	waiting := []<-chan *http.Response{a.dialing(t, nil), a.dialing(t, nil)}
	poll(t, 5*time.Second, "two upgrades waiting", func() bool { return waitingFrom(a.admits, "127.0.0.1") == 2 })
	if detail := a.refused(t, answer(t, a.dialing(t, nil)), http.StatusTooManyRequests, "too-many-sockets", "address", 2); !strings.Contains(detail, "at most 2 ") {
		t.Fatalf("the refusal says %q, want the limit", detail)
	}
	a.release()
	if res := answer(t, first); res.StatusCode != http.StatusForbidden {
		t.Fatalf("the first: %d, want 403", res.StatusCode)
	}
	for _, ch := range waiting {
		if res := answer(t, ch); res.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("a waiting upgrade answered %d, want 101", res.StatusCode)
		}
	}
	if n := waitingFrom(a.admits, "127.0.0.1"); n != 0 {
		t.Fatalf("%d counted waiting with none left", n)
	}
}

// TestWaitersCountedByAddressAndNetwork: an address may have perAddr
// upgrades waiting, an IPv6 /64 eight times that whatever its addresses.
func TestWaitersCountedByAddressAndNetwork(t *testing.T) {
	var w counts // as a queue's waiters: no token, one an address
	join := func(ip string) bool { return w.open(ownerOf("", ip), 0, 1, networkSockets) }
	if !join("192.0.2.1") || join("192.0.2.1") || !join("192.0.2.2") {
		t.Fatal("IPv4: one waiter an address")
	}
	for i := range networkSockets {
		if !join(fmt.Sprintf("2001:db8::%x", i+1)) {
			t.Fatalf("the /64's waiter %d refused", i+1)
		}
	}
	if join("2001:db8::ff") {
		t.Fatalf("a /64's waiter past %d let in", networkSockets)
	}
	if !join("2001:db8:0:1::1") {
		t.Fatal("another /64 refused")
	}
	w.closed(ownerOf("", "2001:db8::1"))
	if !join("2001:db8::ff") {
		t.Fatal("the /64 full after one left")
	}
	for _, ip := range []string{"192.0.2.1", "192.0.2.2", "2001:db8:0:1::1", "2001:db8::ff"} {
		w.closed(ownerOf("", ip))
	}
	for i := 1; i < networkSockets; i++ {
		w.closed(ownerOf("", fmt.Sprintf("2001:db8::%x", i+1)))
	}
	if len(w.byTok)+len(w.byAddr)+len(w.byNet) != 0 {
		t.Fatalf("counts left with none waiting: %v %v", w.byAddr, w.byNet)
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

// counter is the value of the registered counter name with the label
// values given, in the order of its labels' names.
func (s *testServer) counter(t *testing.T, name string, values ...string) float64 {
	t.Helper()
	families, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var got []string
			for _, l := range m.GetLabel() {
				got = append(got, l.GetValue())
			}
			if slices.Equal(got, values) {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no counter %s %v", name, values)
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
		want  *queue
	}{{"ws.responder", s.admits}, {"ws.screen", s.desks}, {"ws.leader", s.desks}, {"ws.session", s.desks}} {
		if s.queueFor(tc.route) != tc.want {
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
		if (s.queueFor(r.Name) == s.admits) != phones {
			t.Errorf("%s (roles %v) queues with the phones: %v, want %v", r.Name, r.Roles, !phones, phones)
		}
	}
	if s.admits == s.desks || cap(s.admits.places) != admitsAtOnce || cap(s.desks.places) != deskAdmitsAtOnce {
		t.Fatalf("queues: phones %d places, control room %d, the same: %v", cap(s.admits.places), cap(s.desks.places), s.admits == s.desks)
	}
	for range cap(s.admits.places) {
		s.admits.places <- struct{}{} // every phone's place taken
	}
	if _, status := ts.dial(t, wellFormed()); status != http.StatusSwitchingProtocols {
		t.Fatalf("a session socket with every phone's place taken: %d, want 101", status)
	}
}
