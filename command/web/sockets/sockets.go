// Package sockets serves the websockets: the screen, leader, responder and
// session streams over live.Client, with their limits, origin check and
// the closing of a session's sockets when it ends anywhere.
package sockets

import (
	"bytes"
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/klauspost/compress/flate"

	"watchfloor/command/auth"
	"watchfloor/command/fault"
	"watchfloor/command/live"
	"watchfloor/command/web/rest"
)

// socketSpec says what one websocket serves.
type socketSpec struct {
	stream   string
	snapshot live.Snapshot
	// handle answers a client message; its reply goes through the writer.
	// Without it, client messages are not read (nor inflated), only skipped.
	handle func(ctx context.Context, msg []byte) []byte
	// readLimit bounds a client message once inflated (0: wireLimit).
	readLimit int64
}

// clientLimit is how much of each client message the reader reads once
// inflated: none without a handler (skipped unread).
func (s socketSpec) clientLimit() int64 {
	if s.handle == nil {
		return 0
	}
	return cmp.Or(s.readLimit, wireLimit)
}

// socketWith upgrades a checked request to a websocket served by spec.
func (a *Server) socketWith(spec func(*websocket.Conn) socketSpec) []fiber.Handler {
	ws := websocket.New(func(conn *websocket.Conn) {
		h, _ := conn.Locals(handshakeKey).(*handshake)
		if !h.take() {
			// Its place was given back already (see handshake): serve nothing.
			_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "temporarily unavailable; reconnect with since"),
				time.Now().Add(time.Second))
			return
		}
		close(h.started)
		defer h.release()
		a.serveSocket(conn, spec(conn))
	}, websocket.Config{HandshakeTimeout: 5 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 8192, WriteBufferPool: &a.libWrites,
		EnableCompression: a.Config.Streams.Compress, RecoverHandler: a.recovered,
		// Chosen when offered, never the offered token's (rest.BearerProtocol).
		Subprotocols: []string{rest.SocketProtocol}})
	return []fiber.Handler{func(c *fiber.Ctx) error {
		if !websocket.IsWebSocketUpgrade(c) {
			return fiber.ErrUpgradeRequired
		}
		if !a.sameOrigin(c) {
			return rest.Forbidden("websocket origin " + c.Get(fiber.HeaderOrigin) + " is not allowed")
		}
		if v := c.Query("since"); v != "" {
			if _, err := strconv.ParseUint(v, 10, 64); err != nil {
				return fault.Field("since", "must be a seq: a whole number")
			}
		}
		// Counted in the shutdown's wait from here on, unless the server
		// is shutting down (enter).
		if !a.enter() {
			return fault.ErrUnavailable
		}
		// Both outlive the request (the counts are map keys): copy them.
		// A session is counted by its token's hash (a ticket's socket too),
		// an address in full; an IPv6 address's /64 has a cap of its own.
		hash, _ := c.Locals(rest.TokenHashKey).(string)
		who := ownerOf(strings.Clone(hash), a.ClientIP(c))
		perAddr := a.Config.Limits.SocketsPerAddress
		if !a.ws.open(who, a.Config.Limits.SocketsPerSession, perAddr, networkSockets*perAddr) {
			a.sockets.Done()
			c.Set(fiber.HeaderRetryAfter, "5")
			return rest.Problem(c, 429, "too-many-sockets", fmt.Sprintf("at most %d websockets per session, %d per address and %d per IPv6 /64 are open at once",
				a.Config.Limits.SocketsPerSession, perAddr, networkSockets*perAddr), nil)
		}
		h := a.counted(who, admissionOf(c.Locals(admissionKey)))
		upgraded := false
		defer func() {
			if !upgraded && h.take() { // the upgrade failed: no handler will run
				h.release()
			}
		}()
		c.Locals(handshakeKey, h)
		if smallWindow(c.Request().Header.Peek(headerExtensions)) {
			c.Request().Header.Del(headerExtensions) // not compressed: see smallWindow
		}
		deflate := new(bool)
		c.Locals(deflateKey, deflate) // set once the upgrade is answered
		if err := ws(c); err != nil {
			return err
		}
		upgraded = true
		// What the library answered, not a guess at its rule: the socket's
		// handler runs after this returns (fasthttp starts it once the
		// answer is written).
		*deflate = len(c.Response().Header.Peek(headerExtensions)) > 0
		go h.watch(a.base, admitHandoff, cmp.Or(c.App().Server().WriteTimeout, handshakeWrite)+handshakeGrace)
		return nil
	}}
}

// handshake is a socket counted in the limits and in the shutdown's wait
// from its upgrade on. fasthttp starts a socket's handler only once the
// upgrade's answer is written, and never when that write fails (the client
// reset the connection): so the place is given back exactly once, by
// whichever takes the handshake first: the handler (when it returns), the
// failed upgrade, or watch, which gives the place back when no handler has
// started within the answer's write timeout or when the server shuts down.
// A handler that starts after that serves nothing.
type handshake struct {
	taken   atomic.Bool
	started chan struct{} // closed by the handler that took it
	release func()
	adm     *admission // its place among the sockets starting, if it has one
}

// enter counts a handshake in the shutdown's wait, unless the server is
// shutting down. The check and the Add are one step under closeMu, which
// Close holds while it cancels base: so every Add happens before Close's
// Wait starts, or is refused. Checked apart (base.Err(), then Add), a
// handshake could pass the check, Close cancel and Wait on a count of
// zero, and the Add come after: a WaitGroup's Add racing its Wait, which
// may panic or let Close return with a socket starting.
func (a *Server) enter() bool {
	a.closeMu.Lock()
	defer a.closeMu.Unlock()
	if a.base.Err() != nil {
		return false
	}
	a.sockets.Add(1)
	return true
}

// counted is a handshake for a socket of who, counted by open and by
// enter: it is given back to both when released, and its admission too
// if its handler never started.
func (a *Server) counted(who socketOwner, adm *admission) *handshake {
	return &handshake{started: make(chan struct{}), adm: adm, release: func() {
		adm.leave()
		a.ws.closed(who)
		a.sockets.Done()
	}}
}

// take reports whether the caller is the first to take h, and so the one
// to release it.
func (h *handshake) take() bool { return h.taken.CompareAndSwap(false, true) }

// watch gives h's place back unless its handler starts within limit, or
// before base ends (the server shuts down and waits for no handshake); its
// place among the sockets starting goes back after handoff already.
func (h *handshake) watch(base context.Context, handoff, limit time.Duration) {
	t, ht := time.NewTimer(limit), time.NewTimer(handoff)
	defer t.Stop()
	defer ht.Stop()
	for waiting := true; waiting; {
		select {
		case <-h.started:
			return
		case <-ht.C:
			h.adm.leave()
		case <-t.C:
			waiting = false
		case <-base.Done():
			waiting = false
		}
	}
	if h.take() {
		h.release()
	}
}

// handshakeWrite bounds the writing of an upgrade's answer on a server
// without a write timeout; handshakeGrace is the moment fasthttp takes
// from the written answer to the handler's start.
const (
	handshakeWrite = 10 * time.Second
	handshakeGrace = time.Second
)

// handshakeKey is where a socket's handshake is kept in Locals.
const handshakeKey = "socket-handshake"

// deflateKey is where a socket's upgrade keeps whether it negotiated
// permessage-deflate (a *bool, set from the upgrade's answer).
const deflateKey = "socket-deflate"

const headerExtensions = "Sec-WebSocket-Extensions"

// smallWindow reports whether an extensions offer limits the server's
// compression window below 32 KiB (server_max_window_bits under 15): the
// library would accept it without reading the parameter and compress with
// the whole window, which such a client could not inflate. No browser
// offers it; such a client gets no compression.
func smallWindow(header []byte) bool {
	for param := range bytes.FieldsFuncSeq(header, func(r rune) bool { return r == ',' || r == ';' }) {
		name, value, ok := bytes.Cut(bytes.TrimSpace(param), []byte("="))
		if !ok || !bytes.EqualFold(bytes.TrimSpace(name), []byte("server_max_window_bits")) {
			continue
		}
		if bits, err := strconv.Atoi(string(bytes.Trim(bytes.TrimSpace(value), `"`))); err != nil || bits < 15 {
			return true
		}
	}
	return false
}

// recovered logs a socket handler's panic, in place of the library's
// default, which writes its text to the client past the socket's writer.
func (a *Server) recovered(*websocket.Conn) {
	if v := recover(); v != nil {
		a.Log.Error("websocket handler panicked", "panic", v, "stack", string(debug.Stack()))
	}
}

// socketOwner is whose a socket is, for the limits: its session token
// (none for a socket without one), its client address in full, and for an
// IPv6 address its /64 ("" for IPv4).
type socketOwner struct{ token, addr, network string }

// ownerOf is the owner of a socket of token from the client address ip.
// An address is counted in full, so that a control room's wall screens
// behind one IPv6 /64 are not held to one address's limit; the /64 is
// counted too, since one IPv6 client holds a whole /64 and could take a
// fresh address for each socket.
func ownerOf(token, ip string) socketOwner {
	who := socketOwner{token: token, addr: strings.Clone(ip)}
	if key := rest.AddressKey(ip); key != ip {
		who.network = key
	}
	return who
}

// networkSockets is how many times limits.sockets_per_address one IPv6
// /64 may hold open at once: room for a LAN of wall screens and desks,
// still a bound on one client taking a fresh address per socket.
const networkSockets = 8

// sockets is the websocket state of an instance: the open sockets counted
// per session token, per client address and per IPv6 /64, and the screen
// snapshot last built, shared by the sockets that connect while it is
// current.
type sockets struct {
	counts

	// snapMu is held while a snapshot is built, so that sockets arriving
	// together wait for one build instead of each making its own.
	snapMu sync.Mutex
	parts  *snapshotParts
	snaps  map[string]builtSnapshot // by the account's area ("" for all)
}

// counts are what each session token, client address and IPv6 /64 holds
// (open sockets; upgrades waiting for a place, see AdmitFor), each held to
// a limit.
type counts struct {
	mu                   sync.Mutex
	byTok, byAddr, byNet map[string]int
}

// open counts one more of who, unless its token, its address or its IPv6
// /64 is at its limit.
func (s *counts) open(who socketOwner, perToken, perAddr, perNet int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byTok == nil {
		s.byTok, s.byAddr, s.byNet = map[string]int{}, map[string]int{}, map[string]int{}
	}
	if (who.token != "" && s.byTok[who.token] >= perToken) || s.byAddr[who.addr] >= perAddr ||
		(who.network != "" && s.byNet[who.network] >= perNet) {
		return false
	}
	if who.token != "" {
		s.byTok[who.token]++
	}
	if who.network != "" {
		s.byNet[who.network]++
	}
	s.byAddr[who.addr]++
	return true
}

// closed uncounts one of who, counted by open.
func (s *counts) closed(who socketOwner) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if who.token != "" {
		uncount(s.byTok, who.token)
	}
	if who.network != "" {
		uncount(s.byNet, who.network)
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

func (a *Server) serveSocket(conn *websocket.Conn, spec socketSpec) {
	ctx, cancelCause := context.WithCancelCause(a.base)
	cancel := func() { cancelCause(context.Canceled) }
	defer cancel()
	// A session ended anywhere closes the socket at once (revocations), and
	// now and then its session is checked and slid (keepSessions).
	if hash, _ := conn.Locals(rest.TokenHashKey).(string); hash != "" {
		a.keeping.Do(func() { go a.keepSessions(a.base) })
		defer a.sessions.add(hash, cancelCause, a.Clock().Add(a.sessionCheck()))()
		// Checked once at once: a logout published between the request's
		// authorisation and the socket's registration was not seen by it.
		if _, err := a.Auth.AuthenticateHash(ctx, hash); errors.Is(err, auth.ErrUnauthenticated) {
			cancelCause(errSessionEnded)
		}
	}
	var since *uint64
	if v := conn.Query("since"); v != "" {
		n, _ := strconv.ParseUint(v, 10, 64)
		since = &n
	}
	// The reader only reads: it notices a closed or silent connection and
	// hands client messages to the handler, whose replies go through the
	// writer. Every socket reads, those that skip their clients' messages
	// too, so that pongs are heard.
	readerDone := make(chan struct{})
	var direct chan []byte // replies; none where no handler answers (the writer waits on one channel less)
	if spec.handle != nil {
		direct = make(chan []byte, 16)
	}
	deflate, _ := conn.Locals(deflateKey).(*bool)
	batch := newSocketWriter(conn, a.Config.Streams.WriteTimeout, a.silence(), deflate != nil && *deflate)
	batch.starting = admissionOf(conn.Locals(admissionKey)) // read by the writes, from Serve on
	limit := spec.clientLimit()
	go func() {
		defer close(readerDone)
		defer cancel()
		for {
			msg, err := batch.read(limit)
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
	sess, _ := conn.Locals(rest.SessionKey).(auth.Session)
	client := &live.Client{Hub: a.Hub, Stream: spec.stream, Queue: a.Config.Streams.SendQueue, Heartbeat: a.Config.Streams.Heartbeat,
		Snapshot: spec.snapshot, Ready: a.Ready, Filter: a.socketFilter(sess), WriteGap: a.Config.Streams.WriteGap}
	client.Batch, client.Beat = batch.write, batch.beat
	client.Started = batch.starting.leave // the next socket may start
	kind := streamKind(spec.stream)
	a.Metrics.Sockets.WithLabelValues(kind).Inc()
	defer a.Metrics.Sockets.WithLabelValues(kind).Dec()
	err := client.Serve(ctx, since, direct, batch.one)
	// Whether the session ended must be read before the cancel below, which
	// ends ctx always.
	cause := context.Cause(ctx)
	// The writer is done: stop the reader's handler, which may be waiting to
	// hand a reply to a writer that is gone.
	cancel()
	wrote, read := batch.ended()
	reason := a.closeReason(cause, err, wrote, read)
	a.closed.WithLabelValues(kind, reason).Inc()
	code, text := websocket.CloseNormalClosure, ""
	switch reason {
	case reasonSessionEnded:
		code, text = CloseSessionEnded, "session ended"
	case reasonShutdown:
		code, text = websocket.CloseGoingAway, "server shutting down; reconnect with since"
	case reasonBehind:
		code, text = websocket.ClosePolicyViolation, "too far behind; reconnect with since"
	case reasonWriteTimeout, reasonWriteFailed, reasonStorage:
		// Storage failed, or a write to the client did (too slow: past
		// streams.write_timeout; or gone). Only the first is the server's
		// to warn of.
		code, text = websocket.CloseTryAgainLater, "temporarily unavailable; reconnect with since"
	}
	switch reason {
	case reasonStorage:
		a.Log.Warn("websocket ended by a storage error", "stream", spec.stream, "err", err)
	case reasonBehind, reasonWriteTimeout, reasonWriteFailed, reasonSilent:
		a.Log.Info("websocket cut off", "stream", spec.stream, "reason", reason, "user", sess.Username, "err", cmp.Or(wrote, read, err))
	}
	// No Close after a failed write or once the client's Close was
	// answered (or the library sent one), nor after a read timed out (the
	// client is silent): see socketWriter.
	batch.close(code, text)
	// fasthttp closes a hijacked connection only after this handler
	// returns (its Close is a no-op), so wake the reader with a deadline.
	batch.stopReading()
	<-readerDone
}

// silence is how long a socket's client may send nothing, not even a
// pong, once pinged: three heartbeats, and the write timeout, since a ping
// may wait that long behind a write to a slow client.
func (a *Server) silence() time.Duration {
	return 3*a.Config.Streams.Heartbeat + a.Config.Streams.WriteTimeout
}

// Why a socket closed: the reason label of watchfloor_websocket_closed_total.
const (
	reasonClient       = "client"        // the client closed it, or its connection ended
	reasonShutdown     = "shutdown"      // the server shut down (1001)
	reasonSessionEnded = "session_ended" // 4001
	reasonBehind       = "behind"        // its queue overflowed (1008)
	reasonWriteTimeout = "write_timeout" // a write took past streams.write_timeout
	reasonWriteFailed  = "write_failed"  // a write failed otherwise, the client not seen to go
	reasonSilent       = "silent"        // nothing heard, not even a pong, for silence
	reasonBadMessage   = "bad_message"   // a client message too big (1009) or not inflating (1007)
	reasonStorage      = "storage"       // storage failed (1013)
)

// closeReasons are every reason, to start each stream's counts at zero.
var closeReasons = []string{reasonClient, reasonShutdown, reasonSessionEnded, reasonBehind, reasonWriteTimeout,
	reasonWriteFailed, reasonSilent, reasonBadMessage, reasonStorage}

// closeReason tells why a socket closed from the cause that ended its
// context (the session's end), the error Serve returned, the first write
// that failed and the error that ended the reader. A write that failed
// (not one past its timeout) while the reader saw the client go, its
// connection at its end or reset or a Close from it, is the client's
// doing: a client that drops its connection while a write is in flight
// was not cut off. A protocol error of the client (the library answers
// 1002) ends the reader with an error of no kind of its own: client too.
func (a *Server) closeReason(cause, served, wrote, read error) string {
	var ne, re net.Error
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(cause, errSessionEnded):
		return reasonSessionEnded
	case a.base.Err() != nil:
		return reasonShutdown
	case errors.Is(served, live.ErrBehind):
		return reasonBehind
	case errors.As(wrote, &ne) && ne.Timeout():
		return reasonWriteTimeout
	case wrote != nil && clientWent(read):
		return reasonClient
	case wrote != nil:
		return reasonWriteFailed
	case errors.As(read, &re) && re.Timeout():
		return reasonSilent // the read deadline passed: see socketWriter
	// The library's own ErrReadLimit: contrib/websocket declares another,
	// which the library never returns.
	case errors.Is(read, errTooBig), errors.Is(read, fws.ErrReadLimit), errors.As(read, &corrupt):
		return reasonBadMessage
	case read == nil && served != nil && !errors.Is(served, websocket.ErrCloseSent):
		return reasonStorage
	}
	return reasonClient
}

// clientWent reports whether the reader ended because the client went:
// its Close, or the connection's end (the library reads an EOF as a
// CloseError 1006) or reset.
func clientWent(read error) bool {
	var ce *fws.CloseError
	return errors.As(read, &ce) || errors.Is(read, io.EOF) || errors.Is(read, io.ErrUnexpectedEOF) ||
		errors.Is(read, syscall.ECONNRESET) || errors.Is(read, syscall.ECONNABORTED)
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
func (a *Server) socketFilter(sess auth.Session) func(live.Message) ([]byte, bool) {
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

// sessionCheck is how often the session of an open socket is checked and
// slid: a quarter of its lifetime, at most a minute.
func (a *Server) sessionCheck() time.Duration {
	return min(a.Config.Auth.SessionTTL/4, time.Minute)
}

// keepSessions slides the sessions of open sockets, each every
// sessionCheck, and ends the sockets of a session found gone, until ctx
// ends. Revocations close sockets at once; this check is the backstop for a
// revocation missed while the subscription was down, and for the
// session's maximum age. One goroutine checks every session of the
// instance in turn, once a second those due (a goroutine a socket held a
// stack and a ticker each, 2,000 of them for a city's phones); a check
// slowed by Redis delays the ones after it, each by sessionCheckTimeout
// at most: they are a backstop.
func (a *Server) keepSessions(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, hash := range a.sessions.due(a.Clock(), a.sessionCheck()) {
			if ctx.Err() != nil {
				return
			}
			cctx, cancel := context.WithTimeout(ctx, sessionCheckTimeout)
			_, err := a.Auth.AuthenticateHash(cctx, hash)
			cancel()
			if errors.Is(err, auth.ErrUnauthenticated) {
				a.Revoked(hash)
			}
		}
	}
}

// sessionCheckTimeout bounds one session's check by keepSessions: a check
// that cannot reach Redis leaves the socket open until the next.
const sessionCheckTimeout = 2 * time.Second

// socketSessions are the open websockets by their session's token hash.
type socketSessions struct {
	mu   sync.Mutex
	open map[string]*sessionSockets
}

// sessionSockets are the open sockets of one session, and when the
// session is next checked.
type sessionSockets struct {
	socks map[*socketSession]struct{}
	next  time.Time
}

type socketSession struct{ cancel context.CancelCauseFunc }

// add registers a socket of the session hash, its session to be checked
// at next unless an earlier socket of it already set the time; the
// returned func removes it.
func (s *socketSessions) add(hash string, cancel context.CancelCauseFunc, next time.Time) func() {
	e := &socketSession{cancel: cancel}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.open[hash]
	if o == nil {
		o = &sessionSockets{socks: map[*socketSession]struct{}{}, next: next}
		s.open[hash] = o
	}
	o.socks[e] = struct{}{}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(o.socks, e)
		if len(o.socks) == 0 && s.open[hash] == o {
			delete(s.open, hash)
		}
	}
}

// due returns the sessions whose check is due at now, each once however
// many sockets it has, and sets their next check every on.
func (s *socketSessions) due(now time.Time, every time.Duration) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var hashes []string
	for hash, o := range s.open {
		if !now.Before(o.next) {
			o.next = now.Add(every)
			hashes = append(hashes, hash)
		}
	}
	return hashes
}

// Revoked closes every socket of the session hash (CloseSessionEnded).
func (a *Server) Revoked(hash string) {
	a.sessions.mu.Lock()
	defer a.sessions.mu.Unlock()
	if o := a.sessions.open[hash]; o != nil {
		for e := range o.socks {
			e.cancel(errSessionEnded)
		}
	}
}

// streamKind is the metric label of a stream: screen, leader or responder.
func streamKind(stream string) string {
	if strings.HasPrefix(stream, "unit:") {
		return "responder"
	}
	return stream
}

// sameOrigin checks a websocket's Origin: absent (not a browser), the
// server's own host, or a configured one.
func (a *Server) sameOrigin(c *fiber.Ctx) bool {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return true
	}
	for _, o := range a.Config.Auth.AllowedOrigins {
		if subtle.ConstantTimeCompare([]byte(o), []byte(origin)) == 1 {
			return true
		}
	}
	host := origin
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	return host == string(c.Request().Host())
}
