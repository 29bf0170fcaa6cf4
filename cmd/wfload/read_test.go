package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// TestReadHead: a message whose head is wanted is read whole, however
// long, into the reused buffer; any other is dropped after its head; a
// message shorter than a head is judged whole.
func TestReadHead(t *testing.T) {
	task := `{"seq":7,"type":"task.assigned","at":"x","data":{"title":"` + strings.Repeat("长", 5000) + `"}}`
	snap := `{"seq":9,"type":"snapshot","data":{"units":[` + strings.Repeat(`{},`, 100000) + `{}]}}`
	want := func(head []byte) bool { return isType(head, `"task.assigned"`) }
	buf := make([]byte, 0, 16)
	for _, c := range []struct {
		msg   string
		whole bool
	}{{task, true}, {snap, false}, {`{"type":"task.assigned"}`, true}, {`{"type":"heartbeat"}`, false}, {task, true}} {
		got, whole, err := readHead(strings.NewReader(c.msg), buf[:0], want)
		if err != nil || whole != c.whole || (whole && !bytes.Equal(got, []byte(c.msg))) {
			t.Fatalf("%.30s…: whole %v (want %v), %d bytes, %v", c.msg, whole, c.whole, len(got), err)
		}
		buf = got
	}
	if cap(buf) > 4*len(task) {
		t.Fatalf("the buffer grew to %d bytes for messages of at most %d wanted", cap(buf), len(task))
	}
}

// TestFanSteps: a task's time is split at its assigned_at and its event's
// at; a message without them is not counted.
func TestFanSteps(t *testing.T) {
	sent := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	var f fanSteps
	f.add([]byte(`{"seq":3,"type":"task.assigned","at":"2026-12-05T08:00:00.050Z","data":{"assigned_at":"2026-12-05T08:00:00.010Z","incident":{"id":"INC-1"}}}`),
		sent, sent.Add(80*time.Millisecond))
	f.add([]byte(`{"seq":4,"type":"task.assigned","data":{"assigned_at":"2026-12-05T08:00:00.010Z"}}`), sent, sent.Add(time.Second))
	f.add([]byte(`{"seq":5,"type":"task.assigned","at":"2026-12-05T08:00:00.050Z","data":{}}`), sent, sent.Add(time.Second))
	for _, c := range []struct {
		s    *series
		want time.Duration
	}{{&f.activated, 10 * time.Millisecond}, {&f.begun, 40 * time.Millisecond}, {&f.delivered, 30 * time.Millisecond}} {
		if len(c.s.d) != 1 || c.s.d[0] != c.want {
			t.Fatalf("step %v, want [%v]", c.s.d, c.want)
		}
	}
}

// TestReadAnswersPingsBeforeReady: a socket whose snapshot is read goes on
// reading while the other sockets connect (ready still open), so that the
// server's ping is answered within a bound, as the server's silence window
// demands; messages before ready are read off but not measured, those
// after it are.
func TestReadAnswersPingsBeforeReady(t *testing.T) {
	// The server writes each message sent on next; "ping" pings and says
	// on ponged whether the pong came within 2 s (else it closes, as the
	// server cuts a silent client). The client answers a ping only once it
	// has read what was written before it.
	ponged := make(chan bool)
	next := make(chan string)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up := websocket.Upgrader{}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("upgrade: %v", err)
			return
		}
		defer c.Close()
		heard := make(chan struct{}, 1)
		c.SetPongHandler(func(string) error { heard <- struct{}{}; return nil })
		go func() { // reads, so that pongs are handled
			for {
				if _, _, err := c.NextReader(); err != nil {
					return
				}
			}
		}()
		_ = c.WriteMessage(websocket.TextMessage, []byte(`{"seq":1,"type":"snapshot","data":{}}`))
		for msg := range next {
			if msg != "ping" {
				_ = c.WriteMessage(websocket.TextMessage, []byte(msg))
				continue
			}
			_ = c.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second))
			select {
			case <-heard:
				ponged <- true
			case <-time.After(2 * time.Second):
				ponged <- false
				return
			}
		}
	}))
	defer srv.Close()
	l := &load{apis: []string{srv.URL}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var conns sync.WaitGroup
	conns.Add(1)
	ready := make(chan struct{})
	got := make(chan string, 10)
	want := func(head []byte) bool { return isType(head, `"task.assigned"`) }
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.read(ctx, "/ws/responder", "tok", &conns, ready, want, func(raw []byte, _ time.Time) { got <- string(raw) })
	}()
	conns.Wait() // the snapshot is read; ready stays open
	next <- "ping"
	if !<-ponged {
		t.Fatal("a ping after the snapshot was not answered within 2 s while ready was held open")
	}
	next <- `{"seq":2,"type":"task.assigned","data":{"n":"before"}}`
	next <- "ping" // answered once the message before is read
	if !<-ponged {
		t.Fatal("the second ping was not answered")
	}
	close(ready)
	next <- `{"seq":3,"type":"task.assigned","data":{"n":"after"}}`
	select {
	case m := <-got:
		if !strings.Contains(m, `"after"`) {
			t.Fatalf("measured %s, sent before ready", m)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the message after ready was not measured")
	}
	cancel()
	<-done
	close(next)
	if n := l.snapshots.figure("", time.Second).Count; n != 1 || l.wsErr.Load() != 0 {
		t.Errorf("snapshots %d, errors %d; want 1 and 0", n, l.wsErr.Load())
	}
}

// With -dial-together every responder is logged in before any socket is
// dialled: the last login waits a second for a dial, and none may come.
// Without it, a socket is dialled as its login ends, before the last.
func TestDialTogether(t *testing.T) {
	for _, together := range []bool{true, false} {
		const responders = 3
		var logins atomic.Int64
		dialled := make(chan struct{}, responders)
		var early atomic.Bool // a socket dialled while a login was still to come
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/v1/sessions" {
				if logins.Add(1) == responders {
					select {
					case <-dialled:
						early.Store(true)
					case <-time.After(time.Second):
					}
				}
				_, _ = w.Write([]byte(`{"token":"tok"}`))
				return
			}
			dialled <- struct{}{}
			serveSnapshot(w, r)
		}))
		l := &load{apis: []string{srv.URL}, http: srv.Client(), o: options{Responders: responders, Password: "p", DialTogether: together}}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		if err := l.connect(context.Background(), ctx, &wg); err != nil {
			t.Fatal(err)
		}
		cancel()
		wg.Wait()
		srv.Close()
		if early.Load() == together {
			t.Errorf("-dial-together %v: a socket dialled before the last login: %v", together, early.Load())
		}
	}
}

// With -dial-during no responder's socket is dialled before the load: each
// is dialled by dialLate, once the time given has passed; with
// -screens-during the screens' too, their snapshots timed apart.
func TestDialDuring(t *testing.T) {
	for _, screens := range []bool{false, true} {
		t.Run(fmt.Sprintf("screens-during=%v", screens), func(t *testing.T) { testDialDuring(t, screens) })
	}
}

func testDialDuring(t *testing.T, screensDuring bool) {
	const responders = 2
	late := responders + btoi(screensDuring)
	dialled := make(chan struct{}, late)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/sessions" {
			_, _ = w.Write([]byte(`{"token":"tok"}`))
			return
		}
		dialled <- struct{}{}
		serveSnapshot(w, r)
	}))
	defer srv.Close()
	l := &load{apis: []string{srv.URL}, http: srv.Client(), o: options{Responders: responders, Password: "p", DialDuring: 10 * time.Millisecond,
		Screens: btoi(screensDuring), ScreensDuring: screensDuring}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	if err := l.connect(context.Background(), ctx, &wg); err != nil {
		t.Fatal(err)
	}
	if len(dialled) != 0 || len(l.late) != responders {
		t.Fatalf("before the load: %d sockets dialled, %d left for later; want 0 and %d", len(dialled), len(l.late), responders)
	}
	wg.Add(1)
	go func() { defer wg.Done(); l.dialLate(ctx, &wg) }()
	for range late {
		select {
		case <-dialled:
		case <-time.After(5 * time.Second):
			t.Fatal("the late sockets were not dialled within 5 s")
		}
	}
	// The server says a dial came before it writes the snapshot: the run
	// ends once every late socket has read its own (an end sooner closes
	// a socket before its snapshot, which is then not timed).
	for deadline := time.Now().Add(5 * time.Second); l.snapshots.figure("", time.Second).Count < int64(late); {
		if time.Now().After(deadline) {
			t.Fatalf("the late sockets' snapshots were not all read within 5 s: %d of %d", l.snapshots.figure("", time.Second).Count, late)
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	wg.Wait()
	if n := l.screenSnaps.figure("", time.Second).Count; n != int64(btoi(screensDuring)) {
		t.Fatalf("late screens' snapshots timed: %d, want %d", n, btoi(screensDuring))
	}
}

// btoi is 1 for true, 0 for false.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// An upgrade answered 503 with Retry-After is dialled again after it (and
// counted); one answered 503 without it, or another status, is not.
func TestDialAgainAfterRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name, retry string
		status      int
		dials       int64
		ok          bool
	}{
		{"503 with Retry-After", "0", http.StatusServiceUnavailable, 2, true},
		{"503 without", "", http.StatusServiceUnavailable, 1, false},
		{"429 with Retry-After", "0", http.StatusTooManyRequests, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dials atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				refuseFirstDial(w, r, dials.Add(1), tc.status, tc.retry)
			}))
			defer srv.Close()
			l := &load{apis: []string{srv.URL}}
			c, err := l.dialAgain(context.Background(), "/ws/responder", "tok")
			if c != nil {
				_ = c.Close()
			}
			if (err == nil) != tc.ok || dials.Load() != tc.dials || l.wsRetried.Load() != tc.dials-1 {
				t.Fatalf("err %v after %d dials, %d counted again; want ok %v after %d", err, dials.Load(), l.wsRetried.Load(), tc.ok, tc.dials)
			}
		})
	}
}

// refuseFirstDial answers dial n: the first with status (and Retry-After
// when retry is set), every later one upgraded and closed.
func refuseFirstDial(w http.ResponseWriter, r *http.Request, n int64, status int, retry string) {
	if n == 1 {
		if retry != "" {
			w.Header().Set("Retry-After", retry)
		}
		w.WriteHeader(status)
		return
	}
	c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
	if err == nil {
		_ = c.Close()
	}
}

// serveSnapshot upgrades r, sends a snapshot and reads until the client
// closes.
func serveSnapshot(w http.ResponseWriter, r *http.Request) {
	c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"seq":1,"type":"snapshot","data":{}}`))
	_, _, _ = c.NextReader() // until the client closes
}

// TestDialWithTickets: with -tickets each dial asks for a fresh ticket with
// the session's token and carries it, not the token, in the address; a
// dial again after a 503 asks for another.
func TestDialWithTickets(t *testing.T) {
	var tickets, dials atomic.Int64
	var seen []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/sessions/ticket" {
			if r.Method != "POST" || r.Header.Get("Authorization") != "Bearer tok" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			fmt.Fprintf(w, `{"ticket":"t%d"}`, tickets.Add(1))
			return
		}
		mu.Lock()
		seen = append(seen, r.URL.RawQuery+r.Header.Get("Sec-WebSocket-Protocol"))
		mu.Unlock()
		refuseFirstDial(w, r, dials.Add(1), http.StatusServiceUnavailable, "0")
	}))
	defer srv.Close()
	l := &load{o: options{Tickets: true}, apis: []string{srv.URL}, http: srv.Client()}
	c, err := l.dialAgain(context.Background(), "/ws/responder", "tok")
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(seen, []string{"ticket=t1", "ticket=t2"}) {
		t.Fatalf("dialled with %q, want a fresh ticket each time and no token, nor subprotocols", seen)
	}
}

// TestDialWithTheTokenAmongTheSubprotocols: by default a socket is dialled
// as the pages dial: the token among the subprotocols, none in the address.
func TestDialWithTheTokenAmongTheSubprotocols(t *testing.T) {
	var query, protocols string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query, protocols = r.URL.RawQuery, r.Header.Get("Sec-WebSocket-Protocol")
		c, err := (&websocket.Upgrader{Subprotocols: []string{"watchfloor"}}).Upgrade(w, r, nil)
		if err == nil {
			_ = c.Close()
		}
	}))
	defer srv.Close()
	l := &load{apis: []string{srv.URL}}
	c, err := l.dial(context.Background(), "/ws/responder", "tok")
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if query != "" || protocols != "watchfloor, watchfloor.bearer.tok" || c.Subprotocol() != "watchfloor" {
		t.Fatalf("dialled with query %q, protocols %q, answered %q", query, protocols, c.Subprotocol())
	}
}
