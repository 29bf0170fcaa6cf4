package web

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
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
	ctx, cancel := context.WithCancel(a.base)
	defer cancel()
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
	// A screen stays logged in while it stays connected: its session's
	// expiry slides now and then; a logout elsewhere closes the socket.
	if tok, _ := conn.Locals("token").(string); tok != "" {
		go a.keepSession(ctx, cancel, tok)
	}
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
// ends the socket when the session is gone (logged out, or the account
// removed).
func (a *API) keepSession(ctx context.Context, cancel context.CancelFunc, token string) {
	every := min(a.Config.Auth.SessionTTL/4, 10*time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := a.Auth.Authenticate(ctx, token); errors.Is(err, auth.ErrUnauthenticated) {
			cancel()
			return
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
