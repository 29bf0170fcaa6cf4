package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/fasthttp/websocket"

	"watchfloor/cmd/internal/apiclient"
)

type options struct {
	API, OsmAnd, Password string
	Duration              time.Duration
	PositionRate          int
	PositionMode          string
	Units, Senders        int
	IncidentRate          int
	Screens, Responders   int
	FanoutEvery           time.Duration
	ServerPID             int
	JSON                  string
	CPUProfile            string // this process's CPU profile over the run
	ServerProfile         string // the server's CPU profile over the sending, fetched as admin
	ServerMutexProfile    string // the locks the server waited on over the sending, fetched as admin
	ServerAllocProfile    string // what the server allocated over the sending, fetched as admin
	Steps                 bool   // split the plan tasks' time into the server's steps
	Compress              bool   // ask websockets for permessage-deflate, as browsers do
	DialTogether          bool   // log every responder in first, then dial their sockets at once
	// DialDuring, when set, dials the responders' sockets together that
	// long after the load starts, so that its figures take in the storm.
	DialDuring time.Duration
	// ScreensDuring dials the screens with the responders, DialDuring into
	// the load (a wall reconnecting with the phones), timed apart.
	ScreensDuring bool
	// WriteTo, when set, sends the positions, incidents and plans to the
	// WriteTo-th instance of API only (1 first); sockets still go in turn.
	WriteTo int
	// Tickets dials each socket with a one-time ticket asked for just
	// before instead of the token among the subprotocols (as pages do).
	Tickets bool
}

// series collects latencies of one kind.
type series struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *series) add(d time.Duration) { s.mu.Lock(); s.d = append(s.d, d); s.mu.Unlock() }

// Figure is one row of the report.
type Figure struct {
	Name    string  `json:"name"`
	Count   int64   `json:"count"`
	PerSec  float64 `json:"per_second,omitempty"`
	P50ms   float64 `json:"p50_ms,omitempty"`
	P95ms   float64 `json:"p95_ms,omitempty"`
	P99ms   float64 `json:"p99_ms,omitempty"`
	MaxMs   float64 `json:"max_ms,omitempty"`
	Errors  int64   `json:"errors,omitempty"`
	Comment string  `json:"comment,omitempty"`
}

func (s *series) figure(name string, elapsed time.Duration) Figure {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := Figure{Name: name, Count: int64(len(s.d))}
	if len(s.d) == 0 {
		return f
	}
	slices.Sort(s.d)
	ms := func(p float64) float64 {
		return float64(s.d[int(p*float64(len(s.d)-1))].Microseconds()) / 1000
	}
	f.P50ms, f.P95ms, f.P99ms = ms(0.50), ms(0.95), ms(0.99)
	f.MaxMs = float64(s.d[len(s.d)-1].Microseconds()) / 1000
	f.PerSec = float64(len(s.d)) / elapsed.Seconds()
	return f
}

// within is the percentage of the series at or under d.
func (s *series) within(d time.Duration) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.d) == 0 {
		return 0
	}
	n := 0
	for _, x := range s.d {
		if x <= d {
			n++
		}
	}
	return 100 * float64(n) / float64(len(s.d))
}

// Report is what a run measured.
type Report struct {
	Options  options  `json:"options"`
	Elapsed  string   `json:"elapsed"`
	Figures  []Figure `json:"figures"`
	ServerMB float64  `json:"server_rss_mb,omitempty"`
	PeakMB   float64  `json:"server_peak_rss_mb,omitempty"`
	// Unsent counts the positions never sent (every sender busy); the
	// refusals' line says it when some were refused, else the last line.
	Unsent int64 `json:"unsent_positions,omitempty"`
}

// refused reports whether the report has the refusals' figure (whose
// comment says what was not sent).
func (r *Report) refused() bool {
	for _, f := range r.Figures {
		if strings.HasPrefix(f.Name, "answer, 503") {
			return true
		}
	}
	return false
}

func (r *Report) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "measure\tcount\tper s\tp50 ms\tp95 ms\tp99 ms\tmax ms\terrors\t")
	for _, f := range r.Figures {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t\n", f.Name, f.Count, f.PerSec, f.P50ms, f.P95ms, f.P99ms, f.MaxMs, f.Errors)
	}
	tw.Flush()
	for _, f := range r.Figures {
		if f.Comment != "" {
			fmt.Fprintf(w, "%s: %s\n", f.Name, f.Comment)
		}
	}
	if r.ServerMB > 0 {
		fmt.Fprintf(w, "server resident memory at the end: %.0f MB (peak %.0f MB)\n", r.ServerMB, r.PeakMB)
	}
	// On the last line, which the device bench's run.sh keeps: no line more.
	if r.Unsent > 0 && !r.refused() {
		fmt.Fprintf(w, "elapsed %s; %s\n", r.Elapsed, unsent(r.Unsent))
		return
	}
	fmt.Fprintf(w, "elapsed %s\n", r.Elapsed)
}

type load struct {
	o       options
	apis    []string // the instances' API bases, used in turn
	osmands []string
	rr      atomic.Uint64
	http    *http.Client
	sent    atomic.Int64 // positions accepted
	posErr  atomic.Int64
	// unsent counts positions never sent: every sender was busy when they
	// were due (the rate asked is more than the senders offer).
	unsent   atomic.Int64
	shed     atomic.Int64 // positions refused with 503 (overloaded)
	accepted series       // a position request's answer time, accepted
	refused  series       // a position request's answer time, refused with 503
	incSent  atomic.Int64
	incErr   atomic.Int64
	toFrame  series // a position's time to its frame (screen 0)
	toScreen series // an incident's creation to incident.created, every screen
	// screenBytes counts what the screens' sockets read off the wire
	// (compressed when the socket negotiated it).
	screenBytes atomic.Int64
	// snapshotBytes is what screenBytes held when the load started: the
	// snapshots, read before it.
	snapshotBytes int64
	fanout        series   // a fan-out incident's creation to task.assigned, every responder
	steps         fanSteps // the same, split by the server's times, on every 100th responder
	slow          fanSteps // the same, on any responder, for tasks over slowTask
	wsErr         atomic.Int64
	late          []string     // the responders' tokens to dial during the load (DialDuring)
	lateScreens   string       // the screens' token, when they are dialled with them (ScreensDuring)
	screenSnaps   series       // the late screens' dial to their whole snapshot
	wsWhy         reasons      // wsErr's causes
	wsRetried     atomic.Int64 // upgrades answered 503 with Retry-After and dialled again
	snapshots     series       // a socket's dial to its whole snapshot, before the load starts (or during it: DialDuring)
	bodies        sync.Pool    // of *[]byte: batch bodies, reused
}

func newLoad(o options) *load {
	tr := &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 512, IdleConnTimeout: time.Minute}
	return &load{o: o, apis: strings.Split(o.API, ","), osmands: strings.Split(o.OsmAnd, ","),
		http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// api returns the next instance's API base (round robin).
func (l *load) api() string { return l.apis[l.rr.Add(1)%uint64(len(l.apis))] }

func (l *load) login(ctx context.Context, user string) (string, error) {
	return apiclient.Login(ctx, l.http, l.api(), user, l.o.Password)
}

func (l *load) post(ctx context.Context, path, token string, body []byte, out any) error {
	return apiclient.Post(ctx, l.http, l.writeAPI(), path, token, body, out)
}

// writeAPI is the instance the next write goes to: WriteTo's, or the next.
func (l *load) writeAPI() string {
	if l.o.WriteTo > 0 {
		return l.apis[l.o.WriteTo-1]
	}
	return l.api()
}

// stamp is how incidents carry their send time: in the title.
const stamp = "wfload:"

func stamped(kind string, t time.Time) string {
	return kind + " " + stamp + strconv.FormatInt(t.UnixNano(), 10)
}

// run logs in, connects the measuring sockets, sends for the load's
// duration and reports what the sockets saw.
func (l *load) run(ctx context.Context) (*Report, error) {
	if l.o.Password == "" {
		return nil, errors.New("set -password or WATCHFLOOR_DEMO_PASSWORD")
	}
	op, err := l.login(ctx, "operator")
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Connect the websockets first: they measure.
	if err := l.connect(ctx, runCtx, &wg); err != nil {
		return nil, err
	}
	if len(l.late) > 0 || l.lateScreens != "" {
		wg.Add(1) // counted while it adds the sockets' own
		go func() { defer wg.Done(); l.dialLate(runCtx, &wg) }()
	}
	var profiled []<-chan error
	for name, path := range map[string]string{"profile": l.o.ServerProfile, "mutex": l.o.ServerMutexProfile, "allocs": l.o.ServerAllocProfile} {
		if path != "" {
			profiled = append(profiled, l.serverProfile(ctx, name, path, l.o.Duration))
		}
	}
	elapsed := l.send(runCtx, op)
	var errs []error
	for _, done := range profiled {
		errs = append(errs, <-done) // each written or failed before wfload goes on
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	time.Sleep(2 * time.Second) // let the last frames and events arrive
	rep := &Report{Options: l.o, Elapsed: elapsed.Round(time.Millisecond).String()}
	if l.o.ServerPID > 0 {
		rep.ServerMB, rep.PeakMB = rss(l.o.ServerPID)
	}
	cancel()
	wg.Wait()
	rep.Figures = l.figures(elapsed)
	rep.Unsent = l.unsent.Load()
	return rep, nil
}

// connect logs the screens and responders in and opens their websockets,
// reading until runCtx ends (counted in wg); it returns once every socket
// is dialled, and only then do they start measuring.
func (l *load) connect(ctx, runCtx context.Context, wg *sync.WaitGroup) error {
	ready := make(chan struct{})
	var conns sync.WaitGroup
	if l.o.Screens > 0 {
		tok, err := l.login(ctx, "viewer")
		if err != nil {
			return err
		}
		if l.o.ScreensDuring {
			l.lateScreens = tok // dialled by dialLate
		} else {
			for i := range l.o.Screens {
				start(wg, &conns, func() { l.screen(runCtx, tok, i == 0, &conns, ready) })
			}
		}
	}
	dial := func(i int, tok string) {
		start(wg, &conns, func() { l.responder(runCtx, tok, l.o.Steps && i%100 == 0, &conns, ready) })
	}
	toks := make([]string, 0, l.o.Responders)
	for i := range l.o.Responders {
		tok, err := l.login(ctx, fmt.Sprintf("fan-%05d", i+1))
		if err != nil {
			return err
		}
		if !l.o.DialTogether && l.o.DialDuring == 0 {
			dial(i, tok) // each socket as its login ends: their heartbeats spread
			continue
		}
		toks = append(toks, tok)
	}
	if l.o.DialDuring > 0 {
		l.late, toks = toks, nil
	}
	for i, tok := range toks {
		dial(i, tok) // every socket at once, as phones after a restart: their heartbeats meet
	}
	conns.Wait()
	l.snapshotBytes = l.screenBytes.Load()
	close(ready)
	return nil
}

// start runs a socket's reader, one of conns (it says when its socket is
// dialled), counted in wg until it returns.
func start(wg, conns *sync.WaitGroup, read func()) {
	conns.Add(1)
	wg.Add(1)
	go func() { defer wg.Done(); read() }()
}

// dialLate dials the late responders' sockets (and the screens', with
// ScreensDuring) together once DialDuring of the load has passed, reading
// until ctx ends (counted in wg); their snapshots are timed as the others'.
func (l *load) dialLate(ctx context.Context, wg *sync.WaitGroup) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(l.o.DialDuring):
	}
	var conns sync.WaitGroup // each socket's own, unwaited: the load is under way
	measuring := make(chan struct{})
	close(measuring) // the load is under way
	for _, tok := range l.late {
		start(wg, &conns, func() { l.responder(ctx, tok, false, &conns, measuring) })
	}
	if l.lateScreens == "" {
		return
	}
	for range l.o.Screens {
		start(wg, &conns, func() { l.screen(ctx, l.lateScreens, false, &conns, measuring) })
	}
}

// send runs the senders the options ask for, as op, for the load's
// duration, and returns how long they ran.
func (l *load) send(ctx context.Context, op string) time.Duration {
	start := time.Now()
	deadline, stopSend := context.WithTimeout(ctx, l.o.Duration)
	defer stopSend()
	var senders sync.WaitGroup
	if l.o.PositionRate > 0 {
		senders.Add(1)
		go func() { defer senders.Done(); l.positions(deadline, op) }()
	}
	if l.o.IncidentRate > 0 {
		senders.Add(1)
		go func() { defer senders.Done(); l.incidents(deadline, op) }()
	}
	if l.o.FanoutEvery > 0 && l.o.Responders > 0 {
		senders.Add(1)
		go func() { defer senders.Done(); l.fanouts(deadline, op) }()
	}
	senders.Wait()
	<-deadline.Done() // sockets alone (a storm's) are held for the duration too
	return time.Since(start)
}

// unsent says how many positions were never sent, and why.
func unsent(n int64) string {
	return fmt.Sprintf("%d positions not sent: every sender was busy when they were due", n)
}

// figures are the report's figures over elapsed, once every socket is done.
func (l *load) figures(elapsed time.Duration) []Figure {
	var out []Figure
	if n := l.o.Screens + l.o.Responders; n > 0 {
		// First: the device bench's run.sh keeps the last lines.
		f := l.snapshots.figure(fmt.Sprintf("snapshot on connect, %d sockets", n), time.Second)
		f.PerSec, f.Errors = 0, int64(n)-f.Count // a socket without its snapshot failed
		if r := l.wsRetried.Load(); r > 0 {
			f.Comment = fmt.Sprintf("%d upgrades answered 503 and dialled again after their Retry-After (timed from the first dial)", r)
		}
		out = append(out, f)
		if l.o.ScreensDuring {
			s := l.screenSnaps.figure(fmt.Sprintf("of them the %d screens, dialled with the phones", l.o.Screens), time.Second)
			s.PerSec = 0
			out = append(out, s)
		}
	}
	if l.o.PositionRate > 0 {
		name := "positions sent (" + l.o.PositionMode + ")"
		out = append(out, Figure{Name: name, Count: l.sent.Load(), PerSec: float64(l.sent.Load()) / elapsed.Seconds(), Errors: l.posErr.Load()})
		out = append(out, l.accepted.figure("answer, accepted (requests)", elapsed))
		if l.shed.Load() > 0 {
			f := l.refused.figure("answer, 503 Retry-After (requests)", elapsed)
			// The rate stored again, in the last lines, which the device
			// bench's run.sh keeps (tail -6).
			f.Comment = fmt.Sprintf("%d positions refused; %.0f positions/s stored", l.shed.Load(), float64(l.sent.Load())/elapsed.Seconds())
			if l.unsent.Load() > 0 {
				f.Comment += "; " + unsent(l.unsent.Load())
			}
			out = append(out, f)
		}
		if l.o.Screens > 0 {
			f := l.toFrame.figure("moved unit to screen frame", elapsed)
			f.Comment = fmt.Sprintf("%.1f %% of moved units fresh on the screen within 500 ms; %s", l.toFrame.within(500*time.Millisecond), l.screenTraffic(elapsed))
			out = append(out, f)
		}
	}
	if l.o.IncidentRate > 0 {
		out = append(out, Figure{Name: "incidents created", Count: l.incSent.Load(), PerSec: float64(l.incSent.Load()) / elapsed.Seconds(), Errors: l.incErr.Load()})
		f := l.toScreen.figure(fmt.Sprintf("incident to %d screens", l.o.Screens), elapsed)
		if l.o.PositionRate == 0 && l.o.Screens > 0 {
			f.Comment = l.screenTraffic(elapsed)
		}
		out = append(out, f)
	}
	if l.o.FanoutEvery > 0 && l.o.Responders > 0 {
		out = append(out, l.fanout.figure(fmt.Sprintf("plan tasks to %d responders", l.o.Responders), elapsed))
		if l.o.Steps {
			out = append(out, l.steps.figures("  step: ", elapsed)...)
			out = append(out, l.slow.figures("  over 2 s, step: ", elapsed)...)
		}
	}
	if n := l.wsErr.Load(); n > 0 {
		out = append(out, Figure{Name: "websocket errors", Errors: n, Comment: l.wsWhy.String()})
	}
	return out
}

// screenTraffic says how many bytes each screen read off the wire a
// second, within a figure's comment (the report keeps its lines).
func (l *load) screenTraffic(elapsed time.Duration) string {
	per := float64(l.screenBytes.Load()-l.snapshotBytes) / float64(l.o.Screens) / elapsed.Seconds()
	return fmt.Sprintf("%.0f kB/s to each screen on the wire (compression %v)", per/1000, l.o.Compress)
}

func (l *load) dial(ctx context.Context, path, token string) (*websocket.Conn, error) {
	base, query := l.api(), ""
	// As the pages do: the token among the subprotocols, beside the server's.
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, EnableCompression: l.o.Compress,
		Subprotocols: []string{"watchfloor", "watchfloor.bearer." + token}}
	if l.o.Tickets {
		var t struct{ Ticket string }
		if err := apiclient.Post(ctx, l.http, base, "/api/v1/sessions/ticket", token, nil, &t); err != nil {
			return nil, fmt.Errorf("asking for a ticket: %w", err)
		}
		query, d.Subprotocols = "?ticket="+t.Ticket, nil
	}
	u := "ws" + strings.TrimPrefix(base, "http") + path + query
	if path == "/ws/screen" {
		d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			return countedConn{c, &l.screenBytes}, err
		}
	}
	c, resp, err := d.DialContext(ctx, u, nil)
	if errors.Is(err, websocket.ErrBadHandshake) && resp != nil {
		err = fmt.Errorf("%w: %s", err, resp.Status)
		if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && resp.StatusCode == http.StatusServiceUnavailable && s >= 0 {
			err = &retryLater{err: err, after: time.Duration(s) * time.Second}
		}
	}
	return c, err
}

// retryLater is an upgrade answered 503 with Retry-After: a client that
// reads it dials again after it, and so does the load (up to maxDials).
type retryLater struct {
	err   error
	after time.Duration
}

func (e *retryLater) Error() string { return e.err.Error() }
func (e *retryLater) Unwrap() error { return e.err }

// maxDials is how many times a socket is dialled while its upgrades are
// answered 503 with Retry-After.
const maxDials = 5

// dialAgain dials like dial, and again after the time an upgrade answered
// 503 gives (counted in wsRetried), up to maxDials in all.
func (l *load) dialAgain(ctx context.Context, path, token string) (*websocket.Conn, error) {
	c, err := l.dial(ctx, path, token)
	for n := 1; n < maxDials; n++ {
		var later *retryLater
		if !errors.As(err, &later) {
			break
		}
		l.wsRetried.Add(1)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(later.after):
		}
		c, err = l.dial(ctx, path, token)
	}
	return c, err
}

// countedConn counts the bytes read from its connection.
type countedConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// tick calls send with how many to send every 10 ms, to keep rate per second.
func tick(ctx context.Context, rate int, send func(n int)) {
	const step = 10 * time.Millisecond
	t := time.NewTicker(step)
	defer t.Stop()
	start := time.Now()
	done := 0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			due := int(float64(rate) * now.Sub(start).Seconds())
			if n := due - done; n > 0 {
				send(n)
				done = due
			}
		}
	}
}

func spot(u, k int) (float64, float64) {
	return 114.106 + float64(u%100)*0.00028 + float64(k%10)*0.00001, 22.529 + float64(u/100%100)*0.00028
}

// positions sends positions at the set rate, over the units in turn.
func (l *load) positions(ctx context.Context, token string) {
	work := make(chan []int, 4*l.o.Senders)
	var wg sync.WaitGroup
	for range l.o.Senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conns := l.osmandConns()
			defer conns.close()
			for batch := range work {
				if l.o.PositionMode == "osmand" {
					for _, n := range batch {
						l.osmandOne(conns, n)
					}
				} else {
					l.batch(token, batch)
				}
			}
		}()
	}
	next := 0
	tick(ctx, l.o.PositionRate, func(n int) {
		chunk := 1000
		if l.o.PositionMode == "osmand" {
			chunk = 50
		}
		for n > 0 {
			k := min(n, chunk)
			b := make([]int, k)
			for i := range b {
				b[i] = next
				next++
			}
			select {
			case work <- b:
			default:
				l.unsent.Add(int64(k)) // the senders cannot keep up: count, do not queue forever
			}
			n -= k
		}
	})
	close(work)
	wg.Wait()
}

// batchBody appends the batch of positions ns to buf: unit n % units at
// its spot for lap n / units, each 1 µs after the one before from now.
func (l *load) batchBody(buf []byte, ns []int, now time.Time) []byte {
	buf = append(buf, `{"positions":[`...)
	var sec int64 = -1
	var stamp [len("2006-01-02T15:04:05")]byte
	for i, n := range ns {
		if i > 0 {
			buf = append(buf, ',')
		}
		u := n % l.o.Units
		lon, lat := spot(u, n/l.o.Units)
		buf = append(buf, `{"unit_id":"load-`...)
		buf = appendPadded(buf, u+1)
		buf = append(buf, `","lon":`...)
		buf = strconv.AppendFloat(buf, lon, 'f', 6, 64)
		buf = append(buf, `,"lat":`...)
		buf = strconv.AppendFloat(buf, lat, 'f', 6, 64)
		// Nine digits of fraction; the date and time are formatted once a
		// second.
		t := now.Add(time.Duration(i) * time.Microsecond)
		if t.Unix() != sec {
			sec = t.Unix()
			t.AppendFormat(stamp[:0], "2006-01-02T15:04:05")
		}
		buf = append(append(buf, `,"at":"`...), stamp[:]...)
		buf = appendNanos(append(buf, '.'), t.Nanosecond())
		buf = append(buf, `Z","speed_mps":8}`...)
	}
	return append(buf, "]}"...)
}

func (l *load) batch(token string, ns []int) {
	pb, _ := l.bodies.Get().(*[]byte)
	if pb == nil {
		pb = new([]byte)
	}
	buf := l.batchBody((*pb)[:0], ns, time.Now().UTC())
	*pb = buf
	// The transport closes the body once it has written it, which may be
	// after the answer came: only then does the buffer go back.
	req, _ := http.NewRequest("POST", l.writeAPI()+"/api/v1/positions", &pooledBody{Reader: bytes.NewReader(buf), pb: pb, pool: &l.bodies})
	req.ContentLength = int64(len(buf))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	sent := time.Now()
	res, err := l.http.Do(req)
	if err != nil {
		l.posErr.Add(int64(len(ns)))
		return
	}
	var out struct{ Accepted int }
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if l.answered(res.StatusCode, res.Header.Get("Retry-After") != "", sent, len(ns)) {
		return
	}
	if res.StatusCode != 202 || json.Unmarshal(b, &out) != nil {
		l.posErr.Add(int64(len(ns)))
		return
	}
	l.sent.Add(int64(out.Accepted))
	if out.Accepted < len(ns) {
		l.posErr.Add(int64(len(ns) - out.Accepted))
	}
}

// answered times a position request's answer, by its status and whether
// it gave Retry-After: a refusal (503 with Retry-After) is counted as shed
// and true is returned; any other answer is timed as accepted.
func (l *load) answered(status int, retryAfter bool, sent time.Time, n int) bool {
	d := time.Since(sent)
	if status == http.StatusServiceUnavailable && retryAfter {
		l.shed.Add(int64(n))
		l.refused.add(d)
		return true
	}
	l.accepted.add(d)
	return false
}

// pooledBody is a request body whose buffer goes back to its pool when the
// transport closes it.
type pooledBody struct {
	*bytes.Reader
	pb   *[]byte
	pool *sync.Pool
	once sync.Once
}

func (b *pooledBody) Close() error {
	b.once.Do(func() { b.pool.Put(b.pb) })
	return nil
}

// appendNanos appends ns (below a second) with nine digits.
func appendNanos(b []byte, ns int) []byte {
	var d [9]byte
	for i := 8; i >= 0; i-- {
		d[i] = byte('0' + ns%10)
		ns /= 10
	}
	return append(b, d[:]...)
}

// appendPadded appends n with five digits (more past 99,999).
func appendPadded(b []byte, n int) []byte {
	if n > 99999 {
		return strconv.AppendInt(b, int64(n), 10)
	}
	return append(b, byte('0'+n/10000%10), byte('0'+n/1000%10), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

// incidents files incidents at the set rate, each titled with its send time.
func (l *load) incidents(ctx context.Context, token string) {
	sem := make(chan struct{}, 64)
	tick(ctx, l.o.IncidentRate, func(n int) {
		for range n {
			select {
			case sem <- struct{}{}:
			default:
				l.incErr.Add(1)
				continue
			}
			go func() {
				defer func() { <-sem }()
				lon, lat := spot(rand.IntN(10000), 0)
				body, _ := json.Marshal(map[string]any{
					"category": "public_order", "title": stamped("load", time.Now()), "drill": true,
					"location": map[string]float64{"lon": lon, "lat": lat}, "people_involved": 2,
				})
				if err := l.post(context.Background(), "/api/v1/incidents", token, body, nil); err != nil {
					l.incErr.Add(1)
					return
				}
				l.incSent.Add(1)
			}()
		}
	})
}

// fanouts files, every so often, an incident whose plan responds by
// procedure and sends its tasks to every responder at once.
func (l *load) fanouts(ctx context.Context, token string) {
	t := time.NewTicker(l.o.FanoutEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		body, _ := json.Marshal(map[string]any{
			"category": "traffic", "title": stamped("fanout", time.Now()), "drill": true, "grid": "440303001001001",
		})
		if err := l.post(ctx, "/api/v1/incidents", token, body, nil); err != nil && ctx.Err() == nil {
			l.incErr.Add(1)
		}
	}
}

// rss reads a process's resident and peak memory in MB from /proc.
func rss(pid int) (cur, peak float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			cur = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return cur, peak
}
