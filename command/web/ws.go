package web

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"watchfloor/command/auth"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/live"
)

// screenSocket serves /ws/screen: a snapshot (or a replay after ?since=),
// then every event of the screen stream with its seq.
func (a *API) screenSocket() []fiber.Handler {
	return a.socketWith(func(*websocket.Conn) socketSpec {
		return socketSpec{stream: "screen", snapshot: a.screenSnapshot}
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
		a.sockets.Add(1)
		return c.Next()
	}
	ws := websocket.New(func(conn *websocket.Conn) {
		defer a.sockets.Done()
		a.serveSocket(conn, spec(conn))
	}, websocket.Config{HandshakeTimeout: 5 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 8192})
	return []fiber.Handler{pre, func(c *fiber.Ctx) error {
		err := ws(c)
		if err != nil {
			a.sockets.Done() // the upgrade failed: the handler will never run
		}
		return err
	}}
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
	client := &live.Client{Hub: a.Hub, Stream: spec.stream, Queue: a.Config.Streams.SendQueue, Heartbeat: a.Config.Streams.Heartbeat,
		Snapshot: spec.snapshot, Verify: spec.verify, Ready: a.Ready}
	a.metrics.sockets.WithLabelValues(streamKind(spec.stream)).Inc()
	defer a.metrics.sockets.WithLabelValues(streamKind(spec.stream)).Dec()
	err := client.Serve(ctx, since, direct, func(b []byte) error {
		_ = conn.SetWriteDeadline(time.Now().Add(a.Config.Streams.WriteTimeout))
		return conn.WriteMessage(websocket.TextMessage, b)
	})
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
	case err != nil && ctx.Err() == nil:
		code, text = websocket.CloseTryAgainLater, "temporarily unavailable; reconnect with since"
		a.Log.Warn("websocket ended", "stream", spec.stream, "err", err)
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

// keepSession slides a connected socket's session until ctx ends, and
// ends the socket when the session is gone. Revocations close sockets at
// once; this check is the backstop for a revocation missed while the
// subscription was down, and for the session's maximum age.
func (a *API) keepSession(ctx context.Context, cancel context.CancelCauseFunc, hash string) {
	every := min(a.Config.Auth.SessionTTL/4, time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
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

// screenSnapshot is the screen's state: every incident not closed, with the
// seq it reflects.
func (a *API) screenSnapshot(ctx context.Context) ([]byte, uint64, error) {
	seq, err := a.Source.Seq(ctx, "screen")
	if err != nil {
		return nil, 0, err
	}
	var open []*incident.Incident
	for _, st := range []string{incident.StatusOpen, incident.StatusResponding, incident.StatusRecovery} {
		list, err := a.Incidents.List(ctx, incident.Query{Status: st, Limit: 1000})
		if err != nil {
			return nil, 0, err
		}
		for _, inc := range list {
			open = append(open, inc.Masked())
		}
	}
	if open == nil {
		open = []*incident.Incident{}
	}
	alarms, err := a.Alarms.List(ctx, true)
	if err != nil {
		return nil, 0, err
	}
	active, err := a.Dispatch.Active(ctx)
	if err != nil {
		return nil, 0, err
	}
	msg, err := json.Marshal(struct {
		Seq  uint64 `json:"seq"`
		Type string `json:"type"`
		At   string `json:"at"`
		Data any    `json:"data"`
	}{seq, "snapshot", time.Now().UTC().Format(time.RFC3339Nano), map[string]any{
		"incidents": open, "units": a.Units.Fleet.List(false), "alarms": alarms, "dispatches": active,
	}})
	return msg, seq, err
}
