package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"watchfloor/command/alarm"
	"watchfloor/command/auth"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/live"
	"watchfloor/command/vocab"
)

// screenSocket serves /ws/screen: a snapshot (or a replay after ?since=),
// then every event of the screen stream with its seq.
func (a *API) screenSocket() []fiber.Handler {
	return a.socketWith(func(conn *websocket.Conn) socketSpec {
		sess, _ := conn.Locals(sessionKey).(auth.Session)
		area := strings.Clone(sess.Area)
		return socketSpec{stream: vocab.ScreenStream, snapshot: func(ctx context.Context) ([]byte, uint64, error) {
			return a.screenSnapshot(ctx, area)
		}}
	})
}

// socketSpec says what one websocket serves.
type socketSpec struct {
	stream   string
	snapshot live.Snapshot
	// verify checks the stream's seq on heartbeats (notified streams).
	verify bool
	// handle answers a client message; its reply goes through the writer.
	handle func(ctx context.Context, msg []byte) []byte
}

// socketWith upgrades a checked request to a websocket served by spec.
func (a *API) socketWith(spec func(*websocket.Conn) socketSpec) []fiber.Handler {
	pre := func(c *fiber.Ctx) error {
		if !websocket.IsWebSocketUpgrade(c) {
			return fiber.ErrUpgradeRequired
		}
		if !a.sameOrigin(c) {
			return forbidden("websocket origin " + c.Get(fiber.HeaderOrigin) + " is not allowed")
		}
		if v := c.Query("since"); v != "" {
			if _, err := strconv.ParseUint(v, 10, 64); err != nil {
				return fault.Field("since", "must be a seq: a whole number")
			}
		}
		if a.base.Err() != nil {
			return fault.ErrUnavailable
		}
		// Both outlive the request (the counts are map keys): copy them.
		// A session is counted by its token's hash (a ticket's socket too).
		hash, _ := c.Locals(tokenHashKey).(string)
		who := socketOwner{token: strings.Clone(hash), addr: strings.Clone(a.clientIP(c))}
		if !a.ws.open(who, a.Config.Limits.SocketsPerSession, a.Config.Limits.SocketsPerAddress) {
			c.Set(fiber.HeaderRetryAfter, "5")
			return problem(c, 429, "too-many-sockets", fmt.Sprintf("at most %d websockets per session and %d per address are open at once",
				a.Config.Limits.SocketsPerSession, a.Config.Limits.SocketsPerAddress), nil)
		}
		c.Locals(socketOwnerKey, who)
		a.sockets.Add(1)
		return c.Next()
	}
	ws := websocket.New(func(conn *websocket.Conn) {
		defer a.sockets.Done()
		who, _ := conn.Locals(socketOwnerKey).(socketOwner)
		defer a.ws.closed(who)
		a.serveSocket(conn, spec(conn))
	}, websocket.Config{HandshakeTimeout: 5 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 8192})
	return []fiber.Handler{pre, func(c *fiber.Ctx) error {
		err := ws(c)
		if err != nil {
			// The upgrade failed: the handler will never run.
			who, _ := c.Locals(socketOwnerKey).(socketOwner)
			a.ws.closed(who)
			a.sockets.Done()
		}
		return err
	}}
}

// socketOwnerKey is where a socket's owner, as counted, is kept in Locals.
const socketOwnerKey = "socket-owner"

// socketOwner is whose a socket is, for the limits: its session token
// (none for a socket without one) and its client address.
type socketOwner struct{ token, addr string }

// sockets is the websocket state of an instance: the open sockets counted
// per session token and per client address, and the screen snapshot last
// built, shared by the sockets that connect while it is current.
type sockets struct {
	mu     sync.Mutex
	byTok  map[string]int
	byAddr map[string]int

	// snapMu is held while a snapshot is built, so that sockets arriving
	// together wait for one build instead of each making its own.
	snapMu sync.Mutex
	parts  *snapshotParts
	snaps  map[string]builtSnapshot // by the account's area ("" for all)
}

// open counts a socket of who, unless its token or its address is at its
// limit.
func (s *sockets) open(who socketOwner, perToken, perAddr int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byTok == nil {
		s.byTok, s.byAddr = map[string]int{}, map[string]int{}
	}
	if (who.token != "" && s.byTok[who.token] >= perToken) || s.byAddr[who.addr] >= perAddr {
		return false
	}
	if who.token != "" {
		s.byTok[who.token]++
	}
	s.byAddr[who.addr]++
	return true
}

// closed uncounts a socket counted by open.
func (s *sockets) closed(who socketOwner) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if who.token != "" {
		uncount(s.byTok, who.token)
	}
	uncount(s.byAddr, who.addr)
}

func uncount(m map[string]int, k string) {
	if m[k] <= 1 {
		delete(m, k)
	} else {
		m[k]--
	}
}

func (a *API) serveSocket(conn *websocket.Conn, spec socketSpec) {
	ctx, cancelCause := context.WithCancelCause(a.base)
	cancel := func() { cancelCause(context.Canceled) }
	defer cancel()
	// A session ended anywhere closes the socket at once (revocations), and
	// now and then its session is checked and slid (keepSession).
	if hash, _ := conn.Locals(tokenHashKey).(string); hash != "" {
		defer a.sessions.add(hash, cancelCause)()
		go a.keepSession(ctx, cancelCause, hash)
	}
	var since *uint64
	if v := conn.Query("since"); v != "" {
		n, _ := strconv.ParseUint(v, 10, 64)
		since = &n
	}
	// The reader only reads: it notices a closed connection and hands
	// client messages to the handler, whose replies go through the writer.
	readerDone := make(chan struct{})
	direct := make(chan []byte, 16)
	conn.SetReadLimit(64 << 10)
	go func() {
		defer close(readerDone)
		defer cancel()
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if spec.handle == nil {
				continue
			}
			out := spec.handle(ctx, msg)
			select {
			case direct <- out:
			case <-ctx.Done():
				return
			}
		}
	}()
	sess, _ := conn.Locals(sessionKey).(auth.Session)
	client := &live.Client{Hub: a.Hub, Stream: spec.stream, Queue: a.Config.Streams.SendQueue, Heartbeat: a.Config.Streams.Heartbeat,
		Snapshot: spec.snapshot, Verify: spec.verify, Ready: a.Ready, Filter: a.socketFilter(sess)}
	a.metrics.sockets.WithLabelValues(streamKind(spec.stream)).Inc()
	defer a.metrics.sockets.WithLabelValues(streamKind(spec.stream)).Dec()
	var writeFailed bool
	err := client.Serve(ctx, since, direct, func(b []byte) error {
		_ = conn.SetWriteDeadline(time.Now().Add(a.Config.Streams.WriteTimeout))
		err := conn.WriteMessage(websocket.TextMessage, b)
		writeFailed = err != nil
		return err
	})
	// Whether the connection was ending anyway (the client went, the session
	// ended) must be read before the cancel below, which ends ctx always.
	ending := ctx.Err() != nil
	// The writer is done: stop the reader's handler, which may be waiting to
	// hand a reply to a writer that is gone.
	cancel()
	code, text := websocket.CloseNormalClosure, ""
	switch {
	case errors.Is(context.Cause(ctx), errSessionEnded):
		code, text = CloseSessionEnded, "session ended"
	case a.base.Err() != nil:
		code, text = websocket.CloseGoingAway, "server shutting down; reconnect with since"
	case errors.Is(err, live.ErrBehind):
		code, text = websocket.ClosePolicyViolation, "too far behind; reconnect with since"
	case err != nil && !ending:
		// Storage failed, or a write to the client did (too slow: past
		// streams.write_timeout). Only the first is the server's to log.
		code, text = websocket.CloseTryAgainLater, "temporarily unavailable; reconnect with since"
		if !writeFailed {
			a.Log.Warn("websocket ended by a storage error", "stream", spec.stream, "err", err)
		}
	}
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	// fasthttp closes a hijacked connection only after this handler
	// returns (its Close is a no-op), so wake the reader with a deadline.
	_ = conn.SetReadDeadline(time.Now())
	<-readerDone
}

// CloseSessionEnded is the close code of a socket whose session ended
// (logged out, too old, or the account removed): sign in again rather
// than reconnect.
const CloseSessionEnded = 4001

// errSessionEnded is the cause that closes a socket with CloseSessionEnded.
var errSessionEnded = errors.New("session ended")

// socketFilter applies to a socket the rule HTTP reads apply to the same
// objects: an account limited to an area sees only the events whose area
// header lies in it (grid cases: gridcase.Service.Visible, as GET
// /api/v1/cases/{id}). Events carry no personal data a socket's roles may
// not see (the store masks reporters in every event), so nothing is
// re-encoded. An account without an area gets nil: every event is sent as
// stored, shared by every socket, with no work per socket.
func (a *API) socketFilter(sess auth.Session) func(live.Message) ([]byte, bool) {
	if sess.Area == "" {
		return nil
	}
	// Areas are few and an account's never changes while its socket is
	// open: each area's answer is worked out once per socket.
	seen := map[string]bool{}
	return func(m live.Message) ([]byte, bool) {
		area := live.Area(m.JSON)
		if area == nil {
			return m.JSON, true
		}
		ok, known := seen[string(area)]
		if !known {
			ok = a.Cases.Visible(sess.Area, string(area))
			seen[string(area)] = ok
		}
		return m.JSON, ok
	}
}

// keepSession slides a connected socket's session until ctx ends, and
// ends the socket when the session is gone. Revocations close sockets at
// once; this check is the backstop for a revocation missed while the
// subscription was down, and for the session's maximum age.
func (a *API) keepSession(ctx context.Context, cancel context.CancelCauseFunc, hash string) {
	every := min(a.Config.Auth.SessionTTL/4, time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	// Check once at once: a logout published between the request's
	// authorisation and the socket's registration was not seen by it.
	for first := true; ; first = false {
		if !first {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
		if _, err := a.Auth.AuthenticateHash(ctx, hash); errors.Is(err, auth.ErrUnauthenticated) {
			cancel(errSessionEnded)
			return
		}
	}
}

// socketSessions are the open websockets by their session's token hash.
type socketSessions struct {
	mu   sync.Mutex
	open map[string]map[*socketSession]struct{}
}

type socketSession struct{ cancel context.CancelCauseFunc }

// add registers a socket of the session hash; the returned func removes it.
func (s *socketSessions) add(hash string, cancel context.CancelCauseFunc) func() {
	e := &socketSession{cancel: cancel}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[hash] == nil {
		s.open[hash] = map[*socketSession]struct{}{}
	}
	s.open[hash][e] = struct{}{}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.open[hash], e)
		if len(s.open[hash]) == 0 {
			delete(s.open, hash)
		}
	}
}

// Revoked closes every socket of the session hash (CloseSessionEnded).
func (a *API) Revoked(hash string) {
	a.sessions.mu.Lock()
	defer a.sessions.mu.Unlock()
	for e := range a.sessions.open[hash] {
		e.cancel(errSessionEnded)
	}
}

// FollowRevocations closes sockets of sessions ended on any instance, as
// follow reports them, until ctx ends; a broken subscription is retried.
func (a *API) FollowRevocations(ctx context.Context, follow func(ctx context.Context, fn func(hash string)) error) error {
	for ctx.Err() == nil {
		if err := follow(ctx, a.Revoked); err != nil && ctx.Err() == nil {
			a.Log.Warn("following session revocations failed; retrying", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	return nil
}

// streamKind is the metric label of a stream: screen, leader or responder.
func streamKind(stream string) string {
	if strings.HasPrefix(stream, "unit:") {
		return "responder"
	}
	return stream
}

// snapshotTTL is how long a built screen snapshot is shared with sockets
// that connect while the stream's seq has not moved. Units move without a
// seq; the position frames that follow make good the difference.
const snapshotTTL = time.Second

// screenSnapshot is the screen's state at the seq it reflects: summaries of
// the open incidents (at most streams.snapshot_incidents, most serious
// first, then latest changed), units, open alarms and active orders. It is
// the same for every role and account of one area (it carries no personal
// data, and alarms of other areas are left out), so one build per area is
// shared by the sockets connecting at about the same time.
func (a *API) screenSnapshot(ctx context.Context, area string) ([]byte, uint64, error) {
	seq, err := a.Source.Seq(ctx, vocab.ScreenStream)
	if err != nil {
		return nil, 0, err
	}
	s := &a.ws
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	if b, ok := s.snaps[area]; ok && b.seq == seq && time.Since(b.at) < snapshotTTL {
		return b.msg, seq, nil
	}
	// What every area shares is read from storage once per seq; only the
	// alarms differ between areas.
	if s.parts == nil || s.parts.seq != seq || time.Since(s.parts.at) >= snapshotTTL {
		p, err := a.readSnapshotParts(ctx, seq)
		if err != nil {
			return nil, 0, err
		}
		s.parts = p
	}
	msg, err := a.encodeSnapshot(s.parts, area)
	if err != nil {
		return nil, 0, err
	}
	if s.snaps == nil {
		s.snaps = map[string]builtSnapshot{}
	}
	for k, b := range s.snaps { // areas are few; drop what is stale anyway
		if time.Since(b.at) >= snapshotTTL {
			delete(s.snaps, k)
		}
	}
	s.snaps[area] = builtSnapshot{msg: msg, seq: seq, at: time.Now()}
	return msg, seq, nil
}

// builtSnapshot is a screen snapshot kept for sockets connecting together.
type builtSnapshot struct {
	msg []byte
	seq uint64
	at  time.Time
}

// snapshotParts are what a screen snapshot holds, read at one seq.
type snapshotParts struct {
	seq    uint64
	at     time.Time
	open   []*incident.Summary
	total  int
	alarms []*alarm.Alarm
	active any
	units  any
}

func (a *API) readSnapshotParts(ctx context.Context, seq uint64) (*snapshotParts, error) {
	list, err := a.Incidents.Open(ctx)
	if err != nil {
		return nil, err
	}
	open := make([]*incident.Summary, len(list))
	for i, inc := range list {
		open[i] = inc.Summarize()
	}
	total := len(open)
	slices.SortStableFunc(open, func(x, y *incident.Summary) int {
		if x.Level != y.Level {
			return cmp.Compare(y.Level, x.Level) // I (the highest value) first
		}
		return y.UpdatedAt.Compare(x.UpdatedAt)
	})
	open = open[:min(len(open), a.Config.Streams.SnapshotIncidents)]
	alarms, err := a.Alarms.List(ctx, true)
	if err != nil {
		return nil, err
	}
	active, err := a.Dispatch.Active(ctx)
	if err != nil {
		return nil, err
	}
	return &snapshotParts{seq: seq, at: time.Now(), open: open, total: total, alarms: alarms, active: active,
		units: a.Units.Fleet.List(false)}, nil
}

// encodeSnapshot writes the snapshot an account of area receives: alarms
// of other areas left out.
func (a *API) encodeSnapshot(p *snapshotParts, area string) ([]byte, error) {
	alarms := p.alarms
	if area != "" {
		alarms = slices.DeleteFunc(slices.Clone(alarms), func(al *alarm.Alarm) bool { return al.Area != "" && !a.Cases.Visible(area, al.Area) })
	}
	msg, _, err := envelope("snapshot", p.seq, map[string]any{
		"incidents": p.open, "incidents_total": p.total, "incidents_truncated": len(p.open) < p.total,
		"units": p.units, "alarms": alarms, "dispatches": p.active,
	})
	return msg, err
}

// sessionStream is a stream nothing is ever written to: /ws/session
// carries only heartbeats, so that a page without a stream of its own (the
// reports) learns at once that its session ended.
const sessionStream = "session"

// sessionSocket serves /ws/session: an empty snapshot, then heartbeats,
// closed with 4001 when the session ends anywhere.
func (a *API) sessionSocket() []fiber.Handler {
	return a.socketWith(func(*websocket.Conn) socketSpec {
		return socketSpec{stream: sessionStream, snapshot: func(context.Context) ([]byte, uint64, error) {
			return envelope("snapshot", 0, struct{}{})
		}}
	})
}
